// The storage under struct page (frames.ts): every field is an array of fixed-size chunks of
// FRAME_CHUNK frames, so the pfn space grows by adding chunks and nothing is ever copied. A field
// of frame `pfn` is `field[pfn >> 12][pfn & 4095]` (FRAME_SHIFT, FRAME_MASK).
//
// Host memory follows live frames, not the peak: a chunk holding only free frames (its RAM frames
// all went back to the free lists, say after migrating them to a device, or its device frames all
// went back to their device) hands its arrays back and points every field at one shared,
// never-written chunk of its pool's free-frame defaults, which reads exactly as its free frames
// did; the first allocation in it gets private arrays again. The arrays handed back are what the
// next chunk to need arrays takes: a migration empties the chunks of one pool as it fills those of
// the other. Device memory
// chunks never hold LRU links or swap entries (device pages are on no LRU list and never in the
// swap cache), so those fields point at the shared defaults there too. Linux sizes struct page for
// every frame; the simulator only keeps what an inspector could tell apart from a free frame.

export const FRAME_SHIFT = 12;
export const FRAME_CHUNK = 1 << FRAME_SHIFT;
export const FRAME_MASK = FRAME_CHUNK - 1;

/** chunk pools: RAM_POOL (-1), a device index (>= 0), or one of these */
export const POOL_MIXED = -2;

/** The per-frame fields, chunk by chunk. */
export class FrameChunks {
	refcount: Int32Array[] = [];
	mapcount: Int32Array[] = [];
	pincount: Int32Array[] = [];
	flags: Uint16Array[] = [];
	/** RAM_POOL or a device index */
	owner: Int16Array[] = [];
	/** content slot in the ContentStore, -1 = all zeroes */
	slot: Int32Array[] = [];
	/** rmap: anon family id, file id (see Kernel), or -1 */
	mapping: Int32Array[] = [];
	/** rmap: virtual page number for anon pages, page index for file pages */
	index: Float64Array[] = [];
	/** for a TAIL page, its head pfn; else the pfn itself */
	head: Int32Array[] = [];
	/** folio->swap: the swap slot whose swap cache holds this page, -1 if none */
	swap: Int32Array[] = [];
	/** the LRU lists, intrusive (folio->lru): the list a head or base page is on and its
	 * neighbours; a PMD-sized folio is one entry (its head), counted as HPAGE_NR pages */
	lru: Uint8Array[] = [];
	lruNext: Int32Array[] = [];
	lruPrev: Int32Array[] = [];

	/** per chunk: whose memory its frames are (POOL_MIXED: several, or frames never freed) */
	private pool: number[] = [];
	/** per chunk: frames that are not free. A new chunk starts wholly busy (frames not yet
	 * reserved are not free either); frames freed to the RAM free lists or their device's lower it. */
	private busy: number[] = [];
	/** per chunk: its fields are the shared defaults (no free frame in it differs from them) */
	private released: boolean[] = [];
	/** per chunk: lru, lruNext, lruPrev and swap are its own */
	private ramFields: boolean[] = [];
	/** shared read-only free-frame chunks, per pool */
	private defaults = new Map<number, Defaults>();
	/** arrays of the chunks released last (up to SPARE_CHUNKS per field), which the next chunks
	 * to get arrays of their own take instead of fresh ones: migrating memory to a device
	 * releases RAM chunks while the device's chunks fill, and host memory handed out anew
	 * costs page faults and garbage collection. No caller keeps a chunk's array across a call
	 * that may free frames, so a released array has no other user. */
	private spare: TypedArray[][] = FIELDS.map(() => []);
	/** the per-field arrays above, by field number (FIELDS): the chunk bookkeeping below walks
	 * fields by number, not by name, so V8 compiles it to plain indexed loads */
	private readonly tables: TypedArray[][] = [
		this.refcount, this.mapcount, this.pincount, this.flags, this.owner, this.slot, this.mapping, this.index, this.head,
		this.swap, this.lru, this.lruNext, this.lruPrev,
	];

	get chunks(): number { return this.refcount.length; }

	/** Makes frames [first, first + n) exist, as memory of `pool`. */
	protected addFrames(first: number, n: number, pool: number): void {
		const end = first + n;
		while (this.chunks * FRAME_CHUNK < end) { this.addChunk(pool); }
		for (let c = first >> FRAME_SHIFT; c <= (end - 1) >> FRAME_SHIFT; c++) {
			if (this.pool[c] !== pool && this.pool[c] !== POOL_MIXED) {
				this.materialize(c);
				this.pool[c] = POOL_MIXED;
				this.ownRamFields(c);
			}
		}
	}

	/** A frame of `pfn`'s chunk is about to be (re)initialised: its chunk gets its own arrays. */
	use(pfn: number, ram: boolean): void {
		const c = pfn >> FRAME_SHIFT;
		if (this.released[c]) { this.materialize(c); }
		if (ram && !this.ramFields[c]) { this.ownRamFields(c); }
	}

