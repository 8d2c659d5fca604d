// get_user_pages and pin_user_pages (mm/gup.c): look a user page up, faulting it in (or unsharing
// it) until the page table allows the access, then take a reference or a pin.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import type { Mm } from './mm';
import type { Vma } from './vma';
import { PG } from './frames';
import { PTE } from './pagetable';
import { get_page, put_page } from './page';
import { handle_mm_fault, wp_page_copy } from './fault';
import { split_huge_pmd } from './thp';
import { PAGE_SIZE } from './content';
import { hugetlb_wp, is_vm_hugetlb_page } from './hugetlb';

/** gup_flags */
export const enum FOLL {
	WRITE = 1,
	GET = 2,
	PIN = 4,
	LONGTERM = 8,
	SPLIT_PMD = 16,
}

const hex = (vpn: number): string => `0x${(vpn * PAGE_SIZE).toString(16)}`;

/** vma_is_anonymous: no vm_ops. Shared anonymous memory is shmem, which has them. */
function vma_is_anonymous(vma: Vma): boolean {
	return vma.backing === 'anon' && !vma.shared && !is_vm_hugetlb_page(vma);
}

/** vma_needs_dirty_tracking: a shared writable mapping whose filesystem wants to hear of writes
 * (page_mkwrite, writeback). shmem and hugetlbfs never write back, so they do not. */
export function vma_needs_dirty_tracking(vma: Vma): boolean {
	if (!vma.shared || !vma.writable) { return false; }
	return vma.backing === 'file' && !vma.file?.shmem;
}

/** check_vma_flags: may GUP touch this VMA with these flags at all? */
export function check_vma_flags(vma: Vma, foll: number, vpn: number): void {
	if ((foll & FOLL.LONGTERM) && vma.backing === 'dax') {
		fail('EOPNOTSUPP', `a long-term pin of fsdax memory at ${hex(vpn)} is refused (the filesystem could not move or truncate it)`);
	}
	if ((foll & FOLL.SPLIT_PMD) && is_vm_hugetlb_page(vma)) {
		fail('EOPNOTSUPP', `hugetlb memory at ${hex(vpn)} cannot be split into base pages`);
	}
	if (foll & FOLL.WRITE) {
		// writable_file_mapping_allowed: a long-term write pin would let the device write behind
		// the filesystem's back after writeback cleaned the page
		if (!vma_is_anonymous(vma) && (foll & (FOLL.PIN | FOLL.LONGTERM)) === (FOLL.PIN | FOLL.LONGTERM) && vma_needs_dirty_tracking(vma)) {
			fail('EFAULT', `a long-term write pin of the shared file mapping at ${hex(vpn)} is refused (the filesystem tracks its dirty pages)`);
		}
		if (!vma.writable) { fail('EFAULT', `mapping at ${hex(vpn)} is not writable`); }
	} else if (!vma.readable) {
		fail('EFAULT', `mapping at ${hex(vpn)} is not readable`);
	}
}

/** gup_must_unshare: a read-only pin must see later writes of the process, so a page that a write
 * fault would replace (shared anon, the zero page, a page-cache page in a private mapping) is
 * replaced now. */
function gup_must_unshare(k: Kernel, vma: Vma, foll: number, pfn: number): boolean {
	if ((foll & (FOLL.WRITE | FOLL.PIN)) !== FOLL.PIN) { return false; }
	const f = k.frames;
	if (!(f.flags[pfn >> 12][pfn & 4095] & PG.ANON) || f.isZero(pfn)) {
		return (foll & FOLL.LONGTERM) !== 0 && vma.isCow;
	}
	// PageAnonExclusive: mapped by this one page table only
	return f.mapcount[pfn >> 12][pfn & 4095] > 1;
}

/** FAULT_FLAG_UNSHARE: break COW without writing; the new page stays read-only. */
function* wp_page_unshare(k: Kernel, mm: Mm, vma: Vma, vpn: number): K {
	yield* k.enter('handle_mm_fault', { addr: vpn * PAGE_SIZE, npages: 1, process: mm.name });
	try {
		mm.faults++;
		k.advance(k.costs.cpuFaultNs);
		if (is_vm_hugetlb_page(vma)) {
			yield* hugetlb_wp(k, mm, vma, vpn, true);
			return;
		}
		yield* split_huge_pmd(k, mm, vpn);
		const pfn = mm.pt.pfn(vpn);
		const f = k.frames;
		if ((f.flags[pfn >> 12][pfn & 4095] & PG.ANON) && !f.isZero(pfn) && f.mapcount[pfn >> 12][pfn & 4095] === 1) { return; }
		yield* wp_page_copy(k, mm, vpn, pfn);
		mm.pt.setFlags(vpn, mm.pt.pte(vpn) & ~(PTE.WRITE | PTE.DIRTY));
	} finally {
		k.leave();
	}
}

