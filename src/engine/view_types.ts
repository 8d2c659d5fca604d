// The records the machine view hands out. Each is a fresh plain object of numbers, strings,
// booleans and arrays of those: a caller may keep, change or serialize one, and nothing it does
// reaches back into the engine. Addresses are bytes; `vpn` fields are page numbers.
import type { Backing } from './mm/vma';
import type { DeviceConfig } from './device/device';
import type { ThpMode } from './kernel';

/** Where a page's data is, as where() names it: 'none', 'zero', 'ram', 'swap' or a device name. */
export type Location = string;

/** A process as the view's methods take it: its name (a live process first, else an exited one
 * of that name), or its id (creation order, which memory references use). */
export type ProcessKey = string | number;

/** The kind of a CPU page-table entry (PTE.TYPE_MASK). */
export type PteType = 'none' | 'present' | 'devpriv' | 'excl' | 'swap' | 'migration';

/** A device mirror entry's access: 'atomic' is dmirror's exclusive (DPT_XA_TAG_ATOMIC) entry. */
export type MirrorPerm = 'none' | 'r' | 'rw' | 'atomic';

/** What holds a frame's bytes: nothing (reads as zeroes), a fill pattern, or a 4 KiB slot. */
export type ContentState = 'none' | 'pattern' | 'bytes';

export interface PteRecord {
	type: PteType;
	write: boolean;
	dirty: boolean;
	young: boolean;
	/** only mirror tables set it; kept for a faithful decode */
	atomic: boolean;
	/** mapped by a PMD (part of a THP mapping) */
	huge: boolean;
	/** the frame a present, device-private, exclusive or migration entry names; else -1 */
	pfn: number;
	/** the slot of a swap entry; else -1 */
	swapSlot: number;
	/** the encoded entry, for display */
	raw: number;
}

/** struct page of one frame. */
export interface StructPageRecord {
	pfn: number;
	/** PG_* flag names, lowest bit first */
	flags: string[];
	rawFlags: number;
	refcount: number;
	mapcount: number;
	pincount: number;
	/** pinned in device memory (experimental=pin_device): until when, or null until `unpin` */
	devicePin?: { untilNs: number | null };
	/** a page-cache page: its file and page index, and whether it still has to be written back
	 * (shown for pages in device memory, experimental=file_migration, as for RAM ones) */
	pageCache?: { file: string; index: number; dirty: boolean };
	/** experimental=dax_migration: the device copy of a DAX file's page, and whether persistent
	 * memory holds what it holds (false: a crash now would lose its content) */
	daxCopy?: { file: string; index: number; persisted: boolean };
	/** whose memory the frame is: 'ram' or a device name */
	memory: string;
	/** first frame of its folio (itself for a base page) */
	head: number;
	content: ContentState;
}

export interface MirrorEntryRecord {
	device: string;
	vpn: number;
	address: number;
	perm: MirrorPerm;
	/** the frame the device maps, or -1 without an entry */
	pfn: number;
	/** the entry maps the device's read-duplicated copy of the page (mirror PTE.COPY) */
	copy?: boolean;
	/** the frame is in the device's own memory */
	own?: boolean;
	/** the open file's name (`DEV mirror PROC as NAME`); absent for the device's unnamed mirror */
	handle?: string;
	/** the entry outlived a MIGRATE invalidation this file skipped (another file of the device
	 * migrated the page): it may reach a freed or reused frame (dmirror_interval_invalidate) */
	stale?: boolean;
}

/** An entry of a device's mirror table, with where the page's data is. */
export interface MirrorTableEntry extends MirrorEntryRecord { location: Location }

export interface PageRecord {
	process: string;
	pid: number;
	vpn: number;
	address: number;
	location: Location;
	pte: PteRecord;
	/** the frame behind the entry (-1 for none and swap entries) */
	pfn: number;
	/** struct page of `pfn`, when there is one */
	page?: StructPageRecord;
	/** the entry of every device that mirrors the process ('none' perm when it has none here) */
	mirrors: MirrorEntryRecord[];
}

export interface VmaRecord {
	process: string;
	start: number;
	end: number;
	startVpn: number;
	endVpn: number;
	npages: number;
	/** 'rwx' letters with '-' for missing rights, or 'none' */
	prot: string;
	backing: Backing;
	shared: boolean;
	/** 'anon private', 'file NAME shared', ... */
	kind: string;
	/** the file (or shmem object) behind it */
	file?: string;
	/** byte offset of `start` in the file */
	fileOffset?: number;
	/** VM_* flag names set on it */
	flags: string[];
	/** madvise hints in effect: 'hugepage', 'nohugepage' */
	advice: string[];
}

/** What is cheap to know about a process. */
export interface ProcessSummary {
	id: number;
	name: string;
	pid: number;
	alive: boolean;
	/** the process statements run as */
	current: boolean;
	vmaCount: number;
	/** CPU page faults taken */
	faults: number;
	/** set when the OOM killer killed it: the line it printed (mm/oom_kill.c) */
	oomKilled?: string;
	/** /proc/PID/oom_score_adj when set (absent: 0) */
	oomScoreAdj?: number;
}

