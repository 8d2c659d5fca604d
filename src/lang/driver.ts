// The one loop that runs the interpreter, for the CLI, the debugger and time-travel replay alike.
// It owns the engine's event filter, advances the current statement's generator, and tells its
// caller about every watched engine event and every statement boundary. `run()` is synchronous and
// returns when a hook asks to stop, the program ends, or the time slice is used up; calling it
// again resumes exactly where it left off (even inside a statement), so async callers put a
// setImmediate between slices and stay responsive (the engine offers 'tick' events in its long
// loops for exactly this).
import type { EventFilter, EventKind, K, SimEvent } from '../engine/sim/events';
import type { Interpreter, RunError } from './interp';
import type { Instr } from './program';
import { InvariantCheck } from './invariantCheck';

/** A finished instruction: which one, its step number, and its simulated start and end time. */
export interface Span { ins: Instr | undefined; pc: number; step: number; startNs: number; endNs: number }

/** Callbacks of one `run()`. Any of them returns a stop value to end the run right there. */
export interface DriverHooks<S> {
	/** At a statement boundary: after `span` finished, or at the position the driver started
	 * from (span undefined) when it was created or reset with `arrive`. Called once per boundary,
	 * even when it stops the run. */
	boundary?(span: Span | undefined): S | undefined;
	/** Before the instruction at pc starts (the program is not done). */
	before?(): S | undefined;
	/** A watched engine event other than 'tick'. */
	event?(ev: SimEvent): S | undefined;
	/** A 'tick': a long engine operation offers to be interrupted (`ev.addr`: where it is, or 0). */
	tick?(ev: SimEvent): S | undefined;
	/** With no `boundary` hook, and a `before` hook that stops nothing until the interpreter has
	 * run this many steps, the driver may run instructions that cannot pause in batches without
	 * calling the hooks (the fast path; the clock is still polled every batch). */
	quietUntil?: number;
	/** `before` evaluates the next `expect`'s condition (the debugger's expect filter, through
	 * Interpreter.prepared): the driver first runs Interpreter.prepare(), which computes the
	 * condition's scans with ticks, so that a pause reaches inside them. */
	prepare?: boolean;
}

/** instructions run between two looks at the clock on the fast path */
const BATCH = 4096;

export type DriveResult<S> =
	| { kind: 'done' }
	| { kind: 'slice' }
	| { kind: 'stop'; stop: S }
	| { kind: 'invariant'; error: RunError };

export interface DriverOptions {
	/** how long one `run()` may take before it returns 'slice' (default 20 ms); each run still makes progress */
	sliceMs?: number;
	/** the clock slices are measured with (tests pass a fake one) */
	now?: () => number;
	/** check the machine's invariants after every statement */
	invariants?: boolean;
}

export class Driver {
	readonly sliceMs: number;
	private readonly now: () => number;
	private watched = new Set<EventKind>(['tick']);
	private readonly filter: EventFilter = { wants: k => this.watched.has(k) };
	private gen?: K;
	private cur?: { ins: Instr | undefined; pc: number; startNs: number };
	private last?: Span;
	private arriveDue: boolean;
	private readonly check?: InvariantCheck;
	/** gen is Interpreter.prepare(), not the statement */
	private preparing = false;
	/** prepare() finished for the instruction at pc: the `before` hook and the statement are next */
	private prepared = false;

	/** `arrive`: the boundary hook is due at the starting position (a debugger stops on entry). */
	constructor(readonly interp: Interpreter, opts: DriverOptions = {}, arrive = false) {
		this.sliceMs = opts.sliceMs ?? 20;
		this.now = opts.now ?? (() => performance.now());
		this.check = opts.invariants ? new InvariantCheck(interp.machine) : undefined;
		this.arriveDue = arrive;
		this.install();
	}

	/** Installs the filter. The machine keeps it across `system` replacing the kernel and across
	 * snapshot restores; the driver reinstalls it on every run anyway, which costs nothing. */
	install(): void { this.interp.machine.setEvents(this.filter); }

	/** The engine event kinds to report from now on ('tick' is always watched: slicing needs it). */
	watch(kinds: Iterable<EventKind>): void {
		this.watched = new Set(kinds);
		this.watched.add('tick');
	}

	get watching(): ReadonlySet<EventKind> { return this.watched; }

	/** True while a statement is suspended halfway (stopped at one of its events or ticks). A stop
	 * inside prepare() is not: the statement has not started and nothing has changed, so the
	 * position is still the boundary before it (resuming finishes prepare() first). */
	get midStatement(): boolean { return this.gen !== undefined && !this.preparing; }

	/** The instruction in progress, while mid-statement. */
	get current(): Instr | undefined { return this.cur?.ins; }

