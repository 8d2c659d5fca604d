// mremap (mm/mremap.c): resize a mapping in place, or move it with its page tables.
import type { Kernel } from '../kernel';
import { MMAP_TOP_VPN } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import type { Mm } from './mm';
import { PTE, PTRS_PER_PMD } from './pagetable';
import type { Vma } from './vma';
import { do_munmap } from './mmap';
import { mmu_notifier_invalidate_range_start } from './mmu_notifier';
import { split_huge_pmd } from './thp';
import { MAX_MAP_COUNT } from '../sim/budget';

export interface MremapRequest {
	/** old range, in pages */
	start: number;
	oldPages: number;
	newPages: number;
	maymove: boolean;
	/** MREMAP_FIXED target, in pages */
	fixed?: number;
	dontunmap: boolean;
}

/** do_mremap: the parameter checks of mremap(2), then a move (MREMAP_FIXED, MREMAP_DONTUNMAP, or
 * growth without room), a shrink or an in-place growth. Returns the new start page. */
export function* do_mremap(k: Kernel, mm: Mm, r: MremapRequest): K<number> {
	const { start, oldPages, newPages } = r;
	if (r.fixed !== undefined && !r.maymove) { fail('EINVAL', 'fixed= needs maymove (MREMAP_FIXED without MREMAP_MAYMOVE)'); }
	if (r.dontunmap && !r.maymove) { fail('EINVAL', 'dontunmap needs maymove'); }
	if (r.dontunmap && oldPages !== newPages) { fail('EINVAL', 'dontunmap needs the size to stay the same'); }
	if (newPages <= 0) { fail('EINVAL', 'mremap to zero length'); }
	if (r.fixed !== undefined && r.fixed < start + oldPages && start < r.fixed + newPages) {
		fail('EINVAL', 'the fixed= target overlaps the old range');
	}
	if (mm.vmas.list.length + 3 > MAX_MAP_COUNT) { fail('ENOMEM', `too many mappings (vm.max_map_count = ${MAX_MAP_COUNT})`); }
	if (r.fixed !== undefined) { return yield* mremap_to(k, mm, r, r.fixed); }
	let vma = vma_to_resize(mm, start, oldPages);
	if (r.dontunmap) { return yield* mremap_to(k, mm, r, get_unmapped_area(k, mm, vma, newPages)); }
	if (newPages <= oldPages) {
		// a shrink (or no change) stays in place
		if (newPages < oldPages) { yield* do_munmap(k, mm, start + newPages, start + oldPages); }
		return start;
	}
	const end = start + oldPages;
	if (vma.end === end && vma_expandable(mm, vma, newPages - oldPages)) {
		vma.end = start + newPages;
		mm.vmas.mergeAround(start, start + newPages);
		return start;
	}
	if (!r.maymove) { fail('ENOMEM', 'no room to grow the mapping in place (add maymove)'); }
	vma = vma_to_resize(mm, start, oldPages);
	const to = get_unmapped_area(k, mm, vma, newPages);
	return yield* move_vma(k, mm, vma, start, oldPages, to, newPages, false);
}

/** mremap_to: the target is unmapped first, a shrink drops the old tail, then the move. */
function* mremap_to(k: Kernel, mm: Mm, r: MremapRequest, to: number): K<number> {
	vma_to_resize(mm, r.start, r.oldPages);
	yield* do_munmap(k, mm, to, to + r.newPages);
	let oldPages = r.oldPages;
	if (r.newPages < oldPages) {
		yield* do_munmap(k, mm, r.start + r.newPages, r.start + oldPages);
		oldPages = r.newPages;
	}
	const vma = vma_to_resize(mm, r.start, oldPages);
	return yield* move_vma(k, mm, vma, r.start, oldPages, to, r.newPages, r.dontunmap);
}

/** The VMA holding the whole old range (EFAULT if there is none). */
function vma_to_resize(mm: Mm, start: number, npages: number): Vma {
	const vma = mm.vmas.find(start);
	if (!vma) { fail('EFAULT', 'mremap of an unmapped address'); }
	if (start + npages > vma.end) { fail('EFAULT', 'the old range is not inside one mapping'); }
	return vma;
}

