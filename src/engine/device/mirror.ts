// A device's mirror of one process: its device page table (dmirror's `pt` xarray) and the mmu
// interval notifier that keeps it coherent with the CPU page table. Entries hold no page
// references: their validity rests on the notifier alone, exactly as in the kernel.
import { PageTable, PTE } from '../mm/pagetable';
import type { Mm } from '../mm/mm';
import {
	type IntervalNotifier, type IntervalNotifierOps, mmu_interval_notifier_insert, mmu_interval_notifier_remove, type NotifierRange,
} from '../mm/mmu_notifier';
import type { Device } from './device';
import type { Kernel } from '../kernel';
import { put_page } from '../mm/page';
import { StaleEntries } from './mirror_stale';

/** the whole user address space, in pages */
export const ADDRESS_SPACE_PAGES = 2 ** 47 / 4096;

export class Mirror implements IntervalNotifierOps {
	readonly pt = new PageTable();
	readonly notifier: IntervalNotifier;
	/** notifier callbacks received, and those that removed entries */
	callbacks = 0;
	/** set by the first mapCopy: copy entries own their page, so dropping one frees it */
	private kernel: Kernel | undefined;
	/** dmirror->flags & HMM_DMIRROR_FLAG_FAIL_ALLOC: the next page allocation of a migration
	 * through this mirror fails, once (`DEV fail_alloc`) */
	failAlloc = false;
	/** entries that outlived a MIGRATE invalidation another open file of this device caused */
	readonly stale = new StaleEntries();

	/** `host` is needed only by a device that may have several open files on one process (the
	 * dmirror test driver); `handle` names a further open file (`DEV mirror PROC as NAME`). */
	constructor(readonly dev: Device, readonly mm: Mm, private readonly host?: Kernel, readonly handle?: string) {
		this.notifier = mmu_interval_notifier_insert(mm, 0, ADDRESS_SPACE_PAGES, this);
	}

	get label(): string { return this.dev.name; }

	/** dmirror_interval_invalidate skips its own *device's* migrations (range->owner ==
	 * dmirror->mdevice), whichever open file of the device migrates. */
	skips(range: NotifierRange): boolean {
		if (range.event !== 'MIGRATE' || range.owner !== this.dev) { return false; }
		// its own migration moves the page itself: read-duplicate copies of it are dropped anyway
		this.dropCopies(range.start, range.end);
		// with several open files on the process, the entries left in place may outlive their
		// pages (device/mirror_stale.ts)
		if (this.host && this.dev.handles.length > 0 && this.dev.mirrorsOf(this.mm).length > 1) { this.stale.keep(this.host, this.pt, range.start, range.end); }
		return true;
	}

	/** An entry of [start, end) was written afresh (dmirror_do_fault): it reaches its page again. */
	refreshed(start: number, end: number): void {
		if (this.host && this.stale.size > 0) { this.stale.dropRange(this.host, start, end); }
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
		this.forget();
	}

	/** The device lets go of this open file. */
	forget(): void {
		if (this.handle === undefined) { this.dev.mirrors.delete(this.mm); return; }
		const i = this.dev.handles.indexOf(this);
		if (i >= 0) { this.dev.handles.splice(i, 1); }
	}

	/** dmirror_do_update: xa_erase of [start, end) */
	erase(start: number, end: number): number {
		this.refreshed(start, end);
		let n = 0;
		this.pt.forEach(start, end, (vpn, pfn, pte) => {
			this.pt.clear(vpn);
			if (pte & PTE.COPY) { this.dropCopy(pfn); }
			n++;
		});
		return n;
	}

	/** Stores a page: writable and atomic tags as dmirror's DPT_XA_TAG_WRITE / _ATOMIC. */
	map(vpn: number, pfn: number, write: boolean, atomic = false): void {
		this.replaceCopy(vpn);
		this.refreshed(vpn, vpn + 1);
		this.pt.set(vpn, pfn, PTE.PRESENT | (write ? PTE.WRITE : 0) | (atomic ? PTE.ATOMIC : 0));
	}

	/** Maps the device's own read-only copy of a page (read duplication, uvm/read_dup.ts). The
	 * entry holds the copy's only reference. */
	mapCopy(k: Kernel, vpn: number, pfn: number): void {
		this.kernel = k;
		this.replaceCopy(vpn);
		this.pt.set(vpn, pfn, PTE.PRESENT | PTE.COPY);
	}

	/** Frees every read-duplicate copy in [start, end) (device memory being taken back). */
	dropCopies(start = 0, end = ADDRESS_SPACE_PAGES): number {
		let n = 0;
		if (!this.kernel) { return 0; }
		this.pt.forEach(start, end, (vpn, pfn, pte) => { if (pte & PTE.COPY) { this.pt.clear(vpn); this.dropCopy(pfn); n++; } });
		return n;
	}

	isCopy(vpn: number): boolean { return (this.pt.pte(vpn) & PTE.COPY) !== 0; }

	/** Takes a copy entry out of the table and hands its page reference to the caller. */
	detachCopy(vpn: number): number {
		if (!this.isCopy(vpn)) { return -1; }
		const pfn = this.pt.pfn(vpn);
		this.pt.clear(vpn);
		return pfn;
	}

	private replaceCopy(vpn: number): void {
		if (this.isCopy(vpn)) { this.dropCopy(this.detachCopy(vpn)); }
	}

	private dropCopy(pfn: number): void {
		if (this.kernel) { put_page(this.kernel, pfn); }
	}

	isAtomic(vpn: number): boolean { return (this.pt.pte(vpn) & PTE.ATOMIC) !== 0; }

	destroy(): void {
		mmu_interval_notifier_remove(this.notifier);
		if (this.host) { this.stale.dropAll(this.host); }
		if (this.kernel) { this.erase(0, ADDRESS_SPACE_PAGES); }
		this.pt.reset();
	}
}
