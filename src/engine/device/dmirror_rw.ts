// HMM_DMIRROR_READ / HMM_DMIRROR_WRITE: the device accesses process memory through its mirror
// page table, and faults missing entries in with hmm_range_fault (dmirror_fault).
import { type Kernel, TICK_PAGES } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import { PTE, PTRS_PER_PMD } from '../mm/pagetable';
import type { Mm } from '../mm/mm';
import { type Errno, HmmRange, HMM_PFN, hmm_range_fault } from '../hmm/hmm_range_fault';
import type { Device } from './device';
import type { Mirror } from './mirror';
import { fillPage } from '../mm/fill';
import { fillSpan, type RangeFill } from '../mm/access';
import { PG } from '../mm/frames';
import { PAGE_SIZE } from '../mm/content';
import { transferNs } from '../sim/cost';
import { down_write, locked, lockOf, up_write } from '../sim/sched';
import { reachedSlot, writeReached } from './mirror_stale';

export interface DevOpResult { cpages: number; faults: number; /** read_retry rounds (last.retries) */ retries?: number }

/** HMM_RANGE_DEFAULT_TIMEOUT, as a bound on read_begin/read_retry rounds */
const MAX_RETRIES = 1000;
/** pages per hmm_range_fault call: dmirror_fault's on-stack pfns[] array. The newest mm tree has
 * 32 entries (mainline had 64); each chunk is stored in the mirror before the next one is
 * faulted, so an error in a later chunk leaves the earlier ones mapped. */
export const FAULT_CHUNK = 32;

export function mirrorOf(dev: Device, mm: Mm): Mirror {
	const m = dev.mirrors.get(mm);
	if (!m) { fail('EINVAL', `device '${dev.name}' does not mirror process '${mm.name}' (use '${dev.name} mirror ${mm.name}')`); }
	return m;
}

/** dmirror_range_fault: the canonical read_begin / hmm_range_fault / read_retry loop. hmm_range_fault
 * runs under mmap_read_lock; the result is checked with mmu_interval_read_retry under the driver's
 * page-table lock, the lock its invalidate callback takes, so an invalidation that ran in between
 * sends the driver round again (dev.stats.retries). A device with read_retry=skip leaves that check
 * out, the classic driver bug: it then maps whatever the stale walk returned. */
function* dmirror_range_fault(k: Kernel, dev: Device, m: Mirror, range: HmmRange, start: number, end: number): K {
	const mmap = lockOf(m.mm, 'mmap_lock');
	const mutex = lockOf(m, 'the driver page-table lock');
	for (let tries = 0; ; tries++) {
		rangeBegin(dev, m, range, start, end, tries);
		const r = yield* locked(k, mmap, false, hmm_range_fault(k, range));
		if (r === 'EBUSY') { continue; }
		rangeChecked(r);
		yield* down_write(k, mutex, 'mutex_lock');
		try {
			if (rangeStored(dev, m, range, start)) { return; }
		} finally { up_write(k, mutex); }
	}
}

/** read_begin for one more round of dmirror_range_fault. */
function rangeBegin(dev: Device, m: Mirror, range: HmmRange, start: number, end: number, tries: number): void {
	range.reset(start, end);
	if (tries >= MAX_RETRIES) { fail('EBUSY', 'hmm_range_fault kept racing with invalidations'); }
	if (tries > 0) { dev.stats.retries++; }
	range.notifierSeq = m.notifier.readBegin();
}

/** hmm_range_fault's failures other than EBUSY end the fault. */
function rangeChecked(r: Errno): void {
	if (r !== 0 && r !== 'EBUSY') { fail(r, r === 'EFAULT' ? 'device fault on an address with no readable mapping' : 'device write to memory without write permission'); }
}

/** Under the driver lock: read_retry, then the walk's pfns into the mirror; false: go round again. */
function rangeStored(dev: Device, m: Mirror, range: HmmRange, start: number): boolean {
	if (dev.cfg.readRetry !== 'skip' && m.notifier.readRetry(range.notifierSeq)) { return false; }
	dmirror_do_fault(m, range, start);
	return true;
}

