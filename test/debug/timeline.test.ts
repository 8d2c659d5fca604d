// The residency panel's timeline (src/debug/timeline.ts) and the diff of page runs between stops
// (src/debug/residency.ts diffRuns), in Node.
import assert from 'node:assert/strict';
import { Timeline } from '../../src/debug/timeline';
import { diffRuns } from '../../src/debug/residency';

describe('timeline and residency diff', () => {
	it('bins events per lane with the first event\'s step and time; migrations by cause', () => {
		const t = new Timeline();
		t.event({ kind: 'migration', addr: 0, npages: 4, cause: 'prefetch' }, 3, 100);
		t.event({ kind: 'migration', addr: 0, npages: 2 }, 4, 150);
		t.event({ kind: 'fault-batch', addr: 0, npages: 8 }, 5, 160);
		t.event({ kind: 'fault-batch', addr: 0, npages: 8 }, 5, 190);
		t.event({ kind: 'access', addr: 0, npages: 1 }, 5, 195);
		t.add('page-fault', 6, 900, 3);
		const q = t.query({ bins: 10, end: 1000 }, 950);
		assert.deepEqual(q.lanes, ['migration: prefetch', 'migration: migrate', 'fault-batch', 'page-fault']);
		assert.deepEqual(q.cells, [0, 1, 1, 4, 3, 100, 1, 1, 1, 2, 4, 150, 2, 1, 2, 16, 5, 160, 3, 9, 1, 3, 6, 900]);
		assert.deepEqual([q.totals, q.now, q.start, q.end], [[1, 1, 2, 1], 950, 0, 1000]);
		// which of its statement's timeline events each cell's first is: the two batches of step 5
		// are its 0th and 1st; the CPU-fault count per statement is no event (-1)
		assert.deepEqual(q.nth, [0, 0, 0, -1]);
		assert.deepEqual(t.query({ start: 170, end: 200, bins: 1 }, 950).nth, [1]);
		// a window: only events inside it, but totals over the run
		const w = t.query({ start: 150, end: 200, bins: 5 }, 950);
		assert.deepEqual(w.cells.filter((_, i) => i % 6 === 0), [1, 2, 2], 'batches at 160 and 190 in bins 1 and 4');
		assert.deepEqual(w.totals, [1, 1, 2, 1]);
	});

	it('forgets the statements at and after a step; the default range ends after now', () => {
		const t = new Timeline();
		for (let s = 0; s < 10; s++) { t.add('eviction', s, s * 10, 1); }
		t.truncate(6);
		assert.equal(t.length, 6);
		const q = t.query({}, 70);
		assert.deepEqual([q.start, q.end, q.totals], [0, 71, [6]]);
		t.clear();
		assert.equal(t.length, 0);
	});

	it('resuming inside a statement forgets its later events, and keeps its CPU-fault count (no second one)', () => {
		const view = { cpuFaultCount: () => 7 } as never;
		const t = new Timeline();
		t.add('eviction', 1, 10, 1);
		for (let i = 0; i < 4; i++) { t.add('eviction', 2, 20 + i, 1); }
		t.add('page-fault', 2, 20, 5);
		t.add('eviction', 3, 40, 1);
		// a click landed at statement 2's event 1: events 0 and 1 happened, 2 and 3 will again
		t.truncateInside(2, 2, view);
		assert.equal(t.length, 4);
		t.add('eviction', 2, 22, 1);
		t.add('eviction', 2, 23, 1);
		// the statement ends: its faults are already counted
		t.cpuFaults({ cpuFaultCount: () => 9 } as never, 2, 20);
		const q = t.query({ bins: 1, end: 100 }, 30);
		assert.deepEqual([q.lanes, q.totals], [['eviction', 'page-fault'], [5, 1]]);
		assert.deepEqual(q.cells.slice(6), [1, 0, 1, 5, 2, 20], 'one fault entry, with its own count');
		// the next statement counts its own faults again
		t.cpuFaults({ cpuFaultCount: () => 12 } as never, 3, 40);
		assert.deepEqual(t.query({ bins: 1, end: 100 }, 30).totals, [5, 2]);
	});

	it('diffs page runs between stops: pages and cells that changed, only where both cover', () => {
		// before: ram 8 pages from page 100; now: ram 2, gpu 4, ram 4 from page 98
		const d = diffRuns({ start: 98, runs: [2, 4, 4, 4, 2, 4] }, { start: 100, runs: [2, 8] }, 4);
		assert.deepEqual(d, { pages: 4, runs: [0, 1, 1, 1, 0, 1] }, 'pages 102..105 moved: cells [4,8) of 4 pages');
		assert.deepEqual(diffRuns({ start: 0, runs: [2, 5] }, { start: 0, runs: [2, 5] }, 1), { pages: 0, runs: [0, 5] });
		assert.deepEqual(diffRuns({ start: 0, runs: [3, 2, 2, 1] }, { start: 0, runs: [2, 1, 3, 2] }, 2), { pages: 2, runs: [1, 2] });
	});
});
