// Page contents, stored in 1 MiB slabs of 256 pages. A page owns a slot only once something
// non-zero may have been written to it; a page without a slot (-1) reads as zeroes. Migration
// moves the slot from the source frame to the destination frame, which is the simulator's
// "copy by reference": the bytes never move, yet read back identically wherever the page lives.
// A page whose every word is c + a*w (the whole-page result of a linear fill such as `= i`,
// `= -i`, `= 3*i + 7`, `= c`) is kept as a pattern slot, two numbers instead of 4 KiB, until a
// partial write turns it into bytes: scripts can fill terabytes without the host holding them.

import { checkHostMemory } from '../sim/budget';

export const PAGE_SIZE = 4096;
const SLAB_PAGES = 256;
const SLAB_SHIFT = 8;
/** slot ids from here on are pattern slots */
export const PATTERN_SLOT = 2 ** 30;
const WORDS = PAGE_SIZE / 4;

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
				this.slabs.push(slab);
				this.slabWords.push(new Int32Array(slab.buffer));
				this.owned.push(true);
			}
		} else if (zero) {
			this.own(slot);
			this.bytes(slot).fill(0);
		}
		this.live++;
		return slot;
	}

	release(slot: number): void {
		if (slot >= PATTERN_SLOT) { this.patFree.push(slot - PATTERN_SLOT); this.patterns--; return; }
		this.free.push(slot);
		this.live--;
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

	/** Turns a pattern slot into a byte slot with the same content (the slot id changes). */
	materialize(slot: number): number {
		if (slot < PATTERN_SLOT) { return slot; }
		const a = this.patA[slot - PATTERN_SLOT], c = this.patC[slot - PATTERN_SLOT];
		const real = this.alloc(false);
		const w = this.words(real);
		const o = this.wordOffset(real);
		let v = c;
		for (let k = o; k < o + WORDS; k++) { w[k] = v; v = (v + a) | 0; }
		this.release(slot);
		return real;
	}

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

	/** A new slot holding a copy of `src` (-1 copies as zeroes, and needs no slot). */
	copy(src: number): number {
		if (src < 0) { return -1; }
		if (src >= PATTERN_SLOT) { return this.pattern(this.patA[src - PATTERN_SLOT], this.patC[src - PATTERN_SLOT]); }
		const dst = this.alloc(false);
		this.own(dst);
		this.slab(dst).set(this.bytes(src), this.offset(dst));
		return dst;
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
		slot = slot < 0 ? this.alloc(true) : this.materialize(slot);
		this.own(slot);
		this.slab(slot).set(data, this.offset(slot) + off);
		return slot;
	}

	/** Reads the int32 word `w` (0..1023) of a page. */
	word(slot: number, w: number): number {
		if (slot < 0) { return 0; }
		if (slot >= PATTERN_SLOT) { return (this.patC[slot - PATTERN_SLOT] + Math.imul(this.patA[slot - PATTERN_SLOT], w)) | 0; }
		return this.slabWords[slot >> SLAB_SHIFT][this.wordOffset(slot) + w];
	}

	get bytesInUse(): number { return this.slabs.length * SLAB_PAGES * PAGE_SIZE; }
}