/** dmirror_do_fault: stores the walked pfns in the mirror (under the driver lock). */
function dmirror_do_fault(m: Mirror, range: HmmRange, start: number): void {
	// dmirror_do_fault refuses a page that came back without the write it asked for (its own
	// read-only device-private page is reported as is and never faulted)
	if (range.defaultFlags & HMM_PFN.REQ_WRITE) {
		for (let i = 0; i < range.npages; i++) {
			if ((range.flags[i] & HMM_PFN.VALID) && !(range.flags[i] & HMM_PFN.WRITE)) {
				fail('EFAULT', `write requested but not granted at 0x${((start + i) * PAGE_SIZE).toString(16)} (a read-only page of the device's own memory)`);
			}
		}
	}
	// dmirror_do_update under the driver lock
	let li = start & (PTRS_PER_PMD - 1);
	let leaf = m.pt.leafFor(start);
	const stale = m.stale.size > 0;
	for (let i = 0; i < range.npages; i++, li++) {
		if (li === PTRS_PER_PMD) { li = 0; leaf = m.pt.leafFor(start + i); }
		const fl = range.flags[i];
		// a read-duplicate copy (uvm/read_dup.ts) is already the page, read-only and local
		if (!(fl & HMM_PFN.VALID) || (leaf.pte[li] & PTE.COPY)) { continue; }
		if (stale) { m.refreshed(start + i, start + i + 1); }
		if (leaf.pte[li] === 0) { leaf.used++; }
		leaf.pfn[li] = range.pfns[i];
		leaf.pte[li] = PTE.PRESENT | (fl & HMM_PFN.WRITE ? PTE.WRITE : 0);
	}
}

/** Copies through the mirror from `from`; returns the first page with no (suitable) entry, or end. */
function do_copy(k: Kernel, dev: Device, m: Mirror, from: number, end: number, write: boolean,
	out: Uint8Array | undefined, rf: RangeFill | undefined, base: number, res: DevOpResult): number {
	const f = k.frames;
	let remote = 0;
	// entries left behind by another open file's migration reach freed frames (mirror_stale.ts)
	const stale = m.stale.size > 0 ? m.stale : undefined;
	let i = from & (PTRS_PER_PMD - 1);
	let leaf = m.pt.leaf(from);
	for (let vpn = from; vpn < end; vpn++, i++) {
		if (i === PTRS_PER_PMD) { i = 0; leaf = m.pt.leaf(vpn); }
		if (!leaf || leaf.pte[i] === 0 || (write && !(leaf.pte[i] & PTE.WRITE))) {
			chargeCopy(k, dev, remote);
			return vpn;
		}
		const pfn = leaf.pfn[i];
		if (f.owner[pfn >> 12][pfn & 4095] !== dev.index) { remote++; }
		if (stale?.has(vpn)) { copyStale(k, pfn, vpn, write, out, rf, base); res.cpages++; continue; }
		if (out) { k.content.read(f.slot[pfn >> 12][pfn & 4095], 0, PAGE_SIZE, out, (vpn - base) * PAGE_SIZE); }
		if (rf) {
			const span = fillSpan(rf, vpn);
			if (span.to > span.from) { f.slot[pfn >> 12][pfn & 4095] = fillPage(k.content, f.slot[pfn >> 12][pfn & 4095], rf.fill, span.base, span.from, span.to); }
			f.flags[pfn >> 12][pfn & 4095] |= PG.DIRTY;
		}
		res.cpages++;
	}
	chargeCopy(k, dev, remote);
	return end;
}

/** dmirror_do_read / dmirror_do_write through an entry that may have outlived its page. */
function copyStale(k: Kernel, pfn: number, vpn: number, write: boolean, out: Uint8Array | undefined, rf: RangeFill | undefined, base: number): void {
	if (out) { k.content.read(reachedSlot(k, pfn), 0, PAGE_SIZE, out, (vpn - base) * PAGE_SIZE); }
	if (!write || !rf) { return; }
	const span = fillSpan(rf, vpn);
	if (span.to > span.from) { writeReached(k, pfn, slot => fillPage(k.content, slot, rf.fill, span.base, span.from, span.to)); }
	if (k.frames.refcount[pfn >> 12][pfn & 4095] > 0) { k.frames.flags[pfn >> 12][pfn & 4095] |= PG.DIRTY; }
}

function chargeCopy(k: Kernel, dev: Device, remotePages: number): void {
	k.advance(transferNs(dev.cfg.linkBw, remotePages * PAGE_SIZE));
}