	/** `n` frames of the chunk of `pfn` were allocated (+) or went back to the RAM free lists or
	 * their device (-): a chunk of one pool whose frames are all free is released. */
	account(pfn: number, n: number): void {
		const c = pfn >> FRAME_SHIFT;
		this.busy[c] += n;
		if (this.busy[c] === 0 && this.pool[c] !== POOL_MIXED) { this.release(c); }
	}

	/** account() for frames [first, first + n), which may lie in several chunks */
	accountRange(first: number, n: number, sign: 1 | -1): void {
		for (let p = first, end = first + n; p < end;) {
			const e = Math.min(end, ((p >> FRAME_SHIFT) + 1) << FRAME_SHIFT);
			this.account(p, sign * (e - p));
			p = e;
		}
	}

	/** account(pfns[i], -1) for i in [0, n), a chunk at a time (after the frames' last writes) */
	accountFreed(pfns: Int32Array, n: number): void {
		for (let i = 0; i < n;) {
			const c = pfns[i] >> FRAME_SHIFT;
			let j = i + 1;
			while (j < n && pfns[j] >> FRAME_SHIFT === c) { j++; }
			this.account(pfns[i], i - j);
			i = j;
		}
	}

	/** RAM chunks whose arrays were handed back (for the memory bench and tests). */
	releasedChunks(): number { return this.released.filter((r, c) => r && this.pool[c] === -1).length; }

	/** Does chunk c still read the shared free-frame defaults (no frame of it used yet, or all
	 * its RAM frames free)? */
	isReleased(c: number): boolean { return this.released[c]; }

	/** The shared defaults are still what a free frame reads (nobody wrote through them). */
	defaultsIntact(): boolean {
		for (const [pool, d] of this.defaults) {
			const fresh = makeDefaults(pool);
			for (let key = 0; key < FIELDS.length; key++) {
				const a = d[key], b = fresh[key];
				for (let i = 0; i < FRAME_CHUNK; i++) { if (a[i] !== b[i]) { return false; } }
			}
		}
		return true;
	}

	private def(pool: number): Defaults {
		let d = this.defaults.get(pool);
		if (!d) { d = makeDefaults(pool); this.defaults.set(pool, d); }
		return d;
	}

	private addChunk(pool: number): void {
		const c = this.chunks;
		const d = this.def(pool < 0 ? -1 : pool);
		for (let key = 0; key < FIELDS.length; key++) { this.tables[key].push(d[key]); }
		this.pool.push(pool);
		this.busy.push(FRAME_CHUNK);
		this.released.push(true);
		this.ramFields.push(false);
		// a device's chunk gets its arrays when its first frame is allocated (use): until then
		// its frames read as the device's free frames
		if (pool < 0) {
			this.materialize(c);
			this.ownRamFields(c);
		}
	}

	private materialize(c: number): void {
		if (!this.released[c]) { return; }
		for (let key = 0; key < CORE; key++) { this.own(key, c); }
		this.released[c] = false;
	}

	private ownRamFields(c: number): void {
		if (this.ramFields[c]) { return; }
		for (let key = CORE; key < FIELDS.length; key++) { this.own(key, c); }
		this.ramFields[c] = true;
	}

	/** chunk c's field `key` becomes its own array, reading as before: the shared defaults, one
	 * value throughout (written, not copied: half the memory traffic, none for a fresh array's
	 * zeroes) */
	private own(key: number, c: number): void {
		const arrays = this.tables[key];
		const from = arrays[c];
		const v = from[0];
		const a = this.spare[key].pop();
		if (a) {
			a.fill(v);
			arrays[c] = a;
		} else {
			const fresh = new (from.constructor as new (n: number) => TypedArray)(FRAME_CHUNK);
			if (v !== 0) { fresh.fill(v); }
			arrays[c] = fresh;
		}
	}

	private release(c: number): void {
		const d = this.def(this.pool[c] < 0 ? -1 : this.pool[c]);
		for (let key = 0; key < FIELDS.length; key++) {
			const arrays = this.tables[key];
			const own = key < CORE ? !this.released[c] : this.ramFields[c];
			if (own && this.spare[key].length < SPARE_CHUNKS) { this.spare[key].push(arrays[c]); }
			arrays[c] = d[key];
		}
		this.released[c] = true;
		this.ramFields[c] = false;
	}
}

/** released chunks whose arrays are kept for reuse: a few, so that host memory still follows
 * the live frames (issue 13's metadata budget) */
const SPARE_CHUNKS = 2;

type TypedArray = Int32Array | Uint16Array | Int16Array | Float64Array | Uint8Array;
/** the fields in the order of FrameChunks.tables: the first CORE every chunk has, then those
 * only RAM frames use (device pages are on no LRU list and never in the swap cache) */
