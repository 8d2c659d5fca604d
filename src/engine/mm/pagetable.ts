// A sparse page table: 512-entry leaf tables (one PMD's worth) created on first use, so a
// terabyte mapping with a few touched pages costs a few small typed arrays. A leaf marked `huge`
// is a PMD mapping of one THP: its 512 entries are still filled (head+i), which keeps every
// per-page lookup uniform while split_huge_pmd is just clearing the flag.
// The same structure serves the CPU page tables and the devices' mirror page tables.

export const PTRS_PER_PMD = 512;
export const PMD_SHIFT = 9; // in pages

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
}

export class PtLeaf {
	readonly pfn = new Int32Array(PTRS_PER_PMD);
	readonly pte = new Uint8Array(PTRS_PER_PMD);
	/** PMD-mapped THP */
	huge = false;
	/** entries whose type is not NONE */
	used = 0;
}

export class PageTable {
	readonly leaves = new Map<number, PtLeaf>();

	leaf(vpn: number): PtLeaf | undefined {
		return this.leaves.get(Math.floor(vpn / PTRS_PER_PMD));
	}

	leafFor(vpn: number): PtLeaf {
		const key = Math.floor(vpn / PTRS_PER_PMD);
		let l = this.leaves.get(key);
		if (!l) { l = new PtLeaf(); this.leaves.set(key, l); }
		return l;
	}

	pte(vpn: number): number {
		const l = this.leaf(vpn);
		return l ? l.pte[vpn % PTRS_PER_PMD] : PTE.NONE;
	}

	pfn(vpn: number): number {
		const l = this.leaf(vpn);
		return l ? l.pfn[vpn % PTRS_PER_PMD] : -1;
	}

	set(vpn: number, pfn: number, pte: number): void {
		const l = this.leafFor(vpn);
		const i = vpn % PTRS_PER_PMD;
		if ((l.pte[i] & PTE.TYPE_MASK) === PTE.NONE && (pte & PTE.TYPE_MASK) !== PTE.NONE) { l.used++; }
		l.pte[i] = pte;
		l.pfn[i] = pfn;
	}

	/** Sets only the flag bits of an existing entry. */
	setFlags(vpn: number, pte: number): void {
		const l = this.leaf(vpn);
		if (l) { l.pte[vpn % PTRS_PER_PMD] = pte; }
	}

	clear(vpn: number): void {
		const key = Math.floor(vpn / PTRS_PER_PMD);
		const l = this.leaves.get(key);
		if (!l) { return; }
		const i = vpn % PTRS_PER_PMD;
		if ((l.pte[i] & PTE.TYPE_MASK) !== PTE.NONE) {
			l.used--;
			l.pte[i] = 0;
			l.pfn[i] = 0;
			if (l.used === 0) { this.leaves.delete(key); }
		}
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

	/** Number of non-none entries in [start, end). */
	countPresent(start: number, end: number): number {
		let n = 0;
		this.forEach(start, end, () => { n++; });
		return n;
	}

	/** A deep copy (for snapshots and tests). */
	clone(): PageTable {
		const t = new PageTable();
		for (const [k, l] of this.leaves) {
			const c = new PtLeaf();
			c.pfn.set(l.pfn); c.pte.set(l.pte); c.huge = l.huge; c.used = l.used;
			t.leaves.set(k, c);
		}
		return t;
	}
}
