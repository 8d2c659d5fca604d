// A policy=migrate device's UVM state (uvm_gpu / uvm_va_space in miniature): its root-chunk
// allocator, replayable fault buffer, thrashing tracker and cost model, and the last batch it
// serviced (for the debugger). Also the machine-wide part: memory advice per process and the
// kernels launched. uvm_device_init registers the device's memory with its own pagemap ops.
import type { Kernel } from '../../kernel';
import type { K } from '../../sim/events';
import type { DevPagemapOps, VmFault } from '../../mm/memremap';
import { type Device, type DeviceConfig, devmem_copy_to_host, dmirror_device_init, dmirror_page_to_device } from '../device';
import { DeviceCostModel, type CostBreakdown } from '../cost';
import { Pmm, blockKey } from './pmm';
import { FaultBuffer } from './fault_buffer';
import { THRASHING_DEFAULTS, ThrashingTracker } from './perf_thrashing';
import { AdviceTree } from './advice';
import { type KernelReport, type MigrationCause, type PrefetchHint, VA_BLOCK_PAGES } from './types';
import { fail } from '../../sim/errors';
import { uvm_hmm_migrate_to_ram } from './migrate';

/** What service decided for one VA block of a batch (the debugger's view of the service). */
export interface BlockDecision {
	process: string;
	/** the block's first page, and the pages of it serviced [first, last) */
	blockVpn: number;
	faulted: number;
	/** where the faulted pages were made resident: the device, 'ram' (remote mapping) or 'throttled' */
	residency: string;
	migrated: number;
	prefetched: number;
	remote: number;
	/** pages that were resident already and only needed mapping */
	mapped: number;
	throttled: number;
	/** read-only copies made (read-mostly reads: read duplication) */
	duplicated: number;
	thrashing: string;
	/** the prefetch tree's regions: [first, last) pages of the block, pages occupied, subtree size */
	prefetch: PrefetchHint['regions'];
}

export interface BatchRecord {
	seq: number;
	entries: number;
	/** pages after coalescing */
	npages: number;
	/** the coalesced pages (first 64) with their entry counts */
	pages: { vpn: number; access: number; entries: number }[];
	blocks: BlockDecision[];
	cost: CostBreakdown;
	timeNs: number;
}

export class UvmDevice {
	readonly pmm: Pmm;
	readonly buffer: FaultBuffer;
	readonly tracker: ThrashingTracker;
	readonly costs: DeviceCostModel;
	last: BatchRecord | undefined;
	batches = 0;
	/** VA blocks (blockKey) with per-GPU state on this device: uvm_va_block_gpu_state_t, which
	 * block_gpu_state_get_alloc allocates, and DMA-maps the block's CPU pages for, once per block
	 * and GPU; the block keeps it until it is destroyed (munmap of the whole block, process exit) */
	private readonly gpuState = new Set<number>();

	/** `space`: the machine-wide state (advice) the device's services and evictions read */
	constructor(dev: Device, readonly space: UvmSpace) {
		this.pmm = new Pmm(dev.capacityPages);
		this.buffer = new FaultBuffer(Math.max(dev.cfg.faultBatch, 1024));
		this.tracker = new ThrashingTracker({ ...THRASHING_DEFAULTS, ...dev.cfg.thrashing });
		this.costs = new DeviceCostModel(dev.cfg);
	}

	/** block_gpu_state_get_alloc before a copy of the block to or from this GPU: the `dma_setup`
	 * term is charged the first time only. */
	blockGpuStateGetAlloc(mmId: number, block: number, acc: CostBreakdown): void {
		const key = blockKey(mmId, block);
		if (this.gpuState.has(key)) { return; }
		this.gpuState.add(key);
		acc.dmaSetup += this.costs.c.dmaSetupNs;
	}

	/** uvm_va_block_destroy (block_destroy_gpu_state): the blocks wholly inside [start, end) pages of
	 * the process are gone (munmap), or all of them (exit). */
	blockGpuStateDestroy(mmId: number, start = 0, end = Infinity): void {
		for (const key of this.gpuState) {
			if (Math.floor(key / 2 ** 27) !== mmId) { continue; }
			const bs = (key % 2 ** 27) * VA_BLOCK_PAGES;
			if (bs >= start && bs + VA_BLOCK_PAGES <= end) { this.gpuState.delete(key); }
		}
	}

	/** Blocks with GPU state on this device (for tests and the view). */
	get blocksWithGpuState(): number { return this.gpuState.size; }
}

