// Page reclaim (mm/vmscan.c): the anon and file LRU lists, aged by the young bits of the PTEs;
// swap-out of the cold end of the anon lists, and dropping (after writeback) of the file lists'
// (vmscan_file.ts). kswapd's balance_pgdat runs at the points where the fault path is
// about to allocate (cpu_access, handle_mm_fault): when free RAM is below the low watermark it
// reclaims up to the high one, so allocations themselves never need to reclaim. Every decision
// depends on the machine state alone, so a run is the same whoever watches it.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import { HPAGE_NR, LRU, PG, RAM_POOL } from './frames';
import { PTE, PTRS_PER_PMD } from './pagetable';
import type { Mm } from './mm';
import { mapped_present_only, page_remove_rmap, put_page, rmap_walk } from './page';
import { mmu_notifier_invalidate_range_start } from './mmu_notifier';
import { split_huge_pmd, split_folio } from './thp';
import { add_to_swap, pageout, try_to_unmap } from './swap';
import { file_folio_reclaimable, is_file_folio, reclaim_file_folio } from './vmscan_file';
import { PAGE_SIZE } from './content';

/** pages isolated per batch */
const SWAP_CLUSTER_MAX = 32;
/** scan priorities: a pass scans lru_size >> priority pages */
const DEF_PRIORITY = 12;
/** kswapd gives up after this many runs that reclaimed nothing, until a page is freed */
const MAX_RECLAIM_RETRIES = 16;

const enum Ref { ACTIVATE, KEEP, RECLAIM }

/** Can the anon lists be reclaimed: is there swap left (can_reclaim_anon_pages)? */
function can_reclaim_anon(k: Kernel): boolean {
	return k.swap !== undefined && k.swap.freeSlots > 0;
}

/** Pages on the file lists. */
function file_lru_pages(k: Kernel): number {
	return k.frames.lruPages[LRU.INACTIVE_FILE] + k.frames.lruPages[LRU.ACTIVE_FILE];
}

/** Is it worth waking kswapd before an allocation of `need` pages? Cheap enough for every fault. */
export function needs_reclaim(k: Kernel, need: number): boolean {
	const f = k.frames;
	return (can_reclaim_anon(k) || file_lru_pages(k) > 0) && f.reclaimFailures < MAX_RECLAIM_RETRIES
		&& f.ramPages - f.ramUsed < f.wmarkLow + need;
}

/** balance_pgdat: below the low watermark (with room for `need` more pages), reclaim until free
 * RAM reaches the high watermark. */
export function* balance_pgdat(k: Kernel, need: number): K {
	if (!needs_reclaim(k, need)) { return; }
	const f = k.frames;
	yield* k.enter('balance_pgdat', { addr: 0, npages: 0 });
	try {
		const got = yield* shrink_node(k, f.wmarkHigh + need - (f.ramPages - f.ramUsed));
		if (got === 0) { f.reclaimFailures++; }
	} finally {
		k.leave();
	}
}

/** try_to_free_pages: direct reclaim ahead of a batch allocation of `nr` pages (a migration
 * back from a device), so it finds them free while swap has room. */
export function* try_to_free_pages(k: Kernel, nr: number): K {
	if (nr <= 0) { return; }
	yield* balance_pgdat(k, nr);
}

/** shrink_node / shrink_lruvec: scan the lists at falling priority until `nr` pages are freed;
 * an active list is aged only while its inactive one is too small (inactive_is_low). The file
 * lists are scanned first at each priority, the anon lists only while swap has room
 * (get_scan_count: with plenty of inactive page cache, cache_trim_mode reclaims the file lists
 * alone; with no swap, SCAN_FILE). */
export function* shrink_node(k: Kernel, nr: number): K<number> {
	let reclaimed = 0;
	for (let priority = DEF_PRIORITY; priority >= 0 && reclaimed < nr; priority--) {
		reclaimed += yield* shrink_lruvec(k, nr - reclaimed, priority, LRU.INACTIVE_FILE, LRU.ACTIVE_FILE);
		if (reclaimed < nr && can_reclaim_anon(k)) {
			reclaimed += yield* shrink_lruvec(k, nr - reclaimed, priority, LRU.INACTIVE_ANON, LRU.ACTIVE_ANON);
		}
	}
	return reclaimed;
}

