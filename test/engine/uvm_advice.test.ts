// Memory advice ranges (uvm_va_policy.c) and the residency rules that read them
// (block_select_processor_residency, uvm_va_block.c).
import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { type AdvicePatch, AdviceTree, type ResidencyQuery, select_residency_with_advice } from '../../src/engine/device/uvm/advice';
import type { RangeAdvice } from '../../src/engine/device/uvm/types';

const DEF: RangeAdvice = { accessedBy: [], readMostly: false };

describe('AdviceTree (uvm_va_policy ranges)', () => {
	it('splits runs at the edges of new advice and merges equal neighbours again', () => {
		const t = new AdviceTree();
		t.set(0, 100, { readMostly: true });
		t.set(50, 150, { preferred: 'gpu' });
		assert.deepEqual(t.runs(0, 200), [
			{ start: 0, end: 50, advice: { accessedBy: [], readMostly: true } },
			{ start: 50, end: 100, advice: { accessedBy: [], readMostly: true, preferred: 'gpu' } },
			{ start: 100, end: 150, advice: { accessedBy: [], readMostly: false, preferred: 'gpu' } },
			{ start: 150, end: 200, advice: DEF },
		]);
		assert.equal(t.size, 3);
		assert.deepEqual(t.get(75), { accessedBy: [], readMostly: true, preferred: 'gpu' });
		assert.deepEqual(t.get(150), DEF);
		// unsetting the preferred location gives back one read-mostly run
		t.set(50, 150, { preferred: null });
		assert.equal(t.size, 1);
		assert.deepEqual(t.runs(0, 200), [{ start: 0, end: 100, advice: { accessedBy: [], readMostly: true } }, { start: 100, end: 200, advice: DEF }]);
	});

	it('accessed_by adds a processor to a set: no duplicates, order does not matter', () => {
		const t = new AdviceTree();
		t.set(10, 20, { accessedBy: 'gpu1' });
		t.set(10, 20, { accessedBy: 'gpu0' });
		t.set(15, 20, { accessedBy: 'gpu1' });
		assert.deepEqual(t.get(12).accessedBy, ['gpu0', 'gpu1']);
		assert.equal(t.size, 1);
		const a = t.get(12);
		a.accessedBy.push('x');
		assert.deepEqual(t.get(12).accessedBy, ['gpu0', 'gpu1'], 'callers get copies');
	});

	it('clear drops the policy of an unmapped range only', () => {
		const t = new AdviceTree();
		t.set(0, 100, { preferred: 'ram', readMostly: true });
		t.clear(20, 30);
		assert.deepEqual(t.get(25), DEF);
		assert.deepEqual(t.get(19), { accessedBy: [], readMostly: true, preferred: 'ram' });
		assert.deepEqual(t.get(30), { accessedBy: [], readMostly: true, preferred: 'ram' });
		assert.equal(t.size, 2);
	});

	it('property: agrees with advice applied page by page', () => {
		const patch = fc.record({
			preferred: fc.option(fc.constantFrom('ram', 'gpu', null), { nil: undefined }),
			accessedBy: fc.option(fc.constantFrom('gpu', 'gpu2'), { nil: undefined }),
			readMostly: fc.option(fc.boolean(), { nil: undefined }),
		}, { requiredKeys: [] });
		const op = fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 30 }), patch, fc.boolean());
		fc.assert(fc.property(fc.array(op, { maxLength: 12 }), ops => {
			const t = new AdviceTree();
			const pages: RangeAdvice[] = Array.from({ length: 100 }, () => ({ accessedBy: [], readMostly: false }));
			for (const [s, n, p, clear] of ops) {
				if (clear) {
					t.clear(s, s + n);
					for (let v = s; v < s + n; v++) { pages[v] = { accessedBy: [], readMostly: false }; }
					continue;
				}
				t.set(s, s + n, p as AdvicePatch);
				for (let v = s; v < s + n; v++) {
					const a = pages[v];
					if (p.preferred === null) { delete a.preferred; } else if (p.preferred !== undefined) { a.preferred = p.preferred; }
					if (p.accessedBy !== undefined && !a.accessedBy.includes(p.accessedBy)) { a.accessedBy.push(p.accessedBy); a.accessedBy.sort(); }
					if (p.readMostly !== undefined) { a.readMostly = p.readMostly; }
				}
			}
			for (let v = 0; v < 100; v++) { assert.deepEqual(t.get(v), pages[v], `page ${v}`); }
			const runs = t.runs(0, 100);
			assert.equal(runs[0].start, 0);
			assert.equal(runs[runs.length - 1].end, 100);
			for (let i = 1; i < runs.length; i++) { assert.equal(runs[i].start, runs[i - 1].end); }
			for (const r of runs) { for (let v = r.start; v < r.end; v++) { assert.deepEqual(r.advice, pages[v]); } }
		}), { numRuns: 300 });
	});
});