/** The machine-wide UVM state: advice per process (uvm_va_policy), and every kernel launched. */
export class UvmSpace {
	readonly advice = new Map<number, AdviceTree>();
	readonly kernels: KernelReport[] = [];

	adviceOf(mmId: number): AdviceTree {
		let t = this.advice.get(mmId);
		if (!t) { t = new AdviceTree(); this.advice.set(mmId, t); }
		return t;
	}
}

/** Counts pages that moved, by cause, on both sides of the move. */
export function countMove(dev: Device, cause: MigrationCause, dir: 'in' | 'out', n: number): void {
	if (n <= 0) { return; }
	dev.byCause[cause][dir] += n;
	if (dir === 'in') {
		dev.stats.migrated_in += n;
		if (cause === 'prefetch' || cause === 'user-prefetch') { dev.stats.prefetched += n; }
	}
}

/** A frame of device memory no one references any more goes back to its root chunk. */
function uvm_pmm_page_free(k: Kernel, pfn: number, nr: number): void {
	const dev = dmirror_page_to_device(k, pfn);
	for (let i = 0; i < nr; i++) { dev.uvm!.pmm.pageFree(dev, pfn + i); }
}

/** devmem_fault_handler -> uvm_va_space_cpu_fault_hmm: someone touched a device page. */
function* uvm_devmem_fault(k: Kernel, vmf: VmFault): K {
	yield* uvm_hmm_migrate_to_ram(k, dmirror_page_to_device(k, vmf.pfn), vmf);
}

const uvm_devmem_ops: DevPagemapOps = { page_free: uvm_pmm_page_free, migrate_to_ram: uvm_devmem_fault, copy_to_host: devmem_copy_to_host };

/** uvm_gpu_init for HMM: the device's memory (MEMORY_DEVICE_PRIVATE, or COHERENT) registered
 * with pagemap ops that free into root chunks and migrate back through UVM. */
export function uvm_device_init(k: Kernel, cfg: DeviceConfig, space: UvmSpace): Device {
	if (cfg.memoryBytes < 2 * 2 ** 20) { fail('EINVAL', `policy=migrate needs at least one 2 MiB root chunk of device memory (device '${cfg.name}')`); }
	if (!(cfg.faultBatch >= 1)) { fail('EINVAL', 'fault_batch must be at least 1'); }
	if (!(cfg.sms >= 1) || !(cfg.warps >= 1)) { fail('EINVAL', 'sms and warps must be at least 1'); }
	checkBlockThreads(cfg);
	const dev = dmirror_device_init(k, cfg, uvm_devmem_ops);
	dev.uvm = new UvmDevice(dev, space);
	return dev;
}

/** block_threads: whole warps. Returns the warps per block, at most an SM's resident warps (a
 * block runs on one SM). */
export function checkBlockThreads(cfg: DeviceConfig): number {
	const b = cfg.blockThreads;
	if (!(b >= 32) || b % 32 !== 0) { fail('EINVAL', `block_threads must be a positive multiple of 32 (device '${cfg.name}')`); }
	return Math.min(b / 32, cfg.warps);
}

/** Runs a path and counts what dmirror (policy=mirror) devices moved during it under `cause`;
 * policy=migrate devices count their own moves, each with its cause. */
export function* countDmirrorMoves<T>(k: Kernel, cause: MigrationCause, body: K<T>): K<T> {
	const before = dmirrorMovesBefore(k);
	if (before.length === 0) { return yield* body; }
	try {
		return yield* body;
	} finally {
		dmirrorMovesAfter(cause, before);
	}
}

/** The dmirror devices' move counters before a path (countDmirrorMoves without its generator,
 * for a caller that wraps the path itself). */
export function dmirrorMovesBefore(k: Kernel): { d: Device; in: number; out: number }[] {
	const out: { d: Device; in: number; out: number }[] = [];
	for (const d of k.devices) { if (!d.uvm) { out.push({ d, in: d.stats.migrated_in, out: d.stats.migrated_out }); } }
	return out;
}

/** Charges what the dmirror devices moved since `before` to `cause`. */
export function dmirrorMovesAfter(cause: MigrationCause, before: { d: Device; in: number; out: number }[]): void {
	for (const b of before) {
		b.d.byCause[cause].in += b.d.stats.migrated_in - b.in;
		b.d.byCause[cause].out += b.d.stats.migrated_out - b.out;
	}
}
