// hugetlbfs mappings (mm/hugetlb.c): memory in whole huge pages of one size, 2 MiB (mapped by a
// PMD) or 1 GiB (mapped by a PUD), faulted in whole and never split. A 1 GiB page is held as 512
// PMD-sized frame runs internally; its page-table leaves are all marked as one PUD mapping.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import type { Mm } from './mm';
import { VM, type Vma } from './vma';
import { HPAGE_NR, PG } from './frames';
import { PTE, PTRS_PER_PMD } from './pagetable';
import { get_page, page_add_anon_rmap, page_dup_rmap, page_remove_rmap, put_page } from './page';
import { mmu_notifier_invalidate_range_start } from './mmu_notifier';
import { PAGE_SIZE } from './content';

/** hstate sizes in base pages: 2 MiB and 1 GiB */
export const HPAGE_PMD_NR = PTRS_PER_PMD;
export const HPAGE_PUD_NR = PTRS_PER_PMD * PTRS_PER_PMD;

/** is_vm_hugetlb_page */
export function is_vm_hugetlb_page(vma: Vma): boolean {
	return (vma.flags & VM.HUGETLB) !== 0;
}

/** The hstate of a huge page size in bytes (MAP_HUGETLB | MAP_HUGE_2MB / MAP_HUGE_1GB), or EINVAL. */
export function hstate_pages(bytes: number): number {
	if (bytes === HPAGE_PMD_NR * PAGE_SIZE) { return HPAGE_PMD_NR; }
	if (bytes === HPAGE_PUD_NR * PAGE_SIZE) { return HPAGE_PUD_NR; }
	return fail('EINVAL', `no hugetlb page size of ${bytes} bytes (2 MiB and 1 GiB exist)`);
}

/** A range edge inside a hugetlb page: splitting the VMA there is refused (hugetlb_vm_op_split). */
export function hugetlb_check_range(mm: Mm, start: number, end: number, what: string): void {
	for (const v of mm.vmas.overlapping(start, end)) {
		if (!is_vm_hugetlb_page(v)) { continue; }
		for (const edge of [start, end]) {
			if (edge > v.start && edge < v.end && edge % v.hpageNr !== 0) {
				fail('EINVAL', `${what} would split a ${v.hpageNr * 4} KiB hugetlb page at 0x${(edge * PAGE_SIZE).toString(16)}`);
			}
		}
	}
}

function setLeaves(mm: Mm, base: number, nr: number): void {
	for (let v = base; v < base + nr; v += PTRS_PER_PMD) {
		const l = mm.pt.leafFor(v);
		l.huge = true;
		l.pud = nr > PTRS_PER_PMD;
	}
}

/** alloc_hugetlb_folio: the huge page's frames, zeroed, in PMD-sized runs. */
function alloc_hugetlb_folio(k: Kernel, nr: number, flags: number): number[] {
	const heads: number[] = [];
	for (let i = 0; i < nr; i += HPAGE_NR) {
		const head = k.frames.allocRamHuge(flags | PG.HUGETLB);
		if (head < 0) {
			for (const h of heads) { for (let j = 0; j < HPAGE_NR; j++) { put_page(k, h + j); } }
			fail('SIGBUS', `no free memory for a ${nr * 4} KiB hugetlb page`);
		}
		heads.push(head);
	}
	k.advance(k.costs.hostCopyNs(PAGE_SIZE * nr));
	return heads;
}

/** hugetlb_no_page: a private mapping gets a new anonymous huge page (writable after a write
 * fault, read-only after a read); a shared one maps the hugetlbfs file's page, allocating it on
 * first use. */
