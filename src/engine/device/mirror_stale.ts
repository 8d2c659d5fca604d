// Stale entries of dmirror tables. Several open files of one device on one process are separate
// struct dmirrors, but dmirror_interval_invalidate skips a MIGRATE invalidation whenever the
// migration's owner is the *device* (range->owner == dmirror->mdevice), not the file: every file
// of the migrating device keeps its entries, and only the file that migrates replaces them
// (dmirror_migrate_finalize_and_map). The others keep pointing at the source page, which
// migrate_vma_finalize frees (or dmirror_devmem_free, for a device page going back). The tables
// hold no page references, so nothing notices: a read through such an entry copies whatever the
// freed frame holds (its old bytes until the allocator hands it out again, then its new owner's)
// and a write lands there. This is the kernel's behaviour, a use-after-free the test driver does
// not detect; the simulator reproduces it and the invariant checker accepts these entries.
//
// Content moves by reference on migration (mm/content.ts), so the source frame's bytes are gone
// from it once the copy is made: the bytes a freed frame still holds are captured when the skip
// happens (the page is locked behind migration entries from then on, so they cannot change).
import type { Kernel } from '../kernel';
import { PTE, type PageTable } from '../mm/pagetable';

/** the bytes of freed frames that stale entries can still reach, per machine */
interface Ghost { slot: number; refs: number }
const ghosts = new WeakMap<Kernel, Map<number, Ghost>>();

function ghostsOf(k: Kernel): Map<number, Ghost> {
	let g = ghosts.get(k);
	if (!g) { g = new Map(); ghosts.set(k, g); }
	return g;
}

/** One mirror's entries that survived a MIGRATE invalidation it skipped: vpn -> pfn at the time. */
export class StaleEntries {
	private readonly at = new Map<number, number>();

	get size(): number { return this.at.size; }
	has(vpn: number): boolean { return this.at.has(vpn); }
	vpns(): IterableIterator<number> { return this.at.keys(); }

	/** dmirror_interval_invalidate returned without dmirror_do_update: every entry of the table in
	 * [start, end) may outlive its page. */
	keep(k: Kernel, pt: PageTable, start: number, end: number): void {
		const f = k.frames;
		const g = ghostsOf(k);
		pt.forEach(start, end, (vpn, pfn, pte) => {
			if ((pte & PTE.COPY) || this.at.get(vpn) === pfn) { return; }
			this.drop(k, vpn);
			this.at.set(vpn, pfn);
			const bytes = (): number => (f.isZero(pfn) ? -1 : k.content.copy(f.slot[pfn >> 12][pfn & 4095]));
			const had = g.get(pfn);
			if (!had) { g.set(pfn, { slot: bytes(), refs: 1 }); return; }
			had.refs++;
			// the frame was freed before and has been handed out again since: what it will hold
			// once freed now is its new owner's bytes, for every entry that reaches it
			if (!freed(k, pfn)) {
				if (had.slot >= 0) { k.content.release(had.slot); }
				had.slot = bytes();
			}
		});
	}

	/** The entry at vpn was erased or replaced: it no longer reaches its frame. */
	drop(k: Kernel, vpn: number): void {
		const pfn = this.at.get(vpn);
		if (pfn === undefined) { return; }
		this.at.delete(vpn);
		const g = ghostsOf(k);
		const gh = g.get(pfn);
		if (gh && --gh.refs === 0) {
			if (gh.slot >= 0) { k.content.release(gh.slot); }
			g.delete(pfn);
		}
	}

	dropRange(k: Kernel, start: number, end: number): void {
		if (this.at.size === 0) { return; }
		// whichever is shorter: the range (a fault round's pages) or the stale entries
		if (end - start <= this.at.size) {
			for (let vpn = start; vpn < end; vpn++) { this.drop(k, vpn); }
			return;
		}
		for (const vpn of [...this.at.keys()]) { if (vpn >= start && vpn < end) { this.drop(k, vpn); } }
	}

	dropAll(k: Kernel): void { for (const vpn of [...this.at.keys()]) { this.drop(k, vpn); } }
}

/** Is the frame free (no reference left)? A stale entry to a live frame reaches that frame, be it
 * the page that did not move after all or whoever the allocator gave the frame to since. */
function freed(k: Kernel, pfn: number): boolean {
	return !k.frames.isZero(pfn) && k.frames.refcount[pfn >> 12][pfn & 4095] <= 0;
}

/** The content slot a read through a (possibly stale) entry to pfn copies. */
export function reachedSlot(k: Kernel, pfn: number): number {
	if (freed(k, pfn)) { return ghostsOf(k).get(pfn)?.slot ?? -1; }
	return k.frames.slot[pfn >> 12][pfn & 4095];
}

/** A write through a stale entry: into the freed frame's bytes, or into the live frame's. */
export function writeReached(k: Kernel, pfn: number, write: (slot: number) => number): void {
	if (freed(k, pfn)) {
		// every stale entry keeps its freed frame's bytes (keep)
		const gh = ghostsOf(k).get(pfn);
		if (gh) { gh.slot = write(gh.slot); }
		return;
	}
	k.frames.slot[pfn >> 12][pfn & 4095] = write(k.frames.slot[pfn >> 12][pfn & 4095]);
}

/** content slots held for freed frames (for the content accounting and tests) */
export function ghostSlots(k: Kernel): number[] {
	return [...ghostsOf(k).values()].map(g => g.slot).filter(s => s >= 0);
}
