// Systematic exploration of a threaded script's interleavings (`hmmw explore`). A schedule is the
// thread picked at every switch point that had more than one runnable thread; a run follows a
// given prefix of picks and then the default of not preempting (the current thread goes on while
// it can). Depth-first over the tree of choices, each distinct schedule runs once, from scratch.
// Preemption bounding (at most K switches away from a thread that could have gone on, as CHESS
// does) keeps the tree finite and small; switches forced by a finished, joining or waiting thread
// are free. A schedule whose run fails an expectation, ends in an error or breaks an invariant is
// kept, as the picks that replay it (`hmmw run FILE --schedule FILE.json`).
//
// Partial-order reduction (Godefroid's sleep sets): once the subtree of thread u's step at a
// point has been explored, u sleeps in the sibling subtrees for as long as the steps taken there
// are independent of u's step (engine/sim/schedFootprint.ts says which are); a sleeping thread is
// not picked, so two orders of independent steps are not both run. A run where every runnable
// thread sleeps repeats a schedule already run up to reordering and is cut short ("blocked").
import type { Program } from './ast';
import { Driver } from './driver';
import { Interpreter, type Failure, type RunError } from './interp';
import type { Chooser } from './threads';
import { dependent, type Footprint } from '../engine/sim/schedFootprint';

/** One switch point with a choice: the runnable threads, the pick, and whether the running
 * thread could have gone on (then any other pick is a preemption). */
export interface SchedulePoint { options: string[]; picked: string; canStay: boolean; preempt: boolean }

/** A thread whose step from a point has been explored, with what that step touched. */
interface Sleeper { thread: string; fp: Footprint }

/** A point as the reduced search sees it: the threads asleep there and the footprint of the
 * step taken from it. */
interface ReducedPoint extends SchedulePoint { sleep: Sleeper[]; fp?: Footprint }