function* hugetlb_no_page(k: Kernel, mm: Mm, vma: Vma, base: number, write: boolean): K {
	const nr = vma.hpageNr;
	if (vma.shared) {
		const file = vma.file!;
		const index = vma.fileIndex(base);
		if ((file.pages.pte(index) & PTE.TYPE_MASK) !== PTE.PRESENT) {
			const heads = alloc_hugetlb_folio(k, nr, PG.FILE | PG.SWAPBACKED);
			for (let i = 0; i < nr; i++) {
				const pfn = heads[i >> 9] + (i & (HPAGE_NR - 1));
				k.frames.mapping[pfn >> 12][pfn & 4095] = file.id;
				k.frames.index[pfn >> 12][pfn & 4095] = index + i;
				file.pages.set(index + i, pfn, PTE.PRESENT);
			}
		}
		const w = vma.writable ? PTE.WRITE | (write ? PTE.DIRTY : 0) : 0;
		for (let i = 0; i < nr; i++) {
			const pfn = file.pages.pfn(index + i);
			get_page(k, pfn);
			page_dup_rmap(k, pfn);
			mm.pt.set(base + i, pfn, PTE.PRESENT | PTE.YOUNG | w);
		}
	} else {
		const heads = alloc_hugetlb_folio(k, nr, PG.ANON);
		for (let i = 0; i < nr; i++) {
			const pfn = heads[i >> 9] + (i & (HPAGE_NR - 1));
			page_add_anon_rmap(k, pfn, mm, base + i);
			mm.pt.set(base + i, pfn, PTE.PRESENT | PTE.YOUNG | (write ? PTE.WRITE | PTE.DIRTY : 0));
		}
	}
	setLeaves(mm, base, nr);
}

/** hugetlb_wp: a write to a read-only private huge page reuses it when this mapping is its only
 * one, else copies the whole huge page. With `unshare` (FAULT_FLAG_UNSHARE, a read-only GUP pin)
 * nothing is written: an exclusive page stays as it is, a shared one is copied read-only. */
export function* hugetlb_wp(k: Kernel, mm: Mm, vma: Vma, vpn: number, unshare = false): K {
	const base = vpn - (vpn % vma.hpageNr);
	const nr = vma.hpageNr;
	const f = k.frames;
	let exclusive = (f.flags[(mm.pt.pfn(base)) >> 12][(mm.pt.pfn(base)) & 4095] & PG.ANON) !== 0;
	for (let i = 0; exclusive && i < nr; i++) { if (f.mapcount[(mm.pt.pfn(base + i)) >> 12][(mm.pt.pfn(base + i)) & 4095] > 1) { exclusive = false; } }
	if (vma.shared || exclusive) {
		if (unshare) { return; }
		for (let i = 0; i < nr; i++) { mm.pt.setFlags(base + i, mm.pt.pte(base + i) | PTE.WRITE | PTE.DIRTY | PTE.YOUNG); }
		return;
	}
	yield* mmu_notifier_invalidate_range_start(k, { mm, start: base, end: base + nr, event: 'CLEAR' });
	const heads = alloc_hugetlb_folio(k, nr, PG.ANON);
	for (let i = 0; i < nr; i++) {
		const old = mm.pt.pfn(base + i);
		const pfn = heads[i >> 9] + (i & (HPAGE_NR - 1));
		f.slot[pfn >> 12][pfn & 4095] = k.content.copy(f.slot[old >> 12][old & 4095]);
		page_add_anon_rmap(k, pfn, mm, base + i);
		mm.pt.set(base + i, pfn, PTE.PRESENT | PTE.YOUNG | (unshare ? 0 : PTE.WRITE | PTE.DIRTY));
		page_remove_rmap(k, old);
		put_page(k, old);
	}
	setLeaves(mm, base, nr);
}

/** hugetlb_fault: the whole huge page around vpn is faulted at once. The caller checked the
 * VMA's permissions. */
export function* hugetlb_fault(k: Kernel, mm: Mm, vma: Vma, vpn: number, write: boolean): K {
	const base = vpn - (vpn % vma.hpageNr);
	const pte = mm.pt.pte(vpn);
	if ((pte & PTE.TYPE_MASK) === PTE.NONE) {
		yield* hugetlb_no_page(k, mm, vma, base, write);
		return;
	}
	if (write && !(pte & PTE.WRITE)) { yield* hugetlb_wp(k, mm, vma, base); return; }
	mm.pt.setFlags(vpn, pte | PTE.YOUNG | (write ? PTE.DIRTY : 0));
}
