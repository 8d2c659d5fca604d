// fork (dup_mmap / copy_page_range / copy_nonpresent_pte) and exit (exit_mmap).
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import type { Mm } from './mm';
import type { Vma } from './vma';
import { PTE, PTRS_PER_PMD, type PtLeaf } from './pagetable';
import { get_page, page_add_anon_rmap, page_dup_rmap } from './page';
import { PG } from './frames';
import { mmu_notifier_invalidate_range_start, mmu_notifier_release } from './mmu_notifier';
import { zap_page_range_resched } from './mmap';
import { leafSpans } from './leaf_spans';
import { PAGE_SIZE } from './content';
import { swap_duplicate } from './swap';
import { alloc_pages_may_oom, fail_if_killed } from './oom_kill';
import { fail } from '../sim/errors';

export function* do_fork(k: Kernel, parent: Mm, name: string): K<Mm> {
	yield* k.enter('copy_process', { process: parent.name, addr: 0, npages: 0 });
	try {
		if (k.procs.has(name)) { fail('EINVAL', `process '${name}' already exists`); }
		// copy_present_page allocates for every pinned anon page (GFP_HIGHUSER_MOVABLE): reclaim
		// and the OOM killer make room first, before the child is on the task list (it is not a
		// candidate); the parent may be the one killed
		const need = yield* pinned_copies(k, parent);
		if (need > 0 && (yield* alloc_pages_may_oom(k, parent, () => need))) { fail_if_killed(parent); }
		const child = k.createChild(parent, name);
		child.oomScoreAdj = parent.oomScoreAdj;
		for (const v of parent.vmas.list) {
			child.vmas.list.push(v.clone());
			// copy_page_range: where a fault would fill the child's entries correctly, nothing is
			// copied and the parent's entries (and its devices' mirrors) are left alone
			if (!vma_needs_copy(k, parent, v)) { continue; }
			const cow = v.isCow;
			if (cow) {
				// copy_page_range write-protects the parent's private pages: devices must let go too
				yield* mmu_notifier_invalidate_range_start(k, { mm: parent, start: v.start, end: v.end, event: 'PROTECTION_PAGE' });
			}
			// copy_pmd_range calls cond_resched() between PMDs: a pause point every few leaves
			for (const [s, e] of leafSpans(parent.pt, v.start, v.end)) {
				yield* copy_range(k, parent, child, s, e, cow);
				yield* k.tick(s * PAGE_SIZE);
			}
		}
		return child;
	} finally {
		k.leave();
	}
}

/** The pages copy_present_page will allocate for a fork of mm: pinned anon pages (not zero pages,
 * swap or device-private entries) in the private VMAs that are copied. A pause point every few
 * leaves, as the copy itself has. */
function* pinned_copies(k: Kernel, mm: Mm): K<number> {
	const f = k.frames;
	let n = 0;
	for (const v of mm.vmas.list) {
		if (!v.isCow || !vma_needs_copy(k, mm, v)) { continue; }
		for (const [s, e] of leafSpans(mm.pt, v.start, v.end)) {
			for (const [base, l] of mm.pt.leavesIn(s, e)) {
				const lo = Math.max(s, base) - base, hi = Math.min(e, base + PTRS_PER_PMD) - base;
				for (let i = lo; i < hi; i++) {
					const t = l.pte[i] & PTE.TYPE_MASK;
					if (t === PTE.NONE || t === PTE.SWAP || t === PTE.DEVPRIV) { continue; }
					const pfn = l.pfn[i];
					if (f.pincount[pfn >> 12][pfn & 4095] > 0 && (f.flags[pfn >> 12][pfn & 4095] & PG.ANON) && !(f.flags[pfn >> 12][pfn & 4095] & PG.ZERO)) { n++; }
				}
			}
			yield* k.tick(s * PAGE_SIZE);
		}
	}
	return n;
}

/** vma_needs_copy: only a VMA with an anon_vma is copied (no VM_PFNMAP/VM_MIXEDMAP or uffd-wp
 * VMAs here). Shared anonymous and shared file VMAs never get one; a private one gets it with its
 * first anonymous page (a write fault, a COW, a migration into it) or its first huge-zero PMD, and
 * keeps it when those pages go (`anonVma`, set by zap_page_range). A VMA of 4K zero pages and
 * page-cache pages only has none. */
export function vma_needs_copy(k: Kernel, mm: Mm, v: Vma): boolean {
	if (v.anonVma) { return true; }
	if (v.shared) { return false; }
	// the first anonymous (or not plainly present) entry decides: stop there
	const f = k.frames;
	let anon = false;
	for (const [base, l] of mm.pt.leavesIn(v.start, v.end)) {
		const lo = Math.max(v.start, base) - base, hi = Math.min(v.end, base + PTRS_PER_PMD) - base;
		for (let i = lo; i < hi && !anon; i++) {
			const t = l.pte[i] & PTE.TYPE_MASK;
			if (t !== PTE.NONE && (t !== PTE.PRESENT || l.huge || (f.flags[(l.pfn[i]) >> 12][(l.pfn[i]) & 4095] & PG.ANON))) { anon = true; }
		}
		if (anon) { break; }
	}
	if (anon) { v.anonVma = true; }
	return anon;
}

function* copy_range(k: Kernel, src: Mm, dst: Mm, start: number, end: number, cow: boolean): K {
	if (!hasExclusive(src, start, end)) {
		copy_leaves(k, src, dst, start, end, cow);
	} else {
		yield* copy_entries(k, src, dst, start, end, cow);
	}
	// PMD mappings stay PMD mappings in both (copy_huge_pmd)
	for (let base = Math.floor(start / PTRS_PER_PMD) * PTRS_PER_PMD; base < end; base += PTRS_PER_PMD) {
		const l = src.pt.leaf(base);
		if (l?.huge) { const d = dst.pt.leafFor(base); d.huge = true; d.pud = l.pud; }
	}
}

