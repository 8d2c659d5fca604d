// mmu interval notifiers (mm/mmu_notifier.c, include/linux/mmu_notifier.h). Every change to a CPU
// page table in a range a device mirrors calls invalidate first, with the reason; the device drops
// its entries and bumps the sequence that hmm_range_fault users check with read_retry. This is the
// only way core mm and HMM take entries out of a device's page table.
import type { Kernel } from '../kernel';
import type { Mm } from './mm';
import type { K } from '../sim/events';
import { PAGE_SIZE } from './content';
import { down_write, lockOf, up_write } from '../sim/sched';

export type NotifyEvent = 'UNMAP' | 'CLEAR' | 'PROTECTION_VMA' | 'PROTECTION_PAGE' | 'SOFT_DIRTY'
	| 'RELEASE' | 'MIGRATE' | 'EXCLUSIVE';

export interface NotifierRange {
	mm: Mm;
	/** [start, end) in pages */
	start: number;
	end: number;
	event: NotifyEvent;
	/** MIGRATE/EXCLUSIVE: whose operation this is (migrate_vma pgmap_owner), so it can skip itself */
	owner?: unknown;
	/** not in the kernel's struct: set when a CPU fault on a device-exclusive entry sends this
	 * invalidation, so a device can count the fault in its statistics */
	cpuFault?: true;
}

export interface IntervalNotifierOps {
	/** Returns how many mirror entries the callback removed. */
	invalidate(sub: IntervalNotifier, range: NotifierRange, curSeq: number): number;
	/** The owner skip: a device ignores its own migrations (dmirror_interval_invalidate). */
	skips?(range: NotifierRange): boolean;
	/** mmu_notifier_ops.release: the address space is gone (exit_mmap), after its RELEASE
	 * invalidation; the subscriber lets go of it. */
	release?(sub: IntervalNotifier, mm: Mm): void;
	/** who is listening, for events and the debugger */
	readonly label: string;
}

export class IntervalNotifier {
	/** even while no invalidation is in progress; odd values are handed to invalidate */
	seq = 2;
	removed = false;
	constructor(readonly mm: Mm, readonly start: number, readonly end: number, readonly ops: IntervalNotifierOps) { }

	/** mmu_interval_read_begin */
	readBegin(): number { return this.seq; }
	/** mmu_interval_read_retry: true if an invalidation ran since readBegin */
	readRetry(seq: number): boolean { return this.seq !== seq; }
}

export function mmu_interval_notifier_insert(mm: Mm, start: number, end: number, ops: IntervalNotifierOps): IntervalNotifier {
	const sub = new IntervalNotifier(mm, start, end, ops);
	mm.notifiers.push(sub);
	return sub;
}

export function mmu_interval_notifier_remove(sub: IntervalNotifier): void {
	const i = sub.mm.notifiers.indexOf(sub);
	if (i >= 0) { sub.mm.notifiers.splice(i, 1); }
	sub.removed = true;
}

/** mmu_notifier_invalidate_range_start: call every overlapping interval before the PTEs change.
 * Mainline calls the subscribers one after another and each waits for its device's TLB flush, so
 * their latencies add up. With experimental=parallel_invalidate every flush is started before any
 * is waited on: the update costs the slowest flush, not the sum (docs/proposals.md). */
export function* mmu_notifier_invalidate_range_start(k: Kernel, range: NotifierRange): K {
	const { mm, start, end } = range;
	if (mm.notifiers.length === 0) { return; }
	yield* k.enter('invalidate_range_start', { addr: start * PAGE_SIZE, npages: end - start, process: mm.name });
	const parallel = k.experimental('parallel_invalidate');
	const began = k.clock;
	let flushes = 0;
	let serialNs = 0;
	let slowestNs = 0;
	let waitedNs = 0;
	try {
		for (const sub of [...mm.notifiers]) {
			if (sub.removed || sub.end <= start || sub.start >= end || sub.ops.skips?.(range)) { continue; }
			const curSeq = sub.seq + 1;
			if (k.wants('invalidation')) {
				yield {
					kind: 'invalidation', addr: Math.max(start, sub.start) * PAGE_SIZE,
					npages: Math.min(end, sub.end) - Math.max(start, sub.start),
					process: mm.name, device: sub.ops.label, detail: range.event, fn: 'invalidate_range_start',
				};
			}
			// the driver's callback takes its own page-table lock (dmirror_interval_invalidate:
			// mutex_lock(&dmirror->mutex)); with threads it may have to wait for a device update
			const mutex = lockOf(sub.ops, 'the driver page-table lock');
			const waitFrom = k.clock;
			yield* down_write(k, mutex, 'mutex_lock');
			// other threads' work while this one waited is theirs, not this update's flush latency
			waitedNs += k.clock - waitFrom;
			const before = k.clock;
			try { sub.ops.invalidate(sub, range, curSeq); } finally { up_write(k, mutex); }
			const flushNs = k.clock - before;
			flushes++;
			serialNs += flushNs;
			slowestNs = Math.max(slowestNs, flushNs);
			// every flush starts at the same instant; the wait below is for the slowest
			if (parallel) { k.clock = before; }
			// invalidate_range_end: the sequence becomes even again, and differs from any read_begin
			sub.seq = curSeq + 1;
		}
	} finally {
		// the time other script threads ran while this one waited for a driver lock stays spent
		if (parallel) { k.clock = began + waitedNs + slowestNs; }
		if (flushes > 0) {
			const inv = k.invalidation;
			inv.updates++;
			inv.flushes += flushes;
			inv.serialNs += serialNs;
			inv.chargedNs += k.clock - began - waitedNs;
		}
		k.leave();
	}
}

/** mmu_notifier_release (exit_mmap): the whole address space is invalidated with RELEASE, then
 * every subscriber's release op runs. */
export function* mmu_notifier_release(k: Kernel, mm: Mm): K {
	yield* mmu_notifier_invalidate_range_start(k, { mm, start: 0, end: Number.MAX_SAFE_INTEGER / PAGE_SIZE, event: 'RELEASE' });
	for (const sub of [...mm.notifiers]) {
		if (!sub.removed) { sub.ops.release?.(sub, mm); }
	}
}
