// struct page, as parallel typed arrays indexed by pfn. RAM and every device's memory share one
// pfn space; `owner` says whose memory a frame is. Frames are handed out from per-pool free
// lists, so a freed pfn is reused and the arrays only grow with the peak number of live pages.
import { fail } from '../sim/errors';

/** page flags (PG_*) */
export const enum PG {
	ANON = 1 << 0,
	FILE = 1 << 1,        // page-cache page
	DAX = 1 << 2,         // persistent memory of a DAX file
	DEV_PRIVATE = 1 << 3, // MEMORY_DEVICE_PRIVATE
	DEV_COHERENT = 1 << 4, // MEMORY_DEVICE_COHERENT
	ZERO = 1 << 5,        // the (huge) zero page
	HEAD = 1 << 6,        // first page of a PMD-sized folio
	TAIL = 1 << 7,
	DIRTY = 1 << 8,
	LAZYFREE = 1 << 9,    // MADV_FREE: may be dropped instead of written
	SWAPBACKED = 1 << 10, // shared anon (shmem)
	HUGETLB = 1 << 11,    // a hugetlbfs page
}

export const RAM_POOL = -1;
export const ZERO_PFN = 0;
/** the huge zero page occupies pfns 1..512 */
export const HUGE_ZERO_PFN = 1;
export const HPAGE_NR = 512;
const FIRST_FREE_PFN = 1 + HPAGE_NR;

export class Frames {
	size = 0;
	refcount = new Int32Array(0);
	mapcount = new Int32Array(0);
	pincount = new Int32Array(0);
	flags = new Uint16Array(0);
	/** RAM_POOL or a device index */
	owner = new Int16Array(0);
	/** content slot in the ContentStore, -1 = all zeroes */
	slot = new Int32Array(0);
	/** rmap: anon family id, file id (see Kernel), or -1 */
	mapping = new Int32Array(0);
	/** rmap: virtual page number for anon pages, page index for file pages */
	index = new Float64Array(0);
	/** for a TAIL page, its head pfn; else the pfn itself */
	head = new Int32Array(0);

	private next = FIRST_FREE_PFN;
	private freeRam: number[] = [];
	private freeRamHuge: number[] = [];
	ramUsed = 0;

	constructor(public ramPages: number) {
		this.grow(FIRST_FREE_PFN + 1024);
		this.flags[ZERO_PFN] = PG.ZERO;
		this.refcount[ZERO_PFN] = 1;
		for (let i = 0; i < HPAGE_NR; i++) {
			const p = HUGE_ZERO_PFN + i;
			this.flags[p] = PG.ZERO | (i === 0 ? PG.HEAD : PG.TAIL);
			this.head[p] = HUGE_ZERO_PFN;
			this.refcount[p] = 1;
		}
		for (let p = 0; p < FIRST_FREE_PFN; p++) { this.owner[p] = RAM_POOL; this.slot[p] = -1; this.mapping[p] = -1; }
	}

	isZero(pfn: number): boolean { return (this.flags[pfn] & PG.ZERO) !== 0; }
	isDevice(pfn: number): boolean { return this.owner[pfn] !== RAM_POOL; }

	private grow(min: number): void {
		let cap = Math.max(this.refcount.length, 1024);
		while (cap < min) { cap *= 2; }
		if (cap === this.refcount.length) { return; }
		const g = <T extends { length: number; set(a: ArrayLike<number>): void }>(a: T, C: new (n: number) => T): T => {
			const b = new C(cap); b.set(a as unknown as ArrayLike<number>); return b;
		};
		this.refcount = g(this.refcount, Int32Array);
		this.mapcount = g(this.mapcount, Int32Array);
		this.pincount = g(this.pincount, Int32Array);
		this.flags = g(this.flags, Uint16Array);
		this.owner = g(this.owner, Int16Array);
		this.slot = g(this.slot, Int32Array);
		this.mapping = g(this.mapping, Int32Array);
		this.index = g(this.index, Float64Array);
		this.head = g(this.head, Int32Array);
	}

