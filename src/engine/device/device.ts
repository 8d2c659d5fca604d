// A GPU-like device: its memory (allocated lazily in chunks, like dmirror's 256 MiB chunks), one
// mirror page table per process it mirrors, and its counters. Core mm reaches it only through its
// pagemap's ops and its mirrors' notifier callbacks. The dmirror-style operations that act on it
// live in dmirror_*.ts; how its pages go back to RAM on a CPU fault, in migrate_to_ram.ts.
import type { Kernel } from '../kernel';
import { HPAGE_NR, PG } from '../mm/frames';
import { FRAME_CHUNK, FRAME_MASK, FRAME_SHIFT, PfnStack } from '../mm/frames_chunks';
import type { Mm } from '../mm/mm';
import { DevPagemap, type DevPagemapOps, memremap_pages } from '../mm/memremap';
import type { Mirror } from './mirror';
import type { LinkKind } from '../sim/cost';
import { LINK_PEAK, transferNs } from '../sim/cost';
import { PAGE_SIZE } from '../mm/content';
import { dmirror_devmem_fault } from './migrate_to_ram';
import type { DeviceCosts } from './cost';
import { MIGRATION_CAUSES, type MigrationCause, type ThrashingConfig } from './uvm/types';
import type { UvmDevice } from './uvm/space';

export const DEVMEM_CHUNK_PAGES = 65536; // 256 MiB

export interface DeviceConfig {
	name: string;
	memoryBytes: number;
	kind: 'private' | 'coherent';
	link: LinkKind;
	policy: 'mirror' | 'migrate';
	prefetch: 'none' | 'density';
	evict: 'lru' | 'fifo';
	faultBatch: number;
	faultLatencyNs: number;
	linkBw: number;
	localBw: number;
	huge: boolean;
	/** read_retry=skip: the driver never calls mmu_interval_read_retry (a driver bug, src/engine/sim/sched.ts) */
	readRetry: 'check' | 'skip';
	/** peer=off: no peer access to other GPUs (uvm/peer.ts peerAccess) */
	peer: 'on' | 'off';
	/** streaming multiprocessors, and resident warps per SM (a kernel runs sms x warps warps) */
	sms: number;
	warps: number;
	/** threads per thread block of the kernels it runs (a multiple of 32); blocks go to SMs in turn */
	blockThreads: number;
	/** overrides of the device cost terms (device/cost.ts COST_OPTIONS names them) */
	costs: Partial<DeviceCosts>;
	/** overrides of the uvm_perf_thrashing_* defaults */
	thrashing: Partial<ThrashingConfig>;
}

export function defaultDeviceConfig(name: string, memoryBytes: number): DeviceConfig {
	return {
		name, memoryBytes, kind: 'private', link: 'pcie4', policy: 'mirror', prefetch: 'none', evict: 'fifo',
		faultBatch: 256, faultLatencyNs: 45_000, linkBw: LINK_PEAK.pcie4, localBw: 2.0e12, huge: false, readRetry: 'check', peer: 'on',
		// an A100: 108 SMs, 64 resident warps each (2048 threads per SM), PCIe Gen4, ~2 TB/s HBM2e
		// kernels launched with 256-thread blocks, the CUDA samples' usual choice (vectorAdd)
		sms: 108, warps: 64, blockThreads: 256, costs: {}, thrashing: {},
	};
}

/** Cumulative counters, each incremented by the engine path that names it; the language's
 * `DEV.*` members are exactly these keys plus used/free (src/lang/vocabulary.ts). */