/** One priority's pass over an inactive/active pair, in SWAP_CLUSTER_MAX batches. */
function* shrink_lruvec(k: Kernel, nr: number, priority: number, inactive: LRU, active: LRU): K<number> {
	const f = k.frames;
	const anon = inactive === LRU.INACTIVE_ANON;
	let reclaimed = 0;
	let nrActive = Math.floor(f.lruPages[active] / 2 ** priority);
	let nrInactive = Math.floor(f.lruPages[inactive] / 2 ** priority);
	while ((nrActive > 0 || nrInactive > 0) && reclaimed < nr) {
		if (nrActive > 0) {
			const batch = Math.min(nrActive, SWAP_CLUSTER_MAX);
			nrActive -= batch;
			if (inactive_is_low(k, inactive, active)) { shrink_active_list(k, batch, active, inactive); }
		}
		if (nrInactive > 0) {
			const batch = Math.min(nrInactive, SWAP_CLUSTER_MAX);
			nrInactive -= batch;
			reclaimed += yield* shrink_inactive_list(k, batch, inactive);
		}
		if (anon && !can_reclaim_anon(k)) { break; }
	}
	return reclaimed;
}

/** inactive_is_low: inactive * sqrt(10 * GiB of the pair) < active (ratio 1 below 1 GiB). */
function inactive_is_low(k: Kernel, inactiveList: LRU, activeList: LRU): boolean {
	const f = k.frames;
	const inactive = f.lruPages[inactiveList];
	const active = f.lruPages[activeList];
	const gb = Math.floor((inactive + active) * PAGE_SIZE / 2 ** 30);
	const ratio = gb > 0 ? Math.floor(Math.sqrt(10 * gb)) : 1;
	return inactive * ratio < active;
}

/** shrink_active_list: the oldest active pages move to the inactive list; their young bits are
 * cleared on the way (folio_referenced), and they are deactivated either way. */
function shrink_active_list(k: Kernel, nr: number, active: LRU, inactive: LRU): void {
	const f = k.frames;
	for (let scanned = 0; scanned < nr;) {
		const pfn = f.lruTail[active];
		if (pfn < 0) { return; }
		scanned += f.lruNr(pfn);
		folio_referenced(k, pfn);
		f.flags[pfn >> 12][pfn & 4095] &= ~PG.REFERENCED;
		f.lruAdd(pfn, inactive);
	}
}

/** shrink_inactive_list: isolate the oldest `nr` pages of an inactive list and reclaim them. */
export function* shrink_inactive_list(k: Kernel, nr: number, list: LRU = LRU.INACTIVE_ANON): K<number> {
	const f = k.frames;
	const isolated: number[] = [];
	for (let scanned = 0; scanned < nr;) {
		const pfn = f.lruTail[list];
		if (pfn < 0) { break; }
		scanned += f.lruNr(pfn);
		f.lruDel(pfn);
		isolated.push(pfn);
	}
	return yield* shrink_folio_list(k, isolated, false);
}

/** folio_referenced: how many PTEs mapping the page were young; the bits are cleared
 * (ptep_clear_flush_young_notify). */
function folio_referenced(k: Kernel, pfn: number): number {
	let n = 0;
	rmap_walk(k, pfn, (mm, vpn) => {
		const pte = mm.pt.pte(vpn);
		if (pte & PTE.YOUNG) { n++; mm.pt.setFlags(vpn, pte & ~PTE.YOUNG); }
	});
	return n;
}

/** folio_check_references for an anonymous page: referenced once marks it and gives it another
 * trip round the inactive list; referenced again (or by several PTEs) activates it. */
function folio_check_references(k: Kernel, pfn: number): Ref {
	const f = k.frames;
	const ptes = folio_referenced(k, pfn);
	const marked = (f.flags[pfn >> 12][pfn & 4095] & PG.REFERENCED) !== 0;
	f.flags[pfn >> 12][pfn & 4095] &= ~PG.REFERENCED;
	if (ptes > 0) {
		f.flags[pfn >> 12][pfn & 4095] |= PG.REFERENCED;
		return marked || ptes > 1 ? Ref.ACTIVATE : Ref.KEEP;
	}
	return Ref.RECLAIM;
}

