// Pure grid logic of the residency webview (webview/grid.ts), in Node.
import assert from 'node:assert/strict';
import { RunIndex, describeCell, layoutGrid, legendCounts, spanRects } from '../../webview/grid';
import type { ResidencyBody } from '../../webview/protocol';

describe('residency grid logic', () => {
	it('finds a cell\'s code by binary search over runs', () => {
		const idx = new RunIndex([2, 3, 4, 1, 0, 5]);
		assert.equal(idx.cells, 9);
		assert.deepEqual([0, 2, 3, 4, 8, 9, -1].map(c => idx.codeAt(c)), [2, 2, 4, 0, 0, -1, -1]);
	});

	it('covers a run with at most three rectangles', () => {
		assert.deepEqual(spanRects(2, 3, 10), [[2, 0, 3, 1]]);
		assert.deepEqual(spanRects(8, 4, 10), [[8, 0, 2, 1], [0, 1, 2, 1]]);
		assert.deepEqual(spanRects(8, 25, 10), [[8, 0, 2, 1], [0, 1, 10, 2], [0, 3, 3, 1]]);
		assert.deepEqual(spanRects(0, 0, 10), []);
	});

	it('lays out square cells that fit the area', () => {
		const l = layoutGrid(1024, 800, 400);
		assert.ok(l.cols * l.cell <= 800 && l.rows * l.cell <= 400, JSON.stringify(l));
		assert.equal(l.rows, Math.ceil(1024 / l.cols));
		const big = layoutGrid(65536, 800, 400);
		assert.equal(big.cell, 2);
		assert.equal(big.gap, false);
	});

	it('counts pages per location, clipping the last cell', () => {
		const body: ResidencyBody = { process: 'p', pid: 1, start: 0, end: 10 * 4096, pagesPerCell: 4, time: 0,
			legend: ['none', 'zero', 'ram'], runs: [2, 2, 0, 1], vmas: [] };
		assert.deepEqual(legendCounts(body), [2, 0, 8]);
		const idx = new RunIndex(body.runs);
		assert.equal(describeCell(body, idx, 2), '0x8000–0x9fff (2 pages)\nnone\nunmapped');
	});
});
