// What a device maps of a process: its mirror page table read entry by entry, as the mapped()
// and perm() builtins, the page records and the device's mirror table listing see it.
import type { Kernel } from './kernel';
import type { Mm } from './mm/mm';
import { PTE, PTRS_PER_PMD } from './mm/pagetable';
import { PAGE_SIZE } from './mm/content';
import type { Device } from './device/device';
import type { Mirror } from './device/mirror';
import { pageLocation } from './view_location';
import type { MirrorEntryRecord, MirrorPerm, MirrorTableEntry } from './view_types';

export function mirrorPerm(pte: number): MirrorPerm {
	if ((pte & PTE.TYPE_MASK) === PTE.NONE) { return 'none'; }
	return pte & PTE.ATOMIC ? 'atomic' : pte & PTE.WRITE ? 'rw' : 'r';
}

/** The entry of `dev` for page vpn of mm ('none' when the device has none or does not mirror mm). */
export function mirrorEntry(k: Kernel, dev: Device, mm: Mm, vpn: number, m: Mirror | undefined = dev.mirrors.get(mm)): MirrorEntryRecord {
	const pte = m ? m.pt.pte(vpn) : 0;
	const perm = mirrorPerm(pte);
	const pfn = perm === 'none' ? -1 : m!.pt.pfn(vpn);
	// own: the frame is in the device's memory (its resident page, or its read-duplicated copy)
	const copy = perm !== 'none' && (pte & PTE.COPY) !== 0;
	const own = pfn >= 0 && dev.ownsPfn(k, pfn);
	const handle = m?.handle;
	const stale = perm !== 'none' && m!.stale.has(vpn);
	return { device: dev.name, vpn, address: vpn * PAGE_SIZE, perm, pfn, ...(copy ? { copy } : {}), ...(own ? { own } : {}), ...(handle !== undefined ? { handle } : {}), ...(stale ? { stale } : {}) };
}

/** mapped(): entries the device holds for [start, end). */
export function mapped(dev: Device, mm: Mm, start: number, end: number, m: Mirror | undefined = dev.mirrors.get(mm)): number {
	return m ? m.pt.countPresent(start, end) : 0;
}

/** perm(): the one access the device has to every page of [start, end), or 'mixed'. */
export function perm(dev: Device, mm: Mm, start: number, end: number, m: Mirror | undefined = dev.mirrors.get(mm)): string {
	let p: string | undefined;
	for (let vpn = start; vpn < end; vpn++) {
		const q = mirrorPerm(m ? m.pt.pte(vpn) : 0);
		if (p === undefined) { p = q; } else if (p !== q) { return 'mixed'; }
	}
	return p ?? 'none';
}

/** Entries of the device's table for mm in [start, end) in address order: the first `skip` are
 * passed over, and at most `limit` returned (so a client can page through millions). */
export function mirrorTable(k: Kernel, dev: Device, mm: Mm, start: number, end: number, skip: number, limit: number,
	m: Mirror | undefined = dev.mirrors.get(mm)): MirrorTableEntry[] {
	const out: MirrorTableEntry[] = [];
	if (!m || end <= start || limit <= 0) { return out; }
	const first = Math.floor(start / PTRS_PER_PMD);
	const last = Math.floor((end - 1) / PTRS_PER_PMD);
	const keys = [...m.pt.leaves.keys()].filter(key => key >= first && key <= last).sort((a, b) => a - b);
	let left = Math.max(0, skip);
	for (const key of keys) {
		const l = m.pt.leaves.get(key)!;
		const base = key * PTRS_PER_PMD;
		const whole = base >= start && base + PTRS_PER_PMD <= end;
		// a whole leaf to pass over costs nothing: its count of entries is kept
		if (whole && left >= l.used) { left -= l.used; continue; }
		const lo = Math.max(start, base) - base;
		const hi = Math.min(end, base + PTRS_PER_PMD) - base;
		for (let i = lo; i < hi && out.length < limit; i++) {
			const e = l.pte[i];
			if ((e & PTE.TYPE_MASK) === PTE.NONE) { continue; }
			if (left > 0) { left--; continue; }
			const vpn = base + i;
			const pfn = l.pfn[i];
			out.push({
				device: dev.name, vpn, address: vpn * PAGE_SIZE, perm: mirrorPerm(e), pfn, ...(e & PTE.COPY ? { copy: true } : {}),
				...(dev.ownsPfn(k, pfn) ? { own: true } : {}), location: pageLocation(k, mm, vpn),
				...(m.handle !== undefined ? { handle: m.handle } : {}), ...(m.stale.has(vpn) ? { stale: true } : {}),
			});
		}
		if (out.length >= limit) { break; }
	}
	return out;
}

/** Entries in the device's table for mm. */
export function mirrorEntries(dev: Device, mm: Mm, m: Mirror | undefined = dev.mirrors.get(mm)): number {
	let n = 0;
	if (m) { for (const l of m.pt.leaves.values()) { n += l.used; } }
	return n;
}
