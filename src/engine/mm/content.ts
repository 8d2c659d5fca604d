// Page contents, stored in 1 MiB slabs of 256 pages. A page owns a slot only once something
// non-zero may have been written to it; a page without a slot reads as zeroes. Migration moves
// the slot from the source frame to the destination frame, which is the simulator's
// "copy by reference": the bytes never move, yet read back identically wherever the page lives.

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12;
const SLAB_PAGES = 256;
const SLAB_SHIFT = 8;

export class ContentStore {
	slabs: Uint8Array[] = [];
	/** the same slabs as int32 words (little-endian on every host Node runs on) */
	slabWords: Int32Array[] = [];
	private free: number[] = [];
	private nextSlot = 0;
	live = 0;

	/** A zero-filled slot. */
	alloc(zero = true): number {
		let slot = this.free.pop();
		if (slot === undefined) {
			slot = this.nextSlot++;
			if ((slot >> SLAB_SHIFT) >= this.slabs.length) {
				const slab = new Uint8Array(SLAB_PAGES * PAGE_SIZE);
				this.slabs.push(slab);
				this.slabWords.push(new Int32Array(slab.buffer));
			}
		} else if (zero) {
			this.bytes(slot).fill(0);
		}
		this.live++;
		return slot;
	}

	release(slot: number): void {
		this.free.push(slot);
		this.live--;
	}

	slab(slot: number): Uint8Array { return this.slabs[slot >> SLAB_SHIFT]; }
	offset(slot: number): number { return (slot & (SLAB_PAGES - 1)) * PAGE_SIZE; }

	/** A view of one page's bytes (allocates a view object: not for per-word hot loops). */
	bytes(slot: number): Uint8Array {
		const o = this.offset(slot);
		return this.slab(slot).subarray(o, o + PAGE_SIZE);
	}

	/** An Int32Array view over the slab of `slot`, and the word index where the page starts. */
	words(slot: number): Int32Array { return this.slabWords[slot >> SLAB_SHIFT]; }
	wordOffset(slot: number): number { return (slot & (SLAB_PAGES - 1)) * (PAGE_SIZE >> 2); }

	/** A new slot holding a copy of `src` (-1 copies as zeroes, and needs no slot). */
	copy(src: number): number {
		if (src < 0) { return -1; }
		const dst = this.alloc(false);
		this.slab(dst).set(this.bytes(src), this.offset(dst));
		return dst;
	}

	/** Reads `len` bytes of a page starting at `off` into `out[at..]`. */
	read(slot: number, off: number, len: number, out: Uint8Array, at: number): void {
		if (slot < 0) { out.fill(0, at, at + len); return; }
		const o = this.offset(slot) + off;
		out.set(this.slab(slot).subarray(o, o + len), at);
	}

	/** Reads the int32 word `w` (0..1023) of a page. */
	word(slot: number, w: number): number {
		if (slot < 0) { return 0; }
		return this.slabWords[slot >> SLAB_SHIFT][this.wordOffset(slot) + w];
	}

	get bytesInUse(): number { return this.slabs.length * SLAB_PAGES * PAGE_SIZE; }
}
