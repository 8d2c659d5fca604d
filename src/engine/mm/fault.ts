// The CPU fault path (mm/memory.c): handle_mm_fault and the handlers it dispatches to.
import { folio_lock_held, folio_unlock, migration_entry_wait } from '../sim/sched';
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import { fail, RamExhausted } from '../sim/errors';
import { HPAGE_NR, HUGE_ZERO_PFN, PG, ZERO_PFN } from './frames';
import { PTE, PTRS_PER_PMD } from './pagetable';
import type { Mm } from './mm';
import { VM, type Vma } from './vma';
import { device_pin_fault } from './device_pin';
import { get_page, page_add_anon_rmap, page_dup_rmap, page_remove_rmap, put_page } from './page';
import { filemap_get_page } from './pagecache';
import { filemap_device_folio_to_ram } from './file_migration';
import { do_fault_around } from './filemap';
import { mmu_notifier_invalidate_range_start } from './mmu_notifier';
import { page_pgmap } from './memremap';
import { split_folio, split_huge_pmd } from './thp';
import { PAGE_SIZE } from './content';
import { do_swap_page } from './swap';
import { balance_pgdat } from './vmscan';
import { out_of_memory } from './oom_kill';
import { hugetlb_fault } from './hugetlb';

/** Whether a fault at vpn may be served by a PMD-sized folio (THP policy, alignment, VMA fit). */
export function thp_eligible(k: Kernel, vma: Vma, vpn: number): boolean {
	if (!vma.isAnonPrivate || (vma.flags & VM.NOHUGEPAGE)) { return false; }
	if (k.thp === 'never' || (k.thp === 'madvise' && !(vma.flags & VM.HUGEPAGE))) { return false; }
	const base = vpn - (vpn & (PTRS_PER_PMD - 1));
	return base >= vma.start && base + PTRS_PER_PMD <= vma.end;
}

/** handle_mm_fault: make vpn accessible for a read or a write. The caller checked the VMA's
 * permissions (SIGSEGV / EFAULT / EPERM are its business). */
export function* handle_mm_fault(k: Kernel, mm: Mm, vma: Vma, vpn: number, write: boolean): K {
	// with script threads, the folio mapped here is locked for the whole fault, so that a
	// concurrent migrate_vma_setup's folio_trylock fails on it (sim/sched.ts)
	const held = k.threaded ? folio_lock_held(k, mappedFolio(mm, vpn)) : -1;
	yield* k.enter('handle_mm_fault', { addr: vpn * PAGE_SIZE, npages: 1, process: mm.name, write });
	try {
		if (k.wants('page-fault')) {
			yield { kind: 'page-fault', addr: vpn * PAGE_SIZE, npages: 1, process: mm.name, write, fn: 'handle_mm_fault' };
		}
		// kswapd makes room first (a device-private PMD comes back whole), so the allocations of
		// this fault find free RAM while swap has space
		const huge = mm.pt.isHuge(vpn) && (mm.pt.pte(vpn) & PTE.TYPE_MASK) === PTE.DEVPRIV;
		yield* balance_pgdat(k, huge ? HPAGE_NR : 1);
		mm.faults++;
		k.advance(k.costs.cpuFaultNs);
		// a device entry is resolved first, and then the access is retried, as after a real fault
		// (an OOM kill is not counted: each kills one more process, so those retries end)
		for (let tries = 0; tries < 4;) {
			try {
				if (yield* handle_one(k, mm, vma, vpn, write)) { return; }
				tries++;
			} catch (e) {
				// RAM is full and reclaim found nothing: the allocation's slow path runs the OOM
				// killer (__alloc_pages_may_oom) and the fault is tried again with the memory it freed
				if (!(e instanceof RamExhausted) || !(yield* out_of_memory(k, mm))) { throw e; }
			}
		}
		throw new Error(`fault at ${vpn * PAGE_SIZE} did not resolve`);
	} finally {
		k.leave();
		if (held >= 0) { folio_unlock(k, held); }
	}
}

/** The folio a present or device-private PTE maps at vpn (the one a fault there locks), or -1. */
function mappedFolio(mm: Mm, vpn: number): number {
	const type = mm.pt.pte(vpn) & PTE.TYPE_MASK;
	return type === PTE.PRESENT || type === PTE.DEVPRIV ? mm.pt.pfn(vpn) : -1;
}

