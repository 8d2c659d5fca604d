// Fault-around (mm/memory.c do_fault_around, mm/filemap.c filemap_map_pages): a read fault on a
// file mapping also maps the neighbours that are already in the page cache.
import type { Kernel } from '../kernel';
import type { Mm } from './mm';
import { PTE, PTRS_PER_PMD } from './pagetable';
import type { Vma } from './vma';
import { get_page, page_dup_rmap } from './page';

/** fault_around_bytes (debugfs, default 64 KiB) in pages */
export const FAULT_AROUND_PAGES = 16;

/** do_fault_around: the window is the fault_around_pages-aligned block around vpn, clamped to the
 * VMA and to the page table page; DAX mappings have no map_pages and do not fault around.
 * Returns true if vpn itself was mapped (VM_FAULT_NOPAGE: no read of the page is needed). */
export function do_fault_around(k: Kernel, mm: Mm, vma: Vma, vpn: number): boolean {
	if (vma.backing === 'dax' || !vma.file) { return false; }
	const pteOff = vpn & (PTRS_PER_PMD - 1);
	const vmaOff = vpn - vma.start;
	const fromPte = Math.max(pteOff - (pteOff % FAULT_AROUND_PAGES), pteOff - Math.min(pteOff, vmaOff));
	const toPte = Math.min(fromPte + FAULT_AROUND_PAGES, PTRS_PER_PMD, pteOff + vma.npages - vmaOff) - 1;
	filemap_map_pages(k, mm, vma, vpn - pteOff + fromPte, vpn - pteOff + toPte);
	return (mm.pt.pte(vpn) & PTE.TYPE_MASK) !== PTE.NONE;
}

/** filemap_map_pages over [first, last] (inclusive, as page numbers): every page already in the
 * cache, inside the file (end clamped to i_size) and with an empty PTE is mapped with the VMA's
 * protection: read-only in private and write-notify shared mappings, writable in shmem. */
function filemap_map_pages(k: Kernel, mm: Mm, vma: Vma, first: number, last: number): void {
	const file = vma.file!;
	const fileEnd = file.npages - 1;
	for (let vpn = first; vpn <= last; vpn++) {
		const index = vma.fileIndex(vpn);
		if (index > fileEnd) { break; }
		if ((mm.pt.pte(vpn) & PTE.TYPE_MASK) !== PTE.NONE) { continue; }
		if ((file.pages.pte(index) & PTE.TYPE_MASK) !== PTE.PRESENT) { continue; }
		const pfn = file.pages.pfn(index);
		// a cache page in device memory (experimental=file_migration) is no page the CPU can map
		if (k.frames.isDevice(pfn)) { continue; }
		get_page(k, pfn);
		page_dup_rmap(k, pfn);
		const w = vma.shared && vma.writable && file.shmem;
		mm.pt.set(vpn, pfn, PTE.PRESENT | PTE.YOUNG | (w ? PTE.WRITE : 0));
	}
}
