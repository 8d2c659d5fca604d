// Reclaim of page-cache and shmem pages (mm/vmscan.c shrink_folio_list for file folios,
// mm/shmem.c shmem_writepage). Every mapping is unmapped first (try_to_unmap_one: an
// MMU_NOTIFY_CLEAR to mirroring devices, then the PTE is simply cleared: the page can be found
// again through the file, so no swap entry is left in the process). Then:
// - a page-cache page is written back if it is dirty (pageout -> writepage) and leaves the cache
//   (__remove_mapping); its bytes are the file's on disk, read again by the next fault;
// - a shmem page gets a swap slot, its cache entry becomes that swap entry (shmem_writepage), and
//   it is written to swap like an anonymous page.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import type { Mm } from './mm';
import { PG, RAM_POOL } from './frames';
import { PTE } from './pagetable';
import { mapped_present_only, page_remove_rmap, put_page, rmap_walk } from './page';
import { mmu_notifier_invalidate_range_start } from './mmu_notifier';
import { add_to_swap, pageout } from './swap';
import { SWAP_WRITE_BW } from './swapfile';
import { PAGE_SIZE } from './content';
import { file_disk_take } from './pagecache';

/** A page-cache or shmem page in RAM (not DAX, not hugetlb). */
export function is_file_folio(k: Kernel, pfn: number): boolean {
	const f = k.frames;
	return f.owner[pfn >> 12][pfn & 4095] === RAM_POOL && (f.flags[pfn >> 12][pfn & 4095] & (PG.FILE | PG.DAX | PG.HUGETLB | PG.ANON)) === PG.FILE;
}

/** Can reclaim take this page-cache or shmem page now: held by nothing but its PTEs and the cache
 * (no pin, no GUP reference, not under migration or exclusive access). */
export function file_folio_reclaimable(k: Kernel, pfn: number): boolean {
	const f = k.frames;
	if (!is_file_folio(k, pfn) || f.pincount[pfn >> 12][pfn & 4095] > 0 || f.swap[pfn >> 12][pfn & 4095] >= 0) { return false; }
	if (f.refcount[pfn >> 12][pfn & 4095] !== f.mapcount[pfn >> 12][pfn & 4095] + 1) { return false; }
	return mapped_present_only(k, pfn);
}

/** shrink_folio_list's path for one reclaimable file folio. Returns whether it was freed (a shmem
 * page stays when swap is full: activate_locked). */
export function* reclaim_file_folio(k: Kernel, pfn: number): K<boolean> {
	const f = k.frames;
	const file = k.fileById[f.mapping[pfn >> 12][pfn & 4095]];
	const index = f.index[pfn >> 12][pfn & 4095];
	const shmem = (f.flags[pfn >> 12][pfn & 4095] & PG.SWAPBACKED) !== 0;
	// shrink_folio_list: a swap-backed folio gets its slot before it is unmapped (add_to_swap)
	if (shmem && !add_to_swap(k, pfn)) { return false; }
	yield* try_to_unmap_file(k, pfn);
	f.flags[pfn >> 12][pfn & 4095] &= ~PG.REFERENCED;
	if (shmem) {
		// shmem_writepage: the cache entry becomes the swap entry, the cache's reference goes
		const slot = f.swap[pfn >> 12][pfn & 4095];
		file.pages.set(index, slot, PTE.SWAP);
		k.swap!.map[slot]++;
		put_page(k, pfn);
		pageout(k, pfn);
		return true;
	}
	// pageout -> writepage for a dirty page; a clean one already matches the disk
	if (f.flags[pfn >> 12][pfn & 4095] & PG.DIRTY) { k.advance(PAGE_SIZE / SWAP_WRITE_BW * 1e9); k.fileMigration.writebackPages++; }
	// __remove_mapping: the bytes stay the file's (the disk owns them now), the page leaves the cache
	file_disk_take(k, file, index, f.slot[pfn >> 12][pfn & 4095]);
	f.slot[pfn >> 12][pfn & 4095] = -1;
	f.flags[pfn >> 12][pfn & 4095] &= ~PG.DIRTY;
	file.pages.clear(index);
	put_page(k, pfn);
	return true;
}

/** try_to_unmap for a file folio: each mapping is invalidated (CLEAR) and its PTE cleared; a dirty
 * PTE dirties the page (set_page_dirty). */
function* try_to_unmap_file(k: Kernel, pfn: number): K {
	const f = k.frames;
	const places: [Mm, number][] = [];
	rmap_walk(k, pfn, (mm, vpn) => { places.push([mm, vpn]); });
	for (const [mm, vpn] of places) {
		yield* mmu_notifier_invalidate_range_start(k, { mm, start: vpn, end: vpn + 1, event: 'CLEAR' });
		if (mm.pt.pte(vpn) & PTE.DIRTY) { f.flags[pfn >> 12][pfn & 4095] |= PG.DIRTY; }
		mm.pt.clear(vpn);
		page_remove_rmap(k, pfn);
		put_page(k, pfn);
	}
}
