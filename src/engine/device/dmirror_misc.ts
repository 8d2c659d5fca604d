// HMM_DMIRROR_EXCLUSIVE / CHECK_EXCLUSIVE / SNAPSHOT, and long-term GUP pins.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import type { Mm } from '../mm/mm';
import type { Vma } from '../mm/vma';
import { PTE, PTRS_PER_PMD } from '../mm/pagetable';
import { PG, ZERO_PFN } from '../mm/frames';
import { handle_mm_fault } from '../mm/fault';
import { split_huge_pmd } from '../mm/thp';
import { mmu_notifier_invalidate_range_start } from '../mm/mmu_notifier';
import { HmmRange, HMM_PFN, hmm_range_fault } from '../hmm/hmm_range_fault';
import { MigrateVma, SELECT, migrate_vma_setup } from '../hmm/migrate_device';
import type { Device } from './device';
import { dmirror_check_read, type DevOpResult, mirrorOf } from './dmirror_rw';
import { finish_migration_to_ram } from './migrate_to_ram';
import { get_page, put_page } from '../mm/page';
import { PAGE_SIZE } from '../mm/content';

/** GUP: fault a page in as a CPU access would (device-private pages come back to RAM). */
function* gup_one(k: Kernel, mm: Mm, vpn: number, write: boolean): K<Vma> {
	const vma = mm.vmas.find(vpn);
	if (!vma || !vma.readable) { fail('EFAULT', `no readable mapping at 0x${(vpn * PAGE_SIZE).toString(16)}`); }
	if (write && !vma.writable) { fail('EFAULT', `mapping at 0x${(vpn * PAGE_SIZE).toString(16)} is not writable`); }
	for (let tries = 0; tries < 4; tries++) {
		const pte = mm.pt.pte(vpn);
		const t = pte & PTE.TYPE_MASK;
		if (t === PTE.PRESENT && (!write || (pte & PTE.WRITE))) { return vma; }
		yield* handle_mm_fault(k, mm, vma, vpn, write);
	}
	return vma;
}

/** make_device_exclusive: the page is faulted in writable and its PTE replaced by an exclusive entry. */
function* make_device_exclusive(k: Kernel, mm: Mm, vpn: number, owner: Device): K<number> {
	yield* k.enter('make_device_exclusive', { addr: vpn * PAGE_SIZE, npages: 1, process: mm.name });
	try {
		yield* split_huge_pmd(k, mm, vpn);
		const vma = yield* gup_one(k, mm, vpn, true);
		yield* split_huge_pmd(k, mm, vpn);
		const pfn = mm.pt.pfn(vpn);
		if (!vma.isAnonPrivate || !(k.frames.flags[pfn] & PG.ANON) || k.frames.isDevice(pfn)) {
			fail('EINVAL', 'exclusive access needs private anonymous memory in RAM');
		}
		yield* mmu_notifier_invalidate_range_start(k, { mm, start: vpn, end: vpn + 1, event: 'EXCLUSIVE', owner });
		const pte = mm.pt.pte(vpn);
		mm.pt.set(vpn, pfn, PTE.EXCL | (pte & (PTE.WRITE | PTE.DIRTY)));
		return pfn;
	} finally {
		k.leave();
	}
}

/** dmirror_exclusive */
export function* dmirror_exclusive(k: Kernel, dev: Device, mm: Mm, start: number, end: number): K<DevOpResult> {
	if (end <= start) { fail('EINVAL', 'exclusive of zero pages'); }
	const m = mirrorOf(dev, mm);
	for (let vpn = start; vpn < end; vpn++) {
		const pfn = yield* make_device_exclusive(k, mm, vpn, dev);
		m.map(vpn, pfn, true, true);
	}
	const r = dmirror_check_read(k, dev, m, start, end);
	if (r.missing) { fail('ENOENT', 'a page lost its exclusive entry before it could be read'); }
	return { cpages: r.cpages, faults: 0 };
}

/** HMM_DMIRROR_CHECK_EXCLUSIVE: does the device still hold atomic access anywhere in the range? */
export function dmirror_check_exclusive(dev: Device, mm: Mm, start: number, end: number): boolean {
	const m = mirrorOf(dev, mm);
	let any = false;
	m.pt.forEach(start, end, (_v, _p, pte) => { if (pte & PTE.ATOMIC) { any = true; } });
	return any;
}

