// The density prefetcher (uvm_perf_prefetch.c) against hand-computed tree walks.
import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { uvm_perf_prefetch_get_hint, UVM_PREFETCH_THRESHOLD_DEFAULT } from '../../src/engine/device/uvm/perf_prefetch';
import { VA_BLOCK_PAGES, type PrefetchInput } from '../../src/engine/device/uvm/types';

/** A block mask with pages [a, b) of each range set. */
function mask(...ranges: [number, number][]): Uint8Array {
	const m = new Uint8Array(VA_BLOCK_PAGES);
	for (const [a, b] of ranges) { m.fill(1, a, b); }
	return m;
}

function input(p: Partial<PrefetchInput>): PrefetchInput {
	return { resident: mask(), faulted: mask(), first: 0, last: VA_BLOCK_PAGES, threshold: UVM_PREFETCH_THRESHOLD_DEFAULT, ...p };
}

/** [first, last) runs of a mask */
function runs(m: Uint8Array): [number, number][] {
	const out: [number, number][] = [];
	for (let p = 0; p < m.length; p++) {
		if (!m[p]) { continue; }
		if (out.length && out[out.length - 1][1] === p) { out[out.length - 1][1] = p + 1; } else { out.push([p, p + 1]); }
	}
	return out;
}

describe('uvm_perf_prefetch_get_hint (density prefetcher)', () => {
	it('streaming: faults of 8 pages in address order reach whole-block prefetch at the sixth fault', () => {
		// fault k touches the 8 pages after everything resident so far; what it prefetches becomes
		// resident too. Each subtree is the largest one above 51% (grown big pages count as full):
		// 16/16, 32/32, 48/64, 80/128, 144/256, 272/512.
		const resident = mask();
		const seen: { faulted: number; count: number; region: [number, number, number, number] }[] = [];
		let next = 0;
		while (next < VA_BLOCK_PAGES) {
			const faulted = mask([next, next + 8]);
			const h = uvm_perf_prefetch_get_hint(input({ resident: resident.slice(), faulted }));
			assert.equal(h.regions.length, 1, 'every faulted page of a batch picks the same subtree');
			const r = h.regions[0];
			seen.push({ faulted: next, count: h.count, region: [r.first, r.last, r.occupied, r.size] });
			for (let p = 0; p < VA_BLOCK_PAGES; p++) { if (faulted[p] || h.pages[p]) { resident[p] = 1; } }
			next = resident.indexOf(0);
			if (next < 0) { break; }
		}
		assert.deepEqual(seen, [
			{ faulted: 0, count: 8, region: [0, 16, 16, 16] },
			{ faulted: 16, count: 8, region: [0, 32, 32, 32] },
			{ faulted: 32, count: 24, region: [0, 64, 48, 64] },
			{ faulted: 64, count: 56, region: [0, 128, 80, 128] },
			{ faulted: 128, count: 120, region: [0, 256, 144, 256] },
			{ faulted: 256, count: 248, region: [0, 512, 272, 512] },
		]);
	});

	it('compute_prefetch_region: occupancy must be strictly above the threshold (exactly 50% is not above 50)', () => {
		// resident [0,16) + page 32 faulted and grown to [32,48): [0,64) and [32,64) are exactly 50% full
		const at = (threshold: number) => uvm_perf_prefetch_get_hint(input({ resident: mask([0, 16]), faulted: mask([32, 33]), threshold }));
		assert.deepEqual(runs(at(51).pages), [[33, 48]]);
		assert.deepEqual(runs(at(50).pages), [[33, 48]]);
		assert.deepEqual(runs(at(49).pages), [[16, 32], [33, 64]]);
		assert.equal(at(49).count, 47);
		// [0,512) at 272/512 = 53.1%: above 51 and 53, not above 54
		const half = (threshold: number) => uvm_perf_prefetch_get_hint(input({ resident: mask([0, 256]), faulted: mask([256, 257]), threshold }));
		assert.equal(half(UVM_PREFETCH_THRESHOLD_DEFAULT).count, 255);
		assert.equal(half(53).count, 255);
		assert.deepEqual(runs(half(54).pages), [[257, 272]]);
	});

	it('uvm_hmm_get_prefetch_region: the tree covers [first, last) only, aligned to big pages by ghost leaves', () => {
		// resident pages outside the clip neither count nor get prefetched
		const outside = mask([0, 100], [300, 512]);
		const h = uvm_perf_prefetch_get_hint(input({ resident: outside, faulted: mask([150, 151]), first: 100, last: 300 }));
		assert.deepEqual(runs(h.pages), [[144, 150], [151, 160]]);
		// a fault in the partial big page at the start: the prefix [100,112) grows, and the 16-leaf
		// subtree holding 4 ghost leaves (12/16) is clamped to the clip
		const p = uvm_perf_prefetch_get_hint(input({ faulted: mask([100, 108]), first: 100, last: 300 }));
		assert.deepEqual(p.regions, [{ first: 100, last: 112, occupied: 12, size: 16 }]);
		assert.deepEqual(runs(p.pages), [[108, 112]]);
		// an empty clip prefetches nothing
		assert.equal(uvm_perf_prefetch_get_hint(input({ faulted: mask([10, 11]), first: 20, last: 20 })).count, 0);
	});

	it('grow_fault_granularity: a big page holding a thrashing page is not grown, and thrashing pages are never prefetched', () => {
		const plain = uvm_perf_prefetch_get_hint(input({ faulted: mask([0, 8]) }));
		assert.deepEqual(runs(plain.pages), [[8, 16]]);
		const thrash = uvm_perf_prefetch_get_hint(input({ faulted: mask([0, 8]), thrashing: mask([3, 4]) }));
		assert.equal(thrash.count, 0, '[0,8) is 8/16 = 50% of its big page once it is not grown');
		// resident [0,16) + faulted [16,24) with page 30 thrashing: [0,32) is 24/32 full, page 30 stays out
		const skip = uvm_perf_prefetch_get_hint(input({ resident: mask([0, 16]), faulted: mask([16, 24]), thrashing: mask([30, 31]) }));
		assert.deepEqual(runs(skip.pages), [[24, 30], [31, 32]]);
		// a faulted page that is thrashing starts no walk
		const only = uvm_perf_prefetch_get_hint(input({ resident: mask([0, 200]), faulted: mask([300, 301]), thrashing: mask([300, 301]) }));
		assert.equal(only.count, 0);
		assert.deepEqual(only.regions, []);
	});

	it('property: the hint stays in [first, last) and never holds a resident, faulted or thrashing page', () => {
		const page = fc.integer({ min: 0, max: VA_BLOCK_PAGES - 1 });
		const pageSet = fc.array(fc.tuple(page, fc.integer({ min: 1, max: 64 })), { maxLength: 6 });
		fc.assert(fc.property(pageSet, pageSet, pageSet, page, page, fc.integer({ min: 1, max: 100 }),
			(res, flt, thr, a, b, threshold) => {
				const m = (s: [number, number][]) => mask(...s.map(([p, n]) => [p, Math.min(VA_BLOCK_PAGES, p + n)] as [number, number]));
				const first = Math.min(a, b), last = Math.max(a, b) + 1;
				const inp = input({ resident: m(res), faulted: m(flt), thrashing: m(thr), first, last, threshold });
				const h = uvm_perf_prefetch_get_hint(inp);
				let count = 0;
				for (let p = 0; p < VA_BLOCK_PAGES; p++) {
					if (!h.pages[p]) { continue; }
					count++;
					assert.ok(p >= first && p < last, `page ${p} outside [${first}, ${last})`);
					assert.ok(!inp.resident[p] && !inp.faulted[p] && !inp.thrashing![p], `page ${p} is resident, faulted or thrashing`);
				}
				assert.equal(h.count, count);
				for (const r of h.regions) { assert.ok(r.first >= first && r.last <= last && r.occupied * 100 > r.size * threshold); }
			}), { numRuns: 300 });
	});
});
