// mmap, munmap and madvise (mm/mmap.c, mm/madvise.c); mprotect is in mprotect.ts.
import type { Kernel } from '../kernel';
import { MMAP_TOP_VPN } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import { HPAGE_NR, PG } from './frames';
import type { Mm } from './mm';
import { PTE, PTRS_PER_PMD } from './pagetable';
import { page_add_anon_rmap, page_remove_rmap, put_page } from './page';
import { type Backing, VM, Vma } from './vma';
import type { SimFile } from './pagecache';
import { mmu_notifier_invalidate_range_start } from './mmu_notifier';
import { split_folio, split_huge_pmd, split_huge_pmd_if_needed, split_pmd_entries } from './thp';
import { PAGE_SIZE } from './content';
import { hugetlb_check_range } from './hugetlb';
import { MAX_MAP_COUNT } from '../sim/budget';
import { swap_free } from './swap';
import { madvise_cold_or_pageout } from './vmscan';
import { leafSpans } from './leaf_spans';

export interface MmapRequest {
	npages: number;
	prot: number;
	backing: Backing;
	shared: boolean;
	file?: SimFile;
	/** file offset in pages */
	pgoff: number;
	huge?: 'huge' | 'nohuge';
	/** MAP_HUGETLB: base pages per huge page (HPAGE_PMD_NR or HPAGE_PUD_NR) */
	hugetlb?: number;
}

export function do_mmap(k: Kernel, mm: Mm, req: MmapRequest): number {
	if (req.npages <= 0) { fail('EINVAL', 'mmap of zero length'); }
	if (req.backing === 'dax' && !req.shared) { fail('EINVAL', 'DAX mappings must be shared'); }
	let file = req.file;
	if (req.backing === 'dax') {
		if (file!.pages.leaves.size > 0 && !file!.dax) { fail('EINVAL', `file '${file!.name}' already has page-cache pages; it cannot also be mapped DAX`); }
		file!.dax = true;
	} else if (req.backing === 'file' && file!.dax) {
		// a file on a DAX filesystem is always mapped DAX, whatever the mapping says
	}
	const hnr = req.hugetlb ?? 1;
	// hugetlb_file_setup: whole huge pages, at an address aligned to them
	if (hnr > 1 && (req.backing !== 'anon' || req.npages % hnr !== 0)) { fail('EINVAL', 'MAP_HUGETLB needs anonymous memory in whole huge pages'); }
	if (req.backing === 'anon' && req.shared) { file = k.createShmem(req.npages * PAGE_SIZE); }
	const align = hnr > 1 ? hnr : req.huge === 'huge' || (req.backing === 'anon' && req.npages >= PTRS_PER_PMD) ? PTRS_PER_PMD : 1;
	if (mm.vmas.list.length >= MAX_MAP_COUNT) { fail('ENOMEM', `too many mappings (vm.max_map_count = ${MAX_MAP_COUNT})`); }
	const start = mm.vmas.unmappedArea(req.npages, MMAP_TOP_VPN, align);
	if (start < 0) { fail('ENOMEM', 'no room in the address space'); }
	let flags = req.prot | (req.shared ? VM.SHARED : 0);
	if (req.huge === 'huge') { flags |= VM.HUGEPAGE; }
	if (req.huge === 'nohuge') { flags |= VM.NOHUGEPAGE; }
	if (hnr > 1) { flags |= VM.HUGETLB; }
	const backing: Backing = req.backing === 'file' && file?.dax ? 'dax' : req.backing;
	mm.vmas.insert(new Vma(start, start + req.npages, flags, backing, file, req.backing === 'anon' && !req.shared ? 0 : req.pgoff, hnr));
	if (backing === 'anon' && !req.shared) { mm.vmas.mergeAround(start, start + req.npages); }
	return start;
}

/** zap_page_range: drop every mapping in [start, end) of one VMA's pages. */
export function zap_page_range(k: Kernel, mm: Mm, start: number, end: number): void {
	splitPmdEntriesAt(k, mm, start, end);
	// the VMA's anon_vma outlives the anonymous pages dropped here (vma_needs_copy still copies)
	const v = mm.vmas.find(start);
	if (v && !v.anonVma && !v.shared) { v.anonVma = vma_has_anon(k, mm, start, end); }
	const folios = new Set<number>();
	zap_ptes(k, mm, start, end, folios);
	zap_end(k, folios);
}

/** zap_page_range for the long paths (munmap, MADV_DONTNEED, exit_mmap): the same work, with a
 * pause point between groups of leaves where zap_pmd_range calls cond_resched(). Whether the VMA
 * held anonymous pages is learnt span by span before each is zapped (no walk of the whole range
 * first), and large folios are still split once, after the last entry, as in one call. */
