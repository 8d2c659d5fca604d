// experimental=file_migration: page-cache pages of shared file mappings may move to device-private
// memory. Mainline refuses them: migrate_vma_pages keeps any folio with a mapping
// (folio_mapping() != NULL) in place when the destination is device memory ("For now only support
// anonymous memory migrating to device private or coherent memory"), after migrate_vma_collect
// and migrate_vma_check_page took it. With the mode, the device page replaces the RAM page in the
// page cache (folio_migrate_mapping), and every page-cache path that needs the CPU to read or
// write the bytes brings it back first (filemap_get_folio finding a device folio). Reclaim never
// sees a device-resident page (it is on no LRU list): device eviction brings it back to RAM,
// dirty, and reclaim writes it back from there. `sync` writes a dirty device page back either by
// bringing it to RAM first (file_writeback=cpu) or straight from the device (file_writeback=device:
// the device copies it over the link into a bounce buffer that the disk write reads).
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import type { Vma } from './vma';
import { LRU, PG } from './frames';
import { PTE } from './pagetable';
import { PAGE_SIZE } from './content';
import { put_page, rmap_walk } from './page';
import { file_disk_store, filemap_get_page, move_cache_entry, type SimFile } from './pagecache';
import type { Mm } from './mm';
import { type Fill, fillPage } from './fill';
import { SWAP_WRITE_BW } from './swapfile';
import { page_pgmap } from './memremap';
import { dax_device_folio_to_pmem, dax_folio_migratable, dax_sync } from './dax_migration';
import { try_to_unmap_device_file_page } from './device_file_unmap';

/** The simulated kernel functions the mode had to change (docs/proposals.md): every other path
 * (fault handling, reclaim, truncate's unmapping, the rmap) works on device-resident cache pages
 * unchanged. */
export const FILE_MIGRATION_HOOKS = [
	'migrate_vma_collect (a write-protected shared file page migrates writable: page_mkwrite at migration)',
	'migrate_vma_pages (a mapped folio may move to device memory)',
	'folio_migrate_mapping (the page-cache entry follows the folio, both ways)',
	'filemap_get_folio (a device folio is brought back before the CPU uses it)',
	'filemap_map_pages (fault-around skips device folios)',
	'truncate_inode_partial_folio (the partial last page is zeroed in RAM)',
	'filemap_fdatawrite_range / writepages (write back from RAM or from the device)',
] as const;

/** Is this page-cache page, in this VMA, one the mode lets migrate to device memory: a regular
 * file's page (not shmem, not DAX) in a shared mapping. */
export function file_folio_migratable(k: Kernel, vma: Vma, pfn: number): boolean {
	// experimental=dax_migration: a DAX page is copied, its persistent page stays
	if (vma.backing === 'dax') { return dax_folio_migratable(k, vma, pfn); }
	if (!k.experimental('file_migration') || !vma.shared || !vma.file || vma.file.shmem) { return false; }
	return (k.frames.flags[pfn >> 12][pfn & 4095] & (PG.FILE | PG.SWAPBACKED | PG.DAX | PG.ANON)) === PG.FILE;
}

/** With the mode, a page of a writable shared file mapping becomes writable when it moves (its
 * device-private entry too), even if its CPU entry was write-protected for dirty tracking: a
 * device cannot take the write-notify fault (page_mkwrite), so the migration resolves it. Dirty
 * tracking stays exact: the device's writes dirty the page as the CPU's do. */
export function file_device_writable(k: Kernel, vma: Vma, pfn: number): boolean {
	return vma.writable && file_folio_migratable(k, vma, pfn);
}

/** uvm_hmm_must_use_sysmem with the mode: a page of a shared file mapping may move when it is
 * mapped (a present page-cache page, or already on a device); an unmapped one is faulted in
 * remotely first, as mainline does for every file page. */
export function file_vma_page_movable(k: Kernel, mm: Mm, vma: Vma, vpn: number): boolean {
	const pte = mm.pt.pte(vpn);
	const t = pte & PTE.TYPE_MASK;
	if (t === PTE.DEVPRIV) { return k.experimental(vma.backing === 'dax' ? 'dax_migration' : 'file_migration'); }
	if (t !== PTE.PRESENT) { return false; }
	const pfn = mm.pt.pfn(vpn);
	return k.frames.pincount[pfn >> 12][pfn & 4095] === 0 && file_folio_migratable(k, vma, pfn);
}

/** folio_migrate_flags for a cache page: the new page is a file page (never anonymous, whatever
 * its allocator gave it), on the file LRU when it is RAM, and keeps the dirty bit. */
