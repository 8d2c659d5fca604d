// The density prefetcher of NVIDIA UVM (kernel-open/nvidia-uvm/uvm_perf_prefetch.c): a bitmap tree
// over the pages a fault service may prefetch, whose leaves are the pages already resident on the
// destination plus the pages faulted in this batch. For each faulted page the walk goes from its
// leaf to the root and keeps the largest subtree that is more than `threshold` percent occupied;
// the rest of that subtree is prefetched. Pure: the service (service.ts) supplies the masks.
import { BIG_PAGE_PAGES, type PrefetchHint, type PrefetchInput } from './types';

/** UVM_PREFETCH_THRESHOLD_DEFAULT (uvm_perf_prefetch_threshold), percent */
export const UVM_PREFETCH_THRESHOLD_DEFAULT = 51;

/** The tree of uvm_perf_prefetch_bitmap_tree_t: leaf t stands for block page `base + t`, where
 * `base = first - offset`, so that big pages of the block start on multiples of BIG_PAGE_PAGES in
 * the tree (the "ghost leaves" of update_bitmap_tree_from_va_block). */
interface Tree {
	pages: Uint8Array;
	/** sums[t] = set leaves before t: a subtree's count in O(1), as the driver's counter nodes give it */
	sums: Uint16Array;
	offset: number;
	leaves: number;
	base: number;
}

/** init_bitmap_tree_from_region + update_bitmap_tree_from_va_block: occupancy is resident or
 * faulted within [first, last), shifted so big pages line up. */
function init_bitmap_tree(input: PrefetchInput): Tree {
	const { first, last } = input;
	const offset = first % BIG_PAGE_PAGES;
	const leaves = last - first + offset;
	const pages = new Uint8Array(leaves);
	for (let p = first; p < last; p++) {
		if (input.resident[p] || input.faulted[p]) { pages[p - first + offset] = 1; }
	}
	return { pages, sums: new Uint16Array(leaves + 1), offset, leaves, base: first - offset };
}

/** Whether [from, to) of the block holds a faulted page and no thrashing page. */
function grows(input: PrefetchInput, from: number, to: number): boolean {
	let faulted = false;
	for (let p = from; p < to; p++) {
		if (input.thrashing?.[p]) { return false; }
		if (input.faulted[p]) { faulted = true; }
	}
	return faulted;
}

/** grow_fault_granularity: a big page holding a fault counts as fully occupied, unless one of its
 * pages is thrashing; so do the partial big pages at either end of the region (prefix, suffix),
 * and the whole region when it holds no whole big page. */
function grow_fault_granularity(input: PrefetchInput, tree: Tree): void {
	const { first, last } = input;
	const bigFirst = Math.ceil(first / BIG_PAGE_PAGES) * BIG_PAGE_PAGES;
	const bigLast = Math.floor(last / BIG_PAGE_PAGES) * BIG_PAGE_PAGES;
	const fill = (from: number, to: number) => {
		if (grows(input, from, to)) { tree.pages.fill(1, from - tree.base, to - tree.base); }
	};
	if (bigLast <= bigFirst) {
		fill(first, last);
		return;
	}
	if (bigFirst > first) { fill(first, bigFirst); }
	for (let p = bigFirst; p < bigLast; p += BIG_PAGE_PAGES) { fill(p, p + BIG_PAGE_PAGES); }
	if (bigLast < last) { fill(bigLast, last); }
}

/** compute_prefetch_region: from the faulted page's leaf up to the root, the largest subtree whose
 * occupancy is strictly above the threshold (the loop overwrites the choice at every level that
 * passes, so a failing level in between does not stop the walk); then clamped to [first, last). */
function compute_prefetch_region(page: number, tree: Tree, input: PrefetchInput): { first: number; last: number; occupied: number; size: number } | undefined {
	const leaf = page - tree.base;
	let chosen: { from: number; to: number; occupied: number } | undefined;
	for (let span = 1; ; span *= 2) {
		const from = leaf - (leaf % span);
		const to = Math.min(from + span, tree.leaves);
		const occupied = tree.sums[to] - tree.sums[from];
		if (occupied * 100 > (to - from) * input.threshold) { chosen = { from, to, occupied }; }
		if (span >= tree.leaves) { break; }
	}
	if (!chosen) { return undefined; }
	return {
		first: Math.max(input.first, chosen.from + tree.base),
		last: Math.min(input.last, chosen.to + tree.base),
		occupied: chosen.occupied,
		size: chosen.to - chosen.from,
	};
}

/** uvm_perf_prefetch_get_hint (uvm_perf_prefetch_prenotify_fault_migrations): the pages of one VA
 * block to prefetch along with this batch's faults: the whole region on a first touch by the
 * preferred location, else the tree's choice. Faulted pages that are thrashing start no walk
 * and grow no big page; the hint never holds a faulted, resident or thrashing page, nor a page
 * outside [first, last). */
export function uvm_perf_prefetch_get_hint(input: PrefetchInput): PrefetchHint {
	const n = input.faulted.length;
	const pages = new Uint8Array(n);
	const regions: PrefetchHint['regions'] = [];
	const first = Math.max(0, Math.min(input.first, n));
	const last = Math.max(first, Math.min(input.last, n));
	if (last <= first) { return { pages, count: 0, regions }; }
	if (input.firstTouch) {
		// a first touch (the block resident nowhere) by the preferred location populates the whole
		// region, no tree walk
		let occupied = 0;
		for (let p = first; p < last; p++) { occupied += input.faulted[p]; }
		regions.push({ first, last, occupied, size: last - first });
		pages.fill(1, first, last);
	} else {
		treeWalk(input, first, last, pages, regions);
	}
	let count = 0;
	for (let p = 0; p < n; p++) {
		if (pages[p] && (input.faulted[p] || input.resident[p] || input.thrashing?.[p])) { pages[p] = 0; }
		count += pages[p];
	}
	return { pages, count, regions };
}

/** init_bitmap_tree_from_region, grow_fault_granularity and compute_prefetch_region per fault. */
function treeWalk(input: PrefetchInput, first: number, last: number, pages: Uint8Array, regions: PrefetchHint['regions']): void {
	const clipped = { ...input, first, last };
	const tree = init_bitmap_tree(clipped);
	grow_fault_granularity(clipped, tree);
	for (let t = 0; t < tree.leaves; t++) { tree.sums[t + 1] = tree.sums[t] + tree.pages[t]; }
	for (let p = first; p < last; p++) {
		if (!input.faulted[p] || input.thrashing?.[p]) { continue; }
		const r = compute_prefetch_region(p, tree, clipped);
		if (!r) { continue; }
		const prev = regions[regions.length - 1];
		if (!prev || prev.first !== r.first || prev.last !== r.last) { regions.push(r); }
		pages.fill(1, r.first, r.last);
		// "early out" once the region reaches the end of what may be prefetched
		if (r.last === last) { break; }
	}
}
