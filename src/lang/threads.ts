// Script threads (`thread NAME { }`, `join NAME`, `schedule`). Every thread has its own control
// state (pc, loops, handlers), current process, simulated kernel stack and `last`; variables are
// shared. Threads take turns only at switch points the engine offers: entry to a simulated kernel
// function (k.enter's 'call') and a contended lock (sim/sched.ts), never inside a function; a
// statement that enters no kernel function runs whole. At each switch point the schedule picks
// the next thread among the runnable ones: round robin (the default), a seeded random draw, or a
// chooser given from outside (`hmmw explore`). Scripts without `thread` never build this.
import type { K } from '../engine/sim/events';
import type { ThreadContext } from '../engine/machine';
import type { Interpreter } from './interp';
import type { Instr } from './program';
import type { StepFootprints } from '../engine/sim/schedFootprint';
import { ScriptError } from './values';

type LoopState = Interpreter['loops'];

export interface ScriptThread extends ThreadContext {
	name: string;
	pc: number;
	loops: LoopState;
	handlers: number[];
	/** the statement suspended at a switch point */
	gen?: K;
	done: boolean;
	/** blocked in `join` on this thread */
	joining?: ScriptThread;
	/** Threads.boundaries and the interpreter's steps where its current statement started */
	startSeq: number;
	startStep: number;
}

/** A switch the debugger made at a boundary (a held step of a thread that was not running): at
 * the boundary numbered `at` (Threads.boundaries), `thread` runs instead of the one there. */
export interface BoundarySwitch { at: number; thread: string }

/** A schedule file's "switches" (the debugger's Save Schedule), checked for shape only: the
 * CLI and the debug adapter read the same files. */
export function isBoundarySwitchList(x: unknown): x is BoundarySwitch[] {
	return Array.isArray(x) && x.every(s => typeof s === 'object' && s !== null && Number.isInteger((s as BoundarySwitch).at) && typeof (s as BoundarySwitch).thread === 'string');
}

/** Picks one of `runnable` (never empty, in thread start order) at a switch point of `cur`. */
export type Chooser = (runnable: readonly ScriptThread[], cur: ScriptThread) => ScriptThread;

/** Deterministic round robin: the next runnable thread after `cur`, in start order. */
export const roundRobin: Chooser = (runnable, cur) => runnable.find(t => t.id > cur.id) ?? runnable[0];

