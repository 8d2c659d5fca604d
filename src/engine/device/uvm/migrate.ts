// Moving pages of one VA block between RAM and a policy=migrate device with migrate_vma_*
// (uvm_hmm.c: uvm_hmm_va_block_service_locked's copy step, uvm_hmm_migrate_to_ram and eviction).
// Destination pages come from the block's root chunk (uvm/pmm.ts), allocated (and zero-filled)
// on first use, evicting the chunk pick_root_chunk_to_evict names when the device is full.
import type { Kernel } from '../../kernel';
import type { K } from '../../sim/events';
import type { Mm } from '../../mm/mm';
import type { Vma } from '../../mm/vma';
import type { VmFault } from '../../mm/memremap';
import type { IntervalNotifier, NotifierRange } from '../../mm/mmu_notifier';
import { PTE } from '../../mm/pagetable';
import { HPAGE_NR, HUGE_ZERO_PFN, ZERO_PFN } from '../../mm/frames';
import { PAGE_SIZE } from '../../mm/content';
import { MigrateVma, MPFN, SELECT, migrate_vma_finalize, migrate_vma_pages, migrate_vma_setup } from '../../hmm/migrate_device';
import { finish_migration_to_ram } from '../migrate_to_ram';
import { try_to_free_pages } from '../../mm/vmscan';
import type { Device } from '../device';
import { Mirror } from '../mirror';
import { type CostBreakdown, emptyBreakdown, totalNs, transferNs } from '../cost';
import { blockKey } from './pmm';
import { countMove } from './space';
import { uvm_map_accessed_by } from './accessed_by';
import { peerOwner } from './peer';
import { uvm_block_copy_from_peers } from './peer_copy';
import { MIGRATION_CAUSES, type MigrationCause, VA_BLOCK_PAGES } from './types';

/** Per-page cause codes in a block's want mask: 0 = leave, else MIGRATION_CAUSES[code - 1]. */
export function causeCode(c: MigrationCause): number { return MIGRATION_CAUSES.indexOf(c) + 1; }

/** A policy=migrate device's page table for one process. Its notifier callback is a TLB
 * shootdown, and costs the device's `invalidate` term each time it removes entries. */
export class UvmMirror extends Mirror {
	constructor(dev: Device, mm: Mm, private readonly k: Kernel) { super(dev, mm); }

	override invalidate(sub: IntervalNotifier, range: NotifierRange): number {
		// uvm_hmm_invalidate: an unmapped block (or every block, at exit) is destroyed with its GPU state
		if (range.event === 'UNMAP' || range.event === 'RELEASE') {
			this.dev.uvm?.blockGpuStateDestroy(this.mm.id, range.start, range.end);
			// an unmapped range loses its advice (uvm_hmm_invalidate -> uvm_va_policy_clear on MMU_NOTIFY_UNMAP)
			this.dev.uvm?.space.advice.get(this.mm.id)?.clear(range.start, range.end);
		}
		const removed = super.invalidate(sub, range);
		if (removed > 0 && this.dev.uvm) { this.k.advance(this.dev.uvm.costs.c.invalidateNs); }
		return removed;
	}

	/** The mirror goes (exit, unmirror): so does every block's state for this GPU. */
	override destroy(): void {
		this.dev.uvm?.blockGpuStateDestroy(this.mm.id);
		super.destroy();
	}
}

/** The process's mirror on a policy=migrate device: UVM registers the mm on first use
 * (uvm_va_space_mm_register); the mirror's table is the device's page table for it. */
export function uvmMirror(k: Kernel, dev: Device, mm: Mm): Mirror {
	let m = dev.mirrors.get(mm);
	if (!m) { m = new UvmMirror(dev, mm, k); dev.mirrors.set(mm, m); }
	return m;
}

export function selectOwn(dev: Device): number {
	return dev.coherent ? SELECT.DEVICE_COHERENT : SELECT.DEVICE_PRIVATE;
}

/** Thrashing key of a page (any number unique per page). */
export function pageKey(mm: Mm, vpn: number): number { return mm.id * 2 ** 36 + vpn; }

/** Is the page the device's own (resident on it)? */
export function residentOn(k: Kernel, dev: Device, mm: Mm, vpn: number): boolean {
	const pte = mm.pt.pte(vpn);
	const t = pte & PTE.TYPE_MASK;
	return (t === PTE.DEVPRIV || t === PTE.PRESENT) && k.frames.owner[(mm.pt.pfn(vpn)) >> 12][(mm.pt.pfn(vpn)) & 4095] === dev.index;
}

