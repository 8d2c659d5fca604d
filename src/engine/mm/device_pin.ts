// Pinning pages in device memory: experimental=pin_device (docs/proposals.md). HMM's 2014 RFC
// proposed letting a driver pin private memory in the device; mainline never did (device-private
// memory cannot be pinned: GUP migrates it back first). The mode models the proposal on top of
// the kernel's own pin accounting: a device pin is a FOLL_PIN-style reference on the device page
// (pincount and refcount raised), so everything that already refuses pinned pages refuses it too:
// migrate_vma_collect skips it (no migration back, no eviction), and unpin_user_pages drops it.
// What the proposal had to decide is what a CPU touching such a page gets: SIGBUS (the RFC's
// answer, pin_device=sigbus) or a wait until the pin is dropped (pin_device=stall). A pin lasts
// until `unpin`, or for the duration it was taken for; a CPU that would wait for a pin nothing can
// drop (one thread, no duration) is reported as a deadlock rather than hanging the simulation.
import type { Kernel } from '../kernel';
import { fail } from '../sim/errors';
import type { Mm } from './mm';
import { PTE } from './pagetable';
import { get_page, put_page } from './page';
import { PAGE_SIZE } from './content';

export type PinDeviceMode = 'stall' | 'sigbus';

/** The pins on device pages: pfn -> simulated time the pin ends (Infinity until `unpin`). A
 * sparse map: pins are few next to the pages a machine holds. */
export class DevicePins {
	readonly until = new Map<number, number>();
	/** earliest end among the pins, so expiry is a comparison until one is due */
	private due = Infinity;
	/** time CPUs spent waiting for pins to end (pin_device=stall) */
	waitedNs = 0;
	/** CPU accesses that hit a pinned page */
	blocked = 0;

	add(pfn: number, until: number): void {
		this.until.set(pfn, until);
		this.due = Math.min(this.due, until);
	}

	/** Drops the pins whose time has come (their references too). */
	expire(k: Kernel): void {
		if (k.clock < this.due) { return; }
		this.due = Infinity;
		for (const [pfn, until] of this.until) {
			if (until <= k.clock) { this.drop(k, pfn); } else { this.due = Math.min(this.due, until); }
		}
	}

	/** unpin_user_pages of a device-pinned page: its reference goes with it. */
	drop(k: Kernel, pfn: number): void {
		if (!this.until.delete(pfn)) { return; }
		k.frames.pincount[pfn >> 12][pfn & 4095]--;
		put_page(k, pfn);
	}

	pinnedPages(owner: number, k: Kernel): number {
		let n = 0;
		for (const pfn of this.until.keys()) { if (k.frames.owner[pfn >> 12][pfn & 4095] === owner) { n++; } }
		return n;
	}
}

/** `pin R -> DEV`: takes a device pin on every page of [start, end) resident in DEV's memory.
 * Returns how many pages were not there to pin. */
export function device_pin_pages(k: Kernel, mm: Mm, start: number, end: number, owner: number, untilNs: number): number {
	let missing = 0;
	for (let vpn = start; vpn < end; vpn++) {
		const t = mm.pt.pte(vpn) & PTE.TYPE_MASK;
		const pfn = mm.pt.pfn(vpn);
		if ((t !== PTE.DEVPRIV && t !== PTE.PRESENT) || k.frames.owner[pfn >> 12][pfn & 4095] !== owner) { missing++; continue; }
		if (k.pins.until.has(pfn)) { k.pins.add(pfn, Math.max(k.pins.until.get(pfn)!, untilNs)); continue; }
		k.frames.pincount[pfn >> 12][pfn & 4095]++;
		get_page(k, pfn);
		k.pins.add(pfn, untilNs);
	}
	return missing;
}

/** do_swap_page on a device-private entry whose page is pinned in the device: SIGBUS, or the
 * CPU waits for the pin to end. Returns with the pin gone, so migrate_to_ram can proceed. */
export function device_pin_fault(k: Kernel, mm: Mm, vpn: number, pfn: number): void {
	k.pins.expire(k);
	const until = k.pins.until.get(pfn);
	if (until === undefined) { return; }
	k.pins.blocked++;
	const where = `${mm.name} at 0x${(vpn * PAGE_SIZE).toString(16)}`;
	if (k.config.pinDevice === 'sigbus') { fail('SIGBUS', `CPU access to a page pinned in device memory (${where})`); }
	if (until === Infinity) {
		fail('EDEADLK', `CPU access to a page pinned in device memory (${where}) would wait forever: only this thread could unpin it (pin for a duration, or pin_device=sigbus)`);
	}
	k.pins.waitedNs += until - k.clock;
	k.clock = until;
	k.pins.expire(k);
}