export class DeviceStats {
	faults = 0;
	fault_batches = 0;
	migrated_in = 0;
	migrated_out = 0;
	/** pages moved to RAM to free device memory (evict_root_chunk) */
	evicted = 0;
	/** pages migrated because the prefetcher (or a `prefetch` statement) asked for them */
	prefetched = 0;
	/** faults left unserviced because their page was thrashing (the processor napped) */
	throttled = 0;
	/** pages pinned to one residency by thrashing mitigation */
	thrash_pins = 0;
	/** bytes the device accessed over the link through remote mappings */
	remote_bytes = 0;
	/** read-only copies made on the device by read-mostly read faults (read duplication) */
	read_duplicated = 0;
	/** bytes the device's kernels accessed in another GPU's memory through peer mappings */
	peer_bytes = 0;
	/** bytes migrated into the device straight from another GPU's memory over the peer link */
	peer_copy_bytes = 0;
	invalidations = 0;
	cpu_faults = 0;
	/** mmu_interval_read_retry said an invalidation ran during hmm_range_fault: the walk was redone */
	retries = 0;
	/** pages a migration left out because folio_trylock failed: another thread's fault held them */
	lock_skipped = 0;
}

/** Pages moved in and out of a device, by why they moved. */
export type CauseCounts = Record<MigrationCause, { in: number; out: number }>;

export function emptyCauseCounts(): CauseCounts {
	const c = {} as CauseCounts;
	for (const m of MIGRATION_CAUSES) { c[m] = { in: 0, out: 0 }; }
	return c;
}

export class Device {
	readonly stats = new DeviceStats();
	/** pages in and out by cause (the device model's "why did this page move") */
	readonly byCause: CauseCounts = emptyCauseCounts();
	/** its memory as core mm sees it: owner is the device itself (dmirror's pgmap owner) */
	readonly pgmap: DevPagemap;
	/** UVM state of a policy=migrate device (uvm/space.ts), or undefined for a dmirror device */
	uvm: UvmDevice | undefined;
	readonly mirrors = new Map<Mm, Mirror>();
	/** further open files of the device (`DEV mirror PROC as NAME`): each its own struct dmirror,
	 * with its own table and notifier, on any process (device/mirror_handles.ts) */
	readonly handles: Mirror[] = [];
	readonly capacityPages: number;
	usedPages = 0;
	/** first pfn of each allocated chunk, and its size in pages */
	chunks: { first: number; npages: number }[] = [];
	/** free base pages, as runs (the RAM free list's structure, mm/frames_chunks.ts) */
	private free = new PfnStack();
	private freeHuge: number[] = [];

	constructor(readonly index: number, readonly cfg: DeviceConfig, ops: DevPagemapOps = dmirror_devmem_ops) {
		this.capacityPages = Math.floor(cfg.memoryBytes / 4096);
		this.pgmap = new DevPagemap(this, ops);
	}

	get name(): string { return this.cfg.name; }
	get coherent(): boolean { return this.cfg.kind === 'coherent'; }
	get pageFlag(): number { return this.coherent ? PG.DEV_COHERENT : PG.DEV_PRIVATE; }

	// ------------------------------------------------------------ memory

	private chunkedPages(): number { return this.chunks.reduce((n, c) => n + c.npages, 0); }

	/** dmirror_allocate_chunk: hotplugs another chunk of device memory, if the device has room. */
	private allocateChunk(k: Kernel): boolean {
		const left = this.capacityPages - this.chunkedPages();
		if (left <= 0) { return false; }
		const npages = Math.min(DEVMEM_CHUNK_PAGES, left);
		const first = k.frames.reserve(npages, this.index);
		// every frame of the chunk is free: frame chunks wholly this device's stay released
		// (frames_chunks.ts) until a page in them is allocated
		k.frames.accountRange(first, npages, -1);
		this.chunks.push({ first, npages });
		const whole = npages - (npages % HPAGE_NR);
		for (let h = first + whole - HPAGE_NR; h >= first; h -= HPAGE_NR) { this.freeHuge.push(h); }
		for (let p = first + npages - 1; p >= first + whole; p--) { this.free.push(p); }
		// every frame is this device's, free and empty: filled a frame chunk at a time (a chunk
		// still on the device's shared free-frame defaults reads so already)
		const f = k.frames;
		for (let p = first, end = first + npages; p < end;) {
			const c = p >> FRAME_SHIFT, o = p & FRAME_MASK, e = Math.min(FRAME_CHUNK, o + end - p);
			if (!f.isReleased(c)) {
				f.owner[c].fill(this.index, o, e);
				f.refcount[c].fill(0, o, e);
				f.slot[c].fill(-1, o, e);
			}
			p += e - o;
		}
		return true;
	}

