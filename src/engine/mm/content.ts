// Page contents, stored in 1 MiB slabs of 256 pages. A page owns a slot only once something
// non-zero may have been written to it; a page without a slot (-1) reads as zeroes. Migration
// moves the slot from the source frame to the destination frame, which is the simulator's
// "copy by reference": the bytes never move, yet read back identically wherever the page lives.
// A page whose every word is c + a*w (the whole-page result of a linear fill such as `= i`,
// `= -i`, `= 3*i + 7`, `= c`) is kept as a pattern slot, two numbers instead of 4 KiB, until a
// partial write turns it into bytes: scripts can fill terabytes without the host holding them.
// A byte slot is counted: `copy` (the COW copy of wp_page_copy, fork's copy_present_page, a
// private file page) takes one more reference instead of copying 4 KiB, and so does a whole page
// a periodic fill knows to equal one it stored before (`sameAs`). Bytes are only ever written
// through `writable`, which gives a slot held more than once a private copy first: a shared slot
// never changes, so every holder keeps reading what it read before.

import { checkHostMemory } from '../sim/budget';

export const PAGE_SIZE = 4096;
const SLAB_PAGES = 256;
const SLAB_SHIFT = 8;
/** slot ids from here on are pattern slots */
export const PATTERN_SLOT = 2 ** 30;
const WORDS = PAGE_SIZE / 4;
/** owners of whole-page fills remembered at once (see sameAs): the statement running, and a
 * file's initial content read in by it */
const SAME_OWNERS = 4;

export class ContentStore {
	slabs: Uint8Array[] = [];
	/** the same slabs as int32 words (little-endian on every host Node runs on) */
	slabWords: Int32Array[] = [];
	/** false for a slab shared with a snapshot: it is copied before its first write */
	private owned: boolean[] = [];
	private free: number[] = [];
	private nextSlot = 0;
	live = 0;
	private patA = new Int32Array(1024);
	private patC = new Int32Array(1024);
	private patFree: number[] = [];
	private patNext = 0;
	patterns = 0;
	private scratch = new Int32Array(WORDS);
	/** references to each byte slot (frames, swap slots, file disk pages holding it); 0 when free */
	private refs = new Int32Array(SLAB_PAGES);
	/** whole pages a fill stored, by owner (the fill) and key (which page of its period): each
	 * slot is still unchanged: a write to a remembered slot, or its release, forgets it */
	private same: { owner: unknown; slots: Map<number, number> }[] = [];
	/** each remembered slot's owner and key */
	private remembered = new Map<number, { slots: Map<number, number>; key: number }>();

	/** A copy for a snapshot: both sides share every slab until one of them writes to it. The
	 * pattern arrays go through `copyArray` (time travel keeps them as shared blocks). */
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	cowClone(copyArray: (a: any) => any = (a: Int32Array) => a.slice()): ContentStore {
		const c = new ContentStore();
		c.slabs = this.slabs.slice();
		c.slabWords = this.slabWords.slice();
		c.owned = this.slabs.map(() => false);
		this.owned = this.slabs.map(() => false);
		c.free = this.free.slice();
		c.nextSlot = this.nextSlot;
		c.live = this.live;
		c.patA = copyArray(this.patA);
		c.patC = copyArray(this.patC);
		c.patFree = this.patFree.slice();
		c.patNext = this.patNext;
		c.patterns = this.patterns;
		c.refs = copyArray(this.refs);
		return c;
	}

	/** Makes the slab of `slot` private to this store before a write. */
	private own(slot: number): void {
		const i = slot >> SLAB_SHIFT;
		if (this.owned[i]) { return; }
		const slab = this.slabs[i].slice();
		this.slabs[i] = slab;
		this.slabWords[i] = new Int32Array(slab.buffer);
		this.owned[i] = true;
	}