export const enum SNAP {
	ERROR = 0xFF, NONE = 0x00, READ = 0x01, WRITE = 0x02, PMD = 0x04, PUD = 0x08,
	ZERO = 0x10, DEV_PRIVATE_LOCAL = 0x20, DEV_PRIVATE_REMOTE = 0x30, DEV_COHERENT_LOCAL = 0x40, DEV_COHERENT_REMOTE = 0x50,
}

/** dmirror_snapshot: hmm_range_fault with no request flags, one byte per page (dmirror_mkentry). */
export function* dmirror_snapshot(k: Kernel, dev: Device, mm: Mm, start: number, end: number): K<Uint8Array> {
	if (end <= start) { fail('EINVAL', 'snapshot of zero pages'); }
	const m = mirrorOf(dev, mm);
	const out = new Uint8Array(end - start);
	for (let s = start; s < end; s += PTRS_PER_PMD) {
		const e = Math.min(end, s + PTRS_PER_PMD);
		const range = new HmmRange(m.notifier, s, e, 0, 0, dev);
		for (let tries = 0; ; tries++) {
			if (tries > 1000) { fail('EBUSY', 'snapshot kept racing with invalidations'); }
			range.notifierSeq = m.notifier.readBegin();
			const r = yield* hmm_range_fault(k, range);
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
	if (f.flags[pfn] & PG.DEV_PRIVATE) {
		b = f.owner[pfn] === dev.index ? SNAP.DEV_PRIVATE_LOCAL : SNAP.DEV_PRIVATE_REMOTE;
	} else if (f.flags[pfn] & PG.DEV_COHERENT) {
		b = f.owner[pfn] === dev.index ? SNAP.DEV_COHERENT_LOCAL : SNAP.DEV_COHERENT_REMOTE;
	} else if (pfn === ZERO_PFN) {
		b = SNAP.ZERO;
	}
	b |= flags & HMM_PFN.WRITE ? SNAP.WRITE : SNAP.READ;
	if (flags & HMM_PFN.ORDER_PMD) { b |= SNAP.PMD; }
	return b;
}

/** pin_user_pages(FOLL_LONGTERM): device pages are brought to RAM first (coherent ones too, so
 * device memory stays evictable); then each page holds a pin. */
export function* pin_user_pages(k: Kernel, mm: Mm, start: number, end: number): K<number> {
	if (end <= start) { fail('EINVAL', 'pin of zero pages'); }
	yield* k.enter('pin_user_pages', { addr: start * PAGE_SIZE, npages: end - start, process: mm.name });
	try {
		for (let vpn = start; vpn < end; vpn++) {
			const probe = mm.vmas.find(vpn);
			const write = probe?.writable ?? false;
			let vma = yield* gup_one(k, mm, vpn, write);
			let pfn = mm.pt.pfn(vpn);
			if (k.frames.flags[pfn] & PG.DEV_COHERENT) {
				// migrate_device_coherent_folio
				const dev = k.devices[k.frames.owner[pfn]];
				const a = new MigrateVma(mm, vma, vpn, vpn + 1, SELECT.DEVICE_COHERENT, dev, `${dev.name} -> ram (long-term pin)`);
				yield* migrate_vma_setup(k, a);
				yield* finish_migration_to_ram(k, dev, a);
				vma = yield* gup_one(k, mm, vpn, write);
				pfn = mm.pt.pfn(vpn);
			}
			if (k.frames.isZero(pfn)) { continue; }
			k.frames.pincount[pfn]++;
			get_page(k, pfn);
		}
		return end - start;
	} finally {
		k.leave();
	}
}

export function unpin_user_pages(k: Kernel, mm: Mm, start: number, end: number): number {
	let n = 0;
	for (let vpn = start; vpn < end; vpn++) {
		const t = mm.pt.pte(vpn) & PTE.TYPE_MASK;
		const pfn = mm.pt.pfn(vpn);
		if (t === PTE.NONE || k.frames.pincount[pfn] <= 0) { continue; }
		k.frames.pincount[pfn]--;
		put_page(k, pfn);
		n++;
	}
	if (n === 0) { fail('EINVAL', 'no pinned page in the range'); }
	return n;
}
