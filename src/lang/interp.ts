// The interpreter: runs a compiled program one instruction at a time. `step()` is a generator that
// passes engine events up to whoever drives it (the CLI drains it; the debugger may stop at any
// event and resume later), so the interpreter never needs to know who is watching.
import type { Expr, Loc, Program, Stmt } from './ast';
import { compile, type CompiledProgram, type Instr } from './program';
import { Machine, type MachineSnapshot } from '../engine/machine';
import { deepClone } from '../engine/sim/clone';
import type { K, SimEvent } from '../engine/sim/events';
import { SimError } from '../engine/sim/errors';
import { evaluate, int, truthy } from './eval';
import { execSimple, execStmt, type ExecHost, SIMPLE_STATEMENTS } from './exec';
import { hasScan, resolveScans } from './scans';
import { ScriptError, type Value } from './values';
import { type BoundarySwitch, type Chooser, Threads } from './threads';

/** machine: absent in a snapshot of the interpreter alone (time travel's light checkpoints,
 * restored only while the machine is unchanged: see machineOps). */
export interface InterpSnapshot {
	machine?: MachineSnapshot;
	state: {
		pc: number; vars: Map<string, Value>; loops: Map<number, LoopState>; handlers: number[];
		passed: number; failed: number; failures: Failure[]; error?: RunError; steps: number; machineOps: number;
	};
}

export interface Failure { line: number; col: number; message: string }
export interface RunError { line: number; col: number; code: string; message: string }

type LoopState = { cur: number; end: number; step: number } | { left: number };

export interface InterpreterOptions {
	print?: (line: string) => void;
	/** a failed expectation, as it happens */
	onFailure?: (f: Failure) => void;
	/** every expectation's result (`expect` and `expect error` blocks), passed ones too, as it is decided */
	onExpect?: (r: ExpectResult) => void;
}

/** One decided expectation: where it is written, and whether it held. */
export interface ExpectResult { line: number; col: number; kind: 'expect' | 'expect-error'; ok: boolean; message?: string }

/** Does the statement compute a scan (matches()) that exec resolves with pause points? */
function stmtHasScan(s: Stmt): boolean {
	switch (s.kind) {
		case 'assign': return hasScan(s.value);
		case 'print': return s.args.some(hasScan);
		case 'expect': return hasScan(s.cond);
		default: return false;
	}
}

export class Interpreter implements ExecHost {
	readonly prog: CompiledProgram;
	readonly machine = new Machine();
	vars = new Map<string, Value>();
	pc = 0;
	loops = new Map<number, LoopState>();
	/** open `expect error` blocks: the try instruction's index, innermost last */
	handlers: number[] = [];
	passed = 0;
	failed = 0;
	failures: Failure[] = [];
	error?: RunError;
	/** instructions executed */
	steps = 0;
	/** engine instructions started (and debugger edits, see noteMachineChange): two statement
	 * boundaries of one run with the same count see the same machine, because only engine
	 * instructions change it (simple ones read it at most). Restored with snapshots. */
	machineOps = 0;
	event?: SimEvent;
	/** the script, for the text of a failed expectation (lines are found on demand: a script of
	 * millions of lines is not copied line by line) */
	private readonly source: string;
	private lineStarts?: Int32Array;
	/** an `expect` condition with its scans computed by prepare(), for the step it was made at */
	private prep?: { steps: number; pc: number; cond: Expr; resolved: Expr };

	/** per instruction: true when it cannot pause (runSimple may run it) */
	private readonly simple: boolean[];

	constructor(program: Program, source: string, private readonly opts: InterpreterOptions = {}) {
		this.prog = compile(program);
		// a statement or condition that scans memory (matches()) is not simple: it pauses inside
		this.simple = this.prog.code.map(i => (i.op === 'exec' ? SIMPLE_STATEMENTS.has(i.stmt.kind) && !stmtHasScan(i.stmt)
			: i.op === 'branch' ? !hasScan(i.cond) : true));
		this.source = source;
	}

	get done(): boolean { return this.error !== undefined || this.pc >= this.prog.code.length; }
	get instr(): Instr | undefined { return this.prog.code[this.pc]; }
	/** where the next instruction is */
	get loc(): Loc | undefined { return this.instr?.loc; }

	print(line: string): void { this.opts.print?.(line); }