/** One pass of the fault handler; false means "retry the access". */
function* handle_one(k: Kernel, mm: Mm, vma: Vma, vpn: number, write: boolean): K<boolean> {
	if (vma.flags & VM.HUGETLB) {
		yield* hugetlb_fault(k, mm, vma, vpn, write);
		return true;
	}
	const leaf = mm.pt.leaf(vpn);
	if ((!leaf || leaf.used === 0) && thp_eligible(k, vma, vpn)) {
		if (yield* do_huge_pmd_anonymous_page(k, mm, vpn, write)) { return true; }
	}
	if (leaf?.huge) {
		const t = leaf.pte[(vpn & (PTRS_PER_PMD - 1))];
		if ((t & PTE.TYPE_MASK) === PTE.PRESENT) {
			if (!write || (t & PTE.WRITE)) { leaf.pte[(vpn & (PTRS_PER_PMD - 1))] |= PTE.YOUNG; return true; }
			if (yield* do_huge_pmd_wp_page(k, mm, vpn)) { return true; }
		} else if ((t & PTE.TYPE_MASK) !== PTE.DEVPRIV) {
			yield* split_huge_pmd(k, mm, vpn);
		}
		// a device-private PMD entry is not split: do_huge_pmd_device_private hands the whole
		// folio to migrate_to_ram (the DEVPRIV case below), which sees the PMD mapping
	}
	const pte = mm.pt.pte(vpn);
	switch (pte & PTE.TYPE_MASK) {
		case PTE.NONE:
			if (vma.isAnonPrivate) { do_anonymous_page(k, mm, vpn, write); } else { yield* do_fault(k, mm, vma, vpn, write); }
			return true;
		case PTE.DEVPRIV: {
			// do_swap_page on a device-private entry: page->pgmap->ops->migrate_to_ram
			const pfn = mm.pt.pfn(vpn);
			const pgmap = page_pgmap(k, pfn);
			if (k.wants('cpu-fault')) {
				yield { kind: 'cpu-fault', addr: vpn * PAGE_SIZE, npages: 1, device: pgmap.owner.name, process: mm.name, write, fn: 'do_swap_page' };
			}
			yield* k.enter('do_swap_page', { addr: vpn * PAGE_SIZE, npages: 1, process: mm.name });
			if (k.experimental('pin_device')) {
				try { device_pin_fault(k, mm, vpn, pfn); } catch (e) { k.leave(); throw e; }
			}
			try { yield* pgmap.ops.migrate_to_ram(k, { mm, vma, vpn, pfn, write }); } finally { k.leave(); }
			return false;
		}
		case PTE.EXCL: {
			// the devices holding the page learn of it from the invalidation alone
			const pfn = mm.pt.pfn(vpn);
			if (k.wants('cpu-fault')) {
				yield { kind: 'cpu-fault', addr: vpn * PAGE_SIZE, npages: 1, process: mm.name, write, fn: 'do_swap_page', detail: 'device-exclusive entry' };
			}
			yield* remove_device_exclusive_entry(k, mm, vpn, pfn);
			return false;
		}
		case PTE.MIGRATION:
			// another thread is migrating the page: wait for it, then retry the access
			yield* migration_entry_wait(k, () => (mm.pt.pte(vpn) & PTE.TYPE_MASK) === PTE.MIGRATION, { addr: vpn * PAGE_SIZE, process: mm.name });
			return false;
		case PTE.SWAP: {
			// a write to a page still shared through its swap slot is retried, and COWs
			const writable = yield* do_swap_page(k, mm, vma, vpn, write);
			return !write || writable;
		}
		default:
			if (!write || (pte & PTE.WRITE)) {
				mm.pt.setFlags(vpn, pte | PTE.YOUNG | (write ? PTE.DIRTY : 0));
				return true;
			}
			yield* do_wp_page(k, mm, vma, vpn);
			return true;
	}
}

/** First touch of private anonymous memory: the zero page for a read, a new page for a write. */
export function do_anonymous_page(k: Kernel, mm: Mm, vpn: number, write: boolean): void {
	if (!write) {
		mm.pt.set(vpn, ZERO_PFN, PTE.PRESENT | PTE.YOUNG);
		return;
	}
	const pfn = k.frames.allocRam(PG.ANON);
	page_add_anon_rmap(k, pfn, mm, vpn);
	k.advance(k.costs.hostCopyNs(PAGE_SIZE));
	mm.pt.set(vpn, pfn, PTE.PRESENT | PTE.WRITE | PTE.DIRTY | PTE.YOUNG);
}