export interface ScheduleOutcome {
	picks: string[];
	points: SchedulePoint[];
	failures: Failure[];
	error?: RunError;
	passed: number;
	/** every runnable thread was asleep at the last point: the run repeats an explored one */
	blocked?: boolean;
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

/** The reduced search's chooser: like replayChooser, and beyond the prefix it does not pick a
 * sleeping thread. `done[i]`: the threads whose steps from point i were explored before. */
function sleepChooser(prefix: readonly string[], done: readonly Sleeper[][], points: ReducedPoint[], cut: () => Footprint, out: { blocked: boolean }): Chooser {
	return (runnable, cur) => {
		const stay = runnable.includes(cur) ? cur : runnable[0];
		// cut short: the driver stops the run at the next statement; nothing is recorded any more
		if (out.blocked) { return stay; }
		const j = points.length;
		let sleep: Sleeper[] = [];
		if (j > 0) {
			const prev = points[j - 1];
			const fp = prev.fp = cut();
			sleep = [...prev.sleep, ...(done[j - 1] ?? [])].filter(s => s.thread !== prev.picked && !dependent(s.fp, fp));
		} else { cut(); }
		const want = prefix[j];
		let next: typeof stay;
		if (want !== undefined) { next = runnable.find(t => t.name === want) ?? stay; } else {
			const awake = runnable.filter(t => !sleep.some(s => s.thread === t.name));
			if (awake.length === 0) { out.blocked = true; return stay; }
			next = awake.includes(cur) ? cur : awake[0];
		}
		points.push({ options: runnable.map(t => t.name), picked: next.name, canStay: runnable.includes(cur), preempt: runnable.includes(cur) && next !== cur, sleep });
		return next;
	};
}

/** Runs the script once along `prefix`, with the machine's invariants checked between statements.
 * With `done` (the reduced search), sleeping threads are avoided past the prefix. */
export function runSchedule(program: Program, source: string, prefix: readonly string[], maxSteps = 10_000_000, done?: readonly Sleeper[][]): ScheduleOutcome {
	const failures: Failure[] = [];
	const it = new Interpreter(program, source, { onFailure: f => failures.push(f) });
	const points: ReducedPoint[] = [];
	const state = { blocked: false };
	if (done) {
		const fp = it.machine.stepFootprints();
		it.useSchedule(sleepChooser(prefix, done, points, () => fp.cut(), state));
		it.threads!.footprints = fp;
	} else { it.useSchedule(replayChooser(prefix, points)); }
	const d = new Driver(it, { invariants: true });
	let error: RunError | undefined;
	for (;;) {
		const r = d.run({ before: () => (state.blocked || it.steps >= maxSteps ? 'steps' : undefined) }, Infinity);
		if (state.blocked) { break; }
		if (r.kind === 'invariant') { error = r.error; break; }
		if (r.kind === 'done') { error = it.error; break; }
		if (r.kind === 'stop') { error = { line: it.loc?.line ?? 0, col: 1, code: 'script', message: `stopped after ${maxSteps} statements` }; break; }
	}
	it.threads?.footprints?.detach();
	return { picks: points.map(p => p.picked), points, failures, error, passed: it.passed, ...(state.blocked ? { blocked: true } : {}) };
}

export interface ExploreResult {
	/** schedules run to their end */
	explored: number;
	/** schedules that failed, with their outcome */
	bad: ScheduleOutcome[];
	/** the bound on schedules was reached before the tree was covered */
	truncated: boolean;
	ms: number;
	/** switch points with a choice, over all runs */
	points: number;
	/** reduction: picks not tried because the thread slept there, and runs cut short as blocked */
	pruned: number;
	blocked: number;
}

export interface ExploreOptions { max: number; preemptions: number; now?: () => number; /** sleep sets (default on) */ reduce?: boolean }

/** A point of the current path of the depth-first search, with the picks left to try there. */
interface Node { point: ReducedPoint; todo: string[]; done: Sleeper[] }

function preemptions(points: readonly SchedulePoint[], upto: number): number {
	let n = 0;
	for (let i = 0; i < upto; i++) { if (points[i].preempt) { n++; } }
	return n;
}

export function explore(program: Program, source: string, o: ExploreOptions): ExploreResult {
	const now = o.now ?? (() => performance.now());
	const reduce = o.reduce ?? true;
	const t0 = now();
	const bad: ScheduleOutcome[] = [];
	const path: Node[] = [];
	let explored = 0, points = 0, pruned = 0, blocked = 0, runs = 0;
	let prefix: string[] = [];
	for (;;) {
		const r = runSchedule(program, source, prefix, undefined, reduce ? path.map(n => n.done) : undefined);
		runs++;
		points += r.points.length;
		if (r.blocked) { blocked++; } else {
			explored++;
			if (r.failures.length > 0 || r.error) { bad.push(r); }
		}
		const pts = r.points as ReducedPoint[];
		for (let i = 0; i < prefix.length && i < pts.length; i++) { path[i].point = pts[i]; }
		// the points beyond the prefix were decided by default: every other awake option within
		// the preemption bound is a pick still to try
		for (let i = prefix.length; i < pts.length; i++) {
			const p = pts[i];
			const todo: string[] = [];
			if (preemptions(pts, i) + (p.canStay ? 1 : 0) <= o.preemptions) {
				for (const alt of p.options) {
					if (alt === p.picked) { continue; }
					if (reduce && p.sleep.some(s => s.thread === alt)) { pruned++; } else { todo.push(alt); }
				}
			}
			path.push({ point: p, todo, done: [] });
		}
		let i = path.length - 1;
		while (i >= 0 && path[i].todo.length === 0) { i--; }
		if (i < 0 || runs >= o.max) { path.length = Math.max(i + 1, 0); break; }
		const n = path[i];
		// the step just explored from this point sleeps in its siblings' subtrees
		if (reduce && n.point.fp) { n.done.push({ thread: n.point.picked, fp: n.point.fp }); } else if (reduce) {
			// no footprint (the run ended or blocked right after): it cannot sleep safely
			n.done.push({ thread: n.point.picked, fp: { all: true, touches: [] } });
		}
		const alt = n.todo.shift()!;
		path.length = i + 1;
		prefix = [...path.slice(0, i).map(x => x.point.picked), alt];
	}
	return { explored, bad, truncated: path.some(n => n.todo.length > 0), ms: now() - t0, points, pruned, blocked };
}