/** The block's root chunk, allocated on first use (zero-filled: block_zero_new_gpu_chunk),
 * evicting others when the device is full. `keep` holds chunks the caller is using. The chunk is
 * held (not evictable, not released when it empties) until uvm_block_chunk_done. */
export function* uvm_block_chunk(k: Kernel, dev: Device, mm: Mm, block: number, keep: Set<number>, acc: CostBreakdown): K<{ c: number; fresh: boolean }> {
	const u = dev.uvm!;
	let c = u.pmm.chunkOf(blockKey(mm.id, block));
	if (c >= 0) { u.pmm.hold(c); return { c, fresh: false }; }
	// a victim that could not be emptied is not chosen again
	const tried = new Set(keep);
	// nor one holding pages pinned in device memory (experimental=pin_device)
	k.pins.expire(k);
	for (const pfn of k.pins.until.keys()) { if (dev.ownsPfn(k, pfn)) { tried.add(u.pmm.chunkOfPfn(dev, pfn)); } }
	for (;;) {
		c = u.pmm.tryAlloc(k, dev, mm.id, block);
		if (c >= 0) { break; }
		const victim = u.pmm.pickVictim(dev.cfg.evict, tried);
		if (victim < 0) { return { c: -1, fresh: false }; }
		tried.add(victim);
		yield* evict_root_chunk(k, dev, victim, acc);
	}
	// block_zero_new_gpu_chunk: only the pages resident nowhere are zeroed, in one memset push;
	// a chunk whose pages all hold data somewhere is not zeroed at all
	const zero = pagesResidentNowhere(mm, block * VA_BLOCK_PAGES);
	if (zero > 0) { acc.zeroFill += u.costs.zeroFill(zero * PAGE_SIZE); }
	u.pmm.hold(c);
	return { c, fresh: true };
}

const isZeroPfn = (pfn: number) => pfn === ZERO_PFN || (pfn >= HUGE_ZERO_PFN && pfn < HUGE_ZERO_PFN + HPAGE_NR);

/** Pages of the block that its VMAs cover. */
export function blockPages(mm: Mm, bs: number): number {
	let n = 0;
	for (const vma of mm.vmas.overlapping(bs, bs + VA_BLOCK_PAGES)) { n += Math.min(bs + VA_BLOCK_PAGES, vma.end) - Math.max(bs, vma.start); }
	return n;
}

/** Pages of the block's VMAs that hold data nowhere: no CPU page (the zero page is none), no swap
 * entry, no device page. */
export function pagesResidentNowhere(mm: Mm, bs: number): number {
	let n = 0;
	for (const vma of mm.vmas.overlapping(bs, bs + VA_BLOCK_PAGES)) {
		const lo = Math.max(bs, vma.start), hi = Math.min(bs + VA_BLOCK_PAGES, vma.end);
		n += hi - lo;
		mm.pt.forEach(lo, hi, (_vpn, pfn, pte) => {
			const t = pte & PTE.TYPE_MASK;
			if (t === PTE.SWAP || t === PTE.DEVPRIV || (t === PTE.PRESENT && !isZeroPfn(pfn))) { n--; }
		});
	}
	return n;
}

/** The service is done with the chunk: one that ended up holding nothing goes back. */
export function uvm_block_chunk_done(dev: Device, c: number): void {
	if (c >= 0) { dev.uvm!.pmm.unhold(c); }
}

/** Migrates the pages of [lo, hi) (one VMA, one block) whose want code is set to the device.
 * Returns the pages moved per cause code. */
