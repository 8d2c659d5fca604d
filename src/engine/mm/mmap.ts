// mmap, munmap, mprotect and madvise (mm/mmap.c, mm/mprotect.c, mm/madvise.c).
import type { Kernel } from '../kernel';
import { MMAP_TOP_VPN } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import { HPAGE_NR, PG } from './frames';
import type { Mm } from './mm';
import { PTE, PTRS_PER_PMD } from './pagetable';
import { page_add_anon_rmap, page_remove_rmap, put_page } from './page';
import { type Backing, PROT_MASK, VM, Vma } from './vma';
import type { SimFile } from './pagecache';
import { mmu_notifier_invalidate_range_start } from './mmu_notifier';
import { split_folio, split_huge_pmd, split_pmd_entries } from './thp';
import { PAGE_SIZE } from './content';
import { MAX_MAP_COUNT } from '../sim/budget';

export interface MmapRequest {
	npages: number;
	prot: number;
	backing: Backing;
	shared: boolean;
	file?: SimFile;
	/** file offset in pages */
	pgoff: number;
	huge?: 'huge' | 'nohuge';
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
	if (req.backing === 'anon' && req.shared) { file = k.createShmem(req.npages * PAGE_SIZE); }
	const align = req.huge === 'huge' || (req.backing === 'anon' && req.npages >= PTRS_PER_PMD) ? PTRS_PER_PMD : 1;
	if (mm.vmas.list.length >= MAX_MAP_COUNT) { fail('ENOMEM', `too many mappings (vm.max_map_count = ${MAX_MAP_COUNT})`); }
	const start = mm.vmas.unmappedArea(req.npages, MMAP_TOP_VPN, align);
	if (start < 0) { fail('ENOMEM', 'no room in the address space'); }
	let flags = req.prot | (req.shared ? VM.SHARED : 0);
	if (req.huge === 'huge') { flags |= VM.HUGEPAGE; }
	if (req.huge === 'nohuge') { flags |= VM.NOHUGEPAGE; }
	const backing: Backing = req.backing === 'file' && file?.dax ? 'dax' : req.backing;
	mm.vmas.insert(new Vma(start, start + req.npages, flags, backing, file, req.backing === 'anon' && !req.shared ? 0 : req.pgoff));
	if (backing === 'anon' && !req.shared) { mm.vmas.mergeAround(start, start + req.npages); }
	return start;
}

/** zap_page_range: drop every mapping in [start, end) of one VMA's pages. */
export function zap_page_range(k: Kernel, mm: Mm, start: number, end: number): void {
	splitPmdEntriesAt(k, mm, start, end);
	const folios = new Set<number>();
	mm.pt.forEach(start, end, (vpn, pfn, pte) => {
		const t = pte & PTE.TYPE_MASK;
		if (t === PTE.SWAP) { mm.pt.clear(vpn); return; }
		if (!k.frames.isZero(pfn)) {
			if (k.frames.isCompound(pfn)) { folios.add(k.frames.head[pfn]); }
			page_remove_rmap(k, pfn);
			put_page(k, pfn);
		}
		mm.pt.clear(vpn);
	});
	for (const head of folios) { if (k.frames.isCompound(head)) { split_folio(k, head); } }
}

/** A PMD mapping cut by [start, end) is split first, as __split_huge_pmd does (with its own
 * invalidation of the whole PMD, which reaches beyond the range). */
function* splitPmdsAt(k: Kernel, mm: Mm, start: number, end: number): K {
	for (const edge of [start, end]) {
		if ((edge & (PTRS_PER_PMD - 1)) !== 0 && mm.pt.isHuge(edge)) { yield* split_huge_pmd(k, mm, edge); }
	}
}

function splitPmdEntriesAt(k: Kernel, mm: Mm, start: number, end: number): void {
	for (const edge of [start, end]) {
		if ((edge & (PTRS_PER_PMD - 1)) !== 0 && mm.pt.isHuge(edge)) { split_pmd_entries(k, mm, edge); }
	}
}

function checkRange(start: number, end: number, what: string, mm?: Mm): void {
	if (end <= start) { fail('EINVAL', `${what} of an empty range`); }
	// splitting a VMA at both ends may add two mappings
	if (mm && mm.vmas.list.length + 2 > MAX_MAP_COUNT) { fail('ENOMEM', `too many mappings (vm.max_map_count = ${MAX_MAP_COUNT})`); }
}

export function* do_munmap(k: Kernel, mm: Mm, start: number, end: number): K {
	checkRange(start, end, 'munmap', mm);
	yield* splitPmdsAt(k, mm, start, end);
	yield* mmu_notifier_invalidate_range_start(k, { mm, start, end, event: 'UNMAP' });
	mm.vmas.splitAt(start);
	mm.vmas.splitAt(end);
	for (const v of mm.vmas.overlapping(start, end)) {
		zap_page_range(k, mm, v.start, v.end);
		mm.vmas.remove(v);
	}
}

/** The VMAs meeting [start, end), where the mapped run from `start` ends, and whether the range
 * has any unmapped page. */
