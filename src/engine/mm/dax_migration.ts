// experimental=dax_migration: pages of a DAX file (persistent memory mapped without a page cache)
// may be copied to device-private memory. Mainline refuses: migrate_vma_setup returns -EINVAL for
// a DAX VMA (vma_is_dax), and UVM maps such pages remotely (uvm_hmm_must_use_sysmem). With the
// mode, the persistent page stays where it is, holding the bytes last persisted, and a device
// page holding the live copy takes its place in the file's page table (the DAX mapping's entries
// become device-private entries). The device copy is clean when it arrives; device writes dirty
// it. It goes back, written into its persistent page (the persistence domain), when the CPU needs
// it (a fault of the mapping, `file read`/`file write`, truncate), when the device evicts or
// releases it, and `sync` writes a dirty copy back while leaving it on the device. A crash
// (mm/crash.ts) drops the copies: what was not written back is lost.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import type { Vma } from './vma';
import { PG } from './frames';
import { PTE } from './pagetable';
import { PAGE_SIZE } from './content';
import { put_page } from './page';
import { move_cache_entry, type SimFile } from './pagecache';
import { page_pgmap } from './memremap';
import { try_to_unmap_device_file_page } from './device_file_unmap';

/** The simulated kernel functions the mode had to change (docs/proposals.md). */
export const DAX_MIGRATION_HOOKS = [
	'migrate_vma_setup (a DAX VMA is no longer refused with EINVAL)',
	'migrate_vma_collect (a persistent page is selected; it migrates writable, as a device cannot take the write fault)',
	'migrate_vma_pages / migrate_vma_finalize (the persistent page stays, holding the persisted bytes; the device copy takes its place in the file)',
	'dmirror_devmem_fault_alloc_and_copy (the way back lands in the persistent page, not in new RAM)',
	'dax_iomap_fault / filemap_get_folio paths (a device copy is written back before the CPU uses the page)',
	'dax_writeback_mapping_range (sync writes dirty device copies into persistent memory)',
	'truncate_inode_pages (a dropped device copy releases its persistent page too)',
] as const;

/** Does the page belong to a DAX file? (its device copy carries PG_FILE; the persistent page PG_DAX) */
export function dax_file_page(k: Kernel, pfn: number): boolean {
	const f = k.frames;
	if (f.flags[pfn >> 12][pfn & 4095] & PG.DAX) { return true; }
	if (!(f.flags[pfn >> 12][pfn & 4095] & PG.FILE)) { return false; }
	return k.fileById[f.mapping[pfn >> 12][pfn & 4095]]?.dax === true;
}

/** May this persistent page of a DAX mapping move (be copied) to device memory? */
export function dax_folio_migratable(k: Kernel, vma: Vma, pfn: number): boolean {
	return k.experimental('dax_migration') && vma.backing === 'dax' && vma.shared && (k.frames.flags[pfn >> 12][pfn & 4095] & PG.DAX) !== 0;
}

/** Is page `index` of a DAX file a device copy not yet written back? */
export function dax_page_unpersisted(k: Kernel, file: SimFile, index: number): boolean {
	if (!file.dax || (file.pages.pte(index) & PTE.TYPE_MASK) !== PTE.PRESENT) { return false; }
	const pfn = file.pages.pfn(index);
	return k.frames.isDevice(pfn) && (k.frames.flags[pfn >> 12][pfn & 4095] & PG.DIRTY) !== 0;
}

/** Is this device page a DAX page's copy that persistent memory does not hold yet? */
/** A file page in device memory whose data is not written back yet: a dirty page-cache page
 * (experimental=file_migration: writeback has not run) or a DAX copy not persisted. */
export function device_file_page_unwritten(k: Kernel, pfn: number): boolean {
	const f = k.frames;
	return (f.flags[pfn >> 12][pfn & 4095] & (PG.FILE | PG.DIRTY)) === (PG.FILE | PG.DIRTY) && f.isDevice(pfn);
}

/** folio_migrate_flags for a DAX page: the device copy is a clean file page (the persistent page
 * holds the same bytes); the persistent page a copy comes back into is clean too (persisted). */
export function dax_migrate_flags(k: Kernel, dst: number): void {
	const f = k.frames;
	f.flags[dst >> 12][dst & 4095] = f.isDevice(dst) ? (f.flags[dst >> 12][dst & 4095] & ~(PG.ANON | PG.DIRTY)) | PG.FILE : PG.DAX;
}

/** migrate_vma_finalize for a DAX page. To the device: the copy takes the file's entry (and a
 * reference for it); the persistent page keeps the file's reference from the `pmem` table and a
 * copy of the bytes finalize handed to the device. Back: the persistent page (which received the
 * bytes) takes the file's entry again and the copy loses the file's reference. */
export function dax_migrate_cache_entry(k: Kernel, from: number, to: number): void {
	const moved = move_cache_entry(k, from, to);
	if (!moved) { return; }
	const { file, index } = moved;
	const f = k.frames;
	if (f.isDevice(to)) {
		file.pmem.set(index, from, PTE.PRESENT);
		f.slot[from >> 12][from & 4095] = k.content.copy(f.slot[to >> 12][to & 4095]);
		f.flags[from >> 12][from & 4095] = PG.DAX;
		return;
	}
	file.pmem.clear(index);
	k.persistence.daxWrittenBack++;
	put_page(k, from);
}