const FIELDS = ['refcount', 'mapcount', 'pincount', 'flags', 'owner', 'slot', 'mapping', 'index', 'head', 'swap', 'lru', 'lruNext', 'lruPrev'] as const;
const CORE = 9;
/** a pool's free-frame defaults, by field number */
type Defaults = TypedArray[];

/** What a free frame of `pool` reads. */
function makeDefaults(pool: number): Defaults {
	const n = FRAME_CHUNK;
	return [
		new Int32Array(n), new Int32Array(n), new Int32Array(n), new Uint16Array(n),
		new Int16Array(n).fill(pool), new Int32Array(n).fill(-1), new Int32Array(n).fill(-1),
		new Float64Array(n), new Int32Array(n), new Int32Array(n).fill(-1),
		new Uint8Array(n), new Int32Array(n), new Int32Array(n),
	];
}

/** A stack of pfns (the RAM free list), kept as runs of consecutive pfns (ascending or
 * descending) in fixed blocks: freeing a range in address order, either way (migrating it away,
 * unmapping it), costs one run, not one entry per frame. Pops come out in exactly the order of a
 * plain stack. */
export class PfnStack {
	/** run r: the pfn pushed first at [3r], the count at [3r + 1], the step between pushes at
	 * [3r + 2] (+1 or -1; 0 while the run holds one pfn). Its last pfn is the top of the stack. */
	private blocks: Int32Array[] = [];
	private runs = 0;
	length = 0;
	/** pfns the last popRun took, and the step from one to the next */
	popped = 0;
	popStep = -1;

	push(pfn: number): void {
		const r = this.runs - 1;
		if (r >= 0) {
			const b = this.blocks[r >> RUN_SHIFT], i = (r & RUN_MASK) * 3;
			const first = b[i], n = b[i + 1], st = b[i + 2];
			if (st === 0 ? pfn === first + 1 || pfn === first - 1 : pfn === first + n * st) {
				b[i + 2] = pfn - first - (n - 1) * st;
				b[i + 1] = n + 1;
				this.length++;
				return;
			}
		}
		const nb = this.runs >> RUN_SHIFT;
		if (nb === this.blocks.length) { this.blocks.push(new Int32Array(3 << RUN_SHIFT)); }
		const b = this.blocks[nb], i = (this.runs & RUN_MASK) * 3;
		b[i] = pfn;
		b[i + 1] = 1;
		b[i + 2] = 0;
		this.runs++;
		this.length++;
	}

	/** push(pfns[i]) for i in [0, n): a run of consecutive pfns extends the top run at once. */
	pushMany(pfns: Int32Array, n: number): void {
		for (let i = 0; i < n;) {
			this.push(pfns[i++]);
			const r = this.runs - 1;
			const b = this.blocks[r >> RUN_SHIFT], at = (r & RUN_MASK) * 3;
			const st = b[at + 2];
			if (st === 0) { continue; }
			// what push would do for each further pfn that continues the run
			let next = b[at] + b[at + 1] * st;
			const from = i;
			while (i < n && pfns[i] === next) { next += st; i++; }
			b[at + 1] += i - from;
			this.length += i - from;
		}
	}

	/** Up to `max` pops at once, as far as they come from the top run and stay in the top pfn's
	 * chunk: returns the first pfn popped (the others follow it by popStep), count in `popped`. */
	popRun(max: number): number | undefined {
		if (this.runs === 0) { return undefined; }
		const r = this.runs - 1;
		const b = this.blocks[r >> RUN_SHIFT], i = (r & RUN_MASK) * 3;
		const len = b[i + 1], st = b[i + 2];
		const top = b[i] + (len - 1) * st;
		const n = Math.min(max, len, st < 0 ? FRAME_CHUNK - (top & FRAME_MASK) : (top & FRAME_MASK) + 1);
		this.take(b, i, n);
		this.popped = n;
		this.popStep = st < 0 ? 1 : -1;
		return top;
	}

	pop(): number | undefined {
		if (this.runs === 0) { return undefined; }
		const r = this.runs - 1;
		const b = this.blocks[r >> RUN_SHIFT], i = (r & RUN_MASK) * 3;
		const pfn = b[i] + (b[i + 1] - 1) * b[i + 2];
		this.take(b, i, 1);
		return pfn;
	}

	private take(b: Int32Array, i: number, n: number): void {
		b[i + 1] -= n;
		this.length -= n;
		if (b[i + 1] === 0) {
			this.runs--;
			// keep one spare block so a push/pop pair at a block boundary does not allocate
			if ((this.runs >> RUN_SHIFT) + 2 < this.blocks.length) { this.blocks.pop(); }
		}
	}
}

const RUN_SHIFT = 11;
const RUN_MASK = (1 << RUN_SHIFT) - 1;
