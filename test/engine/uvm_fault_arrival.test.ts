// How a batch is composed: warps form thread blocks of block_threads, blocks go to the SMs in turn,
// and all SMs fault at once, so their entries interleave in the replayable fault buffer; the driver
// fetches fault_batch of them (fetch_fault_buffer_entries) and coalesces them per page
// (preprocess_fault_batch). With 256-thread blocks the first batch of a streaming read covers 27
// pages at about 9.5 entries each, the order of uvm-eval's measured first-touch batch (32 entries
// on 3 pages); one-warp blocks would give 8 pages of 32 entries.
import * as assert from 'node:assert/strict';
import { arrivalOrder } from '../../src/engine/device/uvm/kernel_exec';
import { run } from './helpers';

/** Distinct pages, and entries per page, among the first `n` arrivals (32 warps share a page). */
function firstBatch(order: Int32Array, n: number): { pages: number; perPage: number } {
	const pages = new Set<number>();
	for (let i = 0; i < n; i++) { pages.add(Math.floor(order[i] / 32)); }
	return { pages: pages.size, perPage: n / pages.size };
}

describe('fault arrival order across SMs (fetch_fault_buffer_entries)', () => {
	it('is a permutation of the warps, one warp per SM per issue slot', () => {
		const order = arrivalOrder(6912, 108, 64, 8);
		assert.equal(new Set(order).size, 6912);
		// slot 0: the first warp of block b on SM b, for the first 108 blocks
		assert.deepEqual([...order.subarray(0, 3)], [0, 8, 16]);
		assert.equal(order[108], 1, 'slot 1 starts again at SM 0');
	});

	it('256-thread blocks: the first 256 entries cover 27 pages (about 9.5 entries each); 32-thread blocks: 8 pages of 32', () => {
		const wide = firstBatch(arrivalOrder(6912, 108, 64, 8), 256);
		assert.equal(wide.pages, 27);
		assert.ok(wide.perPage > 9 && wide.perPage < 10);
		assert.deepEqual(firstBatch(arrivalOrder(6912, 108, 64, 1), 256), { pages: 8, perPage: 32 });
	});

	it('a kernel with fewer warps than the device holds fills the SMs block by block', () => {
		const order = arrivalOrder(1000, 108, 64, 8);
		assert.equal(new Set(order).size, 1000);
		assert.ok(order.every(w => w < 1000));
	});

	it('demand paging of a streaming kernel takes fewer, wider batches with 256-thread blocks', () => {
		const batches = (threads: number) => {
			const it = run(`device g memory=64MiB policy=migrate block_threads=${threads}\nprocess p\ng mirror p\nX = mmap 16MiB anon rw\ncpu write X = i\nkernel g { read X }\nexpect matches(X, i)\n`);
			assert.equal(it.passed, 1);
			return it.machine.k.device('g').stats.fault_batches;
		};
		assert.equal(batches(32), 512, '8 pages per batch');
		assert.equal(batches(256), 148);
	});

	it('block_threads must be whole warps', () => {
		assert.throws(() => run('device g memory=64MiB policy=migrate block_threads=48\n'), /line 1: EINVAL: block_threads must be a positive multiple of 32/);
	});
});
