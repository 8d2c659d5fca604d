// Systematic exploration of a threaded script's interleavings (`hmmw explore`). A schedule is the
// thread picked at every switch point that had more than one runnable thread; a run follows a
// given prefix of picks and then the default of not preempting (the current thread goes on while
// it can). Depth-first over the tree of choices, each distinct schedule runs once, from scratch.
// Preemption bounding (at most K switches away from a thread that could have gone on, as CHESS
// does) keeps the tree finite and small; switches forced by a finished, joining or waiting thread
// are free. A schedule whose run fails an expectation, ends in an error or breaks an invariant is
// kept, as the picks that replay it (`hmmw run FILE --schedule FILE.json`).
import type { Program } from './ast';
import { Driver } from './driver';
import { Interpreter, type Failure, type RunError } from './interp';
import type { Chooser } from './threads';

/** One switch point with a choice: the runnable threads, the pick, and whether the running
 * thread could have gone on (then any other pick is a preemption). */
export interface SchedulePoint { options: string[]; picked: string; canStay: boolean; preempt: boolean }

export interface ScheduleOutcome {
	picks: string[];
	points: SchedulePoint[];
	failures: Failure[];
	error?: RunError;
	passed: number;
}

/** The chooser that follows `prefix` and then does not preempt; it records every point. */
export function replayChooser(prefix: readonly string[], points: SchedulePoint[]): Chooser {
	return (runnable, cur) => {
		const want = prefix[points.length];
		const stay = runnable.includes(cur) ? cur : runnable[0];
		const next = (want !== undefined ? runnable.find(t => t.name === want) : undefined) ?? stay;
		points.push({ options: runnable.map(t => t.name), picked: next.name, canStay: runnable.includes(cur), preempt: runnable.includes(cur) && next !== cur });
		return next;
	};
}

/** Runs the script once along `prefix`, with the machine's invariants checked between statements. */
export function runSchedule(program: Program, source: string, prefix: readonly string[], maxSteps = 10_000_000): ScheduleOutcome {
	const failures: Failure[] = [];
	const it = new Interpreter(program, source, { onFailure: f => failures.push(f) });
	const points: SchedulePoint[] = [];
	it.useSchedule(replayChooser(prefix, points));
	const d = new Driver(it, { invariants: true });
	let error: RunError | undefined;
	for (;;) {
		const r = d.run({ before: () => (it.steps >= maxSteps ? 'steps' : undefined) }, Infinity);
		if (r.kind === 'invariant') { error = r.error; break; }
		if (r.kind === 'done') { error = it.error; break; }
		if (r.kind === 'stop') { error = { line: it.loc?.line ?? 0, col: 1, code: 'script', message: `stopped after ${maxSteps} statements` }; break; }
	}
	return { picks: points.map(p => p.picked), points, failures, error, passed: it.passed };
}

export interface ExploreResult {
	explored: number;
	/** schedules that failed, with their outcome */
	bad: ScheduleOutcome[];
	/** the bound on schedules was reached before the tree was covered */
	truncated: boolean;
	ms: number;
	/** switch points with a choice, over all runs */
	points: number;
}

export interface ExploreOptions { max: number; preemptions: number; now?: () => number }

function preemptions(points: readonly SchedulePoint[], upto: number): number {
	let n = 0;
	for (let i = 0; i < upto; i++) { if (points[i].preempt) { n++; } }
	return n;
}

export function explore(program: Program, source: string, o: ExploreOptions): ExploreResult {
	const now = o.now ?? (() => performance.now());
	const t0 = now();
	const todo: string[][] = [[]];
	const bad: ScheduleOutcome[] = [];
	let explored = 0, points = 0;
	while (todo.length > 0 && explored < o.max) {
		const prefix = todo.pop()!;
		const r = runSchedule(program, source, prefix);
		explored++;
		points += r.points.length;
		if (r.failures.length > 0 || r.error) { bad.push(r); }
		// the points beyond the prefix were decided by default: each other option there is a new schedule
		for (let i = r.points.length - 1; i >= prefix.length; i--) {
			const p = r.points[i];
			const before = preemptions(r.points, i);
			for (const alt of p.options) {
				if (alt === p.picked || before + (p.canStay ? 1 : 0) > o.preemptions) { continue; }
				todo.push([...r.picks.slice(0, i), alt]);
			}
		}
	}
	return { explored, bad, truncated: todo.length > 0, ms: now() - t0, points };
}
