// HMM_DMIRROR_EXCLUSIVE / CHECK_EXCLUSIVE / SNAPSHOT, and the FOLL_LONGTERM hook of pin_user_pages
// that moves device-coherent pages to RAM before they are pinned.
import { type Kernel, TICK_LEAF } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import type { Mm } from '../mm/mm';
import type { Vma } from '../mm/vma';
import { PTE, PTRS_PER_PMD } from '../mm/pagetable';
import { PG, ZERO_PFN } from '../mm/frames';
import { FOLL, get_user_page } from '../mm/gup';
import { mmu_notifier_invalidate_range_start } from '../mm/mmu_notifier';
import { HmmRange, HMM_PFN, hmm_range_fault } from '../hmm/hmm_range_fault';
import { MigrateVma, SELECT, migrate_vma_setup } from '../hmm/migrate_device';
import type { Device } from './device';
import type { Mirror } from './mirror';
import { dmirror_check_read, type DevOpResult, mirrorOf } from './dmirror_rw';
import { finish_migration_to_ram } from './migrate_to_ram';
import { out_of_memory } from '../mm/oom_kill';
import { PAGE_SIZE } from '../mm/content';
import { locked, lockOf } from '../sim/sched';

/** make_device_exclusive (mm/rmap.c): GUP faults the page in writable, breaking COW and bringing
 * device-private pages back; only anonymous, non-hugetlb folios qualify (a device-coherent page
 * is anonymous and qualifies in place). The PTE becomes a device-exclusive entry naming the same
 * page; MMU_NOTIFY_EXCLUSIVE carries the caller's owner so the caller can filter it out. */
function* make_device_exclusive(k: Kernel, mm: Mm, vpn: number, owner: Device | undefined): K<number> {
	yield* k.enter('make_device_exclusive', { addr: vpn * PAGE_SIZE, npages: 1, process: mm.name });
	try {
		for (let tries = 0; tries < 4; tries++) {
			const { pfn } = yield* get_user_page(k, mm, vpn, FOLL.GET | FOLL.WRITE | FOLL.SPLIT_PMD);
			const f = k.frames;
			if (!(f.flags[pfn >> 12][pfn & 4095] & PG.ANON) || (f.flags[pfn >> 12][pfn & 4095] & PG.HUGETLB)) {
				fail('EOPNOTSUPP', `page at 0x${(vpn * PAGE_SIZE).toString(16)} is not anonymous memory; only anonymous pages can be made device-exclusive`);
			}
			yield* mmu_notifier_invalidate_range_start(k, { mm, start: vpn, end: vpn + 1, event: 'EXCLUSIVE', owner });
			// the second walk: still the same page, mapped writable by a PTE
			const pte = mm.pt.pte(vpn);
			if (mm.pt.pfn(vpn) !== pfn || (pte & PTE.TYPE_MASK) !== PTE.PRESENT || !(pte & PTE.WRITE) || mm.pt.isHuge(vpn)) { continue; }
			if (pte & PTE.DIRTY) { f.flags[pfn >> 12][pfn & 4095] |= PG.DIRTY; }
			// device-exclusive entries count as clean and old for core mm
			mm.pt.set(vpn, pfn, PTE.EXCL | PTE.WRITE);
			return pfn;
		}
		throw new Error(`make_device_exclusive at ${vpn * PAGE_SIZE} did not settle`);
	} finally {
		k.leave();
	}
}

/** dmirror_exclusive */
export function* dmirror_exclusive(k: Kernel, dev: Device, mm: Mm, start: number, end: number, via?: Mirror): K<DevOpResult> {
	if (end <= start) { fail('EINVAL', 'exclusive of zero pages'); }
	const m = via ?? mirrorOf(dev, mm);
	for (let vpn = start; vpn < end; vpn++) {
		if ((vpn - start) % TICK_LEAF === TICK_LEAF - 1) { yield* k.tick(vpn * PAGE_SIZE); }
		// dmirror passes no owner, so its own notifier drops the old entry too
		const pfn = yield* make_device_exclusive(k, mm, vpn, undefined);
		// dmirror_atomic_map: tagged atomic, not writable; a device write faults and takes the
		// page back from the CPU's exclusive entry (remove_device_exclusive_entry)
		m.map(vpn, pfn, false, true);
	}
	const r = dmirror_check_read(k, dev, m, start, end);
	if (r.missing) { fail('ENOENT', 'a page lost its exclusive entry before it could be read'); }
	return { cpages: r.cpages, faults: 0 };
}

