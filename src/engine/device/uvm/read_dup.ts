// Read duplication (cudaMemAdviseSetReadMostly): read-only copies of a page in the memory of the
// devices that read it, while the CPU keeps the page itself (NVIDIA UVM's read_duplicated_pages,
// uvm_va_block_make_resident_read_duplicate; a write collapses the copies, block_select_processor_
// residency rule 3).
//
// Deviation: UVM does not read-duplicate HMM memory (uvm_va_policy_is_read_duplicate is never true
// for an HMM block), because core mm offers no way to keep a second copy coherent. We do it with
// the least machinery that keeps every byte right and reaches devices only through notifiers:
// - the CPU PTE of a duplicated page is write-protected with a PROTECTION_PAGE invalidation and
//   tagged PTE.WP_NOTIFY;
// - each copy is a device page mapped read-only in the device's mirror, tagged PTE.COPY; the
//   mirror entry holds the copy's only reference, so any invalidation that reaches the mirror frees
//   the copy (Mirror.erase);
// - any write (CPU, or a device through hmm_range_fault) faults on the read-only PTE, and
//   do_wp_page sends a PROTECTION_PAGE invalidation first: every copy goes before the page can
//   change. That notification is the one addition to core mm (Linux upgrades PTEs silently).
// Copies are made only of CPU-resident private anonymous pages that are not pinned.
import type { Kernel } from '../../kernel';
import type { K } from '../../sim/events';
import { fail } from '../../sim/errors';
import type { Mm } from '../../mm/mm';
import type { Vma } from '../../mm/vma';
import type { Device } from '../device';
import type { Mirror } from '../mirror';
import { PTE, PTRS_PER_PMD } from '../../mm/pagetable';
import { RAM_POOL } from '../../mm/frames';
import { PAGE_SIZE } from '../../mm/content';
import { mmu_notifier_invalidate_range_start } from '../../mm/mmu_notifier';
import { split_huge_pmd } from '../../mm/thp';
import { handle_mm_fault } from '../../mm/fault';
import { put_page } from '../../mm/page';
import { MigrateVma, MPFN, SELECT, migrate_vma_finalize, migrate_vma_pages, migrate_vma_setup } from '../../hmm/migrate_device';

/** A page the CPU holds in RAM and that may have copies: mapped present, RAM (or the zero page),
 * not pinned for DMA (a pinned page may change behind the CPU's back). */
function duplicable(k: Kernel, mm: Mm, vpn: number): boolean {
	const pte = mm.pt.pte(vpn);
	if ((pte & PTE.TYPE_MASK) !== PTE.PRESENT) { return false; }
	const pfn = mm.pt.pfn(vpn);
	return k.frames.owner[pfn >> 12][pfn & 4095] === RAM_POOL && k.frames.pincount[pfn >> 12][pfn & 4095] === 0;
}

/** Write-protects the CPU PTEs of [start, end) for secondary copies: the devices first drop any
 * entry that could write the page (PROTECTION_PAGE, as when the kernel write-protects a page). */
function* wp_notify_range(k: Kernel, mm: Mm, start: number, end: number): K {
	yield* mmu_notifier_invalidate_range_start(k, { mm, start, end, event: 'PROTECTION_PAGE' });
	for (let vpn = start; vpn < end; vpn++) {
		mm.pt.setFlags(vpn, (mm.pt.pte(vpn) & ~PTE.WRITE) | PTE.WP_NOTIFY);
	}
}

function mirrorFor(dev: Device, mm: Mm): Mirror {
	const m = dev.mirror(mm);
	if (!m) { fail('EINVAL', `device '${dev.name}' does not mirror process '${mm.name}'`); }
	return m;
}

/** Read-only copies on `dev` of the CPU-resident pages of [start, end) ∩ vma, each in a page
 * `alloc` gives (-1: none left; a policy=migrate device takes the page's slot of the block's root
 * chunk, uvm/pmm.ts, so copies are accounted and evicted with the block). Returns the pages
 * newly copied (the caller charges the transfer); stops early, without error, when the device's
 * memory is full. Pages that are not CPU-resident are skipped: the caller makes them resident
 * first (hmm_make_resident_cpu) or maps them otherwise. */
