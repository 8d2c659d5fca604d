// GPU-to-GPU migration over the peer link. A page resident in another policy=migrate GPU's memory
// that has to move here (a fault whose residency is this GPU, a preferred location, `migrate` or
// `prefetch R -> DEV`) is copied straight from the peer's memory to ours: UVM's HMM path selects
// device-private pages of any UVM GPU (migrate_vma_setup with MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
// all UVM GPUs sharing one pgmap owner), and uvm_va_block_make_resident_copy ->
// block_copy_resident_pages_between copies GPU to GPU with the copy engine over the peer aperture.
// The page never visits RAM, so it crosses one link, at the peer bandwidth (DeviceCostModel.peer),
// instead of the source's link to RAM and then ours. Counted in DEV.peer_copy_bytes on the
// destination, migrated_in / migrated_out by cause on both GPUs.
//
// Here the pgmap owner of a device is the device itself, so the copy runs one migrate_vma per
// contiguous run of the peer's pages with that peer as owner: its notifier is skipped (we drop its
// entries, block_unmap of the source), every other device's entries for the run go.
import type { Kernel } from '../../kernel';
import type { K } from '../../sim/events';
import type { Mm } from '../../mm/mm';
import type { Vma } from '../../mm/vma';
import { PTE } from '../../mm/pagetable';
import { PAGE_SIZE } from '../../mm/content';
import { MigrateVma, MPFN, SELECT, migrate_vma_finalize, migrate_vma_pages, migrate_vma_setup } from '../../hmm/migrate_device';
import type { Device } from '../device';
import type { CostBreakdown } from '../cost';
import type { Mirror } from '../mirror';
import { countMove } from './space';
import { pageKey } from './migrate';
import { peerOwner } from './peer';
import { MIGRATION_CAUSES, VA_BLOCK_PAGES } from './types';

/** The peer holding page `vpn`, if it may be copied here directly: a device-private page of another
 * policy=migrate GPU, which a write may take only if the CPU's entry is writable (a read-only
 * device page takes the CPU's write fault first, through RAM). */
export function peerCopySource(k: Kernel, dev: Device, mm: Mm, vpn: number, write: boolean): Device | undefined {
	const owner = peerOwner(k, dev, mm, vpn);
	if (!owner || (write && !(mm.pt.pte(vpn) & PTE.WRITE))) { return undefined; }
	return owner;
}

/** Copies the pages of [lo, hi) (one VMA, one block) whose want code is set and that a peer GPU
 * holds into `chunk` of dev, run by run. `moved[code]` counts the pages that arrived per cause
 * code; `m` is dev's table for mm, where they are mapped. */
export function* uvm_block_copy_from_peers(k: Kernel, dev: Device, m: Mirror, mm: Mm, vma: Vma, lo: number, hi: number, want: Uint8Array,
	chunk: number, acc: CostBreakdown, moved: number[]): K {
	for (let i = 0; i < hi - lo;) {
		const src = want[i] ? peerOwner(k, dev, mm, lo + i) : undefined;
		if (!src) { i++; continue; }
		let e = i + 1;
		while (e < hi - lo && want[e] && peerOwner(k, dev, mm, lo + e) === src) { e++; }
		yield* copyRun(k, dev, src, m, mm, vma, lo + i, lo + e, want.subarray(i, e), chunk, acc, moved);
		i = e;
	}
}

/** One run [s, e) of src's pages: migrate_vma with src as pgmap owner, destination pages from the
 * chunk, one copy-engine transfer over the peer link. */
function* copyRun(k: Kernel, dev: Device, src: Device, m: Mirror, mm: Mm, vma: Vma, s: number, e: number, want: Uint8Array,
	chunk: number, acc: CostBreakdown, moved: number[]): K {
	const u = dev.uvm!;
	let main = MIGRATION_CAUSES[want[0] - 1];
	for (const w of want) { if (MIGRATION_CAUSES[w - 1] !== 'prefetch') { main = MIGRATION_CAUSES[w - 1]; break; } }
	const a = new MigrateVma(mm, vma, s, e, SELECT.DEVICE_PRIVATE, src, `${src.name} -> ${dev.name} (peer copy)`);
	a.cause = main;
	yield* migrate_vma_setup(k, a);
	const srcTable = src.mirrors.get(mm);
	let pages = 0;
	for (let i = 0; i < a.npages; i++) {
		if (!(a.srcF[i] & MPFN.MIGRATE) || a.src[i] < 0) { continue; }
		a.dst[i] = u.pmm.pageIn(k, dev, chunk, (s + i) & (VA_BLOCK_PAGES - 1));
		a.dstF[i] = MPFN.VALID | (a.srcF[i] & MPFN.WRITE);
		// block_unmap on the source GPU: the invalidation skipped its own table
		srcTable?.pt.clear(s + i);
		m.pt.clear(s + i);
		pages++;
	}
	if (pages > 0) {
		acc.transfer += u.costs.c.transferLatencyNs + u.costs.peer(pages * PAGE_SIZE, src.uvm!.costs);
		u.blockGpuStateGetAlloc(mm.id, Math.floor(s / VA_BLOCK_PAGES), acc);
	}
	yield* migrate_vma_pages(k, a);
	let n = 0;
	for (let i = 0; i < a.npages; i++) {
		if (!(a.srcF[i] & MPFN.MIGRATE) || a.dst[i] < 0) { continue; }
		const code = want[i];
		moved[code]++;
		m.map(s + i, a.dst[i], (a.dstF[i] & MPFN.WRITE) !== 0);
		u.tracker.uvm_perf_thrashing_event(pageKey(mm, s + i), dev.index, k.clock);
		countMove(src, MIGRATION_CAUSES[code - 1], 'out', 1);
		n++;
	}
	yield* migrate_vma_finalize(k, a);
	src.stats.migrated_out += n;
	dev.stats.peer_copy_bytes += n * PAGE_SIZE;
	if (n > 0) { acc.map += u.costs.map(n, 1); }
}