/** dmirror_read / dmirror_write: copy, fault what is missing, copy on. */
export function* dmirror_rw(k: Kernel, dev: Device, mm: Mm, start: number, end: number, write: boolean,
	out: Uint8Array | undefined, fill: RangeFill | undefined, via?: Mirror): K<DevOpResult> {
	if (end <= start) { fail('EINVAL', 'device access of zero pages'); }
	const m = via ?? mirrorOf(dev, mm);
	const res: DevOpResult = { cpages: 0, faults: 0 };
	yield* k.enter(write ? 'dmirror_write' : 'dmirror_read', { addr: start * PAGE_SIZE, npages: end - start, device: dev.name, process: mm.name, write });
	try {
		if (k.wants('access')) {
			yield { kind: 'access', addr: start * PAGE_SIZE, npages: end - start, device: dev.name, process: mm.name, write };
		}
		let cur = start;
		const retried = dev.stats.retries;
		for (;;) {
			res.retries = dev.stats.retries - retried;
			const stop = Math.min(end, cur + TICK_PAGES);
			const next = do_copy(k, dev, m, cur, stop, write, out, fill, start, res);
			cur = next;
			if (cur >= end) { return res; }
			if (next === stop) { yield* k.tick(cur * PAGE_SIZE); continue; }
			// dmirror_fault: one fault round over [cur, end), written out here so that a watched
			// read's page-fault events pass through one generator less
			yield* k.enter('dmirror_fault', { addr: cur * PAGE_SIZE, npages: end - cur, device: dev.name, process: m.mm.name, write });
			try {
				if (k.wants('device-fault')) {
					yield { kind: 'device-fault', addr: cur * PAGE_SIZE, npages: end - cur, device: dev.name, process: m.mm.name, write, fn: 'dmirror_fault' };
				}
				dev.stats.faults += end - cur;
				dev.stats.fault_batches++;
				k.advance(dev.cfg.faultLatencyNs);
				const range = new HmmRange(m.notifier, cur, Math.min(end, cur + FAULT_CHUNK), HMM_PFN.REQ_FAULT | (write ? HMM_PFN.REQ_WRITE : 0), 0, dev);
				for (let s = cur; s < end; s += FAULT_CHUNK) {
					yield* k.tick(s * PAGE_SIZE);
					const e = Math.min(end, s + FAULT_CHUNK);
					// with script threads the locks are taken (dmirror_range_fault); without, they
					// are uncontended and the same rounds run here, again one generator less (the
					// read_retry check stays: the walk itself can invalidate the range, reclaim
					// while faulting pages in)
					if (k.threaded) { yield* dmirror_range_fault(k, dev, m, range, s, e); continue; }
					for (let tries = 0; ; tries++) {
						rangeBegin(dev, m, range, s, e, tries);
						const r = yield* hmm_range_fault(k, range);
						if (r === 'EBUSY') { continue; }
						rangeChecked(r);
						if (rangeStored(dev, m, range, s)) { break; }
					}
				}
			} finally {
				k.leave();
			}
			res.faults++;
		}
	} finally {
		k.leave();
	}
}

/** dmirror_do_read without faulting, as MIGRATE_TO_DEV and EXCLUSIVE use it to report cpages. */
export function dmirror_check_read(k: Kernel, dev: Device, m: Mirror, start: number, end: number, out?: Uint8Array): DevOpResult & { missing: boolean } {
	if (!out) { return check_mapped(k, dev, m, start, end); }
	const res: DevOpResult = { cpages: 0, faults: 0 };
	const stop = do_copy(k, dev, m, start, end, false, out, undefined, start, res);
	return { ...res, missing: stop < end };
}

/** do_copy with nothing to copy, leaf by leaf: the pages the mirror maps up to the first it does
 * not, and the link time of those that are not in the device's memory. */
function check_mapped(k: Kernel, dev: Device, m: Mirror, start: number, end: number): DevOpResult & { missing: boolean } {
	const owner = k.frames.owner;
	let remote = 0;
	let vpn = start;
	let oc = -1;
	let own: Int16Array = owner[0];
	scan: while (vpn < end) {
		const lo = vpn & (PTRS_PER_PMD - 1);
		const hi = Math.min(PTRS_PER_PMD, lo + end - vpn);
		const leaf = m.pt.leaf(vpn);
		if (!leaf) { break; }
		const pte = leaf.pte, pfns = leaf.pfn;
		for (let i = lo; i < hi; i++, vpn++) {
			if (pte[i] === 0) { break scan; }
			const pfn = pfns[i];
			if (pfn >> 12 !== oc) { oc = pfn >> 12; own = owner[oc]; }
			if (own[pfn & 4095] !== dev.index) { remote++; }
		}
	}
	chargeCopy(k, dev, remote);
	return { cpages: vpn - start, faults: 0, missing: vpn < end };
}