export interface ProcessRecord extends ProcessSummary {
	/** resident pages, as Mm.rss counts them (device-private entries included) */
	rss: number;
	/** devices mirroring it, in device order */
	mirroredBy: string[];
}

/** A device's mirror of one process. */
export interface DeviceMirrorRecord {
	process: string;
	processId: number;
	/** entries in its mirror table */
	entries: number;
	/** the mmu interval notifier's sequence */
	notifierSeq: number;
	/** invalidation callbacks it received */
	callbacks: number;
	/** the open file's name (`DEV mirror PROC as NAME`); absent for the unnamed mirror */
	handle?: string;
	/** entries left pointing at pages another open file of the device migrated away */
	stale?: number;
}

/** A scalar of open-ended state. */
export type ViewValue = number | string | boolean;

/** What is cheap to know about a device (the language's DEV.faults, DEV.used...). */
export interface DeviceSummary {
	name: string;
	index: number;
	capacityPages: number;
	usedPages: number;
	freePages: number;
	/** DeviceStats, counter by counter */
	counters: Record<string, number>;
	/** pages moved in and out, by why they moved (MigrationCause) */
	byCause: Record<string, { in: number; out: number }>;
	/** host RAM the struct pages of its hotplugged memory take (memremap_pages) */
	structPageBytes: number;
	/** pages pinned in its memory (experimental=pin_device) */
	pinnedPages: number;
	/** root chunks (2 MiB) of a policy=migrate device: allocated, and in all */
	rootChunks?: { used: number; total: number };
}

export interface DeviceRecord extends DeviceSummary {
	/** a copy of the device's configuration */
	config: DeviceConfig;
	/** hotplugged chunks of device memory: first pfn and size */
	chunks: { first: number; npages: number }[];
	mirrors: DeviceMirrorRecord[];
	/** state of the device model beyond the dmirror basics, as scalars (policy, pending faults...) */
	extra: Record<string, ViewValue>;
	/** the UVM state of a policy=migrate device */
	model?: DeviceModelRecord;
}

/** One pending entry of the replayable fault buffer. */
export interface FaultEntryRecord { address: number; access: 'read' | 'write' | 'atomic'; warp: number }

/** What the service decided for one VA block of the last batch. */
export interface BlockDecisionRecord {
	process: string;
	/** the block's first byte and its end */
	start: number;
	end: number;
	/** pages of the block in the batch (after coalescing) */
	faulted: number;
	/** where the faulted pages went: the device, 'ram' (mapped remotely) */
	residency: string;
	migrated: number;
	prefetched: number;
	remote: number;
	/** pages already resident that only needed mapping */
	mapped: number;
	throttled: number;
	/** the thrashing hint that applied: none, throttle or pin */
	thrashing: string;
	/** the prefetch tree's regions: pages [first, last) of the block, occupied / size of the subtree */
	prefetch: { first: number; last: number; occupied: number; size: number }[];
	/** read-only copies made (read-mostly reads) */
	duplicated: number;
}

export interface FaultBatchRecord {
	seq: number;
	entries: number;
	/** pages after coalescing */
	pages: number;
	/** the coalesced pages (at most 64) with the entries each had */
	faults: { address: number; access: 'read' | 'write' | 'atomic'; entries: number }[];
	blocks: BlockDecisionRecord[];
	/** the batch's cost by term, ns (docs/cost-model.md) */
	cost: Record<string, number>;
	timeNs: number;
}

/** A root chunk holding a VA block, in eviction order. */
export interface RootChunkRecord {
	chunk: number;
	firstPfn: number;
	process: string;
	/** the VA block it backs */
	start: number;
	end: number;
	/** pages of the chunk in use: the block's resident pages and its read-mostly copies */
	resident: number;
	/** of those, read-mostly copies */
	copies: number;
	/** allocation order (fifo) and last access stamp (lru) */
	allocSeq: number;
	lastUse: number;
}

export interface DeviceModelRecord {
	policy: string;
	evict: string;
	prefetch: string;
	faultBatch: number;
	/** warps a kernel runs: sms x warps */
	warps: number;
	/** entries waiting in the fault buffer (first 64), how many in all, and totals */
	faultBuffer: { pending: FaultEntryRecord[]; count: number; written: number; flushed: number; peak: number };
	lastBatch?: FaultBatchRecord;
	/** root chunks with their blocks, the next victim first */
	evictionOrder: RootChunkRecord[];
	rootChunks: { total: number; used: number; free: number };
	/** fault batches serviced since the device came up */
	batches: number;
	/** pages thrashing or pinned in this device's tracker (the first 64, in address order), and how many */
	thrashing: { count: number; pages: ThrashingPageRecord[] };
	/** memory advice in effect (cudaMemAdvise; machine-wide, shown with every policy=migrate device) */
	advice: AdviceRunRecord[];
}

