// The read-mostly part of uvm_va_block_service_locked (uvm_va_block.c): under
// cudaMemAdviseSetReadMostly, block_select_processor_residency answers a read (or prefetch) fault
// with read duplication, a copy on the faulting processor that leaves every other copy in place
// (uvm_va_block_make_resident_read_duplicate), and a write or atomic with a collapse onto the
// writer (the other copies are invalidated; a copy the writer holds becomes the page, no data
// moves). Copies live in the block's root chunk (uvm/pmm.ts), so they count against device
// memory and go when the chunk is evicted (the driver drops duplicates rather than moving them).
// The copy mechanics, kept coherent through notifiers, are in read_dup.ts.
import type { Kernel } from '../../kernel';
import type { K } from '../../sim/events';
import type { Mm } from '../../mm/mm';
import { PAGE_SIZE } from '../../mm/content';
import { PTE } from '../../mm/pagetable';
import type { Device } from '../device';
import { type CostBreakdown, transferNs } from '../cost';
import { ACCESS } from './fault_buffer';
import { uvm_hmm_map_in_place } from './remote';
import { countMove, type BlockDecision } from './space';
import { residentOn, uvm_block_chunk, uvm_block_chunk_done, uvmMirror } from './migrate';
import { uvm_collapse_read_duplicates, uvm_read_duplicate } from './read_dup';
import { VA_BLOCK_PAGES } from './types';

/** dup mask value of a page the prefetcher added (access type PREFETCH): it gets a copy if it
 * can, and no mapping in place if it cannot (no warp asked for it). A faulted page is 1. */
export const DUP_PREFETCH = 2;

/** Calls fn(lo, hi) for each run of set entries of a block mask that lies in one VMA. */
function* vmaRuns(mm: Mm, bs: number, mask: Uint8Array, fn: (lo: number, hi: number) => K<unknown>): K {
	for (let o = 0; o < VA_BLOCK_PAGES;) {
		if (!mask[o]) { o++; continue; }
		const limit = Math.min(VA_BLOCK_PAGES, (mm.vmas.find(bs + o)?.end ?? bs + VA_BLOCK_PAGES) - bs);
		let e = o;
		while (e < limit && mask[e]) { e++; }
		yield* fn(bs + o, bs + e);
		o = e;
	}
}

/** Read duplication of the block's pages in `dup`: each is made CPU-resident first (a swapped,
 * untouched or other-device page is faulted in, hmm_make_resident_cpu), then copied into the
 * device's root chunk and mapped read-only. A policy=migrate device that held one of the pages
 * keeps a copy of it, as the driver keeps every other copy (no transfer: its data was there). A page that gets no copy (no memory left to evict,
 * or pinned) is mapped in place instead (`remote`). Returns the prefetched pages copied. */
