// Swap entries and the swap cache (mm/swap_state.c, mm/swapfile.c), unmapping a page into swap
// entries (mm/rmap.c try_to_unmap_one) and the swap-in fault (mm/memory.c do_swap_page).
//
// Where a swapped page's bytes are: with the page in the swap cache (swap-out under way, or a
// shared slot one process already swapped in), the page holds them; otherwise the slot does
// (SwapInfo.data). Exactly one of the two owns the content slot at any time.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import type { Mm } from './mm';
import type { Vma } from './vma';
import { PG } from './frames';
import { PTE } from './pagetable';
import { get_page, page_add_anon_rmap, page_remove_rmap, put_page, rmap_walk } from './page';
import { mmu_notifier_invalidate_range_start } from './mmu_notifier';
import { SWAP_READ_NS, SWAP_WRITE_BW } from './swapfile';
import { PAGE_SIZE } from './content';

/** swap_duplicate: one more entry refers to the slot (fork's copy_nonpresent_pte). */
export function swap_duplicate(k: Kernel, slot: number): void {
	k.swap!.map[slot]++;
}

/** free_swap_and_cache / swap_free: one entry referring to the slot is gone. With none left the
 * slot is freed, and a page in its swap cache loses the cache's reference. */
export function swap_free(k: Kernel, slot: number): void {
	const si = k.swap!;
	if (si.map[slot] === 0) { throw new Error(`swap_free of unused swap slot ${slot}`); }
	if (--si.map[slot] > 0) { return; }
	const pfn = si.cache[slot];
	if (pfn >= 0) {
		delete_from_swap_cache(k, pfn);
		return;
	}
	const s = si.data[slot];
	if (s >= 0) { k.content.release(s); }
	si.release(slot);
}

/** add_to_swap: a slot for the page, which enters the swap cache (one more reference). False
 * when swap is full. */
export function add_to_swap(k: Kernel, pfn: number): boolean {
	const si = k.swap;
	if (!si) { return false; }
	const slot = si.alloc();
	if (slot < 0) { return false; }
	si.cache[slot] = pfn;
	k.frames.swap[pfn >> 12][pfn & 4095] = slot;
	get_page(k, pfn);
	return true;
}

/** delete_from_swap_cache (__remove_mapping for a swap-backed page): the page leaves the swap
 * cache and drops the cache's reference; a slot nothing refers to any more is freed. */
export function delete_from_swap_cache(k: Kernel, pfn: number): void {
	const si = k.swap!;
	const slot = k.frames.swap[pfn >> 12][pfn & 4095];
	si.cache[slot] = -1;
	k.frames.swap[pfn >> 12][pfn & 4095] = -1;
	if (!si.used(slot)) {
		const s = si.data[slot];
		if (s >= 0) { k.content.release(s); }
		si.release(slot);
	}
	put_page(k, pfn);
}

/** try_to_unmap (TTU for swap-out) over every mapping of a swap-cache page: each device that
 * mirrors it is told first (try_to_unmap_one: invalidate_range_start with MMU_NOTIFY_CLEAR), then
 * the PTE becomes a swap entry for the page's slot. A dirty PTE dirties the page. */
export function* try_to_unmap(k: Kernel, pfn: number): K {
	const f = k.frames;
	const si = k.swap!;
	const slot = f.swap[pfn >> 12][pfn & 4095];
	const places: [Mm, number][] = [];
	rmap_walk(k, pfn, (mm, vpn) => { places.push([mm, vpn]); });
	for (const [mm, vpn] of places) {
		yield* mmu_notifier_invalidate_range_start(k, { mm, start: vpn, end: vpn + 1, event: 'CLEAR' });
		if (mm.pt.pte(vpn) & PTE.DIRTY) { f.flags[pfn >> 12][pfn & 4095] |= PG.DIRTY; }
		mm.pt.set(vpn, slot, PTE.SWAP);
		si.map[slot]++;
		page_remove_rmap(k, pfn);
		put_page(k, pfn);
	}
}

/** pageout + __remove_mapping: the unmapped swap-cache page's bytes go to its slot by reference
 * (a swap write), and the page is freed. While a page is in the swap cache it owns the only copy
 * of the slot's bytes, so every pageout writes, clean or not. */
export function pageout(k: Kernel, pfn: number): void {
	const f = k.frames;
	const si = k.swap!;
	const slot = f.swap[pfn >> 12][pfn & 4095];
	si.pswpout++;
	k.advance(PAGE_SIZE / SWAP_WRITE_BW * 1e9);
	si.data[slot] = f.slot[pfn >> 12][pfn & 4095];
	f.slot[pfn >> 12][pfn & 4095] = -1;
	f.flags[pfn >> 12][pfn & 4095] &= ~PG.DIRTY;
	delete_from_swap_cache(k, pfn);
}

/** The page of swap slot `slot`: from the swap cache (swap_cache_get_folio), or read back into a
 * new page with `flags` (swapin_readahead), which enters the swap cache with the allocation's
 * reference. Anonymous and shmem swap-in share it. */
export function swap_cache_lookup_or_read(k: Kernel, slot: number, flags: number): number {
	const f = k.frames;
	const si = k.swap!;
	let pfn = si.cache[slot];
	if (pfn < 0) {
		pfn = f.allocRam(flags);
		si.cache[slot] = pfn;
		f.swap[pfn >> 12][pfn & 4095] = slot;
		f.slot[pfn >> 12][pfn & 4095] = si.data[slot];
		si.data[slot] = -1;
		si.pswpin++;
		k.advance(SWAP_READ_NS);
	}
	return pfn;
}

/** do_swap_page on a real swap entry: the page comes from the swap cache or is read back into a
 * new page, the entry's hold on the slot goes (swap_free), and the PTE maps the page again. It
 * is writable only when nothing else shares it (exclusive: no other swap entry, no other
 * mapping) and the VMA allows writes; a shared slot keeps the page in the swap cache, so every
 * process that swaps it in maps the same page until one of them writes (COW). Returns whether
 * the page was mapped writable. */
export function* do_swap_page(k: Kernel, mm: Mm, vma: Vma, vpn: number, write: boolean): K<boolean> {
	yield* k.enter('do_swap_page', { addr: vpn * PAGE_SIZE, npages: 1, process: mm.name });
	try {
		const f = k.frames;
		const si = k.swap!;
		const slot = mm.pt.pfn(vpn);
		const pfn = swap_cache_lookup_or_read(k, slot, PG.ANON);
		get_page(k, pfn);
		page_add_anon_rmap(k, pfn, mm, vpn);
		si.map[slot]--;
		// should_try_to_free_swap: the last entry is gone, so the slot goes too (folio_free_swap)
		if (si.map[slot] === 0) { delete_from_swap_cache(k, pfn); }
		const exclusive = f.swap[pfn >> 12][pfn & 4095] < 0 && f.mapcount[pfn >> 12][pfn & 4095] === 1;
		const w = exclusive && vma.writable;
		mm.pt.set(vpn, pfn, PTE.PRESENT | PTE.YOUNG | (w ? PTE.WRITE : 0) | (w && write ? PTE.DIRTY : 0));
		return w;
	} finally {
		k.leave();
	}
}