	expectResult(ok: boolean, s: Stmt & { kind: 'expect' }, message: string): void {
		if (ok) { this.passed++; this.opts.onExpect?.({ line: s.loc.line, col: s.loc.col, kind: 'expect', ok }); return; }
		const text = this.line(s.loc.line)?.slice(s.loc.col - 1).replace(/\s+#.*$/, '').trim() ?? 'expect';
		this.fail(s.loc, message ? `${message} (${text})` : `expectation failed: ${text}`, 'expect');
	}

	/** Line `n` (1-based) of the script, as split at \n, \r\n or a lone \r (the lexer's lines). */
	private line(n: number): string | undefined {
		if (!this.lineStarts) {
			const src = this.source;
			const starts = [0];
			for (let i = 0; i < src.length; i++) {
				const c = src.charCodeAt(i);
				if (c === 13 && src.charCodeAt(i + 1) === 10) { i++; }
				if (c === 10 || c === 13) { starts.push(i + 1); }
			}
			this.lineStarts = Int32Array.from(starts);
		}
		const at = this.lineStarts;
		if (n < 1 || n > at.length) { return undefined; }
		const text = this.source.slice(at[n - 1], n < at.length ? at[n] : this.source.length);
		return text.replace(/(\r\n|\n|\r)$/, '');
	}

	private fail(loc: Loc, message: string, kind: ExpectResult['kind']): void {
		this.failed++;
		const f = { line: loc.line, col: loc.col, message };
		this.failures.push(f);
		this.opts.onFailure?.(f);
		this.opts.onExpect?.({ ...f, kind, ok: false });
	}

	/** Computes the scans (scans.ts) of the next instruction's `expect` condition, with pause
	 * points, so that a hook that evaluates the condition before the statement runs (the
	 * debugger's expect filter) does not scan gigabytes in one go. The statement computes its own
	 * values again when it runs: the state may change in between (a console statement). */
	*prepare(): K {
		const ins = this.instr;
		if (!ins || this.error || ins.op !== 'exec' || ins.stmt.kind !== 'expect') { return; }
		const cond = ins.stmt.cond;
		let resolved = cond;
		try { resolved = yield* resolveScans(cond, this); } catch { /* evaluation reports it */ }
		this.prep = { steps: this.steps, pc: this.pc, cond, resolved };
	}

	/** True when `e`, the next `expect`'s condition, holds scans prepare() has not computed yet:
	 * a check of it should wait for the driver to run prepare(). */
	awaitsPrepare(e: Expr): boolean {
		const p = this.prep;
		if (p && p.cond === e && p.steps === this.steps && p.pc === this.pc) { return false; }
		return hasScan(e);
	}

	/** `e` with the scans prepare() computed for the next instruction, else `e` itself. */
	prepared(e: Expr): Expr {
		const p = this.prep;
		return p && p.cond === e && p.steps === this.steps && p.pc === this.pc ? p.resolved : e;
	}

	/** Executes the instruction at pc. Errors become the run's outcome, never exceptions. With
	 * threads running, one turn of the current thread instead (threads.ts). */
	*step(): K {
		if (this.threads?.active) { yield* this.threads.turn(); return; }
		const ins = this.instr;
		if (!ins || this.error) { return; }
		this.steps++;
		if (!this.simple[this.pc]) { this.machineOps++; }
		try {
			yield* this.run(ins);
		} catch (e) {
			this.onError(e, ins.loc);
		}
	}

	/** The instruction `ins` (at pc), its errors the run's outcome (threads.ts runs it in turns). */
	*guarded(ins: Instr): K {
		try { yield* this.run(ins); } catch (e) { this.onError(e, ins.loc); }
	}

	/** An error raised outside a statement (a deadlock between threads) ends the run there. */
	report(e: unknown, loc: Loc): void { this.onError(e, loc); }

	/** The thread runtime, made by the first `thread` or `schedule` statement. */
	threads?: Threads;
	/** decisions a thread runtime made later must repeat (Threads.forced), set before it exists */
	forcedPicks?: readonly string[];
	/** the debugger's switches at boundaries to repeat (Threads.forcedSwitches), likewise */
	forcedSwitches?: readonly BoundarySwitch[];

	/** `thread` in an expression: the name of the script thread running now. */
	get thread(): string { return this.threads?.cur.name ?? 'main'; }

	private runtime(): Threads { return (this.threads ??= new Threads(this)); }

	/** Runs threads with this chooser, whatever `schedule` statements say (explore, replay). */
	useSchedule(choose: Chooser): void {
		const t = this.runtime();
		t.choose = choose;
		t.fixed = true;
	}

	/** `join` and `schedule`: statements of the interpreter, not of the engine. */
	private threadStmt(s: Stmt): void {
		if (s.kind === 'schedule') {
			const seed = s.options.find(o => o.key === 'seed');
			this.runtime().schedule(s.mode, seed ? int(evaluate(seed.value, this), seed.loc) : 1);
		} else if (s.kind === 'join') {
			const t = this.threads?.all.find(x => x.name === s.name);
			if (!t) { throw new ScriptError(`thread '${s.name}' was never started`, s.loc); }
			if (t === this.threads?.cur) { throw new ScriptError(`thread '${s.name}' cannot join itself`, s.loc); }
		}
	}

	private *run(ins: Instr): K {
		if (ins.op === 'exec' && (ins.stmt.kind === 'join' || ins.stmt.kind === 'schedule')) {
			this.threadStmt(ins.stmt);
			this.pc++;
			return;
		}
		if (ins.op === 'exec' && !this.simple[this.pc]) {
			yield* execStmt(ins.stmt, this.machine, this);
			this.pc++;
			return;
		}
		if (ins.op === 'branch' && !this.simple[this.pc]) {
			// a condition that scans memory computes its scans first, with pause points (scans.ts)
			this.pc = truthy(evaluate(yield* resolveScans(ins.cond, this), this), ins.cond.loc) ? this.pc + 1 : ins.else;
			return;
		}
		this.runSync(ins);
	}

	/** Runs instructions that cannot pause (control flow, assignments, print, expect) without a
	 * generator, until `limit` steps in all, the first instruction that can pause (an engine
	 * statement), the end or a run error. Exactly what step() would do, one instruction at a time;
	 * the caller polls its clock and pause flag between calls. Returns the instructions run. */
	runSimple(limit: number): number {
		const code = this.prog.code, simple = this.simple;
		let n = 0;
		while (this.steps < limit && this.error === undefined) {
			const pc = this.pc;
			if (pc >= code.length || !simple[pc]) { break; }
			const ins = code[pc];
			this.steps++;
			n++;
			try {
				this.runSync(ins);
			} catch (e) {
				this.onError(e, ins.loc);
			}
		}
		return n;
	}

	/** Whether the next instruction cannot pause (runSimple would run it). */
	// a replay of the debugger's switches at boundaries counts boundaries turn by turn (threads.ts)
	get atSimple(): boolean { return this.pc < this.simple.length && this.simple[this.pc] && this.error === undefined && this.threads?.cur.gen === undefined && this.forcedSwitches === undefined; }

	private runSync(ins: Instr): void {
		switch (ins.op) {
			case 'exec':
				execSimple(ins.stmt, this);
				this.pc++;
				return;
			case 'jump':
				this.pc = ins.to;
				return;
			case 'branch':
				this.pc = truthy(evaluate(ins.cond, this), ins.cond.loc) ? this.pc + 1 : ins.else;
				return;
			case 'for-init': {
				const s = ins.stmt;
				const cur = int(evaluate(s.from, this), s.from.loc);
				const end = int(evaluate(s.to, this), s.to.loc);
				const step = s.step ? int(evaluate(s.step, this), s.step.loc) : 1;
				if (step === 0) { throw new ScriptError('a for loop cannot step by 0', s.step?.loc ?? s.loc); }
				this.loops.set(this.pc, { cur, end, step });
				if (step > 0 ? cur < end : cur > end) {
					this.vars.set(s.variable, cur);
					this.pc++;
				} else {
					this.pc = ins.exit;
				}
				return;
			}
			case 'for-next': {
				const st = this.loops.get(ins.init) as { cur: number; end: number; step: number };
				st.cur += st.step;
				const s = (this.prog.code[ins.init] as { stmt: { variable: string } }).stmt;
				if (st.step > 0 ? st.cur < st.end : st.cur > st.end) {
					this.vars.set(s.variable, st.cur);
					this.pc = ins.body;
				} else {
					this.loops.delete(ins.init);
					this.pc++;
				}
				return;
			}
			case 'repeat-init': {
				const n = int(evaluate(ins.stmt.count, this), ins.stmt.count.loc);
				if (n < 0) { throw new ScriptError(`repeat ${n} times`, ins.stmt.count.loc); }
				this.loops.set(this.pc, { left: n });
				this.pc = n > 0 ? this.pc + 1 : ins.exit;
				return;
			}
			case 'repeat-next': {
				const st = this.loops.get(ins.init) as { left: number };
				if (--st.left > 0) { this.pc = ins.body; } else { this.loops.delete(ins.init); this.pc++; }
				return;
			}
			case 'spawn':
				this.runtime().spawn(ins.name, this.pc + 1);
				this.pc = ins.end;
				return;
			case 'thread-end':
				if (this.threads?.active) { this.threads.finish(); } else { this.pc++; }
				return;
			case 'try':
				this.handlers.push(this.pc);
				this.pc++;
				return;
			case 'try-end':
				this.handlers.pop();
				this.fail(ins.loc, `expected error ${ins.code}, but the block succeeded`, 'expect-error');
				this.pc++;
				return;
		}
	}

	private onError(e: unknown, loc: Loc): void {
		if (e instanceof SimError && this.handlers.length > 0) {
			const t = this.handlers.pop()!;
			const tryIns = this.prog.code[t] as { code: string; end: number; loc: Loc };
			if (e.code === tryIns.code) {
				this.passed++;
				this.opts.onExpect?.({ line: tryIns.loc.line, col: tryIns.loc.col, kind: 'expect-error', ok: true });
			} else {
				this.fail(tryIns.loc, `expected error ${tryIns.code}, got ${e.code} at line ${loc.line}: ${e.message}`, 'expect-error');
			}
			// loops opened inside the block are abandoned with it
			for (const pc of [...this.loops.keys()]) { if (pc > t && pc < tryIns.end) { this.loops.delete(pc); } }
			this.pc = tryIns.end + 1;
			return;
		}
		if (e instanceof SimError) {
			this.error = { line: loc.line, col: loc.col, code: e.code, message: `${e.code}: ${e.message}` };
		} else if (e instanceof ScriptError) {
			const l = e.loc ?? loc;
			this.error = { line: l.line, col: l.col, code: 'script', message: e.message };
		} else if (e instanceof RangeError && /call stack/.test(e.message)) {
			this.error = { line: loc.line, col: loc.col, code: 'script', message: 'expression too deeply nested to evaluate' };
		} else {
			const err = e as Error;
			this.error = { line: loc.line, col: loc.col, code: 'internal', message: `internal error: ${err?.message ?? String(e)}` };
		}
	}

	/** Something outside the script changed the machine (a debugger edit). */
	noteMachineChange(): void { this.machineOps++; }

	/** Everything needed to come back to this statement boundary: machine and interpreter state.
	 * `machine`: a snapshot of the machine as it is now, to share instead of taking one; null:
	 * the interpreter alone. */
	snapshot(machine?: MachineSnapshot | null): InterpSnapshot {
		return {
			machine: machine === null ? undefined : machine ?? this.machine.saveState(),
			state: deepClone({
				pc: this.pc, vars: this.vars, loops: this.loops, handlers: this.handlers, passed: this.passed,
				failed: this.failed, failures: this.failures, error: this.error, steps: this.steps, machineOps: this.machineOps,
			}),
		};
	}

	/** Returns to a snapshot; `withMachine` false keeps the machine as it is, which is right only
	 * when it is the snapshot's (the same machineOps in the same run). */
	restore(s: InterpSnapshot, withMachine = true): void {
		if (withMachine) {
			if (!s.machine) { throw new Error('restore: this snapshot holds no machine'); }
			this.machine.loadState(s.machine);
		}
		const st = deepClone(s.state);
		this.pc = st.pc;
		this.vars = st.vars;
		this.loops = st.loops;
		this.handlers = st.handlers;
		this.passed = st.passed;
		this.failed = st.failed;
		this.failures = st.failures;
		this.error = st.error;
		this.steps = st.steps;
		this.machineOps = st.machineOps;
		this.event = undefined;
		this.prep = undefined;
	}

	/** Runs to the end with nobody watching events (the CLI's and the tests' way). */
	runToEnd(maxSteps = Infinity): void {
		while (!this.done && this.steps < maxSteps) {
			if (this.runSimple(maxSteps) > 0) { continue; }
			const g = this.step();
			while (!g.next().done) { /* events are not watched */ }
		}
	}
}
