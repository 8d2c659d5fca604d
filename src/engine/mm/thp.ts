// Transparent huge pages: splitting a PMD mapping into PTEs, and a folio into base pages.
import type { Kernel } from '../kernel';
import { HPAGE_NR, ZERO_PFN } from './frames';
import type { Mm } from './mm';
import { PTE, PTRS_PER_PMD } from './pagetable';
import { put_page } from './page';
import type { K } from '../sim/events';
import { mmu_notifier_invalidate_range_start } from './mmu_notifier';

/** __split_huge_pmd: devices lose the whole PMD range (MMU_NOTIFY_CLEAR), then the THP stays one
 * folio but is mapped by 512 PTEs, and the huge zero page becomes 512 mappings of the 4K one. */
export function* split_huge_pmd(k: Kernel, mm: Mm, vpn: number): K {
	if (!mm.pt.isHuge(vpn)) { return; }
	const base = vpn - (vpn & (PTRS_PER_PMD - 1));
	yield* mmu_notifier_invalidate_range_start(k, { mm, start: base, end: base + PTRS_PER_PMD, event: 'CLEAR' });
	split_pmd_entries(k, mm, vpn);
}

/** split_huge_pmd_if_needed (vma_adjust_trans_huge): a VMA edge at vpn that falls inside a PMD
 * mapping splits it, RAM THP or device-private PMD alike. */
export function* split_huge_pmd_if_needed(k: Kernel, mm: Mm, vpn: number): K {
	if ((vpn & (PTRS_PER_PMD - 1)) !== 0 && mm.pt.isHuge(vpn)) { yield* split_huge_pmd(k, mm, vpn); }
}

/** The page-table half of a PMD split, for callers that already invalidated the range. */
export function split_pmd_entries(k: Kernel, mm: Mm, vpn: number): void {
	const leaf = mm.pt.leaf(vpn);
	if (!leaf || !leaf.huge) { return; }
	leaf.huge = false;
	for (let i = 0; i < PTRS_PER_PMD; i++) {
		if ((leaf.pte[i] & PTE.TYPE_MASK) === PTE.PRESENT && k.frames.isZero(leaf.pfn[i])) { leaf.pfn[i] = ZERO_PFN; }
	}
}

/** split_folio: the folio's pages become independent; pages nobody references any more are freed
 * at once (the kernel's deferred split would do so under memory pressure). */
export function split_folio(k: Kernel, head: number): void {
	const f = k.frames;
	if (!f.isCompound(head) || f.isZero(head)) { return; }
	head = f.head[head >> 12][head & 4095];
	let live = false;
	for (let i = 0; i < HPAGE_NR; i++) { if (f.refcount[(head + i) >> 12][(head + i) & 4095] > 0) { live = true; } }
	if (!live) { return; }
	f.split(head);
	for (let i = 0; i < HPAGE_NR; i++) {
		if (f.refcount[(head + i) >> 12][(head + i) & 4095] === 0) {
			f.refcount[(head + i) >> 12][(head + i) & 4095] = 1;
			put_page(k, head + i);
		}
	}
}
