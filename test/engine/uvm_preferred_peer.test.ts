// A preferred location on another GPU (block_select_processor_residency, uvm_va_block.c): when
// the faulting GPU can access the preferred GPU (enable_peers set accessible_from), a page resident
// nowhere goes to the preferred location (rule 7), a page elsewhere migrates there (rule 10), and
// a page already there stays; the faulting GPU maps it over the peer link
// (uvm_va_block_service_finish -> block_map_remote) and its kernels access it at peer_bw. Without
// peer access (peer=off) the faulting GPU takes the page (the last rule), as before.
import * as assert from 'node:assert/strict';
import { mirrorOwners, run } from './helpers';
import { PAGE_SIZE } from '../../src/engine/mm/content';

const THREE = (opts: { gpu0?: string; all?: string } = {}) => `device gpu0 memory=64MiB policy=migrate${opts.all ?? ''}${opts.gpu0 ?? ''}\n`
	+ `device gpu1 memory=64MiB policy=migrate${opts.all ?? ''}\ndevice gpu2 memory=64MiB policy=migrate${opts.all ?? ''}\n`
	+ 'process p\ngpu0 mirror p\ngpu1 mirror p\ngpu2 mirror p\nX = mmap 2MiB anon rw\n';

function setup(src: string) {
	const it = run(src);
	const m = it.machine;
	const X = it.vars.get('X') as { addr: number; len: number };
	const vpn = X.addr / PAGE_SIZE, n = X.len / PAGE_SIZE;
	/** whose memory the device's entries for X point into */
	const owners = (dev: string) => mirrorOwners(m, dev, vpn, n);
	const stats = (dev: string) => m.k.device(dev).stats;
	return { it, m, vpn, n, owners, stats, where: () => m.view.where('p', vpn, vpn + n), kernel: () => it.machine.kernels.at(-1)! };
}

