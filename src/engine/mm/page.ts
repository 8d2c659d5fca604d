// Page references, mappings and the reverse map (mm/rmap.c in miniature).
import { Kernel } from '../kernel';
import { HPAGE_NR, PG, RAM_POOL } from './frames';
import { PTE } from './pagetable';
import type { Mm } from './mm';
import { page_pgmap } from './memremap';

export function get_page(k: Kernel, pfn: number): void {
	k.frames.refcount[pfn >> 12][pfn & 4095]++;
}

/** Drops a reference; at zero the frame goes back to RAM, or to its device through the pagemap's
 * page_free (free_zone_device_folio). */
export function put_page(k: Kernel, pfn: number): void {
	const f = k.frames;
	if (f.flags[pfn >> 12][pfn & 4095] & PG.ZERO) { return; }
	if (--f.refcount[pfn >> 12][pfn & 4095] > 0) { return; }
	if (f.refcount[pfn >> 12][pfn & 4095] < 0) { throw new Error(`refcount underflow on pfn ${pfn}`); }
	if (f.isCompound(pfn)) {
		// a folio is freed whole, once every one of its pages has lost its last reference
		const head = f.head[pfn >> 12][pfn & 4095];
		for (let i = 0; i < HPAGE_NR; i++) { if (f.refcount[(head + i) >> 12][(head + i) & 4095] > 0) { return; } }
		for (let i = 0; i < HPAGE_NR; i++) { releaseContent(k, head + i); }
		if (f.owner[head >> 12][head & 4095] === RAM_POOL) { f.freeRamFolio(head); } else {
			for (let i = 0; i < HPAGE_NR; i++) { f.flags[(head + i) >> 12][(head + i) & 4095] = 0; f.mapping[(head + i) >> 12][(head + i) & 4095] = -1; }
			page_pgmap(k, head).ops.page_free(k, head, HPAGE_NR);
		}
		return;
	}
	releaseContent(k, pfn);
	if (f.flags[pfn >> 12][pfn & 4095] & PG.DAX) { return; }
	if (f.owner[pfn >> 12][pfn & 4095] === RAM_POOL) { f.freeRamFrame(pfn); } else {
		f.flags[pfn >> 12][pfn & 4095] = 0;
		f.mapping[pfn >> 12][pfn & 4095] = -1;
		page_pgmap(k, pfn).ops.page_free(k, pfn, 1);
	}
}

function releaseContent(k: Kernel, pfn: number): void {
	const s = k.frames.slot[pfn >> 12][pfn & 4095];
	if (s >= 0) { k.content.release(s); k.frames.slot[pfn >> 12][pfn & 4095] = -1; }
}

/** page_add_anon_rmap / page_add_new_anon_rmap */
export function page_add_anon_rmap(k: Kernel, pfn: number, mm: Mm, vpn: number): void {
	const f = k.frames;
	f.mapping[pfn >> 12][pfn & 4095] = Kernel.anonMapping(mm.family);
	f.index[pfn >> 12][pfn & 4095] = vpn;
	f.flags[pfn >> 12][pfn & 4095] |= PG.ANON;
	f.mapcount[pfn >> 12][pfn & 4095]++;
}

/** page_add_file_rmap (or a second mapping of an anon page after fork) */
export function page_dup_rmap(k: Kernel, pfn: number): void {
	if (!k.frames.isZero(pfn)) { k.frames.mapcount[pfn >> 12][pfn & 4095]++; }
}

export function page_remove_rmap(k: Kernel, pfn: number): void {
	if (!k.frames.isZero(pfn)) { k.frames.mapcount[pfn >> 12][pfn & 4095]--; }
}

/** Does this entry refer to a frame? A swap entry's number is a swap slot, not a pfn. */
function maps(pte: number): boolean {
	const t = pte & PTE.TYPE_MASK;
	return t !== PTE.NONE && t !== PTE.SWAP;
}

/** Is every mapping of the page a present PTE, and does the rmap find all mapcount of them? A page
 * also reached through a device-private or exclusive entry, or from a table the rmap cannot see,
 * is not one reclaim may unmap (try_to_unmap would leave someone holding it). */
export function mapped_present_only(k: Kernel, pfn: number): boolean {
	let present = true;
	let seen = 0;
	rmap_walk(k, pfn, (mm, vpn) => {
		seen++;
		if ((mm.pt.pte(vpn) & PTE.TYPE_MASK) !== PTE.PRESENT) { present = false; }
	});
	return present && seen === k.frames.mapcount[pfn >> 12][pfn & 4095];
}

/** Every (mm, vpn) whose page table refers to pfn (present, device-private or exclusive entry). */
export function rmap_walk(k: Kernel, pfn: number, fn: (mm: Mm, vpn: number) => void): void {
	const m = k.frames.mapping[pfn >> 12][pfn & 4095];
	const idx = k.frames.index[pfn >> 12][pfn & 4095];
	const hits: [Mm, number][] = [];
	if (m <= -2) {
		for (const mm of k.families.get(-2 - m) ?? []) {
			if (mm.alive && mm.pt.pfn(idx) === pfn && maps(mm.pt.pte(idx))) { hits.push([mm, idx]); }
		}
	} else if (m >= 0) {
		const file = k.fileById[m];
		for (const mm of k.mms) {
			if (!mm.alive) { continue; }
			for (const v of mm.vmas.list) {
				if (v.file !== file || idx < v.pgoff || idx >= v.pgoff + v.npages) { continue; }
				const vpn = v.start + (idx - v.pgoff);
				if (mm.pt.pfn(vpn) === pfn && maps(mm.pt.pte(vpn))) { hits.push([mm, vpn]); }
			}
		}
	}
	for (const [mm, vpn] of hits) { fn(mm, vpn); }
}