export function* uvm_read_duplicate(k: Kernel, dev: Device, mm: Mm, vma: Vma, start: number, end: number,
	alloc: (vpn: number) => number = () => dev.allocPage(k)): K<number> {
	const m = mirrorFor(dev, mm);
	const s = Math.max(start, vma.start), e = Math.min(end, vma.end);
	if (e <= s || !vma.isAnonPrivate || !vma.readable) { return 0; }
	yield* k.enter('uvm_va_block_make_resident_read_duplicate', { addr: s * PAGE_SIZE, npages: e - s, device: dev.name, process: mm.name });
	try {
		// HMM blocks map 4K pages only: a THP is split before any page of it gets copies
		for (let vpn = s; vpn < e; vpn = vpn - (vpn & (PTRS_PER_PMD - 1)) + PTRS_PER_PMD) {
			if (mm.pt.isHuge(vpn)) { yield* split_huge_pmd(k, mm, vpn); }
		}
		// one PROTECTION_PAGE invalidation per run of writable pages; read-only ones need none
		let run = -1;
		for (let vpn = s; vpn <= e; vpn++) {
			const wp = vpn < e && duplicable(k, mm, vpn) && (mm.pt.pte(vpn) & PTE.WRITE) !== 0;
			if (wp && run < 0) { run = vpn; }
			if (!wp && run >= 0) { yield* wp_notify_range(k, mm, run, vpn); run = -1; }
		}
		let copied = 0;
		const f = k.frames;
		for (let vpn = s; vpn < e; vpn++) {
			if (!duplicable(k, mm, vpn) || m.isCopy(vpn)) { continue; }
			const pfn = alloc(vpn);
			if (pfn < 0) { break; }
			mm.pt.setFlags(vpn, (mm.pt.pte(vpn) & ~PTE.WRITE) | PTE.WP_NOTIFY);
			// the copy gets its own content slot with the same bytes (a pattern stays a pattern)
			f.slot[pfn >> 12][pfn & 4095] = k.content.copy(f.slot[(mm.pt.pfn(vpn)) >> 12][(mm.pt.pfn(vpn)) & 4095]);
			m.mapCopy(k, vpn, pfn);
			copied++;
		}
		return copied;
	} finally {
		k.leave();
	}
}

/** A write to read-duplicated pages of [start, end): every copy goes except the writer's. A
 * device writer that holds copies becomes the page's only holder: its copies turn into the
 * migrated pages (migrate_vma with the copy as destination, no data moves), writable if the
 * VMA is; the CPU PTE of every other duplicated page becomes writable again through the CPU write
 * path (for a device writer) or just loses its copies (writer undefined: a CPU write, or read-
 * mostly being turned off). Returns the pages that became resident on the writer. */
export function* uvm_collapse_read_duplicates(k: Kernel, mm: Mm, start: number, end: number, writer: Device | undefined): K<number> {
	yield* k.enter('uvm_collapse_read_duplicates', { addr: start * PAGE_SIZE, npages: end - start, device: writer?.name, process: mm.name });
	try {
		const m = writer?.mirror(mm);
		// the writer's copies leave its table first, so the invalidations below do not free them
		const kept = new Map<number, number>();
		if (m) {
			const vpns: number[] = [];
			m.pt.forEach(start, end, (vpn, _pfn, pte) => { if (pte & PTE.COPY) { vpns.push(vpn); } });
			for (const vpn of vpns) { kept.set(vpn, m.detachCopy(vpn)); }
		}
		let run = -1;
		for (let vpn = start; vpn <= end; vpn++) {
			const marked = vpn < end && (mm.pt.pte(vpn) & PTE.WP_NOTIFY) !== 0;
			const vma = marked ? mm.vmas.find(vpn) : undefined;
			if (marked && writer && vma?.writable) {
				// the CPU write path: do_wp_page notifies, then reuses or copies the page
				if (run >= 0) { yield* drop_copies(k, mm, run, vpn); run = -1; }
				yield* handle_mm_fault(k, mm, vma, vpn, true);
				continue;
			}
			if (marked && run < 0) { run = vpn; }
			if (!marked && run >= 0) { yield* drop_copies(k, mm, run, vpn); run = -1; }
		}
		return writer && m ? yield* take_over_copies(k, writer, m, mm, kept) : 0;
	} finally {
		k.leave();
	}
}