	/** Drops a suspended statement (the state is about to be replaced) and says whether the
	 * boundary hook is due at the position the next run starts from. */
	reset(arrive: boolean): void {
		if (this.gen) {
			// a statement abandoned part-way left the machine in a state no boundary saw
			if (!this.preparing) { this.interp.noteMachineChange(); }
			try { this.gen.return(); } catch { /* the state is being replaced anyway */ }
			this.gen = undefined;
		}
		this.cur = undefined;
		this.last = undefined;
		this.preparing = false;
		this.prepared = false;
		this.arriveDue = arrive;
		this.install();
	}

	/** The instruction in progress finished: its span, the boundary hook due, the invariants. */
	private finished(): { kind: 'invariant'; error: RunError } | undefined {
		const it = this.interp;
		const c = this.cur!;
		this.gen = undefined;
		this.cur = undefined;
		this.last = { ins: c.ins, pc: c.pc, step: it.steps, startNs: c.startNs, endNs: it.machine.time };
		this.arriveDue = true;
		// invariants hold between kernel operations: not while a thread is inside one
		const bad = it.threads?.midway ? undefined : this.check?.end(c.ins);
		return bad ? { kind: 'invariant', error: bad } : undefined;
	}

	/** Runs until a hook stops it, the program ends, or the slice is used up (checked at ticks and
	 * boundaries). Exceptions from hooks propagate; the driver's state stays consistent. */
	run<S>(hooks: DriverHooks<S>, sliceMs = this.sliceMs): DriveResult<S> {
		const it = this.interp;
		const t0 = this.now();
		let moved = false;
		this.install();
		const fast = hooks.boundary === undefined && !hooks.prepare && this.check === undefined && (hooks.before === undefined || hooks.quietUntil !== undefined);
		const quiet = hooks.before === undefined ? Infinity : hooks.quietUntil ?? 0;
		for (;;) {
			if (!this.gen) {
				if (this.arriveDue) {
					this.arriveDue = false;
					const s = hooks.boundary?.(this.last);
					if (s !== undefined) { return { kind: 'stop', stop: s }; }
				}
				if (it.done) { return { kind: 'done' }; }
				if (fast && it.atSimple && it.steps < quiet) {
					const pc = it.pc;
					if (it.runSimple(Math.min(quiet, it.steps + BATCH)) > 0) {
						// simple statements take no simulated time: the span of the last one is enough
						this.last = { ins: undefined, pc, step: it.steps, startNs: it.machine.time, endNs: it.machine.time };
						moved = true;
						if (this.now() - t0 > sliceMs) { return { kind: 'slice' }; }
						continue;
					}
				}
				const ins = it.instr;
				if (hooks.prepare && !this.prepared && ins?.op === 'exec' && ins.stmt.kind === 'expect') {
					this.cur = { ins, pc: it.pc, startNs: it.machine.time };
					this.gen = it.prepare();
					this.preparing = true;
				}
			}
			if (!this.gen) {
				const s = hooks.before?.();
				if (s !== undefined) { return { kind: 'stop', stop: s }; }
				// every run starts at least one instruction, so slicing always makes progress
				if (moved && this.now() - t0 > sliceMs) { return { kind: 'slice' }; }
				this.cur = { ins: it.instr, pc: it.pc, startNs: it.machine.time };
				// with threads, another thread's statement may be halfway: contents are not the statement's alone
				this.check?.begin(it.threads?.active ? undefined : it.instr);
				this.prepared = false;
				if (!it.threads?.active && it.atSimple) {
					// an instruction that cannot pause runs without a generator (step() runs it the same
					// way, through two): the debugger's `next` is mostly such instructions
					it.runSimple(it.steps + 1);
					moved = true;
					const bad = this.finished();
					if (bad) { return bad; }
					continue;
				}
				this.gen = it.step();
			}
			const r = this.gen.next();
			moved = true;
			if (r.done && this.preparing) {
				// nothing changed yet: the `before` hook and the statement come next
				this.gen = undefined;
				this.cur = undefined;
				this.preparing = false;
				this.prepared = true;
				continue;
			}
			if (r.done) {
				const bad = this.finished();
				if (bad) { return bad; }
				continue;
			}
			const ev = r.value;
			if (ev.kind === 'tick') {
				const s = hooks.tick?.(ev);
				if (s !== undefined) { return { kind: 'stop', stop: s }; }
				if (this.now() - t0 > sliceMs) { return { kind: 'slice' }; }
				continue;
			}
			const s = hooks.event?.(ev);
			if (s !== undefined) { return { kind: 'stop', stop: s }; }
		}
	}
}
