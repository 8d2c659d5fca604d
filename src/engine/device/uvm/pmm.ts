// The device memory allocator of a policy=migrate device (uvm_pmm_gpu.c, in miniature). Memory is
// handed out in 2 MiB root chunks, one per VA block that has pages on the device: page i of the
// block lives in page i of its chunk, so a block's residency is one chunk and eviction moves whole
// blocks. When no chunk is free, pick_root_chunk_to_evict chooses a victim: the oldest allocation
// (evict=fifo: the driver moves a chunk to the tail of its used list when a VA block allocates
// from it, not when it is accessed) or the least recently accessed one (evict=lru, what the driver's
// TODO about Bug 1765193 asks for). Per-chunk state is parallel arrays; pages are never objects.
import type { Kernel } from '../../kernel';
import type { Device } from '../device';
import { VA_BLOCK_PAGES } from './types';

/** A VA block of a process as one number: mm id and block index (vpn >> 9). */
export function blockKey(mmId: number, block: number): number { return mmId * 2 ** 27 + block; }

/** Root chunks are 2 MiB runs counted from the first pfn of the device chunk they were carved from. */
function runKey(dev: Device, pfn: number): number {
	for (let i = 0; i < dev.chunks.length; i++) {
		const ch = dev.chunks[i];
		if (pfn >= ch.first && pfn < ch.first + ch.npages) { return i * 2 ** 20 + Math.floor((pfn - ch.first) / VA_BLOCK_PAGES); }
	}
	return -1;
}

export class Pmm {
	/** root chunks carved so far: first pfn, the block using it (-1: free), its process and block */
	base: number[] = [];
	owner: number[] = [];
	mmId: number[] = [];
	block: number[] = [];
	/** pages of the chunk in use */
	used: number[] = [];
	/** allocation order (fifo) and last access stamp (lru) */
	allocSeq: number[] = [];
	lastUse: number[] = [];
	/** chunks that hold no block */
	free: number[] = [];
	/** services holding a chunk (uvm_block_chunk .. uvm_block_chunk_done): never evicted, and not
	 * released when it empties on the way (a migration dropping the device's own copies) */
	held: number[] = [];
	/** block key -> chunk index */
	readonly byBlock = new Map<number, number>();
	/** chunk index by run key (runKey: which 2 MiB run of which hotplugged device chunk) */
	readonly byRun = new Map<number, number>();
	private seq = 0;
	stamp = 0;
	readonly capacityChunks: number;

	constructor(capacityPages: number) {
		this.capacityChunks = Math.floor(capacityPages / VA_BLOCK_PAGES);
	}

	/** The chunk a block uses, or -1. */
	chunkOf(key: number): number { return this.byBlock.get(key) ?? -1; }

	/** The chunk holding a device pfn. */
	chunkOfPfn(dev: Device, pfn: number): number { return this.byRun.get(runKey(dev, pfn)) ?? -1; }

	/** Marks a chunk as accessed (kernel accesses and services), for evict=lru. */
	touch(c: number): void { this.lastUse[c] = ++this.stamp; }

	/** A free root chunk for a block, without evicting: reuses a free one or carves a new one. */
	tryAlloc(k: Kernel, dev: Device, mmId: number, block: number): number {
		let c = this.free.pop();
		if (c === undefined) {
			if (this.base.length >= this.capacityChunks) { return -1; }
			const first = dev.allocRootChunk(k);
			if (first < 0) { return -1; }
			c = this.base.length;
			this.base.push(first);
			this.owner.push(-1); this.mmId.push(-1); this.block.push(-1); this.used.push(0); this.allocSeq.push(0); this.lastUse.push(0);
			this.held.push(0);
			this.byRun.set(runKey(dev, first), c);
		}
		this.owner[c] = 1;
		this.mmId[c] = mmId;
		this.block[c] = block;
		this.used[c] = 0;
		this.allocSeq[c] = ++this.seq;
		this.touch(c);
		this.byBlock.set(blockKey(mmId, block), c);
		return c;
	}

	/** pick_root_chunk_to_evict: the oldest allocation (fifo) or the least recently used (lru),
	 * never one of `keep` (the blocks the current service is working on). */
	pickVictim(policy: 'fifo' | 'lru', keep: Set<number>): number {
		let best = -1;
		for (let c = 0; c < this.base.length; c++) {
			if (this.owner[c] < 0 || keep.has(c) || this.held[c] > 0) { continue; }
			const v = policy === 'fifo' ? this.allocSeq[c] : this.lastUse[c];
			if (best < 0 || v < (policy === 'fifo' ? this.allocSeq[best] : this.lastUse[best])) { best = c; }
		}
		return best;
	}

	/** The chunks holding blocks, in the order eviction would take them. */
	evictionOrder(policy: 'fifo' | 'lru'): number[] {
		const cs: number[] = [];
		for (let c = 0; c < this.base.length; c++) { if (this.owner[c] >= 0) { cs.push(c); } }
		const key = policy === 'fifo' ? this.allocSeq : this.lastUse;
		return cs.sort((a, b) => key[a] - key[b]);
	}

	/** The device pfn of page i of chunk c, initialised as a used device page. */
	pageIn(k: Kernel, dev: Device, c: number, i: number): number {
		const pfn = this.base[c] + i;
		k.frames.initDevice(pfn, dev.index, dev.pageFlag);
		this.used[c]++;
		dev.usedPages++;
		return pfn;
	}

	/** page_free: a page's last reference went; an empty chunk goes back to the free list. */
	pageFree(dev: Device, pfn: number): void {
		const c = this.chunkOfPfn(dev, pfn);
		if (c < 0) { throw new Error(`pfn ${pfn} is not in a root chunk of ${dev.name}`); }
		this.used[c]--;
		dev.usedPages--;
		if (this.used[c] === 0 && this.held[c] === 0) { this.release(c); }
	}

	/** A service starts or stops using chunk c; an unheld chunk left empty goes back. */
	hold(c: number): void { this.held[c]++; }
	unhold(c: number): void {
		if (this.held[c] > 0) { this.held[c]--; }
		if (this.held[c] === 0 && this.used[c] === 0) { this.release(c); }
	}

	/** Frees a chunk's block binding (its pages are all gone). */
	release(c: number): void {
		if (this.owner[c] < 0) { return; }
		this.byBlock.delete(blockKey(this.mmId[c], this.block[c]));
		this.owner[c] = -1;
		this.mmId[c] = -1;
		this.block[c] = -1;
		this.free.push(c);
	}

	get chunksInUse(): number { return this.base.length - this.free.length; }
}