	/** Reserves `n` fresh contiguous pfns (device chunks, huge pages). */
	reserve(n: number): number {
		const first = this.next;
		this.next += n;
		this.grow(this.next);
		this.size = this.next;
		return first;
	}

	private init(pfn: number, owner: number, flags: number): void {
		this.refcount[pfn] = 1;
		this.mapcount[pfn] = 0;
		this.pincount[pfn] = 0;
		this.flags[pfn] = flags;
		this.owner[pfn] = owner;
		this.slot[pfn] = -1;
		this.mapping[pfn] = -1;
		this.index[pfn] = 0;
		this.head[pfn] = pfn;
	}

	/** alloc_page(): a RAM frame with refcount 1, or ENOMEM when RAM is exhausted. */
	allocRam(flags: number): number {
		if (this.ramUsed >= this.ramPages) { fail('ENOMEM', `out of memory: all ${this.ramPages} pages of RAM are in use`); }
		let pfn = this.freeRam.pop();
		if (pfn === undefined) {
			const run = this.freeRamHuge.pop();
			if (run !== undefined) {
				for (let i = HPAGE_NR - 1; i > 0; i--) { this.freeRam.push(run + i); }
				pfn = run;
			} else {
				pfn = this.reserve(1);
			}
		}
		this.ramUsed++;
		this.init(pfn, RAM_POOL, flags);
		return pfn;
	}

	/** A PMD-sized RAM folio, or -1 when RAM cannot hold it (the caller falls back to 4K). */
	allocRamHuge(flags: number): number {
		if (this.ramUsed + HPAGE_NR > this.ramPages) { return -1; }
		const head = this.freeRamHuge.pop() ?? this.reserve(HPAGE_NR);
		this.ramUsed += HPAGE_NR;
		this.initHuge(head, RAM_POOL, flags);
		return head;
	}

	initHuge(head: number, owner: number, flags: number): void {
		for (let i = 0; i < HPAGE_NR; i++) {
			this.init(head + i, owner, flags | (i === 0 ? PG.HEAD : PG.TAIL));
			this.head[head + i] = head;
		}
	}

	/** Initialises a device frame the device allocator handed out. */
	initDevice(pfn: number, owner: number, flags: number): void {
		this.init(pfn, owner, flags);
	}

	/** Splits a folio into base pages (split_folio): each keeps its own counts. */
	split(head: number): void {
		for (let i = 0; i < HPAGE_NR; i++) {
			this.flags[head + i] &= ~(PG.HEAD | PG.TAIL);
			this.head[head + i] = head + i;
		}
	}

	isHead(pfn: number): boolean { return (this.flags[pfn] & PG.HEAD) !== 0; }
	isCompound(pfn: number): boolean { return (this.flags[pfn] & (PG.HEAD | PG.TAIL)) !== 0; }

	/** Returns a RAM frame to the free lists; device frames go back through their device. */
	freeRamFrame(pfn: number): void {
		this.flags[pfn] = 0;
		this.refcount[pfn] = 0;
		this.mapping[pfn] = -1;
		this.ramUsed--;
		this.freeRam.push(pfn);
	}

	freeRamFolio(head: number): void {
		for (let i = 0; i < HPAGE_NR; i++) {
			this.flags[head + i] = 0;
			this.refcount[head + i] = 0;
			this.mapping[head + i] = -1;
		}
		this.ramUsed -= HPAGE_NR;
		this.freeRamHuge.push(head);
	}

	/** Count of RAM frames currently allocated (for the accounting invariant). */
	countLiveRam(): number {
		let n = 0;
		for (let p = FIRST_FREE_PFN; p < this.size; p++) {
			if (this.owner[p] === RAM_POOL && this.refcount[p] > 0) { n++; }
		}
		return n;
	}
}