/** The entry-by-entry copy, for a range holding device-exclusive entries: each is given back to
 * the CPU (a device notification, which may yield) before it is copied. */
function* copy_entries(k: Kernel, src: Mm, dst: Mm, start: number, end: number, cow: boolean): K {
	const entries: [number, number, number][] = [];
	src.pt.forEach(start, end, (vpn, pfn, pte) => { entries.push([vpn, pfn, pte]); });
	for (let [vpn, pfn, pte] of entries) {
		const type = pte & PTE.TYPE_MASK;
		if (type === PTE.EXCL) {
			// an exclusive entry is given back to the CPU before it is copied (try_restore_exclusive_pte)
			yield* mmu_notifier_invalidate_range_start(k, { mm: src, start: vpn, end: vpn + 1, event: 'EXCLUSIVE' });
			pte = PTE.PRESENT | (pte & (PTE.WRITE | PTE.DIRTY | PTE.YOUNG));
			src.pt.set(vpn, pfn, pte);
		}
		if (type === PTE.SWAP) {
			// copy_nonpresent_pte: the child's entry refers to the same slot (swap_duplicate)
			swap_duplicate(k, pfn);
			dst.pt.set(vpn, pfn, pte);
			continue;
		}
		const zero = k.frames.isZero(pfn);
		if (cow && !zero && (k.frames.flags[pfn >> 12][pfn & 4095] & PG.ANON) && k.frames.pincount[pfn >> 12][pfn & 4095] > 0 && type !== PTE.DEVPRIV) {
			// a pinned anon page cannot be shared COW: the child gets its own copy (copy_present_page)
			const copy = k.frames.allocRam(PG.ANON);
			k.frames.slot[copy >> 12][copy & 4095] = k.content.copy(k.frames.slot[pfn >> 12][pfn & 4095]);
			page_add_anon_rmap(k, copy, dst, vpn);
			dst.pt.set(vpn, copy, pte);
			continue;
		}
		if (cow) { pte &= ~PTE.WRITE; src.pt.setFlags(vpn, pte); }
		if (!zero) { get_page(k, pfn); page_dup_rmap(k, pfn); }
		dst.pt.set(vpn, pfn, pte);
	}
}

function hasExclusive(mm: Mm, start: number, end: number): boolean {
	for (const [base, l] of mm.pt.leavesIn(start, end)) {
		const lo = Math.max(start, base) - base, hi = Math.min(end, base + PTRS_PER_PMD) - base;
		for (let i = lo; i < hi; i++) { if ((l.pte[i] & PTE.TYPE_MASK) === PTE.EXCL) { return true; } }
	}
	return false;
}

/** copy_pte_range a whole leaf at a time: the same per-entry decisions as copy_entries (swap
 * entries duplicated, pinned anon pages copied, private pages write-protected in both and
 * referenced once more), written straight into the child's leaf, with no call per entry. */
function copy_leaves(k: Kernel, src: Mm, dst: Mm, start: number, end: number, cow: boolean): void {
	const f = k.frames;
	for (const [base, l] of src.pt.leavesIn(start, end)) {
		const lo = Math.max(start, base) - base, hi = Math.min(end, base + PTRS_PER_PMD) - base;
		let d: PtLeaf | undefined;
		for (let i = lo; i < hi; i++) {
			let pte = l.pte[i];
			const type = pte & PTE.TYPE_MASK;
			if (type === PTE.NONE) { continue; }
			let pfn = l.pfn[i];
			if (type === PTE.SWAP) {
				swap_duplicate(k, pfn);
			} else if (f.flags[pfn >> 12][pfn & 4095] & PG.ZERO) {
				if (cow) { pte &= ~PTE.WRITE; l.pte[i] = pte; }
			} else if (cow && (f.flags[pfn >> 12][pfn & 4095] & PG.ANON) && f.pincount[pfn >> 12][pfn & 4095] > 0 && type !== PTE.DEVPRIV) {
				// a pinned anon page cannot be shared COW: the child gets its own copy (copy_present_page)
				const copy = f.allocRam(PG.ANON);
				f.slot[copy >> 12][copy & 4095] = k.content.copy(f.slot[pfn >> 12][pfn & 4095]);
				page_add_anon_rmap(k, copy, dst, base + i);
				pfn = copy;
			} else {
				if (cow) { pte &= ~PTE.WRITE; l.pte[i] = pte; }
				f.refcount[pfn >> 12][pfn & 4095]++;
				f.mapcount[pfn >> 12][pfn & 4095]++;
			}
			// the child's leaf is new: every entry written here was empty
			d ??= dst.pt.leafFor(base);
			d.pte[i] = pte;
			d.pfn[i] = pfn;
			d.used++;
		}
	}
}

/** exit_mmap: mmu_notifier_release (RELEASE to every notifier, then their release ops), then
 * every mapping is torn down. */
export function* do_exit(k: Kernel, mm: Mm): K {
	yield* k.enter('exit_mmap', { process: mm.name, addr: 0, npages: 0 });
	try {
		yield* mmu_notifier_release(k, mm);
		for (const v of mm.vmas.list) { yield* zap_page_range_resched(k, mm, v.start, v.end); }
		mm.vmas.list.length = 0;
		mm.alive = false;
		mm.notifiers.length = 0;
		k.families.get(mm.family)?.delete(mm);
		k.procs.delete(mm.name);
	} finally {
		k.leave();
	}
}