export function* uvm_block_migrate_to_device(k: Kernel, dev: Device, mm: Mm, vma: Vma, lo: number, hi: number,
	want: Uint8Array, chunk: number, acc: CostBreakdown): K<number[]> {
	const u = dev.uvm!;
	const m = uvmMirror(k, dev, mm);
	const moved = new Array<number>(MIGRATION_CAUSES.length + 1).fill(0);
	// pages another GPU holds come straight from its memory over the peer link (uvm/peer_copy.ts);
	// what is left comes from RAM
	let peer = false;
	for (let i = 0; i < hi - lo && !peer && k.devices.length > 1; i++) { peer = want[i] !== 0 && peerOwner(k, dev, mm, lo + i) !== undefined; }
	if (peer) {
		yield* uvm_block_copy_from_peers(k, dev, m, mm, vma, lo, hi, want, chunk, acc, moved);
		want = want.map((w, i) => (w && !residentOn(k, dev, mm, lo + i) ? w : 0));
	}
	const first = want.findIndex(w => w !== 0);
	if (first < 0 || first >= hi - lo) { countMoves(dev, moved); return moved; }
	let last = hi - lo;
	while (last > first && want[last - 1] === 0) { last--; }
	const start = lo + first, end = lo + last;
	let main: MigrationCause = 'prefetch';
	for (let i = first; i < last; i++) { if (want[i] && MIGRATION_CAUSES[want[i] - 1] !== 'prefetch') { main = MIGRATION_CAUSES[want[i] - 1]; break; } }
	const a = new MigrateVma(mm, vma, start, end, SELECT.SYSTEM, dev, `ram -> ${dev.name}`);
	a.cause = main;
	yield* migrate_vma_setup(k, a);
	// uvm_va_block_service_copy: destination pages from the block's chunk, then the copies
	let holes = 0, runs = 0, bytes = 0, inRun = false;
	for (let i = 0; i < a.npages; i++) {
		const w = want[start - lo + i];
		if (!w || !(a.srcF[i] & MPFN.MIGRATE) || (a.srcF[i] & MPFN.COMPOUND)) { inRun = false; continue; }
		const vpn = start + i;
		const hole = a.src[i] < 0;
		const write = (a.srcF[i] & MPFN.WRITE) !== 0 || (hole && vma.writable);
		a.dst[i] = u.pmm.pageIn(k, dev, chunk, vpn & (VA_BLOCK_PAGES - 1));
		a.dstF[i] = MPFN.VALID | (write ? MPFN.WRITE : 0);
		// a stale remote mapping of the source page goes with it
		m.pt.clear(vpn);
		if (hole) { holes++; inRun = false; continue; }
		if (!inRun) { runs++; }
		inRun = true;
		bytes += PAGE_SIZE;
	}
	// pages with no source need no zeroing here: block_zero_new_gpu_chunk zeroed every page of the
	// chunk that was resident nowhere when the chunk was populated
	if (bytes > 0) {
		// contiguous runs are one transfer each; the bandwidth part follows the link's curve by run size
		acc.transfer += runs * u.costs.c.transferLatencyNs + transferByRuns(u.costs.linkBw, a, want, start - lo);
	}
	if (bytes > 0 || holes > 0) { u.blockGpuStateGetAlloc(mm.id, Math.floor(lo / VA_BLOCK_PAGES), acc); }
	yield* migrate_vma_pages(k, a);
	let mapped = 0;
	for (let i = 0; i < a.npages; i++) {
		if (!(a.srcF[i] & MPFN.MIGRATE) || a.dst[i] < 0) { continue; }
		const code = want[start - lo + i];
		moved[code]++;
		m.map(start + i, a.dst[i], (a.dstF[i] & MPFN.WRITE) !== 0);
		mapped++;
		u.tracker.uvm_perf_thrashing_event(pageKey(mm, start + i), dev.index, k.clock);
	}
	yield* migrate_vma_finalize(k, a);
	u.pmm.touch(chunk);
	if (mapped > 0) { acc.map += u.costs.map(mapped, 1); }
	countMoves(dev, moved);
	return moved;
}

function countMoves(dev: Device, moved: number[]): void {
	for (let c = 1; c < moved.length; c++) { countMove(dev, MIGRATION_CAUSES[c - 1], 'in', moved[c]); }
}

/** The bandwidth part of the copies: each contiguous run of data pages is one transfer. */
function transferByRuns(linkBw: number, a: MigrateVma, want: Uint8Array, off: number): number {
	let ns = 0, run = 0;
	const flush = () => {
		if (run > 0) { ns += transferNs(linkBw, run * PAGE_SIZE); }
		run = 0;
	};
	for (let i = 0; i < a.npages; i++) {
		if (want[off + i] && (a.srcF[i] & MPFN.MIGRATE) && a.src[i] >= 0 && a.dst[i] >= 0) { run++; } else { flush(); }
	}
	flush();
	return ns;
}

/** Moves the device's pages of [lo, hi) (one VMA) back to RAM, as eviction, `prefetch -> ram`
 * and `migrate -> ram` do. Returns pages moved. */
