// The copy and map steps of servicing one VA block (uvm_va_block_service_copy and the mappings of
// uvm_va_block_service_finish): the block's root chunk on the destination GPU, migrate_vma_* per
// VMA, pages another device holds faulted home first, and pages that stay where they are mapped in
// place with hmm_range_fault. The destination is the faulting GPU, or the preferred location when
// that is another GPU the faulting one reaches over the peer link (preferredPeer in uvm/peer.ts).
import type { Kernel } from '../../kernel';
import type { K } from '../../sim/events';
import type { Mm } from '../../mm/mm';
import { PTE } from '../../mm/pagetable';
import { PAGE_SIZE } from '../../mm/content';
import type { Device } from '../device';
import type { CostBreakdown } from '../cost';
import type { Mirror } from '../mirror';
import { ACCESS } from './fault_buffer';
import { uvm_hmm_make_resident_cpu, uvm_hmm_map_in_place } from './remote';
import { residentOn, uvm_block_chunk, uvm_block_chunk_done, uvm_block_migrate_to_device } from './migrate';
import type { BlockDecision } from './space';
import { MIGRATION_CAUSES, VA_BLOCK_PAGES } from './types';
import { peerCopySource } from './peer_copy';

/** uvm_va_block_service_copy: the block's chunk, then migrate_vma_* per VMA of the block. Pages
 * that could not move (no memory left to evict, or refused by migrate_vma) are mapped in place. */
export function* uvm_va_block_service_copy(k: Kernel, dev: Device, mm: Mm, bs: number, move: Uint8Array, remote: Uint8Array, access: Uint8Array,
	acc: CostBreakdown, d: BlockDecision): K {
	yield* k.enter('uvm_va_block_service_copy', { addr: bs * PAGE_SIZE, npages: VA_BLOCK_PAGES, device: dev.name, process: mm.name });
	try {
		const { c } = yield* uvm_block_chunk(k, dev, mm, bs / VA_BLOCK_PAGES, new Set<number>(), acc);
		if (c >= 0) {
			try {
				for (const vma of mm.vmas.overlapping(bs, bs + VA_BLOCK_PAGES)) {
					const lo = Math.max(bs, vma.start), hi = Math.min(bs + VA_BLOCK_PAGES, vma.end);
					const want = move.subarray(lo - bs, hi - bs);
					if (!want.some(x => x !== 0)) { continue; }
					const moved = yield* uvm_block_migrate_to_device(k, dev, mm, vma, lo, hi, want, c, acc);
					for (let code = 1; code < moved.length; code++) {
						if (MIGRATION_CAUSES[code - 1] === 'prefetch') { d.prefetched += moved[code]; } else { d.migrated += moved[code]; }
					}
				}
			} finally {
				// a chunk that ended up holding nothing goes back
				uvm_block_chunk_done(dev, c);
			}
		}
		for (let o = 0; o < VA_BLOCK_PAGES; o++) {
			if (move[o] && access[o] && !residentOn(k, dev, mm, bs + o)) { remote[o] = access[o]; }
		}
	} finally {
		k.leave();
	}
}

/** Pages of the move mask that another device holds come back to RAM first (that device's
 * migrate_to_ram, reached from hmm_range_fault: a device fault, not a CPU one); pages a write
 * faulted on that the CPU maps read-only (write-protected, COW) take the CPU's write fault first,
 * so they migrate writable (hmm_make_resident_cpu faults with the access wanted). */
export function* make_resident_cpu(k: Kernel, dev: Device, m: Mirror, mm: Mm, bs: number, move: Uint8Array, access: Uint8Array): K {
	let foreign: Uint8Array | undefined;
	const leaf = mm.pt.leaf(bs);
	if (!leaf) { return; }
	for (let o = 0; o < VA_BLOCK_PAGES; o++) {
		if (!move[o]) { continue; }
		const t = leaf.pte[o] & PTE.TYPE_MASK;
		// another GPU's page comes over the peer link instead (uvm/peer_copy.ts), unless a write needs
		// the CPU's write fault first
		const other = t === PTE.DEVPRIV && k.frames.owner[(leaf.pfn[o]) >> 12][(leaf.pfn[o]) & 4095] !== dev.index
			&& !peerCopySource(k, dev, mm, bs + o, access[o] >= ACCESS.WRITE);
		const wp = t === PTE.PRESENT && access[o] >= ACCESS.WRITE && !(leaf.pte[o] & PTE.WRITE);
		if (other || wp) {
			foreign ??= new Uint8Array(VA_BLOCK_PAGES);
			foreign[o] = access[o] || ACCESS.READ;
		}
	}
	if (!foreign) { return; }
	for (let o = 0; o < VA_BLOCK_PAGES;) {
		if (!foreign[o]) { o++; continue; }
		const vma = mm.vmas.find(bs + o)!;
		let e = o;
		while (e < VA_BLOCK_PAGES && bs + e < vma.end) { e++; }
		yield* uvm_hmm_make_resident_cpu(k, dev, m, bs + o, bs + e, foreign.subarray(o, e));
		o = e;
	}
}

/** Maps the wanted pages in place, one hmm_range_fault per contiguous run of one VMA. */
export function* mapRuns(k: Kernel, dev: Device, m: Mirror, mm: Mm, bs: number, want: Uint8Array): K<number> {
	let n = 0;
	for (let o = 0; o < VA_BLOCK_PAGES;) {
		if (!want[o]) { o++; continue; }
		const vma = mm.vmas.find(bs + o)!;
		let e = o;
		while (e < VA_BLOCK_PAGES && bs + e < vma.end) { e++; }
		while (e > o && !want[e - 1]) { e--; }
		n += yield* uvm_hmm_map_in_place(k, dev, m, bs + o, bs + e, want.subarray(o, e));
		o = e;
	}
	return n;
}
