// The timeline strip under the residency map: one lane per kind of event (CPU faults, device
// faults, fault batches, migrations by cause, evictions, invalidations, prefetches) over
// simulated time, binned by the adapter (src/debug/timeline.ts). A bin's brightness grows with
// its event count; a click on one travels to its first event, inside the statement that raised
// it. Layout and hit-testing are pure.
import type { TimelineBody } from './protocol';

export const LANE_HEIGHT = 14;
export const LABEL_WIDTH = 150;

/** CSS variable per lane kind (migrations share one per cause family). */
export function laneVariable(lane: string): string {
	if (lane === 'page-fault') { return '--hmm-tl-fault'; }
	if (lane === 'device-fault') { return '--hmm-tl-devfault'; }
	if (lane === 'fault-batch') { return '--hmm-tl-batch'; }
	if (lane === 'eviction' || lane === 'migration: eviction') { return '--hmm-tl-evict'; }
	if (lane === 'invalidation') { return '--hmm-tl-inval'; }
	if (lane === 'prefetch' || lane === 'migration: prefetch' || lane === 'migration: user-prefetch') { return '--hmm-tl-prefetch'; }
	return '--hmm-tl-migrate';
}

/** `nth`: which of its statement's timeline events the bin's first event is (-1: a count per
 * statement, reached at the statement's start) */
export interface TimelineHit { lane: string; bin: number; events: number; pages: number; step: number; nth: number; time: number; from: number; to: number }

/** Lanes in a stable order: faults first, then the rest by name. */
export function laneOrder(body: TimelineBody): number[] {
	const rank = (l: string) => ['page-fault', 'device-fault', 'fault-batch'].indexOf(l);
	return body.lanes.map((_, i) => i).sort((a, b) => {
		const ra = rank(body.lanes[a]);
		const rb = rank(body.lanes[b]);
		if (ra >= 0 || rb >= 0) { return (ra < 0 ? 99 : ra) - (rb < 0 ? 99 : rb); }
		return body.lanes[a].localeCompare(body.lanes[b]);
	});
}

/** The bin under (x, y) in CSS pixels of a strip `width` wide, if it holds events. */
export function timelineHit(body: TimelineBody, width: number, x: number, y: number): TimelineHit | undefined {
	const row = Math.floor(y / LANE_HEIGHT);
	const order = laneOrder(body);
	if (row < 0 || row >= order.length || x < LABEL_WIDTH) { return undefined; }
	const lane = order[row];
	const plot = Math.max(1, width - LABEL_WIDTH);
	const bin = Math.floor(((x - LABEL_WIDTH) / plot) * body.bins);
	// a bin narrower than a pixel is hard to hit: take the nearest non-empty one within 6 px (a
	// target about as wide as a lane is high; a sparse lane's ticks are then easy to hit)
	const slack = Math.max(1, Math.ceil((6 / plot) * body.bins));
	let best: TimelineHit | undefined;
	for (let j = 0; j + 5 < body.cells.length + 1; j += 6) {
		if (body.cells[j] !== lane) { continue; }
		const b = body.cells[j + 1];
		if (Math.abs(b - bin) > slack || (best && Math.abs(best.bin - bin) <= Math.abs(b - bin))) { continue; }
		const w = (body.end - body.start) / body.bins;
		best = { lane: body.lanes[lane], bin: b, events: body.cells[j + 2], pages: body.cells[j + 3], step: body.cells[j + 4], nth: body.nth?.[j / 6] ?? -1, time: body.cells[j + 5], from: body.start + b * w, to: body.start + (b + 1) * w };
	}
	return best;
}

/** Simulated time for people: ns, µs, ms or s. */
export function formatNs(ns: number): string {
	if (ns < 1e3) { return `${Math.round(ns)} ns`; }
	if (ns < 1e6) { return `${(ns / 1e3).toFixed(1)} µs`; }
	if (ns < 1e9) { return `${(ns / 1e6).toFixed(2)} ms`; }
	return `${(ns / 1e9).toFixed(3)} s`;
}