/** A page the thrashing detector tracks as thrashing, or pinned (uvm_perf_thrashing). */
export interface ThrashingPageRecord {
	process: string;
	address: number;
	/** migration events within the lapse (saturates at 7) and throttles counted towards a pin */
	events: number;
	throttles: number;
	/** where it is pinned ('ram' or a device) and until when (simulated ns), if pinned */
	pinnedTo?: string;
	pinnedUntil?: number;
}

/** One run of uniform, non-default advice (uvm_va_policy). */
export interface AdviceRunRecord {
	process: string;
	start: number;
	end: number;
	preferred?: string;
	accessedBy: string[];
	readMostly: boolean;
}

export interface SystemRecord {
	/** simulated time, ns */
	time: number;
	ramBytes: number;
	swapBytes: number;
	thp: ThpMode;
	ramPages: number;
	ramUsedPages: number;
	/** swap slots, and those in use (referenced by swap entries or held by the swap cache) */
	swapPages: number;
	swapUsedPages: number;
	/** pages written to swap and read back from it (vmstat pswpout / pswpin) */
	swapOuts: number;
	swapIns: number;
	/** persistent-memory pages of DAX files */
	pmemPages: number;
	/** experimental kernel designs switched on (docs/proposals.md) */
	experimental: string[];
	/** host RAM spent on struct pages of device memory, all devices */
	structPageBytes: number;
	/** CPU page-table updates that reached mirroring devices, their flushes, and the flush latency
	 * charged versus one flush after another */
	invalidation: { updates: number; flushes: number; chargedNs: number; serialNs: number };
	/** pins in device memory (experimental=pin_device): pages pinned, CPU accesses that hit one,
	 * and the time those accesses waited */
	pins: { pages: number; blocked: number; waitedNs: number };
	/** page-cache pages in device memory and the dirty ones (experimental=file_migration), pages
	 * brought back by page-cache paths, pages written back (and those straight from a device) */
	fileMigration: { devicePages: number; deviceDirty: number; faultedBack: number; writebackPages: number; writebackFromDevice: number };
	/** DAX pages copied to device memory and the ones not written back (experimental=dax_migration),
	 * pages written into persistent memory from devices, `crash` statements run and the bytes of
	 * file data the last one lost */
	persistence: { daxDevicePages: number; daxUnpersisted: number; daxWrittenBack: number; crashes: number; lostFileBytes: number };
}

export interface ResidencyRun { loc: Location; npages: number }

/** Where the pages of [start, end) are: runs in address order, and exact counts. */
export interface ResidencyRecord {
	process: string;
	startVpn: number;
	endVpn: number;
	runs: ResidencyRun[];
	/** pages per location, in order of first appearance; absent locations are left out */
	counts: Record<Location, number>;
	/** read-mostly copies per device (pages whose owner is counted above and that a device also
	 * holds a read-only copy of); absent when no page of the range has one */
	copies?: Record<Location, number>;
}

/** Residency binned into cells of `pagesPerCell` pages, for the residency map. */
export interface ResidencyCells {
	/** location names by code; the last one is 'mixed' (a cell with more than one location) */
	legend: string[];
	pagesPerCell: number;
	/** pairs (code, number of cells), consecutive cells of one code merged */
	runs: number[];
	/** pairs (1: some page of the cell has a read-mostly copy on a device, 0: none, number of
	 * cells), merged like runs; absent when no page has a copy */
	copies?: number[];
	/** exact pages per location code (the walk counts pages, not cells; no 'mixed' entry) */
	counts: number[];
	/** when asked for: (code, pages) runs page by page, in address order */
	pageRuns?: Float64Array;
}

/** What one device's mirror table maps over the cells of a residency map. */
export interface DeviceLayerRecord {
	device: string;
	/** pairs (MARK bits OR-ed over the cell's pages, number of cells) */
	runs: number[];
	/** pages mapped, by kind: its own memory, memory elsewhere mapped in place, read-duplicated
	 * copies; of those, read-only and atomic ones */
	pages: { resident: number; remote: number; copy: number; readonly: number; atomic: number };
}

/** The marks layers of a residency map (view_residency.ts MARK bits), over the same cells. */
export interface ResidencyLayers {
	/** CPU page-table marks: read-only, exclusive, pinned, mapped in place by a device */
	cpu: number[];
	/** each device mirroring the process, in device order */
	devices: DeviceLayerRecord[];
}

/** The simulated kernel function on the call stack, with what it was called for. */
export interface KernelFrameRecord { fn: string; addr?: number; npages?: number; process?: string; device?: string }

export interface StackFrameRecord extends KernelFrameRecord {
	/** the same frame keeps its id while it is on the stack; a new call gets a new one */
	id: number;
	/** 0 for the outermost frame */
	depth: number;
}

/** Bytes as the process would read them; `unreadable` bytes after them are not mapped. */
export interface MemoryRead { data: Uint8Array; unreadable: number }

/** The struct page counters refcount(), mapcount() and pincount() read. */
export type PageCountField = 'refcount' | 'mapcount' | 'pincount';