function vma_expandable(mm: Mm, vma: Vma, delta: number): boolean {
	const next = mm.vmas.list.find(v => v.start >= vma.end);
	return (next === undefined || next.start >= vma.end + delta) && vma.end + delta <= MMAP_TOP_VPN;
}

/** get_unmapped_area for the moved mapping: placed as mmap would place it (large anonymous
 * mappings 2 MiB aligned, thp_get_unmapped_area). */
function get_unmapped_area(_k: Kernel, mm: Mm, vma: Vma, npages: number): number {
	const align = vma.backing === 'anon' && npages >= PTRS_PER_PMD ? PTRS_PER_PMD : 1;
	const at = mm.vmas.unmappedArea(npages, MMAP_TOP_VPN, align);
	if (at < 0) { fail('ENOMEM', 'no room in the address space'); }
	return at;
}

/** move_vma: copy_vma makes the new VMA, move_page_tables carries the entries over, then the old
 * range is unmapped, or with MREMAP_DONTUNMAP left mapped and empty (losing its anon_vma when the
 * whole VMA moved). */
function* move_vma(k: Kernel, mm: Mm, vma: Vma, start: number, oldPages: number, to: number, newPages: number, dontunmap: boolean): K<number> {
	const nv = vma.clone();
	nv.start = to;
	nv.end = to + newPages;
	nv.pgoff = vma.fileIndex(start);
	mm.vmas.insert(nv);
	yield* move_page_tables(k, mm, start, to, oldPages);
	if (!dontunmap) {
		yield* do_munmap(k, mm, start, start + oldPages);
	} else if (vma.start === start && vma.end === start + oldPages) {
		vma.anonVma = false;
	}
	mm.vmas.mergeAround(to, to + newPages);
	return to;
}

/** move_page_tables: one UNMAP notifier call over the old range, then extent by extent: a PMD
 * mapping (RAM THP or device-private PMD) moves whole when both ends are PMD aligned and the
 * extent is a full PMD (move_huge_pmd), else it is split first (split_huge_pmd, CLEAR over its
 * 2 MiB) and its entries move one by one like any PTE (move_ptes): present, device-private,
 * exclusive, swap and migration entries alike. */
function* move_page_tables(k: Kernel, mm: Mm, from: number, to: number, npages: number): K {
	yield* mmu_notifier_invalidate_range_start(k, { mm, start: from, end: from + npages, event: 'UNMAP' });
	for (let i = 0; i < npages;) {
		const o = from + i, d = to + i;
		const oOff = o & (PTRS_PER_PMD - 1), dOff = d & (PTRS_PER_PMD - 1);
		const extent = Math.min(PTRS_PER_PMD - oOff, PTRS_PER_PMD - dOff, npages - i);
		if (mm.pt.isHuge(o)) {
			if (oOff === 0 && dOff === 0 && extent === PTRS_PER_PMD && !mm.pt.leaf(d)) {
				mm.pt.moveLeaf(o, d);
				mm.pt.forEach(d, d + PTRS_PER_PMD, (vpn, pfn) => { rmap_move(k, pfn, vpn); });
				i += extent;
				continue;
			}
			yield* split_huge_pmd(k, mm, o);
		}
		const moved: [number, number, number][] = [];
		mm.pt.forEach(o, o + extent, (vpn, pfn, pte) => { moved.push([vpn, pfn, pte]); });
		for (const [vpn, pfn, pte] of moved) {
			mm.pt.clear(vpn);
			mm.pt.set(vpn - from + to, pfn, pte);
			if ((pte & PTE.TYPE_MASK) !== PTE.SWAP) { rmap_move(k, pfn, vpn - from + to); }
		}
		i += extent;
	}
}

/** The simulator's anon rmap keys a page by its address: a moved page mapped once follows it. (A
 * page still shared with a fork child keeps the child's address; Linux's anon_vma needs no such
 * choice.) */
function rmap_move(k: Kernel, pfn: number, vpn: number): void {
	const f = k.frames;
	if (f.isZero(pfn) || f.mapping[pfn >> 12][pfn & 4095] > -2 || f.mapcount[pfn >> 12][pfn & 4095] > 1) { return; }
	f.index[pfn >> 12][pfn & 4095] = vpn;
}