/** __get_user_pages for one page: follow_page_pte, and faultin_page until it succeeds. Returns the
 * VMA and the pfn the page table then maps. */
export function* get_user_page(k: Kernel, mm: Mm, vpn: number, foll: number): K<{ vma: Vma; pfn: number }> {
	const vma = mm.vmas.find(vpn);
	if (!vma) { fail('EFAULT', `no mapping at ${hex(vpn)}`); }
	check_vma_flags(vma, foll, vpn);
	const write = (foll & FOLL.WRITE) !== 0;
	for (let tries = 0; tries < 4; tries++) {
		if ((foll & FOLL.SPLIT_PMD) && mm.pt.isHuge(vpn)) { yield* split_huge_pmd(k, mm, vpn); }
		const pte = mm.pt.pte(vpn);
		const pfn = mm.pt.pfn(vpn);
		if ((pte & PTE.TYPE_MASK) === PTE.PRESENT && (!write || (pte & PTE.WRITE))) {
			if (!gup_must_unshare(k, vma, foll, pfn)) { return { vma, pfn }; }
			yield* wp_page_unshare(k, mm, vma, vpn);
			continue;
		}
		yield* handle_mm_fault(k, mm, vma, vpn, write);
	}
	throw new Error(`get_user_pages at ${hex(vpn)} did not resolve`);
}

/** try_grab_folio(FOLL_PIN): the zero page is never pinned (it goes nowhere). */
function grab_pin(k: Kernel, pfn: number): void {
	if (k.frames.isZero(pfn)) { return; }
	k.frames.pincount[pfn >> 12][pfn & 4095]++;
	get_page(k, pfn);
}

function unpin_one(k: Kernel, pfn: number): void {
	if (k.frames.isZero(pfn)) { return; }
	k.frames.pincount[pfn >> 12][pfn & 4095]--;
	put_page(k, pfn);
}

/** A hook for FOLL_LONGTERM: memory that must stay movable (device-coherent pages) is migrated to
 * RAM before it is pinned (check_and_migrate_movable_folios). Returns true if it moved a page. */
export type LongtermMigrate = (k: Kernel, mm: Mm, vma: Vma, vpn: number, pfn: number) => K<boolean>;

/** pin_user_pages(FOLL_LONGTERM [| FOLL_WRITE]) over [start, end), all or nothing: on an error the
 * pages pinned so far are unpinned again (as ib_umem_get does) and the error is raised. */
export function* pin_user_pages(k: Kernel, mm: Mm, start: number, end: number, write: boolean, migrate: LongtermMigrate): K<number> {
	if (end <= start) { fail('EINVAL', 'pin of zero pages'); }
	const foll = FOLL.PIN | FOLL.LONGTERM | (write ? FOLL.WRITE : 0);
	yield* k.enter('pin_user_pages', { addr: start * PAGE_SIZE, npages: end - start, process: mm.name, write });
	const pinned: number[] = [];
	try {
		for (let vpn = start; vpn < end; vpn++) {
			let { vma, pfn } = yield* get_user_page(k, mm, vpn, foll);
			if (yield* migrate(k, mm, vma, vpn, pfn)) { ({ vma, pfn } = yield* get_user_page(k, mm, vpn, foll)); }
			grab_pin(k, pfn);
			pinned.push(pfn);
		}
		return end - start;
	} catch (e) {
		for (const pfn of pinned) { unpin_one(k, pfn); }
		throw e;
	} finally {
		k.leave();
	}
}

/** unpin_user_pages for the pages [start, end) maps now. A page with no pin is an error (the
 * kernel would warn); the zero page is accepted, as gup_put_folio ignores it. */
export function unpin_user_pages(k: Kernel, mm: Mm, start: number, end: number): number {
	k.pins.expire(k);
	let n = 0;
	for (let vpn = start; vpn < end; vpn++) {
		const t = mm.pt.pte(vpn) & PTE.TYPE_MASK;
		const pfn = mm.pt.pfn(vpn);
		if (t === PTE.NONE) { continue; }
		if (k.frames.isZero(pfn)) { n++; continue; }
		if (k.frames.pincount[pfn >> 12][pfn & 4095] <= 0) { continue; }
		// a pin taken in device memory (experimental=pin_device) ends here as well
		if (k.pins.until.has(pfn)) { k.pins.drop(k, pfn); } else { unpin_one(k, pfn); }
		n++;
	}
	if (n === 0) { fail('EINVAL', 'no pinned page in the range'); }
	return n;
}
