// Peer mappings for accessed-by advice: a GPU in a range's accessed-by set maps pages resident on
// another policy=migrate GPU over the peer link (uvm_va_block_add_mappings -> block_map_remote),
// after a migration (block_migrate_add_mappings, uvm_va_block_add_mappings_after_migration), when
// the advice is set (uvm_va_block_set_accessed_by) and on its own fault
// (block_select_processor_residency rule 8); its kernels then access the peer's memory in place at
// peer_bw, counted in DEV.peer_bytes. The owner's migrations invalidate the peer mappings.
import * as assert from 'node:assert/strict';
import { mirrorOwners, run } from './helpers';
import { PAGE_SIZE } from '../../src/engine/mm/content';

const TWO = (peer = '') => `device gpu0 memory=64MiB policy=migrate${peer}\ndevice gpu1 memory=64MiB policy=migrate${peer}\n`
	+ 'process p\ngpu0 mirror p\ngpu1 mirror p\nX = mmap 2MiB anon rw\ncpu write X = i\n';

function setup(src: string) {
	const it = run(src);
	const m = it.machine;
	const X = it.vars.get('X') as { addr: number; len: number };
	const vpn = X.addr / PAGE_SIZE, n = X.len / PAGE_SIZE;
	/** whose memory the device's entries for X point into */
	const owners = (dev: string) => mirrorOwners(m, dev, vpn, n);
	return { it, m, vpn, n, owners, gpu0: m.k.device('gpu0'), gpu1: m.k.device('gpu1') };
}

describe('peer mappings for accessed_by (block_map_remote)', () => {
	it('a prefetch to gpu0 leaves gpu1 mapping every page in gpu0\'s memory (block_migrate_add_mappings)', () => {
		const { m, vpn, n, owners, gpu1 } = setup(`${TWO()}advise X accessed_by=gpu1\nprefetch X -> gpu0\n`);
		assert.equal(m.view.where('p', vpn, vpn + n), 'gpu0');
		assert.deepEqual(owners('gpu1'), { gpu0: n });
		assert.equal(gpu1.stats.migrated_in, 0);
	});

	it('gpu1\'s kernel reads gpu0\'s memory in place, without a fault, at peer_bw', () => {
		const { it, n, gpu1 } = setup(`${TWO(' peer_bw=100GB/s')}advise X accessed_by=gpu1\nprefetch X -> gpu0\nkernel gpu1 { read X }\n`);
		const k = it.machine.kernels.at(-1)!;
		assert.equal(k.faults, 0);
		assert.equal(k.peerBytes, n * PAGE_SIZE);
		assert.equal(k.remoteBytes, 0);
		assert.equal(gpu1.stats.peer_bytes, n * PAGE_SIZE);
		// launch + 2 MiB at 100 GB/s
		assert.equal(k.timeNs, 5_000 + Math.round(n * PAGE_SIZE / 100e9 * 1e9));
	});

	it('without peer_bw, peer accesses go at PCIe peer-to-peer speed: slower than device memory, faster than nothing', () => {
		const { it } = setup(`${TWO()}advise X accessed_by=gpu1\nprefetch X -> gpu0\nkernel gpu1 { read X }\nkernel gpu0 { read X }\n`);
		const [peer, local] = it.machine.kernels.slice(-2);
		assert.ok(peer.timeNs > 10 * local.timeNs, `${peer.timeNs} vs ${local.timeNs}`);
	});

	it('a write through the peer mapping lands in gpu0\'s memory; the page stays there', () => {
		const { m, vpn, n, it } = setup(`${TWO()}advise X accessed_by=gpu1\nprefetch X -> gpu0\nkernel gpu1 { write X = 9 }\n`);
		assert.equal(m.view.where('p', vpn, vpn + n), 'gpu0');
		assert.equal(it.machine.kernels.at(-1)!.faults, 0);
		assert.ok(m.matches({ addr: vpn * PAGE_SIZE, len: n * PAGE_SIZE }, () => 9));
	});

	it('gpu0 faulting the pages in (a fault service) remaps them on gpu1 over the peer link', () => {
		const { owners, n, gpu1 } = setup(`${TWO()}advise X accessed_by=gpu1\nkernel gpu0 { read X }\n`);
		assert.deepEqual(owners('gpu1'), { gpu0: n }, 'the RAM mappings went with the migration and came back as peer mappings');
		assert.equal(gpu1.stats.faults, 0);
	});

	it('rule 8 on a fault: gpu1 faulting on a page gpu0 holds maps it over the peer link instead of migrating it', () => {
		// mprotect drops every mirror entry (PROTECTION_VMA), so gpu1's kernel faults
		const { it, owners, m, vpn, n, gpu1 } = setup(`${TWO()}prefetch X -> gpu0\nadvise X accessed_by=gpu1\nmprotect X r\nmprotect X rw\nkernel gpu1 { read X }\n`);
		const k = it.machine.kernels.at(-1)!;
		assert.ok(k.faults > 0);
		assert.equal(gpu1.stats.migrated_in, 0);
		assert.equal(m.view.where('p', vpn, vpn + n), 'gpu0');
		assert.deepEqual(owners('gpu1'), { gpu0: n });
		assert.equal(k.peerBytes, n * PAGE_SIZE);
	});

	it('the owner\'s migration home invalidates the peer mappings; gpu1 then maps the pages in RAM', () => {
		const { owners, n, m, vpn } = setup(`${TWO()}advise X accessed_by=gpu1\nprefetch X -> gpu0\nprefetch X -> ram\n`);
		assert.deepEqual(owners('gpu1'), { ram: n });
		assert.ok(m.matches({ addr: vpn * PAGE_SIZE, len: n * PAGE_SIZE }, i => i));
	});

	it('without accessed_by, gpu1 migrates the pages to itself as before', () => {
		const { gpu1, owners, n } = setup(`${TWO()}prefetch X -> gpu0\nkernel gpu1 { read X }\n`);
		assert.equal(gpu1.stats.migrated_in, n);
		assert.equal(gpu1.stats.peer_bytes, 0);
		assert.deepEqual(owners('gpu1'), { gpu1: n });
	});
});