export function* uvm_service_read_duplicate(k: Kernel, dev: Device, mm: Mm, bs: number, dup: Uint8Array, remote: Uint8Array,
	acc: CostBreakdown, d: BlockDecision): K<number> {
	yield* k.enter('uvm_va_block_make_resident_read_duplicate', { addr: bs * PAGE_SIZE, npages: VA_BLOCK_PAGES, device: dev.name, process: mm.name });
	try {
		const u = dev.uvm!;
		const m = uvmMirror(k, dev, mm);
		const want = new Uint8Array(VA_BLOCK_PAGES);
		// pages another policy=migrate device holds: it keeps a copy once they are duplicated
		const holders = new Map<Device, Uint8Array>();
		const leaf = mm.pt.leaf(bs);
		for (let o = 0; o < VA_BLOCK_PAGES; o++) {
			if (!dup[o]) { continue; }
			want[o] = ACCESS.READ;
			if (!leaf || (leaf.pte[o] & PTE.TYPE_MASK) !== PTE.DEVPRIV) { continue; }
			const holder = k.devices[k.frames.owner[(leaf.pfn[o]) >> 12][(leaf.pfn[o]) & 4095]];
			if (!holder?.uvm || holder === dev) { continue; }
			let mask = holders.get(holder);
			if (!mask) { mask = new Uint8Array(VA_BLOCK_PAGES); holders.set(holder, mask); }
			mask[o] = 1;
		}
		yield* vmaRuns(mm, bs, dup, (lo, hi) => uvm_hmm_map_in_place(k, dev, m, lo, hi, want.subarray(lo - bs, hi - bs), false));
		const copied = yield* duplicate_on(k, dev, mm, bs, dup, acc);
		for (const [holder, mask] of holders) { yield* duplicate_on(k, holder, mm, bs, mask, acc); }
		// the copies' transfers: one per contiguous run of pages copied, on the link's curve
		let runs = 0, run = 0, bw = 0;
		for (let o = 0; o <= VA_BLOCK_PAGES; o++) {
			const got = o < VA_BLOCK_PAGES && dup[o] && m.isCopy(bs + o);
			if (got) { run++; continue; }
			if (run > 0) { runs++; bw += transferNs(u.costs.linkBw, run * PAGE_SIZE); }
			run = 0;
			if (o < VA_BLOCK_PAGES && dup[o] && dup[o] !== DUP_PREFETCH) { remote[o] = ACCESS.READ; }
		}
		let prefetched = 0;
		for (let o = 0; o < VA_BLOCK_PAGES; o++) { if (dup[o] === DUP_PREFETCH && m.isCopy(bs + o)) { prefetched++; } }
		if (copied > 0) {
			acc.transfer += runs * u.costs.c.transferLatencyNs + bw;
			u.blockGpuStateGetAlloc(mm.id, bs / VA_BLOCK_PAGES, acc);
			acc.map += u.costs.map(copied, 1);
		}
		dev.stats.read_duplicated += copied;
		// the prefetched copies count as prefetched pages too (a speculative prefetch that duplicates)
		dev.stats.prefetched += prefetched;
		d.prefetched += prefetched;
		d.duplicated += copied;
		return prefetched;
	} finally {
		k.leave();
	}
}

/** Copies on `dev` of the block's pages in `mask` (CPU-resident by now), in the block's root chunk. */
function* duplicate_on(k: Kernel, dev: Device, mm: Mm, bs: number, mask: Uint8Array, acc: CostBreakdown): K<number> {
	const u = dev.uvm!;
	const { c } = yield* uvm_block_chunk(k, dev, mm, bs / VA_BLOCK_PAGES, new Set<number>(), acc);
	if (c < 0) { return 0; }
	let copied = 0;
	try {
		yield* vmaRuns(mm, bs, mask, function* (lo, hi) {
			copied += yield* uvm_read_duplicate(k, dev, mm, mm.vmas.find(lo)!, lo, hi, vpn => u.pmm.pageIn(k, dev, c, vpn & (VA_BLOCK_PAGES - 1)));
		});
	} finally {
		uvm_block_chunk_done(dev, c);
	}
	u.pmm.touch(c);
	return copied;
}

/** A write or atomic fault on read-duplicated pages (`collapse`): every other copy goes, and the
 * writer's own copies become its resident pages (no data moves). Those pages leave `move`;
 * the rest migrate as usual. Returns the pages that became resident. */
export function* uvm_service_collapse(k: Kernel, dev: Device, mm: Mm, bs: number, collapse: Uint8Array, move: Uint8Array,
	acc: CostBreakdown, d: BlockDecision): K<number> {
	let n = 0;
	yield* vmaRuns(mm, bs, collapse, function* (lo, hi) { n += yield* uvm_collapse_read_duplicates(k, mm, lo, hi, dev); });
	for (let o = 0; o < VA_BLOCK_PAGES; o++) {
		if (collapse[o] && residentOn(k, dev, mm, bs + o)) { move[o] = 0; }
	}
	if (n > 0) {
		acc.map += dev.uvm!.costs.map(n, 1);
		countMove(dev, 'device-fault', 'in', n);
		d.migrated += n;
	}
	return n;
}
