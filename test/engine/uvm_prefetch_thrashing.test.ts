// The density prefetcher is told which pages are thrashing (uvm_perf_prefetch_get_hint_va_block ->
// uvm_perf_thrashing_get_thrashing_pages): a thrashing fault starts no tree walk and grows no big
// page, and thrashing pages are never prefetched, so a CPU/GPU ping-pong stops dragging the rest
// of its 64 KiB big page along once the pages thrash.
import * as assert from 'node:assert/strict';
import { run } from './helpers';

const SCRIPT = 'device gpu memory=64MiB policy=migrate prefetch=density thrashing_threshold=3 thrashing_lapse=5ms thrashing_pin_threshold=100\n'
	+ 'process p\nX = mmap 64KiB anon rw\ncpu write X = i\n'
	+ 'repeat 10 {\n\tkernel gpu { write page(X, 0) = 7 }\n\tcpu write X = i\n}\nexpect matches(X, i)\n';

describe('prefetch and thrashing (uvm_perf_thrashing_get_thrashing_pages in uvm_perf_prefetch_get_hint)', () => {
	it('grow_fault_granularity skips a thrashing fault: the big page is prefetched only until the pages thrash', () => {
		const gpu = run(SCRIPT).machine.k.device('gpu');
		assert.ok(gpu.stats.throttled > 0, 'the pages thrash');
		// 15 pages of the big page per turn before the pages thrash (three turns), none after
		assert.ok(gpu.stats.prefetched <= 3 * 15, `${gpu.stats.prefetched} pages prefetched`);
		assert.ok(gpu.stats.prefetched > 0);
	});
});
