// The device model's shared vocabulary (NVIDIA UVM's HMM path, kernel-open/nvidia-uvm): what a
// kernel access is, why a page moved, and the contracts between the fault service
// (uvm_va_block_service_locked) and its policy helpers: the density prefetcher
// (uvm_perf_prefetch.c), thrashing detection (uvm_perf_thrashing.c) and memory advice.
import type { RangeFill } from '../../mm/access';

/** UVM_VA_BLOCK_SIZE: a VA block is 2 MiB, 512 pages of 4 KiB */
export const VA_BLOCK_PAGES = 512;
/** UVM_BIG_PAGE_SIZE: 64 KiB, 16 pages */
export const BIG_PAGE_PAGES = 16;

/** Why pages moved: every migration carries one (issue "Device model", item 7). */
export type MigrationCause = 'migrate' | 'device-fault' | 'prefetch' | 'user-prefetch' | 'eviction' | 'cpu-fault'
	| 'thrashing' | 'gup-pin' | 'release' | 'unmirror';

export const MIGRATION_CAUSES: readonly MigrationCause[] = ['migrate', 'device-fault', 'prefetch', 'user-prefetch', 'eviction',
	'cpu-fault', 'thrashing', 'gup-pin', 'release', 'unmirror'];

/** One access line of a kernel body, over whole pages [start, end) of the current process. */
export interface KernelAccess {
	kind: 'read' | 'write' | 'atomic';
	start: number;
	end: number;
	/** the value written, word by word from the range's first byte (write only) */
	fill?: RangeFill;
	/** script line of the body statement it came from: its issue event points there (stepping) */
	line?: number;
}

/** What one kernel launch did, for `last.*`, the CLI summary and the debugger. */
export interface KernelReport {
	name: string;
	device: string;
	/** simulated time at launch and the kernel's duration, ns */
	startNs: number;
	timeNs: number;
	/** fault buffer entries (duplicates included) and pages after coalescing */
	faultEntries: number;
	faults: number;
	batches: number;
	migrated: number;
	prefetched: number;
	evicted: number;
	remoteBytes: number;
	/** bytes accessed in another GPU's memory through peer mappings */
	peerBytes: number;
	/** bytes migrated here straight from another GPU's memory over the peer link (uvm/peer_copy.ts) */
	peerCopyBytes: number;
	throttled: number;
}

// ------------------------------------------------------------ prefetch (uvm_perf_prefetch.c)

export interface PrefetchInput {
	/** per page of the VA block: 1 if resident on the destination already */
	resident: Uint8Array;
	/** per page: 1 if faulted in this batch (after coalescing) */
	faulted: Uint8Array;
	/** per page: 1 if thrashing (faults of those pages are not grown to their big page) */
	thrashing?: Uint8Array;
	/** the pages of the block that may be prefetched at all: [first, last), the VMA and policy clip */
	first: number;
	last: number;
	/** uvm_perf_prefetch_threshold, percent (default 51) */
	threshold: number;
	/** the block is resident nowhere and the destination is its preferred location: the whole
	 * [first, last) is prefetched */
	firstTouch?: boolean;
}

/** The tree walk's decision, for the debugger and the 'prefetch' event. */
export interface PrefetchHint {
	/** per page of the block: 1 = prefetch (never a faulted or resident page) */
	pages: Uint8Array;
	count: number;
	/** the subtrees chosen, as [first, last) page ranges of the block, with their counts */
	regions: { first: number; last: number; occupied: number; size: number }[];
}

// ------------------------------------------------------------ thrashing (uvm_perf_thrashing.c)

export type ThrashingHint = 'none' | 'throttle' | 'pin';

export interface ThrashingConfig {
	/** uvm_perf_thrashing_threshold: events in a row, each within lapse of the previous */
	threshold: number;
	/** uvm_perf_thrashing_lapse_usec, as ns */
	lapseNs: number;
	/** uvm_perf_thrashing_pin_threshold: throttles before a pin */
	pinThreshold: number;
	/** nap = uvm_perf_thrashing_nap (x lapse) */
	napNs: number;
	/** pin expiry = uvm_perf_thrashing_pin (x lapse) */
	pinNs: number;
	/** history reset = uvm_perf_thrashing_epoch (x lapse) */
	epochNs: number;
}

// ------------------------------------------------------------ advice (cudaMemAdvise / uvm_api_set_*)

export interface RangeAdvice {
	/** preferred location: a device name, 'ram', or undefined for none */
	preferred?: string;
	/** devices that keep a mapping wherever the data lives */
	accessedBy: string[];
	readMostly: boolean;
}
