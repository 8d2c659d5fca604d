// The run's trace as Chrome trace-event JSON (opens in Perfetto): one span per statement and one
// instant per engine event of a traced kind. `hmmw run --trace` and the debugger's launch `trace`
// both record through this class, so the format lives in one place. Records carry the step they
// belong to, so that when the debugger goes back in time the abandoned future can be dropped.
// Writing the file is the caller's business (src/lang does no host I/O).
import type { EventKind, SimEvent } from '../engine/sim/events';
import type { Instr } from './program';

export interface TraceEvent { name: string; cat: string; ph: 'X' | 'i'; ts: number; dur?: number; pid: number; tid: number; s?: string; args?: object }

/** The engine event kinds a trace records (the driver watches them while tracing). */
export const TRACED: readonly EventKind[] = ['page-fault', 'cpu-fault', 'device-fault', 'migration', 'eviction', 'invalidation'];
const LIMIT = 200_000;

export class TraceRecorder {
	private events: (TraceEvent & { step: number })[] = [];
	private dropped = 0;

	get length(): number { return this.events.length; }

	/** An engine event raised by the statement numbered `step`, at simulated time `timeNs`. */
	event(ev: SimEvent, step: number, timeNs: number): void {
		if (!TRACED.includes(ev.kind)) { return; }
		if (this.events.length >= LIMIT) { this.dropped++; return; }
		this.events.push({
			step, name: ev.kind, cat: ev.kind, ph: 'i', s: 't', ts: timeNs / 1000, pid: 1, tid: ev.device ? 2 : 1,
			args: { addr: '0x' + ev.addr.toString(16), npages: ev.npages, device: ev.device, process: ev.process, write: ev.write, detail: ev.detail },
		});
	}

	/** A finished statement's span; control-flow instructions leave none. */
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

	/** The file's content. */
	json(): string {
		const traceEvents: TraceEvent[] = this.events.map(({ step: _s, ...e }) => e);
		return JSON.stringify({ traceEvents, displayTimeUnit: 'ns', otherData: { dropped: this.dropped } });
	}
}