/** A seeded draw (mulberry32): the same seed gives the same interleaving. */
export function randomChooser(seed: number): Chooser {
	let a = seed >>> 0;
	return runnable => {
		a = (a + 0x6D2B79F5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
		return runnable[Math.floor(r * runnable.length)];
	};
}

export class Threads {
	readonly all: ScriptThread[] = [];
	cur: ScriptThread;
	choose: Chooser = roundRobin;
	/** set from outside (`hmmw explore`): `schedule` statements do not override it */
	fixed = false;
	/** switch points that had a choice, and the thread picked at each: the schedule as run */
	readonly picks: string[] = [];
	/** picks to make at the first choice points whatever the chooser says (the debugger's replay
	 * of a recorded run, threadReplay.ts); the chooser is still asked, so a seeded draw stays in
	 * step with the run it replays */
	forced?: readonly string[];
	/** the debugger's switches at boundaries, as made: a replay repeats them (with `picks`) */
	readonly switches: BoundarySwitch[] = [];
	/** switches to make at their boundaries (a replay of a session's schedule) */
	forcedSwitches?: readonly BoundarySwitch[];
	/** `hmmw explore`'s reduction: what each step touches (only set there) */
	footprints?: StepFootprints;
	/** Boundaries passed since threads ran: turns that ended with the current thread about to
	 * start a statement. With threads several boundaries share a step count; this one is unique
	 * and the same in every replay of the interleaving (the debugger's time travel positions). */
	boundaries = 0;
	/** The debugger holds every other thread (a step with singleThread, src/debug/threadsDap.ts):
	 * only this one is picked, and where it would wait (a lock, `join`) its turn stops there
	 * instead of switching, so that the debugger can say so rather than spin. */
	hold?: ScriptThread;
	/** The debugger's hand pick ("switch thread here"): taken at the next switch point where the
	 * thread can run, recorded in `picks` like any other choice. */
	pick?: ScriptThread;

	constructor(private readonly it: Interpreter) {
		this.cur = this.make('main', it.pc);
		this.forced = it.forcedPicks;
		this.forcedSwitches = it.forcedSwitches;
	}

	/** The debugger steps `t` alone from a boundary of the running thread: `t` runs at once, the
	 * running thread stays where it is (it had not started its statement). Recorded, so that a
	 * replay switches at the same boundary. False where no switch can happen now. */
	switchNow(t: ScriptThread): boolean {
		if (t === this.cur || t.done || !this.atStatementStart) { return false; }
		this.switches.push({ at: this.boundaries, thread: t.name });
		this.switchTo(t);
		// the boundary the new thread is at, as the replay's turn that switches ends there
		if (this.atStatementStart) { this.boundaries++; }
		return true;
	}

	/** A replay at a boundary where the run it repeats switched by hand: switch the same way. */
	private forcedSwitch(): boolean {
		const sw = this.forcedSwitches?.[this.switches.length];
		if (!sw || sw.at !== this.boundaries || !this.atStatementStart) { return false; }
		const to = this.all.find(x => x.name === sw.thread && !x.done);
		if (!to || to === this.cur) { return false; }
		this.switches.push(sw);
		this.switchTo(to);
		return true;
	}

	/** Some thread is suspended inside a kernel operation. */
	get midway(): boolean { return this.all.some(t => t.gen !== undefined); }

	/** The current thread is about to start its statement: not resuming one suspended at a switch
	 * point, nor retrying a `join` that waits. Only there does a debugger stop on a line, so a
	 * breakpoint hits once per execution of its statement, however many turns it takes. */
	get atStatementStart(): boolean { const t = this.cur; return !t.gen && !t.joining && !t.done; }

	/** More than one thread has been started (the main script counts). */
	get active(): boolean { return this.all.length > 1; }

	private make(name: string, pc: number): ScriptThread {
		const t: ScriptThread = {
			id: this.all.length, name, pc, loops: new Map(), handlers: [], done: false, startSeq: 0, startStep: 0,
			current: this.it.machine.current, stack: [], last: { ...this.it.machine.last },
		};
		this.all.push(t);
		return t;
	}

	/** `thread NAME {`: the new thread starts at `pc` in the current process. */
	spawn(name: string, pc: number): void {
		if (this.all.some(t => t.name === name)) { throw new ScriptError(`thread '${name}' was already started`); }
		this.make(name, pc);
		this.it.machine.switchThread(this.cur, this.cur);
	}

	/** `schedule MODE [seed=N]` */
	schedule(mode: string, seed: number): void {
		if (this.fixed) { return; }
		if (mode === 'round_robin') { this.choose = roundRobin; } else if (mode === 'random') { this.choose = randomChooser(seed); } else {
			throw new ScriptError(`unknown schedule '${mode}'`);
		}
	}

	/** The current thread reached its end (thread-end): the next one runs; after the last, the
	 * script is done (pc past the end). */
	finish(): void {
		const t = this.cur;
		t.done = true;
		this.it.pc = this.it.prog.code.length;
		if (this.all.some(x => !x.done)) { this.switchAway(); }
	}

	/** Threads that can make progress: not finished, not in `join` of a running thread, not asleep
	 * on a lock or migration entry still taken (sim/sched.ts). A sleeper is not offered while its
	 * wait would fail again: a turn that changes nothing is no interleaving of its own. */
	private runnable(): ScriptThread[] {
		return this.all.filter(t => !t.done && !(t.joining && !t.joining.done) && this.it.machine.threadCanRun(t.id));
	}

	private deadlock(): ScriptError {
		const stuck = this.all.filter(t => !t.done).map(t => t.joining ? `${t.name} (join ${t.joining.name})` : t.name);
		return new ScriptError(`deadlock: every thread waits (${stuck.join(', ')})`);
	}

	/** A switch point of the current thread: maybe another thread runs next. True if it switched. */
	private offer(): boolean {
		const cur = this.cur;
		const real = this.runnable();
		const held = this.hold && !this.hold.done ? this.hold : undefined;
		const runnable = held ? [held] : real;
		if (runnable.length === 0) { throw this.deadlock(); }
		const hand = this.pick && runnable.includes(this.pick) ? this.pick : undefined;
		if (hand || this.pick?.done) { this.pick = undefined; }
		let next = runnable.length === 1 ? runnable[0] : hand ?? this.choose(runnable, cur);
		// a replay (time travel across threads) makes the recorded picks first, whatever the chooser says
		const want = real.length > 1 ? this.forced?.[this.picks.length] : undefined;
		if (want !== undefined) { next = runnable.find(t => t.name === want) ?? next; }
		// a held run records the pick it made where the schedule had a choice: it replays
		if (real.length > 1 && real.includes(next)) { this.picks.push(next.name); }
		if (next === cur) { return false; }
		this.switchTo(next);
		return true;
	}

	/** The current thread cannot go on (it finished, waits in `join` or sleeps): another runs. */
	private switchAway(): void {
		this.footprints?.everything();
		if (this.all.some(t => !t.done)) { this.offer(); }
	}

	private switchTo(next: ScriptThread): void {
		const it = this.it, cur = this.cur;
		cur.pc = it.pc;
		cur.loops = it.loops;
		cur.handlers = it.handlers;
		it.machine.switchThread(cur, next);
		it.pc = next.pc;
		it.loops = next.loops;
		it.handlers = next.handlers;
		this.cur = next;
	}

	/** One turn of the current thread: its statement runs (or resumes) until it ends or reaches a
	 * switch point where the schedule picks another thread. Events pass up as the driver wants them. */
	*turn(): K {
		const it = this.it;
		const loc = it.loc;
		try { yield* this.run(); } catch (e) {
			// a deadlock, found while switching: the run's outcome, at the statement that waited
			if (!it.error) { it.report(e, loc ?? { line: 1, col: 1 }); }
		}
		if (this.atStatementStart) { this.boundaries++; }
	}

	private *run(): K {
		const it = this.it;
		const t = this.cur;
		if (!t.gen) {
			const ins = it.instr;
			if (!ins || it.error) { return; }
			if (this.forcedSwitches && this.forcedSwitch()) { return; }
			// a join that waited started at the boundary of its first try
			if (!t.joining) { t.startSeq = this.boundaries; t.startStep = it.steps; }
			if (this.join(ins)) { return; }
			// a statement runs script code (shared variables, expectations): it meets every step
			this.footprints?.everything();
			it.steps++;
			t.gen = it.guarded(ins);
		}
		for (;;) {
			const r = t.gen.next();
			if (r.done) {
				t.gen = undefined;
				return;
			}
			const ev = r.value;
			if (ev.kind !== 'call') { yield ev; continue; }
			if (ev.detail === 'wait') {
				if (this.hold === t) { yield ev; continue; }
				this.switchAway();
				return;
			}
			this.footprints?.reached(t.id);
			if (it.machine.watches('call')) { yield ev; }
			if (this.offer()) { return; }
		}
	}

	/** `join NAME`: true when the thread must wait (another one runs instead). */
	private join(ins: Instr): boolean {
		if (ins.op !== 'exec' || ins.stmt.kind !== 'join') { return false; }
		const name = ins.stmt.name;
		const target = this.all.find(x => x.name === name);
		if (!target) { return false; }
		if (target.done) { this.cur.joining = undefined; return false; }
		if (target === this.cur) { return false; }
		this.cur.joining = target;
		if (this.hold === this.cur) { return true; }
		this.switchAway();
		return true;
	}
}