/** Can reclaim take this page now: a private anonymous RAM page, not pinned, held by nothing but
 * its PTEs and the swap cache, and every mapping a present PTE (no migration or device-exclusive
 * entry: those hold the page for someone). */
function reclaimable(k: Kernel, pfn: number): boolean {
	const f = k.frames;
	if (f.owner[pfn >> 12][pfn & 4095] !== RAM_POOL || (f.flags[pfn >> 12][pfn & 4095] & (PG.ANON | PG.ZERO | PG.FILE | PG.DAX)) !== PG.ANON) { return false; }
	if (f.pincount[pfn >> 12][pfn & 4095] > 0) { return false; }
	const cached = f.swap[pfn >> 12][pfn & 4095] >= 0 ? 1 : 0;
	if (f.mapcount[pfn >> 12][pfn & 4095] === 0 && !cached) { return false; }
	const nr = f.isHead(pfn) ? HPAGE_NR : 1;
	for (let i = 0; i < nr; i++) {
		if (f.pincount[(pfn + i) >> 12][(pfn + i) & 4095] > 0 || f.refcount[(pfn + i) >> 12][(pfn + i) & 4095] !== f.mapcount[(pfn + i) >> 12][(pfn + i) & 4095] + (i === 0 ? cached : 0)) { return false; }
	}
	return mapped_present_only(k, pfn);
}

/** shrink_folio_list: decide each isolated page's fate. Referenced pages go back (or up to the
 * active list); the rest are split if huge, given a swap slot (add_to_swap), unmapped into swap
 * entries (try_to_unmap) and written out (pageout). With `ignoreRefs` (MADV_PAGEOUT's
 * reclaim_pages) the young bits are not consulted. Returns the pages freed. */
export function* shrink_folio_list(k: Kernel, list: number[], ignoreRefs: boolean): K<number> {
	const f = k.frames;
	let freed = 0;
	yield* k.enter('shrink_folio_list', { addr: 0, npages: list.length });
	try {
		for (let i = 0; i < list.length; i++) {
			const pfn = list[i];
			if (f.refcount[pfn >> 12][pfn & 4095] <= 0) { continue; }
			// folio_is_file_lru: page-cache pages go back to the file lists, the rest to the anon ones
			const fileLru = (f.flags[pfn >> 12][pfn & 4095] & (PG.FILE | PG.SWAPBACKED)) === PG.FILE;
			const active = fileLru ? LRU.ACTIVE_FILE : LRU.ACTIVE_ANON;
			const file = is_file_folio(k, pfn);
			if (!(file ? file_folio_reclaimable(k, pfn) : reclaimable(k, pfn))) { f.lruAdd(pfn, active); continue; }
			const ref = ignoreRefs ? Ref.RECLAIM : folio_check_references(k, pfn);
			if (ref === Ref.ACTIVATE) { f.lruAdd(pfn, active); continue; }
			if (ref === Ref.KEEP) { f.lruAdd(pfn, fileLru ? LRU.INACTIVE_FILE : LRU.INACTIVE_ANON); continue; }
			if (file) {
				// page cache: written back if dirty and dropped; shmem: to swap (vmscan_file.ts)
				if (yield* reclaim_file_folio(k, pfn)) { freed++; } else { f.lruAdd(pfn, active); }
				continue;
			}
			if (f.isHead(pfn)) {
				// no THP swap here: the folio is split (split_folio_to_list) and its pages join this list
				const places: [number, number][] = [];
				rmap_walk(k, pfn, (mm, vpn) => { places.push([mm.id, vpn]); });
				for (const [id, vpn] of places) { yield* split_huge_pmd(k, k.mms[id], vpn); }
				split_folio(k, pfn);
				for (let j = 1; j < HPAGE_NR; j++) { if (f.refcount[(pfn + j) >> 12][(pfn + j) & 4095] > 0) { list.push(pfn + j); } }
			}
			if ((f.flags[pfn >> 12][pfn & 4095] & PG.LAZYFREE) && !(f.flags[pfn >> 12][pfn & 4095] & PG.DIRTY) && f.swap[pfn >> 12][pfn & 4095] < 0) {
				// a clean MADV_FREE page needs no swap: try_to_unmap_one drops its PTE (the memory then
				// reads as zeroes) and the page is freed; one dirtied again through a PTE is kept
				if (yield* discard_lazyfree(k, pfn)) { freed++; } else { f.lruAdd(pfn, LRU.ACTIVE_ANON); }
				continue;
			}
			if (f.swap[pfn >> 12][pfn & 4095] < 0 && !add_to_swap(k, pfn)) {
				// swap is full: activate_locked
				f.lruAdd(pfn, LRU.ACTIVE_ANON);
				continue;
			}
			yield* try_to_unmap(k, pfn);
			f.flags[pfn >> 12][pfn & 4095] &= ~PG.REFERENCED;
			pageout(k, pfn);
			freed++;
		}
	} finally {
		k.leave();
	}
	return freed;
}