/** The driver's destination for a device page going back to host memory: a DAX device copy goes
 * into its persistent page (its stale bytes released first: the copy overwrites them), anything
 * else into new RAM (-1). */
export function dax_writeback_target(k: Kernel, src: number): number {
	const f = k.frames;
	if (src < 0 || !(f.flags[src >> 12][src & 4095] & PG.FILE)) { return -1; }
	const file = k.fileById[f.mapping[src >> 12][src & 4095]];
	if (!file?.dax) { return -1; }
	const index = f.index[src >> 12][src & 4095];
	if ((file.pmem.pte(index) & PTE.TYPE_MASK) !== PTE.PRESENT) { return -1; }
	const pmem = file.pmem.pfn(index);
	const old = f.slot[pmem >> 12][pmem & 4095];
	if (old >= 0) { k.content.release(old); f.slot[pmem >> 12][pmem & 4095] = -1; }
	// finalize sets its references to the mappings it hands over; the file's is added back with
	// its entry (dax_migrate_cache_entry)
	return pmem;
}

/** A device copy comes back into its persistent page outside a migrate_vma (read, write,
 * truncate, a mapping without the device entry, dmirror release): every mapping is unmapped
 * (the next access maps the persistent page again), the device writes the bytes into it, and the
 * persistent page takes the file's entry back. */
export function* dax_device_folio_to_pmem(k: Kernel, file: SimFile, index: number): K {
	const f = k.frames;
	const pfn = file.pages.pfn(index);
	const pmem = file.pmem.pfn(index);
	const pgmap = page_pgmap(k, pfn);
	yield* k.enter('dax_writeback_one', { addr: index * PAGE_SIZE, npages: 1, device: pgmap.owner.name });
	try {
		yield* try_to_unmap_device_file_page(k, pfn, pgmap.owner.name, `${pgmap.owner.name} -> pmem (DAX: ${file.name} page ${index})`, 'dax_writeback_one');
		const old = f.slot[pmem >> 12][pmem & 4095];
		if (old >= 0) { k.content.release(old); }
		f.slot[pmem >> 12][pmem & 4095] = f.slot[pfn >> 12][pfn & 4095];
		f.slot[pfn >> 12][pfn & 4095] = -1;
		file.pages.set(index, pmem, PTE.PRESENT);
		file.pmem.clear(index);
		pgmap.ops.copy_to_host?.(k, pfn, true);
		put_page(k, pfn);
		k.persistence.daxWrittenBack++;
	} finally {
		k.leave();
	}
}

/** dax_writeback_mapping_range with the mode: each dirty device copy is written into its
 * persistent page over the device's link and stays on the device, clean. Returns the pages. */
export function dax_sync(k: Kernel, file: SimFile): number {
	const f = k.frames;
	let n = 0;
	file.pages.forEach(0, Number.MAX_SAFE_INTEGER, (index, pfn, pte) => {
		if ((pte & PTE.TYPE_MASK) !== PTE.PRESENT) { return; }
		if (!f.isDevice(pfn)) { f.flags[pfn >> 12][pfn & 4095] &= ~PG.DIRTY; return; }
		if (!(f.flags[pfn >> 12][pfn & 4095] & PG.DIRTY)) { return; }
		const pmem = file.pmem.pfn(index);
		const old = f.slot[pmem >> 12][pmem & 4095];
		if (old >= 0) { k.content.release(old); }
		f.slot[pmem >> 12][pmem & 4095] = k.content.copy(f.slot[pfn >> 12][pfn & 4095]);
		page_pgmap(k, pfn).ops.copy_to_host?.(k, pfn, false);
		f.flags[pfn >> 12][pfn & 4095] &= ~PG.DIRTY;
		k.persistence.daxWrittenBack++;
		n++;
	});
	return n;
}

/** truncate_inode_pages for a DAX file: the persistent pages behind device copies beyond the new
 * end go with the copies (their bytes released; the persistent memory itself stays the file's). */
export function dax_truncate(k: Kernel, file: SimFile, first: number): void {
	const gone: number[] = [];
	file.pmem.forEach(first, Number.MAX_SAFE_INTEGER, (index, pfn) => { gone.push(index, pfn); });
	for (let i = 0; i < gone.length; i += 2) {
		file.pmem.clear(gone[i]);
		put_page(k, gone[i + 1]);
	}
}

/** Device copies of DAX pages, and the ones not written back, over every file. */
export function dax_pages_on_device(k: Kernel): { pages: number; unpersisted: number } {
	let pages = 0, unpersisted = 0;
	for (const file of k.fileById) {
		if (!file.dax) { continue; }
		file.pmem.forEach(0, Number.MAX_SAFE_INTEGER, index => {
			pages++;
			if (dax_page_unpersisted(k, file, index)) { unpersisted++; }
		});
	}
	return { pages, unpersisted };
}