	/** A zero-filled slot. */
	alloc(zero = true): number {
		let slot = this.free.pop();
		if (slot === undefined) {
			slot = this.nextSlot++;
			if ((slot >> SLAB_SHIFT) >= this.slabs.length) {
				if (this.slabs.length % 16 === 0) {
					try { checkHostMemory('page contents'); } catch (e) { this.nextSlot--; throw e; }
				}
				const slab = new Uint8Array(SLAB_PAGES * PAGE_SIZE);
				if (this.refs.length < (this.slabs.length + 1) * SLAB_PAGES) {
					const r = new Int32Array(this.refs.length * 2); r.set(this.refs); this.refs = r;
				}
				this.slabs.push(slab);
				this.slabWords.push(new Int32Array(slab.buffer));
				this.owned.push(true);
			}
		} else if (zero) {
			this.own(slot);
			this.bytes(slot).fill(0);
		}
		this.refs[slot] = 1;
		this.live++;
		return slot;
	}

	/** Drops one reference; the last frees the slot. */
	release(slot: number): void {
		if (slot >= PATTERN_SLOT) { this.patFree.push(slot - PATTERN_SLOT); this.patterns--; return; }
		if (--this.refs[slot] > 0) { return; }
		this.forget(slot);
		this.free.push(slot);
		this.live--;
	}

	/** References held to a byte slot (0: free). */
	refCount(slot: number): number { return slot >= 0 && slot < PATTERN_SLOT ? this.refs[slot] : 0; }

	/** A slot about to change no longer holds what a fill remembered of it. */
	private forget(slot: number): void {
		if (this.remembered.size === 0) { return; }
		const r = this.remembered.get(slot);
		if (r === undefined) { return; }
		if (r.slots.get(r.key) === slot) { r.slots.delete(r.key); }
		this.remembered.delete(slot);
	}

	/** The slot `owner` remembered for `key`, with one more reference, or -1. */
	sameAs(owner: unknown, key: number): number {
		const o = this.same.length > 0 && this.same[this.same.length - 1].owner === owner ? this.same[this.same.length - 1] : this.same.find(x => x.owner === owner);
		const s = o?.slots.get(key);
		if (s === undefined) { return -1; }
		this.refs[s]++;
		return s;
	}

	/** Records that byte slot `slot` holds the whole page `owner` calls `key`. */
	remember(owner: unknown, key: number, slot: number): void {
		if (slot < 0 || slot >= PATTERN_SLOT) { return; }
		let o = this.same.find(x => x.owner === owner);
		if (!o) {
			if (this.same.length >= SAME_OWNERS) { this.same = []; this.remembered.clear(); }
			o = { owner, slots: new Map() };
			this.same.push(o);
		}
		o.slots.set(key, slot);
		this.remembered.set(slot, { slots: o.slots, key });
	}

	/** A private byte slot with the content of `slot` (-1: zeroes), ready to be written: `slot`
	 * itself when only its holder refers to it, else a new slot with a copy of its bytes (copy on
	 * write; a pattern is expanded). The caller releases `slot` once the new one holds the page. */
	writable(slot: number): number {
		if (slot < 0) { return this.alloc(true); }
		if (slot < PATTERN_SLOT && this.refs[slot] === 1) { this.forget(slot); return slot; }
		const dst = this.alloc(false);
		const w = this.words(dst);
		const o = this.wordOffset(dst);
		if (slot >= PATTERN_SLOT) {
			const a = this.patA[slot - PATTERN_SLOT];
			let v = this.patC[slot - PATTERN_SLOT];
			for (let k = o; k < o + WORDS; k++) { w[k] = v; v = (v + a) | 0; }
		} else {
			w.set(this.slabWords[slot >> SLAB_SHIFT].subarray(this.wordOffset(slot), this.wordOffset(slot) + WORDS), o);
		}
		return dst;
	}

	/** A private byte slot whose old bytes do not matter (the caller writes the whole page):
	 * `slot` itself when only its holder refers to it, else a new one. The caller releases
	 * `slot` once the new one holds the page. */
	blank(slot: number): number {
		if (slot >= 0 && slot < PATTERN_SLOT && this.refs[slot] === 1) { this.forget(slot); return slot; }
		return this.alloc(false);
	}