/** try_to_unmap_one on a lazily freeable page: each mapping is invalidated (CLEAR) and dropped,
 * unless a PTE was dirtied since MADV_FREE (then the page is swap-backed again and kept). */
function* discard_lazyfree(k: Kernel, pfn: number): K<boolean> {
	const f = k.frames;
	const places: [Mm, number][] = [];
	let dirty = false;
	rmap_walk(k, pfn, (mm, vpn) => {
		places.push([mm, vpn]);
		if (mm.pt.pte(vpn) & PTE.DIRTY) { dirty = true; }
	});
	if (dirty) {
		f.flags[pfn >> 12][pfn & 4095] = (f.flags[pfn >> 12][pfn & 4095] | PG.DIRTY) & ~PG.LAZYFREE;
		return false;
	}
	for (const [mm, vpn] of places) {
		yield* mmu_notifier_invalidate_range_start(k, { mm, start: vpn, end: vpn + 1, event: 'CLEAR' });
		mm.pt.clear(vpn);
		page_remove_rmap(k, pfn);
		put_page(k, pfn);
	}
	return true;
}

/** madvise_cold_or_pageout_pte_range over [start, end) of one VMA. Pages mapped by this process
 * alone lose their young bit and PG_referenced; MADV_COLD then deactivates them (folio_deactivate:
 * the inactive list, so reclaim takes them before pages still in use), MADV_PAGEOUT isolates them
 * and reclaims them at once (reclaim_pages, references ignored). A huge PMD the range covers only
 * in part is split first. Only anonymous memory is reclaimed in this model: page-cache, shmem and
 * DAX pages are left alone. */
export function* madvise_cold_or_pageout(k: Kernel, mm: Mm, start: number, end: number, pageout: boolean): K {
	const f = k.frames;
	for (const edge of [start, end]) {
		if ((edge & (PTRS_PER_PMD - 1)) !== 0 && mm.pt.isHuge(edge)) {
			const head = f.head[(mm.pt.pfn(edge)) >> 12][(mm.pt.pfn(edge)) & 4095];
			yield* split_huge_pmd(k, mm, edge);
			split_folio(k, head);
		}
	}
	const list: number[] = [];
	mm.pt.forEach(start, end, (vpn, pfn, pte, leaf) => {
		if ((pte & PTE.TYPE_MASK) !== PTE.PRESENT || f.owner[pfn >> 12][pfn & 4095] !== RAM_POOL) { return; }
		if ((f.flags[pfn >> 12][pfn & 4095] & (PG.ANON | PG.ZERO)) !== PG.ANON || f.mapcount[pfn >> 12][pfn & 4095] !== 1) { return; }
		mm.pt.setFlags(vpn, pte & ~PTE.YOUNG);
		const head = leaf.huge ? f.head[pfn >> 12][pfn & 4095] : pfn;
		if (head !== pfn) { return; }
		f.flags[head >> 12][head & 4095] &= ~PG.REFERENCED;
		if (pageout) {
			if (f.lru[head >> 12][head & 4095] !== LRU.NONE) { f.lruDel(head); list.push(head); }
		} else if (f.lru[head >> 12][head & 4095] === LRU.ACTIVE_ANON) {
			f.lruAdd(head, LRU.INACTIVE_ANON);
		}
	});
	if (list.length > 0) { yield* shrink_folio_list(k, list, true); }
}
