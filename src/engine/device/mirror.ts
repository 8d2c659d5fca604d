// A device's mirror of one process: its device page table (dmirror's `pt` xarray) and the mmu
// interval notifier that keeps it coherent with the CPU page table. Entries hold no page
// references: their validity rests on the notifier alone, exactly as in the kernel.
import { PageTable, PTE } from '../mm/pagetable';
import type { Mm } from '../mm/mm';
import {
	type IntervalNotifier, type IntervalNotifierOps, mmu_interval_notifier_insert, mmu_interval_notifier_remove, type NotifierRange,
} from '../mm/mmu_notifier';
import type { Device } from './device';

/** the whole user address space, in pages */
export const ADDRESS_SPACE_PAGES = 2 ** 47 / 4096;

export class Mirror implements IntervalNotifierOps {
	readonly pt = new PageTable();
	readonly notifier: IntervalNotifier;
	/** notifier callbacks received, and those that removed entries */
	callbacks = 0;

	constructor(readonly dev: Device, readonly mm: Mm) {
		this.notifier = mmu_interval_notifier_insert(mm, 0, ADDRESS_SPACE_PAGES, this);
	}

	get label(): string { return this.dev.name; }

	/** dmirror_interval_invalidate skips only its own device's migrations. */
	skips(range: NotifierRange): boolean {
		return range.event === 'MIGRATE' && range.owner === this.dev;
	}

	/** dmirror_interval_invalidate -> dmirror_do_update */
	invalidate(_sub: IntervalNotifier, range: NotifierRange): number {
		this.callbacks++;
		if (range.cpuFault) {
			// the CPU takes back a page this device holds for atomics (remove_device_exclusive_entry):
			// the CPU fault lands on this device
			this.pt.forEach(range.start, range.end, (_v, _p, pte) => { if (pte & PTE.ATOMIC) { this.dev.stats.cpu_faults++; } });
		}
		const removed = this.erase(range.start, range.end);
		if (removed > 0) { this.dev.stats.invalidations++; }
		return removed;
	}

	/** The process exited (mmu_notifier_release): the mirror goes with it. */
	release(): void {
		this.destroy();
		this.dev.mirrors.delete(this.mm);
	}

	/** dmirror_do_update: xa_erase of [start, end) */
	erase(start: number, end: number): number {
		let n = 0;
		this.pt.forEach(start, end, vpn => { this.pt.clear(vpn); n++; });
		return n;
	}

	/** Stores a page: writable and atomic tags as dmirror's DPT_XA_TAG_WRITE / _ATOMIC. */
	map(vpn: number, pfn: number, write: boolean, atomic = false): void {
		this.pt.set(vpn, pfn, PTE.PRESENT | (write ? PTE.WRITE : 0) | (atomic ? PTE.ATOMIC : 0));
	}

	isAtomic(vpn: number): boolean { return (this.pt.pte(vpn) & PTE.ATOMIC) !== 0; }

	destroy(): void {
		mmu_interval_notifier_remove(this.notifier);
		this.pt.reset();
	}
}