export function file_migrate_flags(k: Kernel, src: number, dst: number): void {
	const f = k.frames;
	f.flags[dst >> 12][dst & 4095] = (f.flags[dst >> 12][dst & 4095] & ~PG.ANON) | PG.FILE | (f.flags[src >> 12][src & 4095] & PG.DIRTY);
	if (!f.isDevice(dst)) { f.lruAdd(dst, LRU.INACTIVE_FILE); }
}

/** folio_migrate_mapping: after finalize moved the mappings, the cache entry (and the cache's
 * reference) moves from `from` to `to`; `from` loses its last reference. */
export function file_migrate_cache_entry(k: Kernel, from: number, to: number): void {
	if (move_cache_entry(k, from, to)) { put_page(k, from); }
}

/** Is page `index` of the file cached in device memory? */
export function file_page_on_device(k: Kernel, file: SimFile, index: number): boolean {
	return (file.pages.pte(index) & PTE.TYPE_MASK) === PTE.PRESENT && k.frames.isDevice(file.pages.pfn(index));
}

/** filemap_get_folio with the mode: a device-resident cache page comes back to RAM before the CPU
 * uses it. Every mapping of it is unmapped first (try_to_unmap, as reclaim does: the next access
 * faults the RAM page in from the cache), then the device copies it into a new RAM page that
 * takes its place in the cache (migrate_device_pfns). */
export function* filemap_device_folio_to_ram(k: Kernel, file: SimFile, index: number): K {
	if (!file_page_on_device(k, file, index)) { return; }
	// experimental=dax_migration: a DAX page's way back is into its persistent page
	if (file.dax) { yield* dax_device_folio_to_pmem(k, file, index); return; }
	const f = k.frames;
	const pfn = file.pages.pfn(index);
	const pgmap = page_pgmap(k, pfn);
	yield* k.enter('filemap_get_folio', { addr: index * PAGE_SIZE, npages: 1, device: pgmap.owner.name });
	try {
		yield* try_to_unmap_device_file_page(k, pfn, pgmap.owner.name, `${pgmap.owner.name} -> ram (page cache: ${file.name} page ${index})`, 'filemap_get_folio');
		const ram = f.allocRam(PG.FILE);
		f.mapping[ram >> 12][ram & 4095] = f.mapping[pfn >> 12][pfn & 4095];
		f.index[ram >> 12][ram & 4095] = index;
		f.slot[ram >> 12][ram & 4095] = f.slot[pfn >> 12][pfn & 4095];
		f.slot[pfn >> 12][pfn & 4095] = -1;
		file_migrate_flags(k, pfn, ram);
		file.pages.set(index, ram, PTE.PRESENT);
		pgmap.ops.copy_to_host?.(k, pfn, true);
		put_page(k, pfn);
		k.fileMigration.faultedBack++;
	} finally {
		k.leave();
	}
}

/** The device gives a page-cache page back (dmirror's chunk eviction, migrate_device_range):
 * the same trip as filemap_get_folio's, found by pfn. */
export function* file_device_folio_evict(k: Kernel, pfn: number): K {
	const file = k.fileById[k.frames.mapping[pfn >> 12][pfn & 4095]];
	if (file) { yield* filemap_device_folio_to_ram(k, file, k.frames.index[pfn >> 12][pfn & 4095]); }
}

/** Whole pages [first, last) of a byte range of the file, clamped to its end. */
function pageSpan(file: SimFile, lo: number, hi: number): [number, number] {
	if (lo < 0 || hi < lo || !Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) { fail('EINVAL', `bad byte range [${lo}:${hi}] of file '${file.name}'`); }
	return [Math.floor(lo / PAGE_SIZE), Math.ceil(Math.min(hi, file.size) / PAGE_SIZE)];
}

/** read(2) of bytes [lo, hi) (filemap_read): each page comes from the cache (read from disk on a
 * miss), a device-resident one back to RAM first, and is copied to the user buffer. Bytes past
 * the end of the file are not read. */
export function* file_read(k: Kernel, file: SimFile, lo: number, hi: number): K {
	const [first, last] = pageSpan(file, lo, hi);
	yield* k.enter('filemap_read', { addr: lo, npages: last - first });
	try {
		for (let index = first; index < last; index++) {
			yield* filemap_device_folio_to_ram(k, file, index);
			filemap_get_page(k, file, index);
		}
		k.advance(k.costs.hostCopyNs(Math.max(0, Math.min(hi, file.size) - lo)));
	} finally {
		k.leave();
	}
}