/** HMM_DMIRROR_CHECK_EXCLUSIVE: does the device still hold atomic access anywhere in the range? */
export function dmirror_check_exclusive(dev: Device, mm: Mm, start: number, end: number, via?: Mirror): boolean {
	const m = via ?? mirrorOf(dev, mm);
	let any = false;
	m.pt.forEach(start, end, (_v, _p, pte) => { if (pte & PTE.ATOMIC) { any = true; } });
	return any;
}

export const enum SNAP {
	ERROR = 0xFF, NONE = 0x00, READ = 0x01, WRITE = 0x02, PMD = 0x04, PUD = 0x08,
	ZERO = 0x10, DEV_PRIVATE_LOCAL = 0x20, DEV_PRIVATE_REMOTE = 0x30, DEV_COHERENT_LOCAL = 0x40, DEV_COHERENT_REMOTE = 0x50,
}

/** dmirror_snapshot: hmm_range_fault with no request flags, one byte per page (dmirror_mkentry). */
export function* dmirror_snapshot(k: Kernel, dev: Device, mm: Mm, start: number, end: number, via?: Mirror): K<Uint8Array> {
	if (end <= start) { fail('EINVAL', 'snapshot of zero pages'); }
	const m = via ?? mirrorOf(dev, mm);
	const out = new Uint8Array(end - start);
	for (let s = start; s < end; s += PTRS_PER_PMD) {
		if (s > start) { yield* k.tick(s * PAGE_SIZE); }
		const e = Math.min(end, s + PTRS_PER_PMD);
		const range = new HmmRange(m.notifier, s, e, 0, 0, dev);
		for (let tries = 0; ; tries++) {
			if (tries > 1000) { fail('EBUSY', 'snapshot kept racing with invalidations'); }
			range.notifierSeq = m.notifier.readBegin();
			// dmirror_range_snapshot walks under mmap_read_lock, as dmirror_range_fault does (sim/sched.ts)
			const r = yield* locked(k, lockOf(mm, 'mmap_lock'), false, hmm_range_fault(k, range));
			if (r === 'EBUSY') { continue; }
			if (r !== 0) { fail(r, 'snapshot failed'); }
			break;
		}
		for (let i = 0; i < e - s; i++) { out[s - start + i] = mkentry(k, dev, range.pfns[i], range.flags[i]); }
	}
	return out;
}

function mkentry(k: Kernel, dev: Device, pfn: number, flags: number): number {
	if (flags & HMM_PFN.ERROR) { return SNAP.ERROR; }
	if (!(flags & HMM_PFN.VALID)) { return SNAP.NONE; }
	const f = k.frames;
	let b = 0;
	if (f.flags[pfn >> 12][pfn & 4095] & PG.DEV_PRIVATE) {
		b = f.owner[pfn >> 12][pfn & 4095] === dev.index ? SNAP.DEV_PRIVATE_LOCAL : SNAP.DEV_PRIVATE_REMOTE;
	} else if (f.flags[pfn >> 12][pfn & 4095] & PG.DEV_COHERENT) {
		b = f.owner[pfn >> 12][pfn & 4095] === dev.index ? SNAP.DEV_COHERENT_LOCAL : SNAP.DEV_COHERENT_REMOTE;
	} else if (pfn === ZERO_PFN) {
		b = SNAP.ZERO;
	}
	b |= flags & HMM_PFN.WRITE ? SNAP.WRITE : SNAP.READ;
	if (flags & HMM_PFN.ORDER_PMD) { b |= SNAP.PMD; } else if (flags & HMM_PFN.ORDER_PUD) { b |= SNAP.PUD; }
	return b;
}

/** The FOLL_LONGTERM hook of pin_user_pages: a device-coherent page is migrated to RAM before it is
 * pinned, so device memory stays evictable (migrate_device_coherent_folio). */
export function* migrate_device_coherent_folio(k: Kernel, mm: Mm, vma: Vma, vpn: number, pfn: number): K<boolean> {
	if (!(k.frames.flags[pfn >> 12][pfn & 4095] & PG.DEV_COHERENT)) { return false; }
	const dev = k.devices[k.frames.owner[pfn >> 12][pfn & 4095]];
	// folio_alloc(GFP_USER | __GFP_NOWARN, 0): an order-0 allocation, which may OOM-kill
	while (k.frames.ramUsed >= k.frames.ramPages && (yield* out_of_memory(k, mm))) { /* killed one more */ }
	const a = new MigrateVma(mm, vma, vpn, vpn + 1, SELECT.DEVICE_COHERENT, dev, `${dev.name} -> ram (long-term pin)`);
	yield* migrate_vma_setup(k, a);
	yield* finish_migration_to_ram(k, dev, a);
	return true;
}
