// struct dev_pagemap (include/linux/memremap.h): how core mm reaches a device's memory. A frame's
// owner indexes Kernel.pgmaps the way page->pgmap points at its pagemap, and the core calls the
// driver only through pgmap->ops. The core never needs to know what kind of device is behind it.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import type { Mm } from './mm';
import type { Vma } from './vma';

/** pgmap->owner: an opaque cookie compared by identity (migrate_vma pgmap_owner, hmm_range
 * dev_private_owner); its name labels events. */
export interface PagemapOwner { readonly name: string }

/** struct vm_fault, as much of it as migrate_to_ram needs. */
export interface VmFault {
	mm: Mm;
	vma: Vma;
	vpn: number;
	/** vmf->page: the device page the CPU touched */
	pfn: number;
	write: boolean;
}

export interface DevPagemapOps {
	/** The last reference to a device page (nr = 1) or PMD-sized folio (nr = HPAGE_NR, pfn its
	 * head) is gone: the driver takes the memory back (free_zone_device_folio). */
	page_free(k: Kernel, pfn: number, nr: number): void;
	/** page_free(k, pfns[i], 1) for i in [0, n), in that order (base pages of this pagemap that a
	 * migration freed one after another), for drivers that can take them back at once */
	page_free_many?(k: Kernel, pfns: Int32Array, n: number): void;
	/** do_swap_page on a device-private entry: the driver brings the page back to RAM; the
	 * fault is then retried. */
	migrate_to_ram(k: Kernel, vmf: VmFault): K;
	/** experimental=file_migration: the driver copies one device page to host memory outside a
	 * migrate_vma (a page-cache page going back, `moved`, or written back from the device): its
	 * link time, and the page counted out when it moved. */
	copy_to_host?(k: Kernel, pfn: number, moved: boolean): void;
}

export class DevPagemap {
	constructor(readonly owner: PagemapOwner, readonly ops: DevPagemapOps) { }
}

/** memremap_pages: the pagemap becomes reachable from its frames. Returns the owner id that
 * Frames.owner holds for every page of this memory. */
export function memremap_pages(k: Kernel, pgmap: DevPagemap): number {
	k.pgmaps.push(pgmap);
	return k.pgmaps.length - 1;
}

/** sizeof(struct page) on 64-bit kernels: memremap_pages gives every page of device memory one,
 * in host RAM (the vmemmap), whether or not the page is ever used. */
export const STRUCT_PAGE_BYTES = 64;

/** Host RAM the struct pages of npages of device memory take. Device-private memory needs none
 * under experimental=no_devpriv_struct_page (the RFC "Remove device private pages from physical
 * address space", 2025, and the removal it prepares: pages addressed by a device index, not a
 * pfn); coherent memory is ordinary physical memory and keeps them. */
export function memmap_bytes(k: Kernel, npages: number, coherent: boolean): number {
	if (!coherent && k.experimental('no_devpriv_struct_page')) { return 0; }
	return npages * STRUCT_PAGE_BYTES;
}

/** page_pgmap: the pagemap of a device frame. */
export function page_pgmap(k: Kernel, pfn: number): DevPagemap {
	const pgmap = k.pgmaps[k.frames.owner[pfn >> 12][pfn & 4095]];
	if (!pgmap) { throw new Error(`pfn ${pfn} is not device memory`); }
	return pgmap;
}

/** free_zone_device_folio of n base pages of pgmap, in order (the whole-leaf migrate path's
 * frees, handed over after its loop). */
export function page_free_pages(k: Kernel, pgmap: DevPagemap, pfns: Int32Array, n: number): void {
	const ops = pgmap.ops;
	if (ops.page_free_many) { ops.page_free_many(k, pfns, n); return; }
	for (let i = 0; i < n; i++) { ops.page_free(k, pfns[i], 1); }
}

/** Is this device frame part of the memory `owner` registered (page->pgmap->owner == owner)? */
export function page_pgmap_owned(k: Kernel, pfn: number, owner: unknown): boolean {
	return owner !== undefined && k.pgmaps[k.frames.owner[pfn >> 12][pfn & 4095]]?.owner === owner;
}
