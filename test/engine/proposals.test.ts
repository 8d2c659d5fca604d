// Issue 14: the proposal modes measured against mainline on the same workload (bench/proposals.ts
// builds the table `npm run bench` prints; these tests hold its figures to the cost model).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { benchProposals } from '../../bench/proposals';

const ROOT = path.join(__dirname, '..', '..', '..');

describe('proposal modes against mainline (examples/proposals)', function () {
	this.timeout(120_000);
	const rows = benchProposals(path.join(ROOT, 'examples', 'proposals'));
	const pair = (example: string) => {
		const r = rows.filter(x => x.example === example);
		assert.equal(r.length, 2, `${example}: a mainline row and a mode row`);
		return { mainline: r.find(x => x.mode === 'mainline')!, mode: r.find(x => x.mode !== 'mainline')! };
	};

	it('parallel_invalidate: mmu_notifier_invalidate_range_start waits for the slowest flush, not the sum', () => {
		const { mainline, mode } = pair('parallel-invalidate');
		assert.equal(mainline.invalidations, 40);
		assert.equal(mode.invalidations, 40);
		// four GPUs flushing in 8, 8, 12 and 12 us
		assert.equal(mainline.invalidateNs / mainline.invalidations, 40_000);
		assert.equal(mode.invalidateNs / mode.invalidations, 12_000);
		assert.equal(mainline.timeNs - mode.timeNs, mainline.invalidateNs - mode.invalidateNs, 'the saving is the whole difference');
		assert.equal(mainline.faults, mode.faults);
		assert.equal(mainline.bytesMoved, mode.bytesMoved);
	});

	it('pin_device: pick_root_chunk_to_evict passes over a pinned chunk, so the table never moves again', () => {
		const { mainline, mode } = pair('pin-device');
		// mainline re-faults the 2 MiB table after each of the 4 streams evicted it
		assert.equal(mainline.evicted - mode.evicted, 4 * 512);
		assert.equal(mainline.bytesMoved - mode.bytesMoved, 2 * 4 * 512 * 4096, 'evicted and migrated back in, four times');
		assert.equal(mainline.faults - mode.faults, 4 * 512);
		assert.ok(mode.timeNs < mainline.timeNs);
	});

	it('file_migration: migrate_vma_pages lets the shared file mapping move, and fsync brings the dirty pages back', () => {
		const { mainline, mode } = pair('file-migration');
		// mainline: the 16 MiB never leave the page cache in RAM
		assert.equal(mainline.bytesMoved, 0);
		// the mode: 4096 pages in on the first kernel's faults, the 2048 the GPU dirtied back for sync
		assert.equal(mode.bytesMoved, (4096 + 2048) * 4096);
		// writeback copies the same pages either way: the CPU's fill once, the GPU's half at the end
		assert.equal(mainline.writtenBack, (4096 + 2048) * 4096);
		assert.equal(mode.writtenBack, mainline.writtenBack);
		assert.equal(mainline.faults, mode.faults, 'one fault per page either way: remote mapping or migration');
		assert.ok(mode.timeNs < mainline.timeNs, 'a hundred kernels repay the migration');
	});

	it('dax_migration: migrate_vma_setup takes the DAX VMA, sync persists the copies, and the crash loses what the last kernel wrote', () => {
		const { mainline, mode } = pair('dax-migration');
		// mainline: every write lands in persistent memory over the link; nothing moves, nothing is lost
		assert.equal(mainline.bytesMoved, 0);
		assert.equal(mainline.lostBytes, 0);
		assert.equal(mainline.writtenBack, 0, 'a DAX page has nothing to write back');
		// the mode: the 16 MiB table is copied in once; ten checkpoints write back the 8 MiB the kernels dirtied
		assert.equal(mode.bytesMoved, 16 * 2 ** 20);
		assert.equal(mode.writtenBack, 10 * 8 * 2 ** 20);
		assert.equal(mode.lostBytes, 8 * 2 ** 20, 'the last kernel wrote half the table after the last checkpoint');
		assert.equal(mainline.faults, mode.faults, 'one fault per page either way: remote mapping or copy');
		assert.ok(mode.timeNs < mainline.timeNs, 'a hundred kernels from device memory repay the copies and checkpoints');
	});

	it('no_devpriv_struct_page: uvm_devmem_init registers the whole GPU; without struct pages it costs no host RAM', () => {
		const { mainline, mode } = pair('struct-page-cost');
		// 80 GiB of GPU memory / 4 KiB x 64 bytes, plus one 256 MiB coherent chunk
		assert.equal(mainline.structPageBytes, 80 * 2 ** 30 / 64 + 4 * 2 ** 20);
		assert.equal(mode.structPageBytes, 4 * 2 ** 20, 'coherent memory keeps its struct pages');
		assert.equal(mainline.timeNs, mode.timeNs, 'nothing else changes');
		assert.equal(mainline.faults, mode.faults);
	});
});