	/** A free device page (refcount 1), or -1 when the device memory is full. */
	allocPage(k: Kernel): number {
		if (this.usedPages >= this.capacityPages) { return -1; }
		if (this.free.length === 0) {
			const run = this.freeHuge.pop();
			if (run !== undefined) {
				for (let i = HPAGE_NR - 1; i >= 0; i--) { this.free.push(run + i); }
			} else if (!this.allocateChunk(k)) {
				return -1;
			} else {
				return this.allocPage(k);
			}
		}
		const pfn = this.free.pop()!;
		this.usedPages++;
		k.frames.account(pfn, 1);
		k.frames.initDevice(pfn, this.index, this.pageFlag);
		return pfn;
	}

	/** pages of the last takeRun, and the step between them (+1 or -1) */
	runLength = 0;
	runStep = 1;

	/** allocPage for up to `max` pages at once, for a caller that initialises each page itself as
	 * it uses it (a migration's whole-leaf path, which writes every field anyway and may use fewer
	 * pages than it asks for): the first pfn of a run of pages within one frame chunk, consecutive
	 * upwards or downwards, taken in exactly the order allocPage would hand them out (length in
	 * runLength, direction in runStep) and counted, or -1 when the device memory is full. endRun
	 * finishes the run. */
	takeRun(k: Kernel, max: number): number {
		if (this.usedPages >= this.capacityPages) { return -1; }
		const free = this.free;
		const limit = Math.min(max, this.capacityPages - this.usedPages);
		let first: number;
		let n: number;
		let step = 1;
		if (free.length === 0) {
			const run = this.freeHuge.pop();
			if (run === undefined) { return this.allocateChunk(k) ? this.takeRun(k, max) : -1; }
			// allocPage would push the run's pages on the free list and pop them in ascending order
			first = run;
			n = Math.min(limit, HPAGE_NR, FRAME_CHUNK - (run & FRAME_MASK));
			for (let i = HPAGE_NR - 1; i >= n; i--) { free.push(run + i); }
		} else {
			first = free.popRun(limit)!;
			n = free.popped;
			step = free.popStep;
		}
		this.usedPages += n;
		k.frames.account(first, n);
		k.frames.use(first, false);
		this.runLength = n;
		this.runStep = step;
		return first;
	}

	/** The caller of takeRun used the first `used` pages of the run (first, n, step): the others
	 * go back to the free list untouched, as if never taken (the run's first page is always
	 * used, so a 2 MiB run it broke is on the free list either way). */
	endRun(k: Kernel, first: number, n: number, step: number, used: number): void {
		for (let i = n - 1; i >= used; i--) { this.free.push(first + i * step); }
		this.usedPages -= n - used;
		k.frames.account(first, used - n);
	}

	/** A PMD-sized device folio, or -1. */
	allocFolio(k: Kernel): number {
		if (this.usedPages + HPAGE_NR > this.capacityPages) { return -1; }
		if (this.freeHuge.length === 0 && !this.allocateChunk(k)) { return -1; }
		const head = this.freeHuge.pop();
		if (head === undefined) { return -1; }
		this.usedPages += HPAGE_NR;
		k.frames.accountRange(head, HPAGE_NR, 1);
		k.frames.initHuge(head, this.index, this.pageFlag);
		return head;
	}

	/** folio_free for a base page (its struct page written for the last time already) */
	freePage(k: Kernel, pfn: number): void {
		this.usedPages--;
		this.free.push(pfn);
		k.frames.account(pfn, -1);
	}

