// Read-mostly and accessed-by advice in the fault service (uvm_va_block_service_locked ->
// block_select_processor_residency rules 2-3 and 8; uvm_va_block_make_resident_read_duplicate;
// uvm_va_block_add_mappings_after_migration), and how the view shows duplicated pages.
import * as assert from 'node:assert/strict';
import { run } from './helpers';
import { PAGE_SIZE } from '../../src/engine/mm/content';

const TWO_GPUS = 'device gpu0 memory=64MiB policy=migrate\ndevice gpu1 memory=64MiB policy=migrate\nprocess p\ngpu0 mirror p\ngpu1 mirror p\n'
	+ 'T = mmap 64KiB anon rw\ncpu write T = i\nadvise T read_mostly=on\n';

function table(extra: string) {
	const it = run(`${TWO_GPUS}${extra}`);
	const m = it.machine;
	const T = it.vars.get('T') as { addr: number; len: number };
	const vpn = T.addr / PAGE_SIZE;
	return { it, m, vpn, n: T.len / PAGE_SIZE };
}

describe('read-mostly advice in the fault service (uvm_va_block_service_locked)', () => {
	it('block_select_processor_residency rule 2: a read fault copies onto the reader and keeps every other copy', () => {
		const { m, vpn, n } = table('kernel gpu0 { read T }\nkernel gpu1 { read T }\n');
		const gpu0 = m.k.device('gpu0'), gpu1 = m.k.device('gpu1');
		assert.equal(gpu0.stats.read_duplicated, n);
		assert.equal(gpu1.stats.read_duplicated, n);
		assert.equal(gpu0.stats.migrated_in + gpu1.stats.migrated_in, 0);
		assert.equal(m.view.where('p', vpn, vpn + n), 'ram', 'where() reports the owner: the CPU');
		assert.equal(m.copies({ addr: vpn * PAGE_SIZE, len: n * PAGE_SIZE }, 'gpu0'), n);
		assert.equal(m.copies({ addr: vpn * PAGE_SIZE, len: n * PAGE_SIZE }, 'ram'), n);
		// copies are pages of the blocks' root chunks (uvm_pmm_gpu), one chunk per device here
		assert.equal(gpu0.uvm!.pmm.chunksInUse, 1);
		assert.equal(gpu0.uvm!.pmm.used[gpu0.uvm!.pmm.chunkOf(gpu0.uvm!.pmm.byBlock.keys().next().value!)], n);
	});

	it('the view shows duplicated pages: residency copies, mirror entries tagged copy, map cells, root chunk copies', () => {
		const { m, vpn, n } = table('kernel gpu0 { read T }\nkernel gpu1 { read page(T, 0) }\n');
		const r = m.view.residency('p', vpn, vpn + n)!;
		assert.deepEqual(r.counts, { ram: n });
		assert.deepEqual(r.copies, { gpu0: n, gpu1: 1 });
		const page = m.view.page('p', vpn)!;
		assert.deepEqual(page.mirrors.map(e => [e.device, e.perm, e.copy]), [['gpu0', 'r', true], ['gpu1', 'r', true]]);
		const cells = m.view.residencyCells('p', vpn, vpn + n, n)!;
		assert.deepEqual(cells.copies, [1, n]);
		const chunks = m.view.device('gpu0')!.model!.evictionOrder;
		assert.deepEqual(chunks.map(c => [c.resident, c.copies]), [[n, n]]);
		const last = m.k.device('gpu1').uvm!.last!;
		assert.equal(last.blocks[0].duplicated, 1);
	});

	it('rule 3: a device write collapses onto the writer, whose copy becomes the page without a transfer', () => {
		const { m, vpn, n } = table('kernel gpu0 { read T }\nkernel gpu1 { read T }\nkernel gpu1 { write page(T, 2) = 5 }\n');
		const gpu1 = m.k.device('gpu1');
		assert.equal(m.view.where('p', vpn + 2, vpn + 3), 'gpu1');
		assert.equal(gpu1.stats.migrated_in, 1);
		assert.equal(gpu1.usedPages, n, 'no new device page');
		const cost = gpu1.uvm!.last!.cost;
		assert.equal(cost.transfer, 0, 'no copy over the link');
		assert.equal(cost.zeroFill, 0);
		assert.deepEqual(m.view.residency('p', vpn, vpn + n)!.copies, { gpu0: n - 1, gpu1: n - 1 });
	});

	it('read_mostly=off collapses every copy and frees its page', () => {
		const { m, vpn, n } = table('kernel gpu0 { read T }\nadvise T read_mostly=off\n');
		assert.equal(m.k.device('gpu0').usedPages, 0);
		assert.equal(m.view.residency('p', vpn, vpn + n)!.copies, undefined);
		assert.equal(m.k.device('gpu0').uvm!.pmm.chunksInUse, 0, 'the empty root chunk went back');
	});
});

describe('accessed-by advice in the fault service', () => {
	const SRC = 'device gpu0 memory=64MiB policy=migrate\ndevice gpu1 memory=64MiB policy=migrate\nprocess p\ngpu0 mirror p\ngpu1 mirror p\n'
		+ 'T = mmap 64KiB anon rw\ncpu write T = i\n';

	it('rule 8: an accessed-by device faulting on a CPU page maps it where it is, without migrating it', () => {
		// the advice maps at once; drop the mapping (a CPU write-protect) to see the fault rule itself
		const it = run(`${SRC}advise T accessed_by=gpu1\nmprotect T r\nmprotect T rw\nkernel gpu1 { read T }\n`);
		const gpu1 = it.machine.k.device('gpu1');
		assert.equal(gpu1.stats.faults, 16, 'the mprotect dropped the mappings, so the kernel faulted');
		assert.equal(gpu1.stats.migrated_in, 0);
		assert.equal(gpu1.stats.remote_bytes, 16 * PAGE_SIZE);
	});

	it('without the advice the same fault migrates (the rule is what keeps the page in place)', () => {
		const it = run(`${SRC}kernel gpu1 { read T }\n`);
		assert.equal(it.machine.k.device('gpu1').stats.migrated_in, 16);
	});

	it('after eviction the accessed-by device maps the page again, so its next kernel does not fault', () => {
		const it = run('device gpu0 memory=2MiB policy=migrate\ndevice gpu1 memory=64MiB policy=migrate\nprocess p\ngpu0 mirror p\ngpu1 mirror p\n'
			+ 'T = mmap 64KiB anon rw\nU = mmap 2MiB anon rw\ncpu write T = i\nadvise T accessed_by=gpu1\nkernel gpu0 { write T = i + 1 }\n'
			+ 'expect mapped(gpu1, T) == 16\nkernel gpu0 { read U }\nexpect mapped(gpu1, T) == 16\nkernel gpu1 { read T }\nexpect last.faults == 0\n');
		// first a peer mapping of gpu0's memory (uvm/peer.ts), then, after the eviction, of RAM
		assert.equal(it.passed, 3);
		assert.equal(it.machine.k.device('gpu0').stats.evicted, 16);
		assert.equal(it.machine.k.device('gpu1').stats.remote_bytes, 16 * PAGE_SIZE);
		assert.equal(it.machine.k.device('gpu1').stats.peer_bytes, 0);
	});
});
