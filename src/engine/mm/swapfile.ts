// The swap device (mm/swapfile.c): one swap area of `swap=` bytes, as typed arrays indexed by
// slot. A slot is in use while swap entries refer to it (swap_map's count) or a page holds it in
// the swap cache (SWAP_HAS_CACHE). The bytes of a swapped-out page are "written" by reference:
// the slot takes over the page's content slot, so a page's data is never lost or copied.
import { PAGE_SIZE } from './content';

/** Swap-out: a sequential write at this bandwidth (an NVMe SSD class figure), bytes/s. */
export const SWAP_WRITE_BW = 2e9;
/** Swap-in: one synchronous 4 KiB read (SWP_SYNCHRONOUS_IO device), ns: a major fault. */
export const SWAP_READ_NS = 20_000;

export class SwapInfo {
	readonly nslots: number;
	/** swap_map: how many swap entries (PTEs) refer to each slot */
	readonly map: Uint32Array;
	/** the swap cache (swap_address_space): the RAM page holding the slot's data, or -1 */
	readonly cache: Int32Array;
	/** the slot's data while no swap-cache page holds it: a content slot (-1 reads as zeroes) */
	readonly data: Int32Array;
	/** free slots, a stack handing out the lowest slot first (scan_swap_map_slots' cursor) */
	private readonly free: Int32Array;
	private nfree: number;
	/** slots in use (si->inuse_pages) */
	inuse = 0;
	/** vmstat pswpout / pswpin */
	pswpout = 0;
	pswpin = 0;

	constructor(bytes: number) {
		this.nslots = Math.floor(bytes / PAGE_SIZE);
		this.map = new Uint32Array(this.nslots);
		this.cache = new Int32Array(this.nslots).fill(-1);
		this.data = new Int32Array(this.nslots).fill(-1);
		this.free = new Int32Array(this.nslots);
		for (let i = 0; i < this.nslots; i++) { this.free[i] = this.nslots - 1 - i; }
		this.nfree = this.nslots;
	}

	/** get_nr_swap_pages */
	get freeSlots(): number { return this.nfree; }

	/** folio_alloc_swap: a free slot, or -1 when swap is full. The slot starts with only the
	 * swap cache's hold on it (SWAP_HAS_CACHE). */
	alloc(): number {
		if (this.nfree === 0) { return -1; }
		const slot = this.free[--this.nfree];
		this.map[slot] = 0;
		this.data[slot] = -1;
		this.inuse++;
		return slot;
	}

	/** Is the slot in use: referenced by an entry or held by the swap cache? */
	used(slot: number): boolean { return this.map[slot] > 0 || this.cache[slot] >= 0; }

	/** swap_entry_free: the last hold on the slot is gone. */
	release(slot: number): void {
		this.map[slot] = 0;
		this.data[slot] = -1;
		this.inuse--;
		this.free[this.nfree++] = slot;
	}
}