export function* uvm_block_migrate_to_ram(k: Kernel, dev: Device, mm: Mm, vma: Vma, lo: number, hi: number,
	cause: MigrationCause, acc: CostBreakdown): K<number> {
	let any = false;
	for (let v = lo; v < hi && !any; v++) { any = residentOn(k, dev, mm, v); }
	if (!any) { return 0; }
	const u = dev.uvm!;
	const before = dev.stats.migrated_out;
	const a = new MigrateVma(mm, vma, lo, hi, selectOwn(dev), dev, `${dev.name} -> ram`);
	a.cause = cause;
	const t0 = k.clock;
	yield* migrate_vma_setup(k, a);
	yield* finish_migration_to_ram(k, dev, a);
	const moved = dev.stats.migrated_out - before;
	acc.transfer += k.clock - t0 + (moved > 0 ? u.costs.c.transferLatencyNs : 0);
	k.clock = t0;
	if (moved > 0) {
		u.blockGpuStateGetAlloc(mm.id, Math.floor(lo / VA_BLOCK_PAGES), acc);
		acc.unmap += u.costs.unmap(moved, 1);
		for (let v = lo; v < hi; v++) { u.tracker.uvm_perf_thrashing_event(pageKey(mm, v), -1, k.clock); }
	}
	countMove(dev, cause, 'out', moved);
	// uvm_va_block_add_mappings_after_migration: accessed-by devices map the pages in RAM again
	if (moved > 0) { yield* uvm_map_accessed_by(k, u.space, mm, lo, hi, acc); }
	return moved;
}

/** evict_root_chunk: every resident page of the chunk's block goes to RAM (never a lost byte),
 * one VMA at a time; the chunk is free afterwards. */
export function* evict_root_chunk(k: Kernel, dev: Device, c: number, acc: CostBreakdown): K {
	const u = dev.uvm!;
	const mm = k.mms[u.pmm.mmId[c]];
	const bs = u.pmm.block[c] * VA_BLOCK_PAGES;
	yield* k.enter('evict_root_chunk', { addr: bs * PAGE_SIZE, npages: VA_BLOCK_PAGES, device: dev.name, process: mm?.name });
	try {
		let moved = 0;
		if (mm?.alive) {
			// read-duplicate copies are dropped, not moved: the CPU holds the page (block_evict_pages_from_gpu)
			dev.mirrors.get(mm)?.dropCopies(bs, bs + VA_BLOCK_PAGES);
			// the pages need RAM, allocated with reclaim allowed (migrate_alloc_on_cpu): direct reclaim
			// makes room first while swap has it, so eviction into a full RAM swaps instead of failing
			const f = k.frames, need = u.pmm.used[c];
			if (f.ramPages - f.ramUsed < f.wmarkLow + need) { yield* try_to_free_pages(k, need); }
			for (const vma of mm.vmas.overlapping(bs, bs + VA_BLOCK_PAGES)) {
				const lo = Math.max(bs, vma.start), hi = Math.min(bs + VA_BLOCK_PAGES, vma.end);
				moved += yield* uvm_block_migrate_to_ram(k, dev, mm, vma, lo, hi, 'eviction', acc);
			}
		}
		dev.stats.evicted += moved;
		if (k.wants('eviction')) {
			yield { kind: 'eviction', addr: bs * PAGE_SIZE, npages: moved, device: dev.name, process: mm?.name, fn: 'evict_root_chunk', detail: `root chunk ${c} (${dev.cfg.evict})`, cause: 'eviction' };
		}
		// pages still referenced elsewhere (a pin taken after they arrived) keep the chunk busy
		if (u.pmm.used[c] === 0) { u.pmm.release(c); }
	} finally {
		k.leave();
	}
}

/** uvm_hmm_migrate_to_ram: a fault on one of the device's pages. From the CPU it is a CPU fault
 * of this device (cause 'cpu-fault', or 'gup-pin' under a long-term pin); from another device's
 * hmm_range_fault it is that device's fault, not a CPU one. */
export function* uvm_hmm_migrate_to_ram(k: Kernel, dev: Device, vmf: VmFault): K {
	const fromDevice = k.stack.some(f => f.fn === 'hmm_range_fault');
	if (!fromDevice) { dev.stats.cpu_faults++; }
	const { mm, vma, vpn } = vmf;
	yield* k.enter('uvm_va_space_cpu_fault_hmm', { addr: vpn * PAGE_SIZE, npages: 1, process: mm.name, device: dev.name });
	try {
		const acc = emptyBreakdown();
		const pin = k.stack.some(f => f.fn === 'pin_user_pages');
		yield* uvm_block_migrate_to_ram(k, dev, mm, vma, vpn, vpn + 1, fromDevice ? 'device-fault' : pin ? 'gup-pin' : 'cpu-fault', acc);
		k.advance(totalNs(acc));
	} finally {
		k.leave();
	}
}
