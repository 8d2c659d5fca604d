// A sparse page table: 512-entry leaf tables (one PMD's worth) created on first use, so a
// terabyte mapping with a few touched pages costs a few small typed arrays. A leaf marked `huge`
// is a PMD mapping of one THP: its 512 entries are still filled (head+i), which keeps every
// per-page lookup uniform while split_huge_pmd is just clearing the flag.
// The same structure serves the CPU page tables and the devices' mirror page tables.

import { checkHostMemory } from '../sim/budget';

export const PTRS_PER_PMD = 512;
// Page numbers exceed the small-integer range (user addresses reach 2^47), and `%` on them is a
// slow floating-point remainder; `vpn & (PTRS_PER_PMD - 1)` is exact for any integer below 2^53.

/** PTE encoding: a type in the low 3 bits, then permission and state bits. */
export const enum PTE {
	NONE = 0,
	PRESENT = 1,    // maps pfn (the zero page included)
	DEVPRIV = 2,    // device-private swap entry: pfn is the device page
	EXCL = 3,       // device-exclusive entry: pfn is the RAM page, CPU access must restore it
	SWAP = 4,       // swapped out: pfn is the swap slot
	MIGRATION = 5,  // a migration entry: pfn is the page being migrated, WRITE as it was
	TYPE_MASK = 7,
	WRITE = 1 << 3,
	DIRTY = 1 << 4,
	YOUNG = 1 << 5,
	ATOMIC = 1 << 6, // mirror tables only: the device holds exclusive (atomic) access
	// CPU tables only: write-protected because secondary MMUs hold read-only copies of the page
	// (device/uvm/read_dup.ts); the write fault that lifts it notifies them first (do_wp_page)
	WP_NOTIFY = 1 << 7,
	COPY = 1 << 7, // mirror tables only: the entry maps the device's own read-only copy of the page
}

// Leaves are carved out of shared 64-leaf buffers: one backing allocation instead of 128 makes
// populating terabyte mappings (and their device mirrors) several times cheaper.
const LEAF_BYTES = PTRS_PER_PMD * 5;
const LEAVES_PER_BUFFER = 64;
let pool: ArrayBuffer | undefined;
let poolUsed = LEAVES_PER_BUFFER;

// the host-memory check reads the process's RSS, which costs more than a buffer of leaves: it runs
// once per HOST_CHECK_BUFFERS buffers (2.5 MiB of leaves), and for the first
const HOST_CHECK_BUFFERS = 16;
let buffers = 0;

function carve(): [Int32Array, Uint8Array] {
	if (poolUsed === LEAVES_PER_BUFFER) {
		if (buffers++ % HOST_CHECK_BUFFERS === 0) { checkHostMemory('page tables'); }
		pool = new ArrayBuffer(LEAF_BYTES * LEAVES_PER_BUFFER);
		poolUsed = 0;
	}
	const at = LEAF_BYTES * poolUsed++;
	return [new Int32Array(pool!, at, PTRS_PER_PMD), new Uint8Array(pool!, at + PTRS_PER_PMD * 4, PTRS_PER_PMD)];
}

export class PtLeaf {
	readonly pfn: Int32Array;
	readonly pte: Uint8Array;
	constructor() { [this.pfn, this.pte] = carve(); }
	/** PMD-mapped THP or hugetlb page */
	huge = false;
	/** part of a PUD mapping (a 1 GiB hugetlb page): every leaf of it is `huge` and `pud` */
	pud = false;
	/** entries whose type is not NONE */
	used = 0;
}

export class PageTable {
	readonly leaves = new Map<number, PtLeaf>();
	// the last leaf looked up: walks are sequential, so most lookups hit it
	private lastKey = -1;
	private lastLeaf: PtLeaf | undefined;

	leaf(vpn: number): PtLeaf | undefined {
		const key = Math.floor(vpn / PTRS_PER_PMD);
		if (key === this.lastKey) { return this.lastLeaf; }
		const l = this.leaves.get(key);
		this.lastKey = key;
		this.lastLeaf = l;
		return l;
	}

	leafFor(vpn: number): PtLeaf {
		const key = Math.floor(vpn / PTRS_PER_PMD);
		if (key === this.lastKey && this.lastLeaf) { return this.lastLeaf; }
		let l = this.leaves.get(key);
		if (!l) { l = new PtLeaf(); this.leaves.set(key, l); }
		this.lastKey = key;
		this.lastLeaf = l;
		return l;
	}

	pte(vpn: number): number {
		const l = this.leaf(vpn);
		return l ? l.pte[(vpn & (PTRS_PER_PMD - 1))] : PTE.NONE;
	}

	pfn(vpn: number): number {
		const l = this.leaf(vpn);
		return l ? l.pfn[(vpn & (PTRS_PER_PMD - 1))] : -1;
	}

