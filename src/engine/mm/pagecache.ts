// Simulated files and their page cache. Nothing on the host is read or written: a file is a
// size and an initial content rule, and its pages come into being when first touched.
// A shared anonymous mapping is backed by an unnamed shmem object of the same kind.
//
// Reclaim (vmscan_file.ts) can take pages out of the cache. A page-cache page's bytes then go
// to the file's `disk` (written back if dirty; a clean page's bytes are what the disk holds), and
// the next access reads them from there. The disk keeps what it holds while the page is cached
// again, and `sync` stores there what it writes: a crash (crash.ts) drops a dirty page and the
// file reads what the disk held. A shmem page goes to swap: its cache entry becomes a
// swap entry (shmem_writepage), and the next access swaps it in (shmem_swapin_folio). Either way
// the bytes move by reference: exactly one of the cache page, the disk and the swap slot owns them.
import { PageTable, PTE } from './pagetable';
import { type Fill, fillPage, isZeroFill } from './fill';
import { LRU, PG } from './frames';
import type { Kernel } from '../kernel';
import { PAGE_SIZE } from './content';
import { get_page } from './page';
import { delete_from_swap_cache, swap_cache_lookup_or_read } from './swap';

export class SimFile {
	/** page index -> pfn of the cached (or persistent DAX) page; for shmem, a swap entry (slot)
	 * while the page is swapped out */
	readonly pages = new PageTable();
	/** page index -> content slot (-1: zeroes) of the file's bytes on disk where writeback (sync,
	 * reclaim) replaced its initial content; a cached page that is clean holds the same bytes */
	readonly disk = new PageTable();
	/** set by the first DAX mapping: pages then live in persistent memory, outside RAM */
	dax = false;
	/** experimental=dax_migration: page index -> the persistent page of a page whose live copy is
	 * in device memory (`pages` points at the copy); it holds the bytes last persisted */
	readonly pmem = new PageTable();
	/** bytes of the initial content that survive: a truncation below them drops the rest for good */
	dataEnd: number;

	constructor(
		readonly id: number,
		readonly name: string,
		public size: number,
		readonly init: Fill | undefined,
		readonly shmem: boolean,
	) { this.dataEnd = size; }

	get npages(): number { return Math.ceil(this.size / PAGE_SIZE); }
}

/** Where page `index`'s bytes are while no cache page holds them: a content slot (-1: zeroes) on
 * disk or in a shmem swap slot, or undefined for the file's initial content. */
export function file_stored_slot(k: Kernel, f: SimFile, index: number): number | undefined {
	const t = f.pages.pte(index) & PTE.TYPE_MASK;
	if (t === PTE.PRESENT) { return k.frames.slot[(f.pages.pfn(index)) >> 12][(f.pages.pfn(index)) & 4095]; }
	if (t === PTE.SWAP) {
		const slot = f.pages.pfn(index);
		const cached = k.swap!.cache[slot];
		return cached >= 0 ? k.frames.slot[cached >> 12][cached & 4095] : k.swap!.data[slot];
	}
	if ((f.disk.pte(index) & PTE.TYPE_MASK) === PTE.PRESENT) { return f.disk.pfn(index); }
	return undefined;
}

/** The disk now holds the bytes of content slot `slot` for page `index` (the caller's slot: the
 * disk owns it from here on); what it held before is released. */
export function file_disk_take(k: Kernel, f: SimFile, index: number, slot: number): void {
	if ((f.disk.pte(index) & PTE.TYPE_MASK) === PTE.PRESENT && f.disk.pfn(index) >= 0) { k.content.release(f.disk.pfn(index)); }
	f.disk.set(index, slot, PTE.PRESENT);
}

/** Writeback stored page `index` with the bytes of `slot` (a copy: the page keeps its own). */
export function file_disk_store(k: Kernel, f: SimFile, index: number, slot: number): void {
	file_disk_take(k, f, index, k.content.copy(slot));
}

/** find_or_create_page: the file's page at `index`, reading its content on a miss (from the
 * disk if reclaim wrote it there, else the initial content), or swapping a shmem page in. */
export function filemap_get_page(k: Kernel, f: SimFile, index: number): number {
	const have = f.pages.pte(index) & PTE.TYPE_MASK;
	if (have === PTE.PRESENT) { return f.pages.pfn(index); }
	if (have === PTE.SWAP) { return shmem_swapin_folio(k, f, index); }
	const flags = f.dax ? PG.DAX : PG.FILE | (f.shmem ? PG.SWAPBACKED : 0);
	const pfn = f.dax ? k.allocPmem() : k.frames.allocRam(flags);
	k.frames.flags[pfn >> 12][pfn & 4095] = flags;
	k.frames.mapping[pfn >> 12][pfn & 4095] = f.id;
	k.frames.index[pfn >> 12][pfn & 4095] = index;
	if ((f.disk.pte(index) & PTE.TYPE_MASK) === PTE.PRESENT) {
		// the bytes reclaim wrote back are read; the disk keeps them
		k.frames.slot[pfn >> 12][pfn & 4095] = k.content.copy(f.disk.pfn(index));
	} else if (f.init && !isZeroFill(f.init) && index * PAGE_SIZE < f.dataEnd) {
		// bytes past the end of the file read as zero, as in the last page of a real file
		const tail = Math.min(f.size, f.dataEnd) - index * PAGE_SIZE;
		k.frames.slot[pfn >> 12][pfn & 4095] = fillPage(k.content, -1, f.init, index * 1024, 0, tail >= PAGE_SIZE ? 1024 : Math.floor(tail / 4));
	}
	// the cache holds one reference of its own
	f.pages.set(index, pfn, PTE.PRESENT);
	if (!f.dax) { k.frames.lruAdd(pfn, f.shmem ? LRU.INACTIVE_ANON : LRU.INACTIVE_FILE); }
	return pfn;
}

/** shmem_swapin_folio: the page comes from the swap cache or is read back into a new page, takes
 * the cache entry's place, and the slot is freed (shmem never shares a slot). */
function shmem_swapin_folio(k: Kernel, f: SimFile, index: number): number {
	const fr = k.frames;
	const si = k.swap!;
	const slot = f.pages.pfn(index);
	const pfn = swap_cache_lookup_or_read(k, slot, PG.FILE | PG.SWAPBACKED);
	fr.flags[pfn >> 12][pfn & 4095] = PG.FILE | PG.SWAPBACKED;
	fr.mapping[pfn >> 12][pfn & 4095] = f.id;
	fr.index[pfn >> 12][pfn & 4095] = index;
	get_page(k, pfn);
	f.pages.set(index, pfn, PTE.PRESENT);
	si.map[slot]--;
	delete_from_swap_cache(k, pfn);
	fr.lruAdd(pfn, LRU.INACTIVE_ANON);
	return pfn;
}

/** folio_migrate_mapping's common half: if the cache entry of the file page `to` now holds (its
 * mapping and index, copied by finalize) still points at `from`, it moves to `to`, which takes the
 * cache's reference. Returns the file and index, or undefined when the entry is not `from`'s. */
export function move_cache_entry(k: Kernel, from: number, to: number): { file: SimFile; index: number } | undefined {
	const f = k.frames;
	const file = k.fileById[f.mapping[to >> 12][to & 4095]];
	const index = f.index[to >> 12][to & 4095];
	if (!file || (file.pages.pte(index) & PTE.TYPE_MASK) !== PTE.PRESENT || file.pages.pfn(index) !== from) { return undefined; }
	file.pages.set(index, to, PTE.PRESENT);
	f.refcount[to >> 12][to & 4095]++;
	return { file, index };
}
