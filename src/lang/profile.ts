// The flat profile behind `hmmw run --profile` and the debugger's inline hints: simulated time and
// engine work per script line. The driver reports every finished statement (its Span); the
// profiler charges that line with the time the span took and with how far the machine's counters
// moved meanwhile (device faults and batches, CPU faults, pages migrated by cause, bytes over the
// link). Counter deltas rather than watched events: the numbers are exact, the run keeps the
// unwatched fast path, and a line's totals add up to the run's.
import type { Machine } from '../engine/machine';
import { MIGRATION_CAUSES, type MigrationCause } from '../engine/device/uvm/types';
import type { Span } from './driver';

const PAGE = 4096;

/** What one script line cost, summed over every time it ran. */
export interface LineCost {
	line: number;
	/** times a statement of the line finished */
	runs: number;
	timeNs: number;
	cpuFaults: number;
	/** device faults in pages (after coalescing), and fault batches serviced */
	deviceFaults: number;
	batches: number;
	/** pages migrated, in and out of every device together, by cause */
	migrated: Record<MigrationCause, number>;
	/** bytes moved over the link: migrated pages plus remote accesses */
	bytes: number;
	/** kernels launched by the line */
	kernels: number;
}

/** One kernel launch and the line that launched it. */
export interface KernelCost { line: number; name: string; device: string; timeNs: number; faults: number; batches: number; migrated: number; prefetched: number; evicted: number; remoteBytes: number }

export interface Profile { totalNs: number; lines: LineCost[]; kernels: KernelCost[] }

interface Counters { timeNs: number; cpuFaults: number; deviceFaults: number; batches: number; bytes: number; migrated: Record<MigrationCause, number>; kernels: number }

function read(m: Machine): Counters {
	const c: Counters = { timeNs: m.time, cpuFaults: 0, deviceFaults: 0, batches: 0, bytes: 0, migrated: zeroCauses(), kernels: m.kernels.length };
	for (const p of m.view.processes()) { c.cpuFaults += p.faults; }
	for (const name of m.view.deviceNames()) {
		const d = m.device(name);
		c.deviceFaults += d.stats.faults;
		c.batches += d.stats.fault_batches;
		c.bytes += d.stats.remote_bytes;
		for (const cause of MIGRATION_CAUSES) {
			const n = d.byCause[cause].in + d.byCause[cause].out;
			c.migrated[cause] += n;
			c.bytes += n * PAGE;
		}
	}
	return c;
}

function zeroCauses(): Record<MigrationCause, number> {
	return Object.fromEntries(MIGRATION_CAUSES.map(c => [c, 0])) as Record<MigrationCause, number>;
}

export class LineProfiler {
	private readonly byLine = new Map<number, LineCost>();
	private readonly kernels: KernelCost[] = [];
	private last: Counters;
	private totalNs = 0;

	/** `machine` is asked each time: the debugger swaps machines when it travels in time. */
	constructor(private readonly machine: () => Machine) { this.last = read(machine()); }

	/** Forget everything and measure from the machine's state now (a debugger went back in time). */
	restart(): void {
		this.byLine.clear();
		this.kernels.length = 0;
		this.totalNs = 0;
		this.last = read(this.machine());
	}

	/** A finished statement: charge its line. */
	statement(span: Span): void {
		const m = this.machine();
		const line = span.ins?.loc.line;
		const before = this.last;
		// Work the engine does costs simulated time, so while the clock stands still the counters
		// are not read again (assignments and loop bookkeeping stay cheap). Anything a zero-cost
		// operation counted goes to the next line that costs time: the totals stay exact.
		const now = m.time === before.timeNs && m.kernels.length === before.kernels ? before : read(m);
		this.last = now;
		if (line === undefined) { return; }
		let row = this.byLine.get(line);
		if (!row) {
			row = { line, runs: 0, timeNs: 0, cpuFaults: 0, deviceFaults: 0, batches: 0, migrated: zeroCauses(), bytes: 0, kernels: 0 };
			this.byLine.set(line, row);
		}
		const dt = span.endNs - span.startNs;
		row.runs++;
		row.timeNs += dt;
		this.totalNs += dt;
		if (now === before) { return; }
		row.cpuFaults += now.cpuFaults - before.cpuFaults;
		row.deviceFaults += now.deviceFaults - before.deviceFaults;
		row.batches += now.batches - before.batches;
		row.bytes += now.bytes - before.bytes;
		for (const c of MIGRATION_CAUSES) { row.migrated[c] += now.migrated[c] - before.migrated[c]; }
		row.kernels += now.kernels - before.kernels;
		for (const k of m.kernels.slice(before.kernels, now.kernels)) {
			this.kernels.push({
				line, name: k.name, device: k.device, timeNs: k.timeNs, faults: k.faults, batches: k.batches,
				migrated: k.migrated, prefetched: k.prefetched, evicted: k.evicted, remoteBytes: k.remoteBytes,
			});
		}
	}

	/** Lines by simulated time, most expensive first (ties in line order); kernels in launch order. */
	result(): Profile {
		const lines = [...this.byLine.values()].sort((a, b) => b.timeNs - a.timeNs || a.line - b.line);
		return { totalNs: this.totalNs, lines: lines.map(r => ({ ...r, migrated: { ...r.migrated } })), kernels: [...this.kernels] };
	}
}