	/** freePage of pfns[0..n), in that order */
	freePages(k: Kernel, pfns: Int32Array, n: number): void {
		this.usedPages -= n;
		this.free.pushMany(pfns, n);
		k.frames.accountFreed(pfns, n);
	}

	freeFolio(k: Kernel, head: number): void {
		this.usedPages -= HPAGE_NR;
		this.freeHuge.push(head);
		k.frames.accountRange(head, HPAGE_NR, -1);
	}

	/** A whole 2 MiB run of device memory for the UVM allocator (uvm/pmm.ts), or -1; its pages
	 * are not initialised until used, and it never comes back, so its frame chunks keep their
	 * arrays (made now: the allocator's other writes need them). */
	allocRootChunk(k: Kernel): number {
		if (this.freeHuge.length === 0 && !this.allocateChunk(k)) { return -1; }
		const first = this.freeHuge.pop();
		if (first === undefined) { return -1; }
		k.frames.accountRange(first, HPAGE_NR, 1);
		k.frames.use(first, false);
		k.frames.use(first + HPAGE_NR - 1, false);
		return first;
	}

	/** Drops every chunk once all its pages are free (after `release`), as dmirror unplugs them. */
	removeChunks(): void {
		if (this.usedPages > 0) { return; }
		this.chunks = [];
		this.free = new PfnStack();
		this.freeHuge = [];
	}

	ownsPfn(k: Kernel, pfn: number): boolean { return k.frames.owner[pfn >> 12][pfn & 4095] === this.index; }

	mirror(mm: Mm): Mirror | undefined { return this.mirrors.get(mm); }

	/** Every open file of the device on mm: the unnamed mirror first, then the named ones. */
	mirrorsOf(mm: Mm): Mirror[] {
		const first = this.mirrors.get(mm);
		const named = this.handles.filter(h => h.mm === mm);
		return first ? [first, ...named] : named;
	}

	/** Every open file of the device, on every process. */
	allMirrors(): Mirror[] { return [...this.mirrors.values(), ...this.handles]; }
}

/** The device whose memory holds pfn (dmirror_page_to_device). */
export function dmirror_page_to_device(k: Kernel, pfn: number): Device {
	return k.devices[k.frames.owner[pfn >> 12][pfn & 4095]];
}

/** dmirror_devmem_free: a page (or folio) of device memory nobody references any more. */
function dmirror_devmem_free(k: Kernel, pfn: number, nr: number): void {
	const dev = dmirror_page_to_device(k, pfn);
	if (nr === HPAGE_NR) { dev.freeFolio(k, pfn); } else { dev.freePage(k, pfn); }
}

/** dmirror_devmem_free of base pages, one after another (one pagemap: one device) */
function dmirror_devmem_free_many(k: Kernel, pfns: Int32Array, n: number): void {
	if (n > 0) { dmirror_page_to_device(k, pfns[0]).freePages(k, pfns, n); }
}

/** dmirror_devmem_ops: the only calls core mm makes into a device's memory. */
const dmirror_devmem_ops: DevPagemapOps = {
	page_free: dmirror_devmem_free,
	page_free_many: dmirror_devmem_free_many,
	migrate_to_ram: dmirror_devmem_fault,
	copy_to_host: devmem_copy_to_host,
};

/** One page over the device's link to host memory (experimental=file_migration's copies). */
export function devmem_copy_to_host(k: Kernel, pfn: number, moved: boolean): void {
	const dev = dmirror_page_to_device(k, pfn);
	k.advance(transferNs(dev.cfg.linkBw, PAGE_SIZE));
	if (moved) { dev.stats.migrated_out++; }
}

/** dmirror_device_init: a new device, its memory registered with core mm (memremap_pages). */
export function dmirror_device_init(k: Kernel, cfg: DeviceConfig, ops?: DevPagemapOps): Device {
	const dev = new Device(k.devices.length, cfg, ops);
	if (memremap_pages(k, dev.pgmap) !== dev.index) { throw new Error('device and pagemap numbering differ'); }
	k.devices.push(dev);
	return dev;
}