	isPattern(slot: number): boolean { return slot >= PATTERN_SLOT; }

	/** A pattern slot whose word w reads (c + a*w) | 0. */
	pattern(a: number, c: number): number {
		let p = this.patFree.pop();
		if (p === undefined) {
			p = this.patNext++;
			if (p >= this.patA.length) {
				const na = new Int32Array(this.patA.length * 2); na.set(this.patA); this.patA = na;
				const nc = new Int32Array(this.patC.length * 2); nc.set(this.patC); this.patC = nc;
			}
		}
		this.patA[p] = a;
		this.patC[p] = c;
		this.patterns++;
		return PATTERN_SLOT + p;
	}

	/** a and c of a pattern slot (word w reads (c + a*w) | 0) */
	patternA(slot: number): number { return this.patA[slot - PATTERN_SLOT]; }
	patternC(slot: number): number { return this.patC[slot - PATTERN_SLOT]; }

	slab(slot: number): Uint8Array { return this.slabs[slot >> SLAB_SHIFT]; }
	offset(slot: number): number { return (slot & (SLAB_PAGES - 1)) * PAGE_SIZE; }

	/** A read-only view of one page's bytes (allocates a view object: not for per-word hot loops). */
	bytes(slot: number): Uint8Array {
		const o = this.offset(slot);
		return this.slab(slot).subarray(o, o + PAGE_SIZE);
	}

	/** An Int32Array view over the slab of `slot`, and the word index where the page starts. */
	/** The int32 words of the slab of `slot`, for writing (see wordOffset). */
	words(slot: number): Int32Array { this.own(slot); return this.slabWords[slot >> SLAB_SHIFT]; }
	wordOffset(slot: number): number { return (slot & (SLAB_PAGES - 1)) * (PAGE_SIZE >> 2); }

	/** A copy of `src` to hold elsewhere: the same byte slot with one more reference (copied on
	 * its first write, see writable), a new pattern slot, or -1 (zeroes need no slot). */
	copy(src: number): number {
		if (src < 0) { return -1; }
		if (src >= PATTERN_SLOT) { return this.pattern(this.patA[src - PATTERN_SLOT], this.patC[src - PATTERN_SLOT]); }
		this.refs[src]++;
		return src;
	}

	/** Reads `len` bytes of a page starting at `off` into `out[at..]`. */
	read(slot: number, off: number, len: number, out: Uint8Array, at: number): void {
		if (slot < 0) { out.fill(0, at, at + len); return; }
		if (slot >= PATTERN_SLOT) {
			const a = this.patA[slot - PATTERN_SLOT];
			let v = this.patC[slot - PATTERN_SLOT];
			const w = this.scratch;
			for (let k = 0; k < WORDS; k++) { w[k] = v; v = (v + a) | 0; }
			out.set(new Uint8Array(w.buffer, off, len), at);
			return;
		}
		const o = this.offset(slot) + off;
		out.set(this.slab(slot).subarray(o, o + len), at);
	}

	/** Writes bytes into a page at `off`; returns the page's slot, which may be new. */
	write(slot: number, off: number, data: Uint8Array): number {
		const dst = this.writable(slot);
		this.own(dst);
		this.slab(dst).set(data, this.offset(dst) + off);
		if (dst !== slot && slot >= 0) { this.release(slot); }
		return dst;
	}

	/** Reads the int32 word `w` (0..1023) of a page. */
	word(slot: number, w: number): number {
		if (slot < 0) { return 0; }
		if (slot >= PATTERN_SLOT) { return (this.patC[slot - PATTERN_SLOT] + Math.imul(this.patA[slot - PATTERN_SLOT], w)) | 0; }
		return this.slabWords[slot >> SLAB_SHIFT][this.wordOffset(slot) + w];
	}

	get bytesInUse(): number { return this.slabs.length * SLAB_PAGES * PAGE_SIZE; }
}