/** The copies of [start, end) go (a PROTECTION_PAGE invalidation reaches every mirror); the CPU
 * PTEs stay read-only, so a later write takes an ordinary write fault. */
function* drop_copies(k: Kernel, mm: Mm, start: number, end: number): K {
	yield* mmu_notifier_invalidate_range_start(k, { mm, start, end, event: 'PROTECTION_PAGE' });
	for (let vpn = start; vpn < end; vpn++) { mm.pt.setFlags(vpn, mm.pt.pte(vpn) & ~PTE.WP_NOTIFY); }
}

/** migrate_vma of the pages whose copy the writer kept, each copy as its own destination. */
function* take_over_copies(k: Kernel, dev: Device, m: Mirror, mm: Mm, kept: Map<number, number>): K<number> {
	let moved = 0;
	const vpns = [...kept.keys()].sort((a, b) => a - b);
	for (let i = 0; i < vpns.length;) {
		const vma = mm.vmas.find(vpns[i]);
		const limit = vma?.end ?? -1;
		let j = i + 1;
		while (j < vpns.length && vpns[j] === vpns[j - 1] + 1 && vpns[j] < limit) { j++; }
		const copies = vpns.slice(i, j).map(v => kept.get(v)!);
		for (const pfn of copies) {
			// the destination gets the source's bytes by reference; the copy's own slot goes
			const slot = k.frames.slot[pfn >> 12][pfn & 4095];
			if (slot >= 0) { k.content.release(slot); }
			k.frames.slot[pfn >> 12][pfn & 4095] = -1;
		}
		if (!vma) { for (const pfn of copies) { put_page(k, pfn); } i = j; continue; }
		const a = new MigrateVma(mm, vma, vpns[i], vpns[j - 1] + 1, SELECT.SYSTEM, dev, `ram -> ${dev.name} (read-mostly write)`);
		yield* migrate_vma_setup(k, a);
		for (let n = 0; n < a.npages; n++) {
			a.dst[n] = copies[n];
			a.dstF[n] = MPFN.VALID | (a.srcF[n] & MPFN.WRITE);
		}
		yield* migrate_vma_pages(k, a);
		for (let n = 0; n < a.npages; n++) {
			if (!(a.srcF[n] & MPFN.MIGRATE)) { continue; }
			m.map(a.start + n, a.dst[n], (a.dstF[n] & MPFN.WRITE) !== 0);
			moved++;
		}
		yield* migrate_vma_finalize(k, a);
		i = j;
	}
	return moved;
}

/** copies(): pages of [start, end) with a copy at `loc` — a device name counts that device's
 * copies; 'ram' counts the duplicated pages' CPU side (pages with at least one device copy). */
export function read_copies(k: Kernel, mm: Mm, start: number, end: number, loc: string): number {
	if (loc === 'ram') {
		let n = 0;
		mm.pt.forEach(start, end, (vpn, _pfn, pte) => {
			if (!(pte & PTE.WP_NOTIFY)) { return; }
			for (const d of k.devices) {
				if (d.mirror(mm)?.isCopy(vpn)) { n++; return; }
			}
		});
		return n;
	}
	const m = k.device(loc).mirror(mm);
	let n = 0;
	m?.pt.forEach(start, end, (_vpn, _pfn, pte) => { if (pte & PTE.COPY) { n++; } });
	return n;
}