	set(vpn: number, pfn: number, pte: number): void {
		const l = this.leafFor(vpn);
		const i = (vpn & (PTRS_PER_PMD - 1));
		if ((l.pte[i] & PTE.TYPE_MASK) === PTE.NONE && (pte & PTE.TYPE_MASK) !== PTE.NONE) { l.used++; }
		l.pte[i] = pte;
		l.pfn[i] = pfn;
	}

	/** Sets only the flag bits of an existing entry. */
	setFlags(vpn: number, pte: number): void {
		const l = this.leaf(vpn);
		if (l) { l.pte[(vpn & (PTRS_PER_PMD - 1))] = pte; }
	}

	clear(vpn: number): void {
		const key = Math.floor(vpn / PTRS_PER_PMD);
		const l = this.leaves.get(key);
		if (!l) { return; }
		const i = (vpn & (PTRS_PER_PMD - 1));
		if ((l.pte[i] & PTE.TYPE_MASK) !== PTE.NONE) {
			l.used--;
			l.pte[i] = 0;
			l.pfn[i] = 0;
			if (l.used === 0) {
				this.leaves.delete(key);
				if (key === this.lastKey) { this.lastLeaf = undefined; }
			}
		}
	}

	/** Drops the leaf holding vpn if no entry of it is left (what clear() does as it empties it;
	 * for callers that empty a leaf entry by entry themselves). */
	dropIfEmpty(vpn: number): void {
		const key = Math.floor(vpn / PTRS_PER_PMD);
		const l = this.leaves.get(key);
		if (!l || l.used !== 0) { return; }
		this.leaves.delete(key);
		if (key === this.lastKey) { this.lastLeaf = undefined; }
	}

	isHuge(vpn: number): boolean {
		return this.leaf(vpn)?.huge ?? false;
	}

	/** Calls fn for every non-none entry in [start, end) in address order; fn may modify the entry. */
	forEach(start: number, end: number, fn: (vpn: number, pfn: number, pte: number, leaf: PtLeaf) => void): void {
		const first = Math.floor(start / PTRS_PER_PMD);
		const last = Math.floor((end - 1) / PTRS_PER_PMD);
		const visit = (key: number, l: PtLeaf) => {
			const base = key * PTRS_PER_PMD;
			const lo = Math.max(start, base) - base;
			const hi = Math.min(end, base + PTRS_PER_PMD) - base;
			for (let i = lo; i < hi; i++) {
				const t = l.pte[i];
				if ((t & PTE.TYPE_MASK) !== PTE.NONE) { fn(base + i, l.pfn[i], t, l); }
			}
		};
		if (last - first + 1 <= this.leaves.size) {
			for (let key = first; key <= last; key++) {
				const l = this.leaves.get(key);
				if (l) { visit(key, l); }
			}
		} else {
			const keys = [...this.leaves.keys()].filter(k => k >= first && k <= last).sort((a, b) => a - b);
			for (const key of keys) {
				const l = this.leaves.get(key);
				if (l) { visit(key, l); }
			}
		}
	}

	/** The leaves overlapping [start, end) in address order, with the page number of their entry 0. */
	*leavesIn(start: number, end: number): Generator<[number, PtLeaf]> {
		const first = Math.floor(start / PTRS_PER_PMD);
		const last = Math.floor((end - 1) / PTRS_PER_PMD);
		const keys = last - first + 1 <= this.leaves.size ? null : [...this.leaves.keys()].filter(k => k >= first && k <= last).sort((a, b) => a - b);
		if (keys) {
			for (const key of keys) { yield [key * PTRS_PER_PMD, this.leaves.get(key)!]; }
			return;
		}
		for (let key = first; key <= last; key++) {
			const l = this.leaves.get(key);
			if (l) { yield [key * PTRS_PER_PMD, l]; }
		}
	}

	/** Number of non-none entries in [start, end). */
	countPresent(start: number, end: number): number {
		let n = 0;
		this.forEach(start, end, () => { n++; });
		return n;
	}

	/** Moves the whole leaf (one PMD's worth) holding `from` to the PMD slot holding `to`, which
	 * must be empty (move_huge_pmd / move_normal_pmd). */
	moveLeaf(from: number, to: number): void {
		const fk = Math.floor(from / PTRS_PER_PMD), tk = Math.floor(to / PTRS_PER_PMD);
		const l = this.leaves.get(fk);
		if (!l) { return; }
		this.leaves.delete(fk);
		this.leaves.set(tk, l);
		this.lastKey = -1;
		this.lastLeaf = undefined;
	}

	/** Drops every entry. */
	reset(): void {
		this.leaves.clear();
		this.lastKey = -1;
		this.lastLeaf = undefined;
	}

	/** A deep copy (for snapshots and tests). */
	clone(): PageTable {
		const t = new PageTable();
		for (const [k, l] of this.leaves) {
			const c = new PtLeaf();
			c.pfn.set(l.pfn); c.pte.set(l.pte); c.huge = l.huge; c.pud = l.pud; c.used = l.used;
			t.leaves.set(k, c);
		}
		return t;
	}
}
