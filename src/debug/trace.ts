// The launch argument `trace`: Chrome trace-event JSON as `hmmw run --trace` writes it (opens in
// Perfetto). Records carry the step they belong to, so that when time travel goes back the
// records of the abandoned future are dropped and re-recorded as the run goes forward again.
import { writeFileSync } from 'node:fs';
import type { EventKind, SimEvent } from '../engine/sim/events';
import type { Instr } from '../lang/program';
import type { TraceEvent } from '../cli/run';

export const TRACED: EventKind[] = ['page-fault', 'cpu-fault', 'device-fault', 'migration', 'eviction', 'invalidation'];
const LIMIT = 200_000;

export class TraceRecorder {
	private events: (TraceEvent & { step: number })[] = [];
	private dropped = 0;

	constructor(readonly path: string) { }

	event(ev: SimEvent, step: number, timeNs: number): void {
		if (!TRACED.includes(ev.kind)) { return; }
		if (this.events.length >= LIMIT) { this.dropped++; return; }
		this.events.push({
			step, name: ev.kind, cat: ev.kind, ph: 'i', s: 't', ts: timeNs / 1000, pid: 1, tid: ev.device ? 2 : 1,
			args: { addr: '0x' + ev.addr.toString(16), npages: ev.npages, device: ev.device, process: ev.process, write: ev.write, detail: ev.detail },
		});
	}

	statement(ins: Instr | undefined, step: number, startNs: number, endNs: number): void {
		if (!ins || ins.op !== 'exec') { return; }
		if (this.events.length >= LIMIT) { this.dropped++; return; }
		this.events.push({
			step, name: `${ins.stmt.kind} (line ${ins.loc.line})`, cat: 'statement', ph: 'X',
			ts: startNs / 1000, dur: Math.max(0.001, (endNs - startNs) / 1000), pid: 1, tid: 0,
		});
	}

	/** Time went back to the boundary at `step`: forget what happened after it. */
	truncate(step: number): void { this.events = this.events.filter(e => e.step <= step); }

	/** Writes the file; returns an error message instead of throwing. */
	write(): string | undefined {
		try {
			const traceEvents = this.events.map(({ step: _s, ...e }) => e);
			writeFileSync(this.path, JSON.stringify({ traceEvents, displayTimeUnit: 'ns', otherData: { dropped: this.dropped } }));
			return undefined;
		} catch (e) {
			return `cannot write trace ${this.path}: ${(e as Error).message}`;
		}
	}
}