/** Maps a new anonymous THP (write) or the huge zero page (read). False: fall back to 4K pages. */
function* do_huge_pmd_anonymous_page(k: Kernel, mm: Mm, vpn: number, write: boolean): K<boolean> {
	const base = vpn - (vpn & (PTRS_PER_PMD - 1));
	const leaf = mm.pt.leafFor(base);
	if (!write) {
		for (let i = 0; i < HPAGE_NR; i++) { leaf.pfn[i] = HUGE_ZERO_PFN + i; leaf.pte[i] = PTE.PRESENT | PTE.YOUNG; }
		leaf.used = HPAGE_NR;
		leaf.huge = true;
		return true;
	}
	const head = k.frames.allocRamHuge(PG.ANON);
	if (head < 0) { return false; }
	for (let i = 0; i < HPAGE_NR; i++) {
		page_add_anon_rmap(k, head + i, mm, base + i);
		leaf.pfn[i] = head + i;
		leaf.pte[i] = PTE.PRESENT | PTE.WRITE | PTE.DIRTY | PTE.YOUNG;
	}
	leaf.used = HPAGE_NR;
	leaf.huge = true;
	k.advance(k.costs.hostCopyNs(PAGE_SIZE * HPAGE_NR));
	return true;
}

/** Write to a read-only PMD: reuse an exclusive THP, replace the huge zero page, else split and COW 4K. */
function* do_huge_pmd_wp_page(k: Kernel, mm: Mm, vpn: number): K<boolean> {
	const base = vpn - (vpn & (PTRS_PER_PMD - 1));
	const leaf = mm.pt.leafFor(base);
	const head = leaf.pfn[0];
	if (k.frames.isZero(head)) {
		const nh = k.frames.allocRamHuge(PG.ANON);
		if (nh >= 0) {
			yield* mmu_notifier_invalidate_range_start(k, { mm, start: base, end: base + HPAGE_NR, event: 'CLEAR' });
			for (let i = 0; i < HPAGE_NR; i++) {
				page_add_anon_rmap(k, nh + i, mm, base + i);
				leaf.pfn[i] = nh + i;
				leaf.pte[i] = PTE.PRESENT | PTE.WRITE | PTE.DIRTY | PTE.YOUNG;
			}
			return true;
		}
	} else if ((k.frames.flags[head >> 12][head & 4095] & PG.ANON) && exclusive_folio(k, head)) {
		for (let i = 0; i < HPAGE_NR; i++) { leaf.pte[i] |= PTE.WRITE | PTE.DIRTY | PTE.YOUNG; }
		return true;
	}
	yield* split_huge_pmd(k, mm, vpn);
	return false;
}

function exclusive_folio(k: Kernel, head: number): boolean {
	for (let i = 0; i < HPAGE_NR; i++) { if (k.frames.mapcount[(head + i) >> 12][(head + i) & 4095] > 1) { return false; } }
	return true;
}

/** Write to a present read-only page: share-write, reuse an exclusive anon page, or copy (COW). */
export function* do_wp_page(k: Kernel, mm: Mm, vma: Vma, vpn: number): K {
	if (mm.pt.pte(vpn) & PTE.WP_NOTIFY) {
		// devices keep read-only copies of this page (read duplication): they drop them before the
		// page becomes writable. Linux sends no notification when it upgrades a PTE; this one is
		// the simulator's addition (see device/uvm/read_dup.ts and docs/device-model.md).
		yield* mmu_notifier_invalidate_range_start(k, { mm, start: vpn, end: vpn + 1, event: 'PROTECTION_PAGE' });
		mm.pt.setFlags(vpn, mm.pt.pte(vpn) & ~PTE.WP_NOTIFY);
	}
	const pte = mm.pt.pte(vpn);
	if (vma.shared) {
		mm.pt.setFlags(vpn, pte | PTE.WRITE | PTE.DIRTY | PTE.YOUNG);
		return;
	}
	const pfn = mm.pt.pfn(vpn);
	const f = k.frames;
	// a page in the swap cache is still what other processes' swap entries will read: copy it
	if ((f.flags[pfn >> 12][pfn & 4095] & PG.ANON) && !f.isZero(pfn) && f.mapcount[pfn >> 12][pfn & 4095] === 1 && f.swap[pfn >> 12][pfn & 4095] < 0) {
		mm.pt.setFlags(vpn, pte | PTE.WRITE | PTE.DIRTY | PTE.YOUNG);
		return;
	}
	yield* wp_page_copy(k, mm, vpn, pfn);
}