/** write(2) of bytes [lo, hi) (generic_perform_write): word i of the range (from `lo`) is
 * fill(i); the file grows to `hi` if shorter (i_size_write); each page is dirtied in the cache. */
export function* file_write(k: Kernel, file: SimFile, lo: number, hi: number, fill: Fill | undefined): K {
	if (lo % 4 !== 0 || hi % 4 !== 0) { fail('EINVAL', 'a file write needs a byte range on 4-byte boundaries'); }
	if (hi > file.size) { file.size = hi; }
	const [first, last] = pageSpan(file, lo, hi);
	yield* k.enter('generic_perform_write', { addr: lo, npages: last - first });
	try {
		for (let index = first; index < last; index++) {
			yield* filemap_device_folio_to_ram(k, file, index);
			const pfn = filemap_get_page(k, file, index);
			const page = index * PAGE_SIZE;
			if (fill) {
				const from = Math.max(0, (lo - page) / 4), to = Math.min(1024, (hi - page) / 4);
				k.frames.slot[pfn >> 12][pfn & 4095] = fillPage(k.content, k.frames.slot[pfn >> 12][pfn & 4095], fill, (page - lo) / 4, from, to);
			}
			k.frames.flags[pfn >> 12][pfn & 4095] |= PG.DIRTY;
		}
		k.advance(k.costs.hostCopyNs(hi - lo));
	} finally {
		k.leave();
	}
}

/** fsync(2) (file_write_and_wait_range): every dirty cache page is written back. A dirty bit
 * still in a mapping's PTE dirties the page first (folio_mkclean clears it). A device-resident
 * page is written from the device (file_writeback=device) or brought back to RAM first. Returns
 * the pages written. */
export function* file_sync(k: Kernel, file: SimFile, fromDevice: boolean): K<number> {
	const f = k.frames;
	if (file.dax) {
		// dax_writeback_mapping_range only flushes CPU caches: a DAX page is the persistent memory.
		// Device copies (experimental=dax_migration) are written into their persistent pages.
		yield* k.enter('file_write_and_wait_range', { addr: 0, npages: 0 });
		try { return dax_sync(k, file); } finally { k.leave(); }
	}
	const dirty: number[] = [];
	file.pages.forEach(0, Number.MAX_SAFE_INTEGER, (index, pfn, pte) => {
		if ((pte & PTE.TYPE_MASK) !== PTE.PRESENT) { return; }
		rmap_walk(k, pfn, (mm, vpn) => {
			if (mm.pt.pte(vpn) & PTE.DIRTY) { f.flags[pfn >> 12][pfn & 4095] |= PG.DIRTY; mm.pt.setFlags(vpn, mm.pt.pte(vpn) & ~PTE.DIRTY); }
		});
		if (f.flags[pfn >> 12][pfn & 4095] & PG.DIRTY) { dirty.push(index); }
	});
	yield* k.enter('file_write_and_wait_range', { addr: 0, npages: dirty.length });
	try {
		for (const index of dirty) {
			if (file_page_on_device(k, file, index) && fromDevice) {
				const pfn = file.pages.pfn(index);
				page_pgmap(k, pfn).ops.copy_to_host?.(k, pfn, false);
				k.fileMigration.writebackFromDevice++;
			} else {
				yield* filemap_device_folio_to_ram(k, file, index);
			}
			const pfn = file.pages.pfn(index);
			k.advance(PAGE_SIZE / SWAP_WRITE_BW * 1e9);
			f.flags[pfn >> 12][pfn & 4095] &= ~PG.DIRTY;
			file_disk_store(k, file, index, f.slot[pfn >> 12][pfn & 4095]);
			k.fileMigration.writebackPages++;
		}
	} finally {
		k.leave();
	}
	return dirty.length;
}

/** Cache pages of every file now in device memory, and the dirty ones among them. */
export function file_pages_on_device(k: Kernel): { pages: number; dirty: number } {
	let pages = 0, dirty = 0;
	for (const file of k.fileById) {
		// a DAX file's device copies are dax_migration's (dax_pages_on_device)
		if (file.dax) { continue; }
		file.pages.forEach(0, Number.MAX_SAFE_INTEGER, (_i, pfn, pte) => {
			if ((pte & PTE.TYPE_MASK) !== PTE.PRESENT || !k.frames.isDevice(pfn)) { return; }
			pages++;
			if (k.frames.flags[pfn >> 12][pfn & 4095] & PG.DIRTY) { dirty++; }
		});
	}
	return { pages, dirty };
}