describe('select_residency_with_advice (block_select_processor_residency)', () => {
	const CPU = -1, GPU = 0, GPU2 = 1;
	const q = (p: Partial<ResidencyQuery>): ResidencyQuery => ({
		processor: GPU, access: 'read', resident: CPU, preferred: undefined, accessedBy: [], readMostly: false, canMove: true, ...p,
	});
	const pick = (p: Partial<ResidencyQuery>) => {
		const d = select_residency_with_advice(q(p));
		return [d.rule, d.residency, d.readDuplicate, d.remote];
	};

	it('rule 1: a page HMM cannot migrate stays in system memory, whatever the advice', () => {
		assert.deepEqual(pick({ canMove: false, readMostly: true, preferred: GPU }), ['sysmem', CPU, false, true]);
	});

	it('rules 2-3: read-mostly read and prefetch faults read-duplicate; writes and atomics collapse on the writer', () => {
		assert.deepEqual(pick({ readMostly: true }), ['read-duplicate', GPU, true, false]);
		assert.deepEqual(pick({ readMostly: true, access: 'prefetch', processor: GPU2 }), ['read-duplicate', GPU2, true, false]);
		assert.deepEqual(pick({ readMostly: true, access: 'write' }), ['read-mostly-write', GPU, false, false]);
		assert.deepEqual(pick({ readMostly: true, access: 'atomic', processor: CPU, resident: GPU }), ['read-mostly-write', CPU, false, false]);
	});

	it('rule 4: a fault by the preferred location always migrates there', () => {
		assert.deepEqual(pick({ preferred: GPU, accessedBy: [GPU], pin: CPU }), ['preferred-faulter', GPU, false, false]);
	});

	it('rule 5: an HMM CPU fault brings the page to system memory, even if the GPU is preferred', () => {
		assert.deepEqual(pick({ processor: CPU, resident: GPU, preferred: GPU }), ['hmm-cpu', CPU, false, false]);
	});

	it('rule 6: a thrashing PIN fixes the residency', () => {
		assert.deepEqual(pick({ pin: CPU, resident: GPU }), ['pin', CPU, false, true]);
	});

	it('rule 7: first touch goes to the preferred location if the faulter can map it, else to the faulter', () => {
		assert.deepEqual(pick({ resident: undefined, preferred: CPU }), ['first-touch', CPU, false, true]);
		assert.deepEqual(pick({ resident: undefined, preferred: GPU2 }), ['first-touch', GPU, false, false]);
		assert.deepEqual(pick({ resident: undefined }), ['first-touch', GPU, false, false]);
	});

	it('rule 8: an accessed-by processor that can reach the current residency just maps it', () => {
		assert.deepEqual(pick({ accessedBy: [GPU], resident: CPU }), ['accessed-by', CPU, false, true]);
		// it cannot map another device's memory: the page moves
		assert.deepEqual(pick({ accessedBy: [GPU], resident: GPU2 }), ['faulter', GPU, false, false]);
		// with peer access (a custom accessible_from) it maps it in place
		assert.deepEqual(pick({ accessedBy: [GPU], resident: GPU2, canAccess: () => true }), ['accessed-by', GPU2, false, true]);
	});

	it('rule 10: a page elsewhere moves to the preferred location when the faulter can map it', () => {
		assert.deepEqual(pick({ preferred: CPU, resident: GPU2 }), ['preferred', CPU, false, true]);
		assert.deepEqual(pick({ preferred: GPU2, resident: CPU }), ['faulter', GPU, false, false]);
	});

	it('rule 12: otherwise the page migrates to the faulting processor', () => {
		assert.deepEqual(pick({}), ['faulter', GPU, false, false]);
		assert.deepEqual(pick({ access: 'write', resident: GPU2 }), ['faulter', GPU, false, false]);
	});
});