export function* zap_page_range_resched(k: Kernel, mm: Mm, start: number, end: number): K {
	splitPmdEntriesAt(k, mm, start, end);
	const v = mm.vmas.find(start);
	let anon = v === undefined || v.anonVma || v.shared;
	const folios = new Set<number>();
	for (const [s, e] of leafSpans(mm.pt, start, end)) {
		if (!anon) { anon = vma_has_anon(k, mm, s, e); }
		zap_ptes(k, mm, s, e, folios);
		yield* k.tick(s * PAGE_SIZE);
	}
	if (v && !v.anonVma && !v.shared) { v.anonVma = anon; }
	zap_end(k, folios);
}

function zap_ptes(k: Kernel, mm: Mm, start: number, end: number, folios: Set<number>): void {
	mm.pt.forEach(start, end, (vpn, pfn, pte) => {
		const t = pte & PTE.TYPE_MASK;
		// free_swap_and_cache: the entry's hold on its swap slot goes with it
		if (t === PTE.SWAP) { swap_free(k, pfn); mm.pt.clear(vpn); return; }
		if (!k.frames.isZero(pfn)) {
			// a hugetlb folio is never split, only freed whole
			if (k.frames.isCompound(pfn) && !(k.frames.flags[pfn >> 12][pfn & 4095] & PG.HUGETLB)) { folios.add(k.frames.head[pfn >> 12][pfn & 4095]); }
			page_remove_rmap(k, pfn);
			put_page(k, pfn);
		}
		mm.pt.clear(vpn);
	});
}

function zap_end(k: Kernel, folios: Set<number>): void {
	for (const head of folios) { if (k.frames.isCompound(head)) { split_folio(k, head); } }
}

function vma_has_anon(k: Kernel, mm: Mm, start: number, end: number): boolean {
	let anon = false;
	mm.pt.forEach(start, end, (_vpn, pfn, pte, leaf) => {
		if ((pte & PTE.TYPE_MASK) !== PTE.PRESENT || leaf.huge || (k.frames.flags[pfn >> 12][pfn & 4095] & PG.ANON)) { anon = true; }
	});
	return anon;
}

/** A PMD mapping cut by [start, end) is split first, as __split_huge_pmd does (with its own
 * invalidation of the whole PMD, which reaches beyond the range). */
function* splitPmdsAt(k: Kernel, mm: Mm, start: number, end: number): K {
	for (const edge of [start, end]) { yield* split_huge_pmd_if_needed(k, mm, edge); }
}

function splitPmdEntriesAt(k: Kernel, mm: Mm, start: number, end: number): void {
	for (const edge of [start, end]) {
		if ((edge & (PTRS_PER_PMD - 1)) !== 0 && mm.pt.isHuge(edge)) { split_pmd_entries(k, mm, edge); }
	}
}

export function checkRange(start: number, end: number, what: string, mm?: Mm): void {
	if (end <= start) { fail('EINVAL', `${what} of an empty range`); }
	// splitting a VMA at both ends may add two mappings
	if (mm && mm.vmas.list.length + 2 > MAX_MAP_COUNT) { fail('ENOMEM', `too many mappings (vm.max_map_count = ${MAX_MAP_COUNT})`); }
}

export function* do_munmap(k: Kernel, mm: Mm, start: number, end: number): K {
	checkRange(start, end, 'munmap', mm);
	// do_vmi_munmap: no VMA in the range, nothing to do (no notifier call either)
	if (mm.vmas.overlapping(start, end).length === 0) { return; }
	hugetlb_check_range(mm, start, end, 'munmap');
	yield* splitPmdsAt(k, mm, start, end);
	yield* mmu_notifier_invalidate_range_start(k, { mm, start, end, event: 'UNMAP' });
	mm.vmas.splitAt(start);
	mm.vmas.splitAt(end);
	for (const v of mm.vmas.overlapping(start, end)) {
		yield* zap_page_range_resched(k, mm, v.start, v.end);
		mm.vmas.remove(v);
	}
}

/** The VMAs meeting [start, end), where the mapped run from `start` ends, and whether the range
 * has any unmapped page. */
export function coverage(mm: Mm, start: number, end: number): { vmas: Vma[]; runEnd: number; hole: boolean } {
	const vmas = mm.vmas.overlapping(start, end);
	let at = start;
	let runEnd = -1;
	for (const v of vmas) {
		if (v.start > at && runEnd < 0) { runEnd = at; }
		at = v.end;
	}
	if (runEnd < 0) { runEnd = Math.min(at, end); }
	const mapped = vmas.reduce((n, v) => n + Math.min(end, v.end) - Math.max(start, v.start), 0);
	return { vmas, runEnd: Math.min(runEnd, end), hole: mapped < end - start };
}

