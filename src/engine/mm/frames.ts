// struct page, as parallel typed arrays in fixed-size chunks (frames_chunks.ts): field X of frame
// pfn is `X[pfn >> 12][pfn & 4095]`. RAM and every device's memory share one
// pfn space; `owner` says whose memory a frame is. Frames are handed out from per-pool free
// lists, so a freed pfn is reused and the arrays only grow with the peak number of live pages.
import { RamExhausted } from '../sim/errors';
import { FrameChunks, PfnStack } from './frames_chunks';

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

export class Frames extends FrameChunks {
	/** frames reserved so far (pfns below it exist) */
	size = 0;
	/** per list (indexed by LRU): first (most recent) and last (oldest) entry, and pages on it */
	readonly lruHead = new Int32Array([-1, -1, -1, -1, -1]);
	readonly lruTail = new Int32Array([-1, -1, -1, -1, -1]);
	readonly lruPages = new Float64Array(5);
	/** kswapd_failures: reclaim runs that freed nothing since a page was last freed */
	reclaimFailures = 0;

	private next = FIRST_FREE_PFN;
	private freeRam = new PfnStack();
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
		super();
		const minKib = Math.min(262144, Math.max(128, Math.floor(Math.sqrt(ramPages * 4 * 16))));
		const min = Math.min(Math.floor(ramPages / 8), minKib >> 2);
		const gap = Math.max(min >> 2, Math.floor(ramPages * 10 / 10000));
		this.wmarkMin = min;
		this.wmarkLow = Math.min(Math.floor(ramPages / 4), min + gap);
		this.wmarkHigh = Math.min(Math.floor(ramPages / 2), min + 2 * gap);
		this.reserve(FIRST_FREE_PFN);
		this.flags[ZERO_PFN >> 12][ZERO_PFN & 4095] = PG.ZERO;
		this.refcount[ZERO_PFN >> 12][ZERO_PFN & 4095] = 1;
		for (let i = 0; i < HPAGE_NR; i++) {
			const p = HUGE_ZERO_PFN + i;
			this.flags[p >> 12][p & 4095] = PG.ZERO | (i === 0 ? PG.HEAD : PG.TAIL);
			this.head[p >> 12][p & 4095] = HUGE_ZERO_PFN;
			this.refcount[p >> 12][p & 4095] = 1;
		}
		for (let p = 0; p < FIRST_FREE_PFN; p++) { this.owner[p >> 12][p & 4095] = RAM_POOL; this.slot[p >> 12][p & 4095] = -1; this.mapping[p >> 12][p & 4095] = -1; }
	}

	isZero(pfn: number): boolean { return (this.flags[pfn >> 12][pfn & 4095] & PG.ZERO) !== 0; }
	isDevice(pfn: number): boolean { return this.owner[pfn >> 12][pfn & 4095] !== RAM_POOL; }

	/** Reserves `n` fresh contiguous pfns (device chunks, huge pages) as memory of `pool`
	 * (RAM_POOL, a device index, or POOL_MIXED for frames that are never freed to RAM). */
	reserve(n: number, pool = RAM_POOL): number {
		const first = this.next;
		this.next += n;
		this.addFrames(first, n, pool);
		this.size = this.next;
		return first;
	}

	private init(pfn: number, owner: number, flags: number): void {
		this.use(pfn, owner === RAM_POOL);
		this.refcount[pfn >> 12][pfn & 4095] = 1;
		this.mapcount[pfn >> 12][pfn & 4095] = 0;
		this.pincount[pfn >> 12][pfn & 4095] = 0;
		this.flags[pfn >> 12][pfn & 4095] = flags;
		this.owner[pfn >> 12][pfn & 4095] = owner;
		this.slot[pfn >> 12][pfn & 4095] = -1;
		this.mapping[pfn >> 12][pfn & 4095] = -1;
		this.index[pfn >> 12][pfn & 4095] = 0;
		this.head[pfn >> 12][pfn & 4095] = pfn;
		this.swap[pfn >> 12][pfn & 4095] = -1;
		this.lru[pfn >> 12][pfn & 4095] = LRU.NONE;
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
				this.account(pfn, 1);
			} else {
				pfn = this.reserve(1);
			}
		} else {
			this.account(pfn, 1);
		}
		this.ramUsed++;
		this.init(pfn, RAM_POOL, flags);
		// folio_add_lru: new anonymous pages start on the inactive list (workingset protection
		// comes from a second reference)
		if (flags & PG.ANON) { this.lruAdd(pfn, LRU.INACTIVE_ANON); }
		return pfn;
	}

	/** frames the last takeRamRun took, and the step from one to the next */
	runLength = 0;
	runStep = -1;

	/** allocRam for up to `max` frames at once, for a caller that initialises each frame itself as
	 * it uses it, LRU links included (a whole-leaf migration, which writes every field anyway and
	 * may use fewer frames than it asks for, the rest of its range; it has made sure RAM holds
	 * them): the first pfn of a run of consecutive frames of one chunk, in the order allocRam
	 * would hand them out one after another (length in runLength, direction in runStep), taken
	 * off the free list and counted, but neither initialised nor linked. endRamRun finishes it. */
	takeRamRun(max: number): number {
		const top = this.freeRam.popRun(max);
		if (top === undefined) {
			// a frame of a huge run or a new one: allocRam's, off the list again for the caller
			this.runLength = 1;
			const pfn = this.allocRam(PG.ANON);
			this.lruDel(pfn);
			return pfn;
		}
		const n = this.freeRam.popped;
		this.use(top, true);
		this.account(top, n);
		this.ramUsed += n;
		this.runLength = n;
		this.runStep = this.freeRam.popStep;
		return top;
	}

	/** The caller of takeRamRun initialised the first `used` frames of the run (first, n, step)
	 * and linked each in front of the one before it, the first in front of the inactive anon
	 * list's head: the last becomes the head, as lruAdd of each in turn leaves them. The others go back to
	 * the free list untouched, as if never taken. The first frame of a run is always used, so
	 * its chunk stays busy. */
	endRamRun(first: number, n: number, step: number, used: number): void {
		const list = LRU.INACTIVE_ANON;
		const old = this.lruHead[list];
		if (old >= 0) { this.lruPrev[old >> 12][old & 4095] = first; } else { this.lruTail[list] = first; }
		const head = first + (used - 1) * step;
		this.lruPrev[head >> 12][head & 4095] = -1;
		this.lruHead[list] = head;
		this.lruPages[list] += used;
		if (used === n) { return; }
		for (let i = n - 1; i >= used; i--) { this.freeRam.push(first + i * step); }
		this.ramUsed -= n - used;
		this.account(first, used - n);
	}

	/** A PMD-sized RAM folio, or -1 when RAM cannot hold it (the caller falls back to 4K). */
	allocRamHuge(flags: number): number {
		if (this.ramUsed + HPAGE_NR > this.ramPages) { return -1; }
		let head = this.freeRamHuge.pop();
		if (head === undefined) {
			head = this.reserve(HPAGE_NR);
		} else {
			for (let i = 0; i < HPAGE_NR; i++) { this.account(head + i, 1); }
		}
		this.ramUsed += HPAGE_NR;
		this.initHuge(head, RAM_POOL, flags);
		// hugetlb folios are never on an LRU list (the hugetlb pool is not reclaimed)
		if ((flags & (PG.ANON | PG.HUGETLB)) === PG.ANON) { this.lruAdd(head, LRU.INACTIVE_ANON); }
		return head;
	}

	initHuge(head: number, owner: number, flags: number): void {
		for (let i = 0; i < HPAGE_NR; i++) {
			this.init(head + i, owner, flags | (i === 0 ? PG.HEAD : PG.TAIL));
			this.head[(head + i) >> 12][(head + i) & 4095] = head;
		}
	}

	/** Initialises a device frame the device allocator handed out. */
	initDevice(pfn: number, owner: number, flags: number): void {
		this.init(pfn, owner, flags);
	}

	/** Splits a folio into base pages (split_folio): each keeps its own counts. */
	split(head: number): void {
		for (let i = 0; i < HPAGE_NR; i++) {
			this.flags[(head + i) >> 12][(head + i) & 4095] &= ~(PG.HEAD | PG.TAIL);
			this.head[(head + i) >> 12][(head + i) & 4095] = head + i;
		}
		// lru_add_split_folio: the tails join the head's list right behind it, in order
		const list = this.lru[head >> 12][head & 4095];
		if (list !== LRU.NONE) {
			// the head was counted as the whole folio, so the list's page count stays as it is
			for (let i = HPAGE_NR - 1; i > 0; i--) { this.lruInsertAfter(head, head + i); }
		}
	}

	// ------------------------------------------------------------ LRU lists (mm/swap.c, mm_inline.h)

	/** Pages an LRU entry stands for. */
	lruNr(pfn: number): number { return this.flags[pfn >> 12][pfn & 4095] & PG.HEAD ? HPAGE_NR : 1; }

	/** lruvec_add_folio: at the head (most recently used end) of `list`. */
	lruAdd(pfn: number, list: LRU): void {
		if (this.lru[pfn >> 12][pfn & 4095] !== LRU.NONE) { this.lruDel(pfn); }
		const first = this.lruHead[list];
		this.lruPrev[pfn >> 12][pfn & 4095] = -1;
		this.lruNext[pfn >> 12][pfn & 4095] = first;
		if (first >= 0) { this.lruPrev[first >> 12][first & 4095] = pfn; } else { this.lruTail[list] = pfn; }
		this.lruHead[list] = pfn;
		this.lru[pfn >> 12][pfn & 4095] = list;
		this.lruPages[list] += this.lruNr(pfn);
	}

	/** lruvec_del_folio; a frame on no list is left alone. */
	lruDel(pfn: number): void {
		const list = this.lru[pfn >> 12][pfn & 4095];
		if (list === LRU.NONE) { return; }
		const p = this.lruPrev[pfn >> 12][pfn & 4095], n = this.lruNext[pfn >> 12][pfn & 4095];
		if (p >= 0) { this.lruNext[p >> 12][p & 4095] = n; } else { this.lruHead[list] = n; }
		if (n >= 0) { this.lruPrev[n >> 12][n & 4095] = p; } else { this.lruTail[list] = p; }
		this.lru[pfn >> 12][pfn & 4095] = LRU.NONE;
		this.lruPages[list] -= this.lruNr(pfn);
	}

	/** A page split off `at` joins its list just behind it (pages are counted by the caller). */
	private lruInsertAfter(at: number, pfn: number): void {
		const list = this.lru[at >> 12][at & 4095];
		const n = this.lruNext[at >> 12][at & 4095];
		this.lruPrev[pfn >> 12][pfn & 4095] = at;
		this.lruNext[pfn >> 12][pfn & 4095] = n;
		this.lruNext[at >> 12][at & 4095] = pfn;
		if (n >= 0) { this.lruPrev[n >> 12][n & 4095] = pfn; } else { this.lruTail[list] = pfn; }
		this.lru[pfn >> 12][pfn & 4095] = list;
	}

	isHead(pfn: number): boolean { return (this.flags[pfn >> 12][pfn & 4095] & PG.HEAD) !== 0; }
	isCompound(pfn: number): boolean { return (this.flags[pfn >> 12][pfn & 4095] & (PG.HEAD | PG.TAIL)) !== 0; }

	/** Returns a RAM frame to the free lists; device frames go back through their device. */
	freeRamFrame(pfn: number): void {
		this.lruDel(pfn);
		this.reclaimFailures = 0;
		this.flags[pfn >> 12][pfn & 4095] = 0;
		this.refcount[pfn >> 12][pfn & 4095] = 0;
		this.mapping[pfn >> 12][pfn & 4095] = -1;
		this.ramUsed--;
		this.freeRam.push(pfn);
		this.account(pfn, -1);
	}

	/** The rest of freeRamFrame for pfns[0..n), in that order, whose LRU entries and struct
	 * pages their freer (the whole-leaf migration's loop) has already cleared: the free list and
	 * the counters take them, and a chunk this leaves wholly free is released, after the loop's
	 * last write to it. */
	freedRamPfns(pfns: Int32Array, n: number): void {
		this.freeRam.pushMany(pfns, n);
		this.accountFreed(pfns, n);
		if (n > 0) { this.reclaimFailures = 0; }
		this.ramUsed -= n;
	}

	freeRamFolio(head: number): void {
		this.lruDel(head);
		this.reclaimFailures = 0;
		for (let i = 0; i < HPAGE_NR; i++) {
			this.flags[(head + i) >> 12][(head + i) & 4095] = 0;
			this.refcount[(head + i) >> 12][(head + i) & 4095] = 0;
			this.mapping[(head + i) >> 12][(head + i) & 4095] = -1;
		}
		this.ramUsed -= HPAGE_NR;
		this.freeRamHuge.push(head);
		for (let i = 0; i < HPAGE_NR; i++) { this.account(head + i, -1); }
	}

	/** Count of RAM frames currently allocated (for the accounting invariant). */
	countLiveRam(): number {
		let n = 0;
		for (let p = FIRST_FREE_PFN; p < this.size; p++) {
			if (this.owner[p >> 12][p & 4095] === RAM_POOL && this.refcount[p >> 12][p & 4095] > 0) { n++; }
		}
		return n;
	}
}
