// The populated part of a range, cut into spans of a few page-table leaves each, for loops that
// offer a pause point between spans (the kernel's cond_resched() once per PMD in zap_pmd_range
// and copy_pmd_range). Empty leaves are skipped, so a sparse terabyte costs nothing.
import { type PageTable, PTRS_PER_PMD } from './pagetable';

/** Leaves per span: a span's pages are cheap to walk, so a few leaves keep ticks rare. */
export const SPAN_LEAVES = 8;

/** [start, end) spans covering every populated leaf of [start, end), in address order. Inner
 * bounds are leaf-aligned, so a PMD mapping is never cut between two spans. */
export function leafSpans(pt: PageTable, start: number, end: number, leaves = SPAN_LEAVES): [number, number][] {
	if (end <= start) { return []; }
	const first = Math.floor(start / PTRS_PER_PMD);
	const last = Math.floor((end - 1) / PTRS_PER_PMD);
	let keys: number[];
	if (last - first + 1 <= pt.leaves.size) {
		keys = [];
		for (let key = first; key <= last; key++) { if (pt.leaves.has(key)) { keys.push(key); } }
	} else {
		keys = [...pt.leaves.keys()].filter(key => key >= first && key <= last).sort((a, b) => a - b);
	}
	const spans: [number, number][] = [];
	for (let i = 0; i < keys.length; i += leaves) {
		const lo = keys[i] * PTRS_PER_PMD;
		const hi = (keys[Math.min(keys.length, i + leaves) - 1] + 1) * PTRS_PER_PMD;
		spans.push([Math.max(start, lo), Math.min(end, hi)]);
	}
	return spans;
}