export type Advice = 'dontneed' | 'free' | 'hugepage' | 'nohugepage' | 'collapse' | 'cold' | 'pageout';

export function* do_madvise(k: Kernel, mm: Mm, start: number, end: number, advice: Advice): K {
	checkRange(start, end, 'madvise', mm);
	hugetlb_check_range(mm, start, end, 'madvise');
	// madvise_walk_vmas: unmapped parts are skipped, the advice applies to the rest, and the
	// call still returns ENOMEM at the end
	const { vmas, hole } = coverage(mm, start, end);
	if (vmas.length === 0) { fail('ENOMEM', 'madvise of an unmapped range'); }
	yield* advise(k, mm, start, end, advice, vmas);
	if (hole) { fail('ENOMEM', 'range includes unmapped pages (the mapped parts were advised)'); }
}

function* advise(k: Kernel, mm: Mm, start: number, end: number, advice: Advice, vmas: Vma[]): K {
	switch (advice) {
		case 'dontneed':
			yield* splitPmdsAt(k, mm, start, end);
			yield* mmu_notifier_invalidate_range_start(k, { mm, start, end, event: 'CLEAR' });
			for (const v of vmas) { yield* zap_page_range_resched(k, mm, Math.max(start, v.start), Math.min(end, v.end)); }
			return;
		case 'free':
			// madvise_free_single_vma, VMA by VMA: a VMA that is not private anon fails with EINVAL
			// before its range is invalidated (the VMAs before it were advised already)
			for (const v of vmas) {
				if (!v.isAnonPrivate) { fail('EINVAL', 'MADV_FREE applies to private anonymous memory only'); }
				yield* madvise_free_vma(k, mm, Math.max(start, v.start), Math.min(end, v.end));
			}
			return;
		case 'hugepage':
		case 'nohugepage':
			// madvise_update_vma: a VMA whose flags would not change is not touched; otherwise the
			// split of the VMA (vma_adjust_trans_huge) splits a THP its new edge cuts
			for (const v of [...vmas]) {
				const flags = advice === 'hugepage' ? (v.flags | VM.HUGEPAGE) & ~VM.NOHUGEPAGE : (v.flags | VM.NOHUGEPAGE) & ~VM.HUGEPAGE;
				if (flags === v.flags) { continue; }
				const s = Math.max(start, v.start), e = Math.min(end, v.end);
				if (s > v.start) { yield* split_huge_pmd_if_needed(k, mm, s); }
				if (e < v.end) { yield* split_huge_pmd_if_needed(k, mm, e); }
				mm.vmas.splitAt(s);
				mm.vmas.splitAt(e);
				mm.vmas.find(s)!.flags = flags;
			}
			mm.vmas.mergeAround(start, end);
			return;
		case 'cold':
		case 'pageout':
			for (const v of vmas) { yield* madvise_cold_or_pageout(k, mm, Math.max(start, v.start), Math.min(end, v.end), advice === 'pageout'); }
			return;
		case 'collapse':
			// hugepage_vma_check: MADV_NOHUGEPAGE memory refuses collapse
			if (vmas.some(v => v.flags & VM.NOHUGEPAGE)) { fail('EINVAL', 'MADV_COLLAPSE in MADV_NOHUGEPAGE memory'); }
			for (const v of vmas) { yield* collapse_range(k, mm, v, Math.max(start, v.start), Math.min(end, v.end)); }
			return;
	}
}

/** madvise_free_single_vma: CLEAR over the VMA's part of the range, then madvise_free_pte_range.
 * A THP the range covers only in part is split first (madvise_free_huge_pmd -> split_huge_page,
 * whose unmap splits the PMD with a CLEAR of the whole 2 MiB), unless it is the huge zero page,
 * mapped more than once, or a device-private PMD (not present: left alone). Pages become clean
 * and lazily freeable; shared pages and non-present entries are skipped. */
