// A click on a timeline event lands at the event itself. Time travel first restores the boundary
// before the statement that raised it (timeTravel.ts); from there this runs the statement
// forward, suspended at each engine event as a breakpoint on it would be, and stops at its
// `nth` timeline event. The replay is deterministic, so that is the event the forward run
// recorded: the machine is as it was at that moment, halfway through the statement.
import type { SimEvent } from '../engine/sim/events';
import type { Driver, DriverHooks } from '../lang/driver';
import type { Interpreter } from '../lang/interp';
import { TIMELINE_KINDS, Timeline } from './timeline';

/** What the run inside the statement needs from the runtime. */
export interface InsideHost {
	/** the session was restarted or ended, or the user paused */
	interrupted(): boolean;
	/** a statement boundary was reached by execution (checkpoints, recorded edits) */
	arrive(it: Interpreter, lastPc: number): void;
	/** execution time, for the checkpoint schedule */
	ran(ms: number): void;
}

export type InsideResult =
	/** stopped at the event, mid-statement */
	| { kind: 'event'; ev: SimEvent }
	/** the statement ended before raising that many events (stopped at the next boundary) */
	| { kind: 'boundary' }
	/** paused or superseded: stopped wherever the run was */
	| { kind: 'interrupted' };

const SLICE_MS = 20;
const yieldToLoop = () => new Promise<void>(resolve => setImmediate(resolve));

/** From the boundary before a statement (the driver holds no suspended statement), runs that
 * statement until its `nth` timeline event (0-based, counted as Timeline counts them). */
export async function runToEvent(d: Driver, nth: number, host: InsideHost): Promise<InsideResult> {
	const it = d.interp;
	const start = it.steps;
	let seen = 0;
	d.watch(TIMELINE_KINDS);
	const hooks: DriverHooks<InsideResult> = {
		boundary: span => {
			host.arrive(it, span?.pc ?? -1);
			return { kind: 'boundary' };
		},
		// only the one statement: if it was the last, the program ends instead
		before: () => (it.steps > start ? { kind: 'boundary' } : undefined),
		event: ev => (Timeline.laneOf(ev) !== undefined && seen++ === nth ? { kind: 'event', ev } : undefined),
	};
	for (;;) {
		const t0 = performance.now();
		const r = d.run(hooks, SLICE_MS);
		host.ran(performance.now() - t0);
		if (r.kind === 'stop') { return r.stop; }
		if (r.kind !== 'slice') { return { kind: 'boundary' }; }
		await yieldToLoop();
		if (host.interrupted()) { return { kind: 'interrupted' }; }
	}
}