/** The copy of copy-on-write: a new anonymous page with the old page's bytes. */
export function* wp_page_copy(k: Kernel, mm: Mm, vpn: number, old: number): K {
	yield* mmu_notifier_invalidate_range_start(k, { mm, start: vpn, end: vpn + 1, event: 'CLEAR' });
	const pfn = k.frames.allocRam(PG.ANON);
	k.frames.slot[pfn >> 12][pfn & 4095] = k.content.copy(k.frames.slot[old >> 12][old & 4095]);
	k.advance(k.costs.hostCopyNs(PAGE_SIZE));
	page_add_anon_rmap(k, pfn, mm, vpn);
	mm.pt.set(vpn, pfn, PTE.PRESENT | PTE.WRITE | PTE.DIRTY | PTE.YOUNG);
	if (!k.frames.isZero(old)) {
		const compound = k.frames.isCompound(old) ? k.frames.head[old >> 12][old & 4095] : -1;
		page_remove_rmap(k, old);
		put_page(k, old);
		if (compound >= 0) { split_folio(k, compound); }
	}
}

/** Faults on file, shmem and DAX mappings (do_read_fault, do_cow_fault, do_shared_fault). */
function* do_fault(k: Kernel, mm: Mm, vma: Vma, vpn: number, write: boolean): K {
	const file = vma.file!;
	const index = vma.fileIndex(vpn);
	// do_read_fault: neighbours first, even when the page itself turns out to be beyond the end
	if (!write && do_fault_around(k, mm, vma, vpn)) { return; }
	if (!file.shmem && index >= file.npages) {
		fail('SIGBUS', `access beyond the end of file '${file.name}' (page ${index}, file has ${file.npages})`);
	}
	// experimental=file_migration (or dax_migration): the file's page may be in device memory
	// (another mapping moved it)
	if (k.experimental('file_migration') || k.experimental('dax_migration')) { yield* filemap_device_folio_to_ram(k, file, index); }
	const cache = filemap_get_page(k, file, index);
	if (write && !vma.shared) {
		// do_cow_fault: a private copy, never the page-cache page itself
		const pfn = k.frames.allocRam(PG.ANON);
		k.frames.slot[pfn >> 12][pfn & 4095] = k.content.copy(k.frames.slot[cache >> 12][cache & 4095]);
		page_add_anon_rmap(k, pfn, mm, vpn);
		mm.pt.set(vpn, pfn, PTE.PRESENT | PTE.WRITE | PTE.DIRTY | PTE.YOUNG);
		return;
	}
	get_page(k, cache);
	page_dup_rmap(k, cache);
	const w = vma.shared && vma.writable && (write || file.shmem);
	mm.pt.set(vpn, cache, PTE.PRESENT | PTE.YOUNG | (w ? PTE.WRITE : 0) | (write ? PTE.DIRTY : 0));
	if (write) { k.frames.flags[cache >> 12][cache & 4095] |= PG.DIRTY; }
}

/** A CPU access to a device-exclusive entry gives the page back to the CPU
 * (remove_device_exclusive_entry): an MMU_NOTIFY_CLEAR with no owner, so every device holding
 * the page lets go. (Older kernels sent MMU_NOTIFY_EXCLUSIVE here; the newest mm tree and mainline
 * since 6.15 send CLEAR and keep EXCLUSIVE for make_device_exclusive alone.) */
export function* remove_device_exclusive_entry(k: Kernel, mm: Mm, vpn: number, pfn: number): K {
	yield* mmu_notifier_invalidate_range_start(k, { mm, start: vpn, end: vpn + 1, event: 'CLEAR', cpuFault: true });
	const pte = mm.pt.pte(vpn);
	mm.pt.set(vpn, pfn, PTE.PRESENT | PTE.YOUNG | (pte & (PTE.WRITE | PTE.DIRTY)));
}
