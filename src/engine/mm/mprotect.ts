// mprotect (mm/mprotect.c): do_mprotect_pkey -> mprotect_fixup -> change_protection.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import { PG } from './frames';
import type { Mm } from './mm';
import { PTE, PTRS_PER_PMD } from './pagetable';
import { PROT_MASK, type Vma } from './vma';
import { mmu_notifier_invalidate_range_start } from './mmu_notifier';
import { split_huge_pmd_if_needed } from './thp';
import { checkRange, coverage } from './mmap';
import { hugetlb_check_range } from './hugetlb';
import { PAGE_SIZE } from './content';

/** pages one PUD entry covers (1 GiB) */
export const PTRS_PER_PUD_PAGES = PTRS_PER_PMD * PTRS_PER_PMD;

/** do_mprotect_pkey: each VMA of the mapped run from `start` goes through mprotect_fixup; a hole
 * after that run fails with ENOMEM once the run is done. */
export function* do_mprotect(k: Kernel, mm: Mm, start: number, end: number, prot: number): K {
	checkRange(start, end, 'mprotect', mm);
	hugetlb_check_range(mm, start, end, 'mprotect');
	const { runEnd } = coverage(mm, start, end);
	if (!mm.vmas.find(start) || runEnd <= start) { fail('ENOMEM', 'mprotect of an unmapped address'); }
	for (const v of mm.vmas.overlapping(start, runEnd)) {
		yield* mprotect_fixup(k, mm, v, Math.max(start, v.start), Math.min(runEnd, v.end), (v.flags & ~PROT_MASK) | prot);
	}
	mm.vmas.mergeAround(start, runEnd);
	if (runEnd < end) { fail('ENOMEM', `range includes unmapped pages from 0x${(runEnd * PAGE_SIZE).toString(16)}`); }
}

/** mprotect_fixup: a VMA whose flags do not change is left alone (no split, no notifier); else it
 * is split at the range's ends (split_vma -> vma_adjust_trans_huge splits a THP the new edge
 * cuts) and its page tables are changed. */
function* mprotect_fixup(k: Kernel, mm: Mm, vma: Vma, start: number, end: number, newflags: number): K {
	if (newflags === vma.flags) { return; }
	if (start > vma.start) { yield* split_huge_pmd_if_needed(k, mm, start); }
	if (end < vma.end) { yield* split_huge_pmd_if_needed(k, mm, end); }
	mm.vmas.splitAt(start);
	mm.vmas.splitAt(end);
	const v = mm.vmas.find(start)!;
	v.flags = newflags;
	yield* change_protection(k, mm, v, start, end);
}

/** vma_wants_manual_pte_write_upgrade: private writable mappings always (COW needs a per-PTE
 * decision); shared ones only when the file wants write notification (vma_wants_writenotify:
 * a file or DAX mapping, not shmem). */
function wants_manual_write_upgrade(v: Vma): boolean {
	if (v.shared) { return v.writable && !v.file!.shmem; }
	return v.writable;
}

/** change_protection: the PROTECTION_VMA invalidation starts at the first populated PUD of the
 * range (change_pud_range initialises it lazily), so a range without page tables notifies nobody.
 * Entries lose write permission when VM_WRITE goes; when it comes, shmem PTEs take the writable
 * vm_page_prot at once, and with MM_CP_TRY_CHANGE_WRITABLE a PTE is upgraded only if
 * can_change_pte_writable allows it. */
function* change_protection(k: Kernel, mm: Mm, v: Vma, start: number, end: number): K {
	const from = firstPopulatedPud(mm, start, end);
	if (from < 0) { return; }
	yield* mmu_notifier_invalidate_range_start(k, { mm, start: from, end, event: 'PROTECTION_VMA' });
	if (!v.writable) {
		// change_pte_range: no entry stays writable, device-private and migration entries included
		mm.pt.forEach(start, end, (vpn, _pfn, pte) => { mm.pt.setFlags(vpn, pte & ~PTE.WRITE); });
		return;
	}
	const manual = wants_manual_write_upgrade(v);
	mm.pt.forEach(start, end, (vpn, pfn, pte) => {
		if ((pte & PTE.TYPE_MASK) !== PTE.PRESENT || (pte & PTE.WRITE) || k.frames.isZero(pfn)) { return; }
		if (!manual ? v.shared : can_change_pte_writable(k, v, pfn, pte)) { mm.pt.setFlags(vpn, pte | PTE.WRITE); }
	});
}

/** can_change_pte_writable: in a private mapping only an exclusive anonymous page (its write fault
 * would reuse it anyway; mapcount 1 stands for PageAnonExclusive); in a shared one only a dirty
 * PTE, whose file was already told of the write. */
export function can_change_pte_writable(k: Kernel, v: Vma, pfn: number, pte: number): boolean {
	if (!v.shared) { return (k.frames.flags[pfn >> 12][pfn & 4095] & PG.ANON) !== 0 && k.frames.mapcount[pfn >> 12][pfn & 4095] === 1; }
	return (pte & PTE.DIRTY) !== 0;
}

/** Start of the first 1 GiB block of [start, end) that has any page table, clamped to start; -1 if none. */
function firstPopulatedPud(mm: Mm, start: number, end: number): number {
	let best = -1;
	const lo = Math.floor(start / PTRS_PER_PUD_PAGES), hi = Math.floor((end - 1) / PTRS_PER_PUD_PAGES);
	for (const key of mm.pt.leaves.keys()) {
		const pud = Math.floor(key / PTRS_PER_PMD);
		if (pud >= lo && pud <= hi && (best < 0 || pud < best)) { best = pud; }
	}
	return best < 0 ? -1 : Math.max(start, best * PTRS_PER_PUD_PAGES);
}
