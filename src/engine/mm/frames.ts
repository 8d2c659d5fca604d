// struct page, as parallel typed arrays indexed by pfn. RAM and every device's memory share one
// pfn space; `owner` says whose memory a frame is. Frames are handed out from per-pool free
// lists, so a freed pfn is reused and the arrays only grow with the peak number of live pages.
import { RamExhausted } from '../sim/errors';

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
	REFERENCED = 1 << 11, // PG_referenced: seen young once by reclaim (folio_check_references)
	HUGETLB = 1 << 12,    // a hugetlbfs page
}

/** Which LRU list a frame is on (lruvec->lists). Swap-backed pages (anonymous and shmem) are on
 * the anon lists, page-cache pages on the file lists (folio_is_file_lru). */
export const enum LRU { NONE = 0, INACTIVE_ANON = 1, ACTIVE_ANON = 2, INACTIVE_FILE = 3, ACTIVE_FILE = 4 }

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
	/** folio->swap: the swap slot whose swap cache holds this page, -1 if none */
	swap = new Int32Array(0);
	/** the LRU lists, intrusive (folio->lru): the list a head or base page is on and its
	 * neighbours; a PMD-sized folio is one entry (its head), counted as HPAGE_NR pages */
	lru = new Uint8Array(0);
	lruNext = new Int32Array(0);
	lruPrev = new Int32Array(0);
	/** per list (indexed by LRU): first (most recent) and last (oldest) entry, and pages on it */
	readonly lruHead = new Int32Array([-1, -1, -1, -1, -1]);
	readonly lruTail = new Int32Array([-1, -1, -1, -1, -1]);
	readonly lruPages = new Float64Array(5);
	/** kswapd_failures: reclaim runs that freed nothing since a page was last freed */
	reclaimFailures = 0;

	private next = FIRST_FREE_PFN;
	private freeRam: number[] = [];
	private freeRamHuge: number[] = [];
	ramUsed = 0;

	/** zone watermarks in free pages (__setup_per_zone_wmarks): reclaim wakes below low and
	 * stops at high */
	readonly wmarkMin: number;
	readonly wmarkLow: number;
	readonly wmarkHigh: number;

	constructor(public ramPages: number) {
		// calculate_min_free_kbytes: sqrt(lowmem KiB * 16), within [128 KiB, 256 MiB]; low and high
		// are min plus a quarter of it or watermark_scale_factor (0.1%) of RAM, whichever is more
		const minKib = Math.min(262144, Math.max(128, Math.floor(Math.sqrt(ramPages * 4 * 16))));
		const min = Math.min(Math.floor(ramPages / 8), minKib >> 2);
		const gap = Math.max(min >> 2, Math.floor(ramPages * 10 / 10000));
		this.wmarkMin = min;
		this.wmarkLow = Math.min(Math.floor(ramPages / 4), min + gap);
		this.wmarkHigh = Math.min(Math.floor(ramPages / 2), min + 2 * gap);
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
		this.swap = g(this.swap, Int32Array);
		this.lru = g(this.lru, Uint8Array);
		this.lruNext = g(this.lruNext, Int32Array);
		this.lruPrev = g(this.lruPrev, Int32Array);
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
		this.swap[pfn] = -1;
		this.lru[pfn] = LRU.NONE;
	}

	/** alloc_page(): a RAM frame with refcount 1, or ENOMEM when RAM is exhausted. */
	allocRam(flags: number): number {
		if (this.ramUsed >= this.ramPages) { throw new RamExhausted(`out of memory: all ${this.ramPages} pages of RAM are in use`); }
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
		// folio_add_lru: new anonymous pages start on the inactive list (workingset protection
		// comes from a second reference)
		if (flags & PG.ANON) { this.lruAdd(pfn, LRU.INACTIVE_ANON); }
		return pfn;
	}

	/** A PMD-sized RAM folio, or -1 when RAM cannot hold it (the caller falls back to 4K). */
	allocRamHuge(flags: number): number {
		if (this.ramUsed + HPAGE_NR > this.ramPages) { return -1; }
		const head = this.freeRamHuge.pop() ?? this.reserve(HPAGE_NR);
		this.ramUsed += HPAGE_NR;
		this.initHuge(head, RAM_POOL, flags);
		// hugetlb folios are never on an LRU list (the hugetlb pool is not reclaimed)
		if ((flags & (PG.ANON | PG.HUGETLB)) === PG.ANON) { this.lruAdd(head, LRU.INACTIVE_ANON); }
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
		// lru_add_split_folio: the tails join the head's list right behind it, in order
		const list = this.lru[head];
		if (list !== LRU.NONE) {
			// the head was counted as the whole folio, so the list's page count stays as it is
			for (let i = HPAGE_NR - 1; i > 0; i--) { this.lruInsertAfter(head, head + i); }
		}
	}

	// ------------------------------------------------------------ LRU lists (mm/swap.c, mm_inline.h)

	/** Pages an LRU entry stands for. */
	lruNr(pfn: number): number { return this.flags[pfn] & PG.HEAD ? HPAGE_NR : 1; }

	/** lruvec_add_folio: at the head (most recently used end) of `list`. */
	lruAdd(pfn: number, list: LRU): void {
		if (this.lru[pfn] !== LRU.NONE) { this.lruDel(pfn); }
		const first = this.lruHead[list];
		this.lruPrev[pfn] = -1;
		this.lruNext[pfn] = first;
		if (first >= 0) { this.lruPrev[first] = pfn; } else { this.lruTail[list] = pfn; }
		this.lruHead[list] = pfn;
		this.lru[pfn] = list;
		this.lruPages[list] += this.lruNr(pfn);
	}

	/** lruvec_del_folio; a frame on no list is left alone. */
	lruDel(pfn: number): void {
		const list = this.lru[pfn];
		if (list === LRU.NONE) { return; }
		const p = this.lruPrev[pfn], n = this.lruNext[pfn];
		if (p >= 0) { this.lruNext[p] = n; } else { this.lruHead[list] = n; }
		if (n >= 0) { this.lruPrev[n] = p; } else { this.lruTail[list] = p; }
		this.lru[pfn] = LRU.NONE;
		this.lruPages[list] -= this.lruNr(pfn);
	}

	/** A page split off `at` joins its list just behind it (pages are counted by the caller). */
	private lruInsertAfter(at: number, pfn: number): void {
		const list = this.lru[at];
		const n = this.lruNext[at];
		this.lruPrev[pfn] = at;
		this.lruNext[pfn] = n;
		this.lruNext[at] = pfn;
		if (n >= 0) { this.lruPrev[n] = pfn; } else { this.lruTail[list] = pfn; }
		this.lru[pfn] = list;
	}

	isHead(pfn: number): boolean { return (this.flags[pfn] & PG.HEAD) !== 0; }
	isCompound(pfn: number): boolean { return (this.flags[pfn] & (PG.HEAD | PG.TAIL)) !== 0; }

	/** Returns a RAM frame to the free lists; device frames go back through their device. */
	freeRamFrame(pfn: number): void {
		this.lruDel(pfn);
		this.reclaimFailures = 0;
		this.flags[pfn] = 0;
		this.refcount[pfn] = 0;
		this.mapping[pfn] = -1;
		this.ramUsed--;
		this.freeRam.push(pfn);
	}

	freeRamFolio(head: number): void {
		this.lruDel(head);
		this.reclaimFailures = 0;
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
