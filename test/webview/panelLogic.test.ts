// Pure logic of residency panel II, in Node: device-layer codes from MARK bits (the same bits as
// the engine's), legend counts from the adapter's exact counts, the zoom history, cell spans of a
// drag, and the timeline's lane order and hit-testing.
import assert from 'node:assert/strict';
import { MARK as ENGINE_MARK } from '../../src/engine/view_residency';
import { legendCounts } from '../../webview/grid';
import { deviceCode, deviceRuns, glyphBits, markWords } from '../../webview/layers';
import { MARK, type ResidencyBody, type TimelineBody } from '../../webview/protocol';
import { formatNs, laneOrder, timelineHit } from '../../webview/timeline';
import { ZoomHistory, cellSpan } from '../../webview/zoom';

describe('residency panel II logic', () => {
	it('uses the engine\'s MARK bits', () => {
		assert.deepEqual(MARK, { ...ENGINE_MARK });
	});

	it('classifies a device\'s cells: resident, in place, copy, mixed; marks stay glyphs', () => {
		assert.deepEqual([0, MARK.RESIDENT, MARK.REMOTE | MARK.READONLY, MARK.COPY, MARK.RESIDENT | MARK.REMOTE].map(deviceCode), [0, 1, 2, 3, 4]);
		assert.deepEqual(deviceRuns({ device: 'gpu', runs: [1, 2, 1 | 8, 3, 2, 1, 0, 4], pages: { resident: 0, remote: 0, copy: 0, readonly: 0, atomic: 0 } }), [1, 5, 2, 1, 0, 4]);
		assert.equal(glyphBits(MARK.REMOTE | MARK.PINNED, true), MARK.REMOTE | MARK.PINNED);
		assert.equal(glyphBits(MARK.REMOTE | MARK.READONLY, false), MARK.READONLY);
		assert.deepEqual(markWords(MARK.REMOTE | MARK.EXCLUSIVE | MARK.PINNED, true), ['mapped in place by a device', 'device-exclusive', 'pinned']);
		assert.deepEqual(markWords(MARK.COPY | MARK.READONLY, false), ['read-duplicated copy', 'read-only']);
	});

	it('legend counts are the adapter\'s exact ones when it gives them', () => {
		const body: ResidencyBody = { process: 'p', pid: 1, start: 0, end: 8 * 4096, pagesPerCell: 4, legend: ['none', 'ram', 'mixed'], runs: [2, 2], vmas: [], time: 0 };
		assert.deepEqual(legendCounts(body), [0, 0, 8], 'without them: cells x pages, all mixed');
		assert.deepEqual(legendCounts({ ...body, counts: [3, 5, 0] }), [3, 5, 0]);
	});

	it('walks zoom history back and forward; a new zoom drops the way forward', () => {
		const z = new ZoomHistory();
		assert.equal(z.goBack({}), undefined);
		z.push({});
		z.push({ start: 0, end: 100 });
		assert.deepEqual(z.goBack({ start: 10, end: 20 }), { start: 0, end: 100 });
		assert.deepEqual(z.goBack({ start: 0, end: 100 }), { start: undefined, end: undefined });
		assert.equal(z.canBack, false);
		assert.deepEqual(z.goForward({}), { start: 0, end: 100 });
		z.push({ start: 0, end: 100 });
		assert.equal(z.canForward, false);
		assert.deepEqual(cellSpan(9, 3, 1000, 16, 1100), { start: 1048, end: 1100 }, 'either order, clipped to the span');
	});

	it('orders timeline lanes faults first and hits the nearest bin with events', () => {
		const t: TimelineBody = {
			start: 0, end: 1000, now: 500, bins: 100, lanes: ['migration: prefetch', 'page-fault', 'eviction', 'fault-batch'],
			cells: [1, 10, 2, 2, 4, 100, 3, 50, 1, 64, 8, 505, 0, 99, 1, 16, 11, 995], nth: [-1, 3, 0], totals: [1, 2, 0, 1], dropped: 0,
		};
		assert.deepEqual(laneOrder(t).map(i => t.lanes[i]), ['page-fault', 'fault-batch', 'eviction', 'migration: prefetch']);
		// a strip 1150 px wide: 1000 px of plot, 10 px a bin
		assert.deepEqual(timelineHit(t, 1150, 150 + 105, 7), { lane: 'page-fault', bin: 10, events: 2, pages: 2, step: 4, nth: -1, time: 100, from: 100, to: 110 });
		assert.equal(timelineHit(t, 1150, 150 + 300, 7), undefined, 'no event near');
		assert.deepEqual([timelineHit(t, 1150, 150 + 502, 21)?.step, timelineHit(t, 1150, 150 + 502, 21)?.nth], [8, 3], 'the batch is its statement\'s 4th event');
		assert.equal(timelineHit({ ...t, nth: undefined }, 1150, 150 + 502, 21)?.nth, -1, 'an adapter without nth: the statement\'s start');
		assert.equal(timelineHit(t, 1150, 150 + 995, 3 * 14 + 2)?.lane, 'migration: prefetch');
		assert.equal(timelineHit(t, 1150, 100, 7), undefined, 'the label column');
		assert.deepEqual([formatNs(999), formatNs(1500), formatNs(2.5e6), formatNs(3e9)], ['999 ns', '1.5 µs', '2.50 ms', '3.000 s']);
	});
});