function* madvise_free_vma(k: Kernel, mm: Mm, start: number, end: number): K {
	yield* mmu_notifier_invalidate_range_start(k, { mm, start, end, event: 'CLEAR' });
	for (const edge of [start, end]) {
		const base = edge - (edge & (PTRS_PER_PMD - 1));
		if (base === edge || !mm.pt.isHuge(edge)) { continue; }
		const head = mm.pt.pfn(base);
		if ((mm.pt.pte(base) & PTE.TYPE_MASK) !== PTE.PRESENT || k.frames.isZero(head) || !exclusiveFolio(k, head)) { continue; }
		yield* split_huge_pmd(k, mm, edge);
		split_folio(k, head);
	}
	mm.pt.forEach(start, end, (vpn, pfn, pte) => {
		// madvise_free_pte_range: a swapped-out page is simply dropped
		if ((pte & PTE.TYPE_MASK) === PTE.SWAP) { swap_free(k, pfn); mm.pt.clear(vpn); return; }
		if ((pte & PTE.TYPE_MASK) !== PTE.PRESENT || k.frames.isZero(pfn)) { return; }
		if (k.frames.mapcount[pfn >> 12][pfn & 4095] === 1) { k.frames.flags[pfn >> 12][pfn & 4095] = (k.frames.flags[pfn >> 12][pfn & 4095] | PG.LAZYFREE) & ~PG.DIRTY; }
		mm.pt.setFlags(vpn, pte & ~(PTE.DIRTY | PTE.YOUNG));
	});
}

function exclusiveFolio(k: Kernel, head: number): boolean {
	for (let i = 0; i < HPAGE_NR; i++) { if (k.frames.mapcount[(head + i) >> 12][(head + i) & 4095] !== 1) { return false; } }
	return true;
}

/** MADV_COLLAPSE (madvise_collapse): every fully covered, aligned 2 MiB block of private anon
 * memory becomes one THP (independent of the thp= setting, as in Linux). A block holding a page
 * with a reference its mappings do not explain (a GUP pin: is_refcount_suitable fails,
 * SCAN_PAGE_COUNT) is left alone and the walk goes on to the next block; the call then ends with
 * EAGAIN (madvise_collapse_errno: "trying again might succeed", once the pin is gone). */
function* collapse_range(k: Kernel, mm: Mm, v: Vma, start: number, end: number): K {
	if (!v.isAnonPrivate) { return; }
	let pageCount = 0;
	for (let base = Math.ceil(start / PTRS_PER_PMD) * PTRS_PER_PMD; base + PTRS_PER_PMD <= end; base += PTRS_PER_PMD) {
		const leaf = mm.pt.leaf(base);
		if (leaf?.huge && !k.frames.isZero(leaf.pfn[0])) { continue; }
		let ok = true;
		let pinned = false;
		mm.pt.forEach(base, base + PTRS_PER_PMD, (_vpn, pfn, pte) => {
			// swapped-out pages are not read back here, and swap-cache pages keep their slot's bytes
			if ((pte & PTE.TYPE_MASK) !== PTE.PRESENT || (!k.frames.isZero(pfn) && (k.frames.mapcount[pfn >> 12][pfn & 4095] !== 1 || k.frames.swap[pfn >> 12][pfn & 4095] >= 0))) { ok = false; }
			if ((pte & PTE.TYPE_MASK) === PTE.PRESENT && !refcount_suitable(k, pfn)) { pinned = true; }
		});
		if (pinned) { pageCount++; continue; }
		if (!ok) { continue; }
		const head = k.frames.allocRamHuge(PG.ANON);
		if (head < 0) { fail('ENOMEM', 'no memory to collapse into a huge page'); }
		yield* mmu_notifier_invalidate_range_start(k, { mm, start: base, end: base + PTRS_PER_PMD, event: 'CLEAR' });
		const l = mm.pt.leafFor(base);
		for (let i = 0; i < HPAGE_NR; i++) {
			const old = l.pfn[i];
			const t = l.pte[i] & PTE.TYPE_MASK;
			if (t === PTE.PRESENT && !k.frames.isZero(old)) {
				k.frames.slot[(head + i) >> 12][(head + i) & 4095] = k.frames.slot[old >> 12][old & 4095];
				k.frames.slot[old >> 12][old & 4095] = -1;
				page_remove_rmap(k, old);
				put_page(k, old);
			}
			page_add_anon_rmap(k, head + i, mm, base + i);
			l.pfn[i] = head + i;
			l.pte[i] = PTE.PRESENT | PTE.WRITE | PTE.DIRTY | PTE.YOUNG;
		}
		l.used = HPAGE_NR;
		l.huge = true;
	}
	if (pageCount > 0) { fail('EAGAIN', `MADV_COLLAPSE: ${pageCount} block${pageCount === 1 ? '' : 's'} left as they are: a page has a reference its mappings do not explain (a pin; SCAN_PAGE_COUNT)`); }
}

/** is_refcount_suitable: an anon page's references are its mappings plus the swap cache's. */
function refcount_suitable(k: Kernel, pfn: number): boolean {
	const f = k.frames;
	if (f.isZero(pfn)) { return true; }
	return f.refcount[pfn >> 12][pfn & 4095] === f.mapcount[pfn >> 12][pfn & 4095] + (f.swap[pfn >> 12][pfn & 4095] >= 0 ? 1 : 0);
}