describe('preferred location on a peer GPU (block_select_processor_residency rules 7 and 10)', () => {
	it('rule 10: gpu0 faulting on CPU pages with preferred=gpu1 migrates them to gpu1 and maps them over the peer link (block_map_remote)', () => {
		const { where, owners, stats, n, kernel, m, vpn } = setup(`${THREE()}cpu write X = i\nadvise X preferred=gpu1\nkernel gpu0 { read X }\n`);
		assert.equal(where(), 'gpu1');
		assert.equal(stats('gpu0').migrated_in, 0, 'nothing migrates to the faulting GPU');
		assert.equal(stats('gpu1').migrated_in, n);
		assert.equal(m.k.device('gpu1').byCause['device-fault'].in, n, 'the cause is gpu0\'s device fault');
		assert.deepEqual(owners('gpu0'), { gpu1: n }, 'gpu0 maps gpu1\'s memory');
		assert.equal(kernel().peerBytes, n * PAGE_SIZE, 'every access crosses the peer link');
		assert.equal(kernel().remoteBytes, 0);
		assert.equal(stats('gpu0').peer_bytes, n * PAGE_SIZE);
		assert.equal(kernel().migrated, n, 'the kernel line counts the pages its faults moved');
		assert.ok(m.matches({ addr: vpn * PAGE_SIZE, len: n * PAGE_SIZE }, i => i));
	});

	it('rule 7: an untouched page gpu0 writes is populated at gpu1 (zero-filled there) and written over the peer link', () => {
		const { where, stats, n, m, vpn, owners } = setup(`${THREE()}advise X preferred=gpu1\nkernel gpu0 { write X = i + 5 }\n`);
		assert.equal(where(), 'gpu1');
		assert.equal(stats('gpu1').migrated_in, n);
		assert.equal(stats('gpu0').migrated_in, 0);
		assert.deepEqual(owners('gpu0'), { gpu1: n });
		assert.ok(m.matches({ addr: vpn * PAGE_SIZE, len: n * PAGE_SIZE }, i => i + 5));
	});

	it('a third GPU faulting on pages already at the preferred GPU maps them in place: no migration (uvm_va_block_add_mappings)', () => {
		const { stats, n, owners, where, m, vpn, kernel } = setup(`${THREE()}cpu write X = i\nadvise X preferred=gpu1\nkernel gpu0 { read X }\n`
			+ 'kernel gpu2 { write X = i + 2 }\n');
		assert.equal(where(), 'gpu1');
		assert.equal(stats('gpu1').migrated_in, n, 'only gpu0\'s faults moved pages');
		assert.equal(stats('gpu2').migrated_in, 0);
		assert.ok(kernel().faults > 0);
		assert.equal(kernel().migrated, 0);
		assert.deepEqual(owners('gpu2'), { gpu1: n });
		assert.ok(m.matches({ addr: vpn * PAGE_SIZE, len: n * PAGE_SIZE }, i => i + 2), 'gpu2\'s writes land in gpu1\'s memory');
	});

	it('rule 10 from a third GPU\'s memory: pages on gpu2 go GPU to GPU to gpu1 (block_copy_resident_pages_between), not to gpu0', () => {
		const { stats, n, where, owners } = setup(`${THREE()}cpu write X = i\nprefetch X -> gpu2\nadvise X preferred=gpu1\nkernel gpu0 { read X }\n`);
		assert.equal(where(), 'gpu1');
		assert.equal(stats('gpu1').peer_copy_bytes, n * PAGE_SIZE);
		assert.equal(stats('gpu2').migrated_out, n);
		assert.equal(stats('gpu0').migrated_in, 0);
		assert.deepEqual(owners('gpu0'), { gpu1: n });
	});

	it('rule 4 is unchanged: the preferred GPU faulting takes the pages itself', () => {
		const { stats, n, where } = setup(`${THREE()}cpu write X = i\nadvise X preferred=gpu1\nkernel gpu1 { read X }\n`);
		assert.equal(where(), 'gpu1');
		assert.equal(stats('gpu1').migrated_in, n);
		assert.equal(stats('gpu1').peer_bytes, 0);
	});

	it('prefetch=density prefetches towards the preferred GPU (uvm_va_block_get_prefetch_hint, a single destination) and gpu0 maps those pages too', () => {
		const { stats, n, where, owners, kernel } = setup(`${THREE({ all: ' prefetch=density' })}cpu write X = i\nadvise X preferred=gpu1\nkernel gpu0 { read X }\n`);
		assert.equal(where(), 'gpu1');
		assert.ok(stats('gpu1').prefetched > 0);
		assert.equal(stats('gpu1').migrated_in, n);
		assert.ok(kernel().faults < n, `${kernel().faults} faults`);
		assert.deepEqual(owners('gpu0'), { gpu1: n });
	});

	it('a second pass costs the launch plus the bytes at peer_bw, and no fault', () => {
		const { it, n } = setup(`${THREE({ all: ' peer_bw=100GB/s' })}cpu write X = i\nadvise X preferred=gpu1\nkernel gpu0 { read X }\nkernel gpu0 { read X }\n`);
		const k = it.machine.kernels.at(-1)!;
		assert.equal(k.faults, 0);
		assert.equal(k.timeNs, 5_000 + Math.round(n * PAGE_SIZE / 100e9 * 1e9));
	});

	it('without peer access (peer=off, enable_peers never ran) the faulting GPU takes the pages: the last rule of block_select_processor_residency', () => {
		const { stats, n, where, owners, kernel } = setup(`${THREE({ gpu0: ' peer=off' })}cpu write X = i\nadvise X preferred=gpu1\nkernel gpu0 { read X }\n`);
		assert.equal(where(), 'gpu0');
		assert.equal(stats('gpu0').migrated_in, n);
		assert.equal(stats('gpu1').migrated_in, 0);
		assert.deepEqual(owners('gpu0'), { gpu0: n });
		assert.equal(kernel().peerBytes, 0);
	});

	it('rule 10 without peer access between the holder and the preferred GPU: the pages reach gpu1 through RAM (hmm_range_fault -> migrate_to_ram)', () => {
		const { stats, n, where } = setup(`${THREE({ gpu0: ' peer=off' })}cpu write X = i\nadvise X preferred=gpu1\nkernel gpu0 { read X }\nkernel gpu2 { read X }\n`);
		assert.equal(where(), 'gpu1');
		assert.equal(stats('gpu1').peer_copy_bytes, 0, 'gpu0 and gpu1 are no peers');
		assert.equal(stats('gpu0').migrated_out, n);
		assert.equal(stats('gpu2').peer_bytes, n * PAGE_SIZE);
	});

	it('peer=off also stops accessed_by peer mappings (peerOwner): gpu1 does not map gpu0\'s memory', () => {
		const { owners, stats } = setup(`${THREE({ gpu0: ' peer=off' })}cpu write X = i\nadvise X accessed_by=gpu1\nprefetch X -> gpu0\nkernel gpu1 { read X }\n`);
		assert.equal(owners('gpu1').gpu0, undefined);
		assert.equal(stats('gpu1').peer_bytes, 0);
	});
});