function coverage(mm: Mm, start: number, end: number): { vmas: Vma[]; runEnd: number; hole: boolean } {
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

/** mprotect changes the mapped run that starts at `start` and, if a hole follows, fails with
 * ENOMEM after that (do_mprotect_pkey stops at the first gap). */
export function* do_mprotect(k: Kernel, mm: Mm, start: number, end: number, prot: number): K {
	checkRange(start, end, 'mprotect', mm);
	const { runEnd } = coverage(mm, start, end);
	if (!mm.vmas.find(start) || runEnd <= start) { fail('ENOMEM', 'mprotect of an unmapped address'); }
	yield* protect(k, mm, start, runEnd, prot);
	if (runEnd < end) { fail('ENOMEM', `range includes unmapped pages from 0x${(runEnd * PAGE_SIZE).toString(16)}`); }
}

function* protect(k: Kernel, mm: Mm, start: number, end: number, prot: number): K {
	yield* mmu_notifier_invalidate_range_start(k, { mm, start, end, event: 'PROTECTION_VMA' });
	mm.vmas.splitAt(start);
	mm.vmas.splitAt(end);
	for (const v of mm.vmas.overlapping(start, end)) {
		v.flags = (v.flags & ~PROT_MASK) | prot;
		// change_pte_range: without VM_WRITE no entry may stay writable, device-private ones included
		if (!(prot & VM.WRITE)) {
			mm.pt.forEach(v.start, v.end, (vpn, _pfn, pte) => { mm.pt.setFlags(vpn, pte & ~PTE.WRITE); });
		} else if (v.shared) {
			// shared mappings may write in place again; private ones keep COW write-protection
			mm.pt.forEach(v.start, v.end, (vpn, pfn, pte) => {
				if ((pte & PTE.TYPE_MASK) === PTE.PRESENT && !k.frames.isZero(pfn)) { mm.pt.setFlags(vpn, pte | PTE.WRITE); }
			});
		}
	}
	mm.vmas.mergeAround(start, end);
}

export type Advice = 'dontneed' | 'free' | 'hugepage' | 'nohugepage' | 'collapse';

export function* do_madvise(k: Kernel, mm: Mm, start: number, end: number, advice: Advice): K {
	checkRange(start, end, 'madvise', mm);
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
			for (const v of vmas) { zap_page_range(k, mm, Math.max(start, v.start), Math.min(end, v.end)); }
			return;
		case 'free':
			// MADV_FREE: only private anonymous pages; they become clean and lazily freeable, and a
			// later write cancels that
			yield* mmu_notifier_invalidate_range_start(k, { mm, start, end, event: 'CLEAR' });
			for (const v of vmas) {
				if (!v.isAnonPrivate) { fail('EINVAL', 'MADV_FREE applies to private anonymous memory only'); }
				mm.pt.forEach(Math.max(start, v.start), Math.min(end, v.end), (vpn, pfn, pte) => {
					if ((pte & PTE.TYPE_MASK) !== PTE.PRESENT || k.frames.isZero(pfn)) { return; }
					if (k.frames.mapcount[pfn] === 1) { k.frames.flags[pfn] = (k.frames.flags[pfn] | PG.LAZYFREE) & ~PG.DIRTY; }
					mm.pt.setFlags(vpn, pte & ~(PTE.DIRTY | PTE.YOUNG));
				});
			}
			return;
		case 'hugepage':
		case 'nohugepage':
			mm.vmas.splitAt(start);
			mm.vmas.splitAt(end);
			for (const v of mm.vmas.overlapping(start, end)) {
				v.flags = advice === 'hugepage' ? (v.flags | VM.HUGEPAGE) & ~VM.NOHUGEPAGE : (v.flags | VM.NOHUGEPAGE) & ~VM.HUGEPAGE;
			}
			mm.vmas.mergeAround(start, end);
			return;
		case 'collapse':
			// hugepage_vma_check: MADV_NOHUGEPAGE memory refuses collapse
			if (vmas.some(v => v.flags & VM.NOHUGEPAGE)) { fail('EINVAL', 'MADV_COLLAPSE in MADV_NOHUGEPAGE memory'); }
			for (const v of vmas) { yield* collapse_range(k, mm, v, Math.max(start, v.start), Math.min(end, v.end)); }
			return;
	}
}

/** MADV_COLLAPSE: every fully covered, aligned 2 MiB block of private anon memory becomes one THP
 * (independent of the thp= setting, as in Linux). */
function* collapse_range(k: Kernel, mm: Mm, v: Vma, start: number, end: number): K {
	if (!v.isAnonPrivate) { return; }
	for (let base = Math.ceil(start / PTRS_PER_PMD) * PTRS_PER_PMD; base + PTRS_PER_PMD <= end; base += PTRS_PER_PMD) {
		const leaf = mm.pt.leaf(base);
		if (leaf?.huge && !k.frames.isZero(leaf.pfn[0])) { continue; }
		let ok = true;
		mm.pt.forEach(base, base + PTRS_PER_PMD, (_vpn, pfn, pte) => {
			if ((pte & PTE.TYPE_MASK) !== PTE.PRESENT || (!k.frames.isZero(pfn) && k.frames.mapcount[pfn] !== 1)) { ok = false; }
		});
		if (!ok) { continue; }
		const head = k.frames.allocRamHuge(PG.ANON);
		if (head < 0) { fail('ENOMEM', 'no memory to collapse into a huge page'); }
		yield* mmu_notifier_invalidate_range_start(k, { mm, start: base, end: base + PTRS_PER_PMD, event: 'CLEAR' });
		const l = mm.pt.leafFor(base);
		for (let i = 0; i < HPAGE_NR; i++) {
			const old = l.pfn[i];
			const t = l.pte[i] & PTE.TYPE_MASK;
			if (t === PTE.PRESENT && !k.frames.isZero(old)) {
				k.frames.slot[head + i] = k.frames.slot[old];
				k.frames.slot[old] = -1;
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
}
