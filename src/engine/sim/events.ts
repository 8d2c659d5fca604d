// Engine events. Kernel paths are generators: every point where a debugger may want to stop
// (a fault, a migration, an invalidation, entry to a named kernel function) is a `yield`, so a
// paused workload is simply a suspended generator and the engine never has to be re-entered.
import type { MigrationCause } from '../device/uvm/types';

export type EventKind =
	| 'page-fault'    // any CPU page fault
	| 'cpu-fault'     // the CPU touched a page a device holds (device-private or exclusive entry)
	| 'device-fault'  // a device access missed its page table
	| 'migration'     // pages move between RAM and a device
	| 'eviction'      // a device makes room: one per evicted root chunk (evict_root_chunk)
	| 'fault-batch'   // a device serviced one batch of faults: npages = pages after coalescing, detail = entries
	| 'prefetch'      // the prefetcher chose a region of a VA block (uvm_perf_prefetch_get_hint)
	| 'thrashing'     // thrashing mitigation acted on a page: detail throttle | pin | unpin
	| 'invalidation'  // a notifier invalidates a device's mirror
	| 'call'          // entry to a simulated kernel function (function breakpoints, stepIn)
	| 'access'        // a CPU or device access to a range (data breakpoints)
	| 'tick';         // a long operation offers to be interrupted (pause)

export interface SimEvent {
	kind: EventKind;
	/** start address of the affected range, in bytes */
	addr: number;
	npages: number;
	device?: string;
	process?: string;
	write?: boolean;
	/** for 'call': the kernel function; for others the function raising it */
	fn?: string;
	/** free text: notifier event name, migration direction, reason */
	detail?: string;
	/** on 'migration' (and 'eviction') events: why the pages moved */
	cause?: MigrationCause;
	/** on a kernel's issue event (an 'access' raised when a warp first issues one access of the
	 * body): the warp, its SM, the address of the page its instruction touches, the body's line */
	warp?: number;
	sm?: number;
	page?: number;
	line?: number;
}

/** A kernel path: yields events, returns T. */
export type K<T = void> = Generator<SimEvent, T, undefined>;

/** What the driver (CLI or debugger) wants to see. The engine checks this before building an
 * event, so a run nobody watches pays no per-page cost. */
export interface EventFilter {
	wants(kind: EventKind): boolean;
}

export const NO_EVENTS: EventFilter = { wants: () => false };
