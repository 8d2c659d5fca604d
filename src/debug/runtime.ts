// The debugger's engine room: drives the interpreter one instruction (and one engine event) at a
// time, decides where to stop, and travels back in time. No DAP here: the session translates.
//
// A paused workload is the interpreter plus, when stopped inside a statement, that statement's
// suspended generator, both held by the driver (src/lang/driver.ts). Running happens in the
// driver's time slices of ~20 ms with setImmediate in between, so pause, terminate and every
// other request are answered promptly even inside one huge statement. Run states and their
// changes are in runState.ts.
import { EventEmitter } from 'node:events';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Diagnostic, Program } from '../lang/ast';
import { compileSource } from '../lang/frontend';
import { readScript } from '../cli/scriptFile';
import { formatDiagnostic, hasErrors } from '../lang/diagnostics';
import { Interpreter } from '../lang/interp';
import type { EventKind } from '../engine/sim/events';
import { Driver, type DriverHooks, type Span } from '../lang/driver';
import { TRACED, TraceRecorder } from '../lang/trace';
import { LineProfiler } from '../lang/profile';
import { Breakpoints, ENGINE_FILTERS } from './breakpoints';
import { boundaryStop, eventStop, expectStop, innermostLoop, isIssue, isNewLine, type Mode, type Origin, type StopInfo } from './stops';
import { describeEvent, hex } from './describe';
import { type Edit, stoppable, TimeMachine } from './timeTravel';
import { type RunState, RunStateMachine } from './runState';
import { checkWritable, cpuWriteBytes } from './memory';
import { parseConsole, runConsole } from '../lang/console';
import { TIMELINE_KINDS, Timeline } from './timeline';
import { runToEvent } from './timelineGoto';
import { beginStep, heldJoin, heldWait, stepperDone, ThreadRun } from './threadsDap';
import { historyPosition, StepMarks, stopPosition, type Target, ThreadReplay } from './threadReplay';

export type { Mode, StopInfo } from './stops';
export type { RunState } from './runState';

/** Why a launch could not load its program. */
export interface LoadFailure {
	error: string;
	diagnostics: string[];
	/** the script was read but has errors: they are the user's to fix in the script, not in launch.json */
	script?: { file: string; errors: Diagnostic[] };
}

export interface Output { text: string; category: 'stdout' | 'stderr' | 'console'; line?: number; col?: number }

const SLICE_MS = 20;
const ALL_EVENTS: EventKind[] = [...ENGINE_FILTERS, 'call', 'access'];

export class HmmRuntime extends EventEmitter {
	file = '';
	source = '';
	lines: string[] = [];
	program?: Program;
	interp!: Interpreter;
	readonly bps = new Breakpoints();
	readonly runState = new RunStateMachine();
	stop?: StopInfo;
	trace?: TraceRecorder;
	/** the run's flat profile; `profileComplete` is false once the run went back in time */
	profile?: LineProfiler;
	profileComplete = true;
	private tracePath?: string;
	quiet = false;
	readonly tt: TimeMachine;
	/** threads under time travel and a launch's schedule file (threadReplay.ts) */
	readonly threadReplay = new ThreadReplay();
	/** what the forward run did over simulated time, for the residency panel */
	readonly timeline = new Timeline();

	driver!: Driver;
	private mode: Mode = 'continue';
	private origin: Origin = { mid: false };
	private pauseRequested = false;
	/** bumped whenever a run is superseded (stop, restart, terminate): stale slices see it and quit */
	private runId = 0;
	/** bumped when the run starts over or ends: a reverse job in flight sees it and gives up */
	private epoch = 0;
	private expectChecked = -1;
	private errorReported = false;
	private travelEpoch = 0;
	/** what rewatch last gave the driver */
	private watched?: { set: ReadonlySet<EventKind>; kinds: EventKind[] };
	/** stopped inside a statement by a timeline click: how many of its timeline events it raised */
	private timelineKept?: number;
	/** script threads: per-thread step state and thread events (threadsDap.ts) */
	private readonly threadRun = new ThreadRun();
	/** with threads, where each step began: stepBack retraces it exactly (threadReplay.ts) */
	private readonly marks = new StepMarks();
	/** the run's failed expectations, for a saved schedule (threadsDap.ts scheduleFile) */
	readonly failures: { step: number; line: number; message: string }[] = [];

	constructor() {
		super();
		const rt = this;
		this.tt = new TimeMachine({
			get driver() { return rt.driver; },
			get quiet() { return rt.quiet; },
			set quiet(q: boolean) { rt.quiet = q; },
			interrupted: () => this.pauseRequested || this.state === 'ended' || this.travelEpoch !== this.epoch,
			applyEdit: (i, e) => this.applyEdit(i, e),
			restored: it => this.threadReplay.restored(it),
		});
	}

	/** Reads and compiles a program file. On failure: a message for the user and the located
	 * diagnostics (`file:line:col: message`); `script` holds the errors when the file was read but
	 * does not compile (a script error, not a launch configuration error). */
	loadFile(program: unknown, maxScriptSize?: number): LoadFailure | undefined {
		if (typeof program !== 'string' || program.trim() === '') {
			return { error: 'launch needs "program": the path of the .hmmw workload script to run', diagnostics: [] };
		}
		const file = path.resolve(program);
		const read = readScript(file, maxScriptSize);
		if (!read.ok) {
			return read.kind === 'too-big' ? { error: read.message, diagnostics: [read.message] } : { error: read.message.replace(/^cannot read /, 'cannot read program '), diagnostics: [] };
		}
		const source = read.source;
		const errors = this.compile(file, source);
		if (!errors) { return undefined; }
		const diags = errors.map(formatDiagnostic);
		const more = diags.length > 5 ? `\n(and ${diags.length - 5} more)` : '';
		return { error: `${path.basename(file)} does not compile:\n${diags.slice(0, 5).join('\n')}${more}`, diagnostics: diags, script: { file, errors } };
	}

	/** Compiles the program; returns located diagnostics (`file:line:col: message`) on errors. */
	load(file: string, source: string): string[] | undefined {
		return this.compile(file, source)?.map(formatDiagnostic);
	}

	/** Compiles and, when it compiles, installs the program; returns the errors otherwise. */
	private compile(file: string, source: string): Diagnostic[] | undefined {
		const { program, diagnostics } = compileSource(source, file);
		if (hasErrors(diagnostics)) { return diagnostics.filter(d => d.severity === 'error'); }
		this.supersede();
		this.runState.transition('idle', 'load');
		this.file = file;
		this.source = source;
		this.lines = source.split(/\r?\n/);
		this.program = program;
		this.interp = this.newInterpreter();
		this.emit('breakpointsChanged', this.bps.setProgram(file, this.interp.prog.lines));
		return undefined;
	}

	get state(): RunState { return this.runState.state; }
	/** running forward or replaying the past: a pause applies */
	get busy(): boolean { return this.runState.busy; }

	/** A new interpreter, with its driver due to check the boundary it starts at (entry). */
	private newInterpreter(): Interpreter {
		const it: Interpreter = new Interpreter(this.program!, this.source, {
			print: line => { if (!this.quiet) { this.output({ text: line + '\n', category: 'stdout', line: it.loc?.line }); } },
			onFailure: f => {
				if (this.quiet) { return; }
				// a run that went back in time and forward again meets its failures again
				while ((this.failures.at(-1)?.step ?? -1) >= it.steps) { this.failures.pop(); }
				this.failures.push({ step: it.steps, line: f.line, message: f.message });
				this.output({ text: `${this.file}:${f.line}:${f.col}: ${f.message}\n`, category: 'stderr', line: f.line, col: f.col });
			},
		});
		this.driver = new Driver(it, { sliceMs: SLICE_MS }, true);
		return it;
	}

	/** Any run in flight (a forward slice or a reverse job) sees it was superseded and quits. */
	private supersede(): void {
		this.runId++;
		this.epoch++;
	}

	private output(o: Output): void { this.emit('output', o); }

	/** Starts (or restarts) the run from the beginning. */
	start(stopOnEntry: boolean, tracePath?: string): void {
		this.supersede();
		this.runState.transition('idle', 'start over');
		this.driver.reset(false);
		this.interp = this.newInterpreter();
		this.threadReplay.start(this.interp);
		this.tt.reset(this.interp);
		this.timeline.clear();
		this.bps.resetHits();
		this.threadRun.reset();
		this.marks.reset();
		this.failures.length = 0;
		this.trace = tracePath ? new TraceRecorder() : undefined;
		this.profile = new LineProfiler(() => this.interp.machine);
		this.profileComplete = true;
		this.tracePath = tracePath;
		this.errorReported = false;
		this.expectChecked = -1;
		this.quiet = false;
		this.go(stopOnEntry ? 'entry' : 'continue', 'start');
	}

	/** Where the run is in history: the boundary it is at, or the start of the current statement. */
	get position(): number { return this.midStatement ? this.interp.steps - 1 : this.interp.steps; }
	get midStatement(): boolean { return this.driver.midStatement; }

	/** `threadId`: the DAP thread that steps; `single`: the other threads are held meanwhile;
	 * `now`: the first time slice runs before this returns (a step, most often done in it, is
	 * then answered without another turn of the event loop), else in the next turn. */
	resume(mode: Mode, threadId?: number, single = false, now = false): boolean {
		if (this.state !== 'stopped') { return false; }
		this.go(mode, mode, threadId, single, now);
		return true;
	}

	private go(mode: Mode, why: string, threadId?: number, single = false, now = false): void {
		const it = this.interp;
		const mid = this.midStatement;
		// the kernel stack only matters inside a statement (a boundary has none to step out of)
		const stack = mid ? it.machine.view.stack() : undefined;
		this.origin = { mid, frame: stack?.[stack.length - 1], issue: mid && isIssue(this.stop?.event) };
		if (mode === 'stepOut' && !mid) {
			this.origin.loop = innermostLoop(it, it.pc);
		}
		if (it.threads) {
			this.marks.began(it, mode, mid);
			this.origin = beginStep(this.origin, it, mode, threadId, single);
		}
		this.runState.transition('running', why);
		// the recorded future (kept for clicks after a trip back) is about to be run again
		if (mid && this.timelineKept !== undefined) { this.timeline.truncateInside(it.steps - 1, this.timelineKept, it.machine.view); } else { this.timeline.truncate(it.steps, it.machine.view); }
		this.timelineKept = undefined;
		this.mode = mode;
		it.event = undefined;
		this.stop = undefined;
		this.pauseRequested = false;
		this.rewatch();
		const id = ++this.runId;
		if (now) { this.slice(id); } else { setImmediate(() => this.slice(id)); }
	}

	/** The event kinds the engine reports while running forward; breakpoints set while running
	 * call this too, so they take effect at once. */
	rewatch(): void {
		if (this.state !== 'running' || this.quiet) { return; }
		const w = this.bps.kindsWanted();
		if (this.mode === 'stepIn' || (this.mode === 'stepOut' && this.origin.frame)) { w.push(...ALL_EVENTS); }
		// next from a kernel access: over the driver's work, to the kernel's next access
		if (this.mode === 'next' && this.origin.issue) { w.push('access'); }
		if (this.trace) { w.push(...TRACED); }
		w.push(...TIMELINE_KINDS);
		// at every step: the same list as last time needs no new set, if the driver still has the
		// set made from it (a replay or a restart gives the driver another one)
		const last = this.watched;
		if (last?.set === this.driver.watching && last.kinds.length === w.length && last.kinds.every((k, i) => k === w[i])) { return; }
		this.driver.watch(w);
		this.watched = { set: this.driver.watching, kinds: w };
	}

	pause(): void { if (this.busy) { this.pauseRequested = true; } }

	private halt(info: StopInfo): void {
		this.runState.transition('stopped', info.reason);
		this.runId++;
		if (this.interp.threads) { this.interp.threads.hold = undefined; }
		this.stop = info;
		if (info.event) { this.interp.event = info.event; }
		this.emit('stopped', info);
	}

	/** when the execution time not yet given to the time machine began (slices, boundaries) */
	private mark = 0;
	/** The driver's hooks for forward execution, made once: a step (one slice, most often) builds
	 * no closures. A slice runs synchronously on one interpreter, `this.interp`. */
	private readonly hooks: DriverHooks<StopInfo | 'finish'> = {
		boundary: span => {
			const it = this.interp;
			const now = performance.now();
			this.tt.ran(now - this.mark);
			this.mark = now;
			if (span && this.trace && !this.quiet) { this.trace.statement(span.ins, span.step, span.startNs, span.endNs, it.machine); }
			if (span && !this.quiet) { this.profile?.statement(span); }
			if (span && span.endNs > span.startNs) { this.timeline.cpuFaults(it.machine.view, span.step - 1, span.startNs); }
			return this.arrive(it, span);
		},
		before: () => (this.pauseRequested ? { reason: 'pause' } : this.checkExpect(this.interp)),
		tick: ev => (this.pauseRequested ? insideStop(this.interp, ev.addr) : undefined),
		prepare: true,
		event: ev => {
			const it = this.interp;
			const held = it.threads?.hold && heldWait(ev, it);
			if (held) { return held; }
			this.trace?.event(ev, it.steps, it.machine.time, this.driver.current?.loc.line);
			this.timeline.event(ev, it.steps - 1, it.machine.time);
			return eventStop(ev, it, this.bps, this.mode, this.origin);
		},
	};

	/** One time slice of forward execution. */
	private slice(id: number): void {
		if (id !== this.runId || this.state !== 'running') { return; }
		this.mark = performance.now();
		try {
			const r = this.driver.run(this.hooks);
			if (r.kind === 'stop') { return r.stop === 'finish' ? this.finish() : this.halt(r.stop); }
			if (r.kind !== 'slice') { return this.finish(); }
		} catch (e) {
			this.output({ text: `internal error in the debugger: ${(e as Error).stack ?? e}\n`, category: 'stderr' });
			return this.finish();
		} finally {
			// execution time counts toward the next checkpoint even when a statement spans slices
			this.tt.ran(performance.now() - this.mark);
		}
		setImmediate(() => this.slice(id));
	}

	/** Checks at a statement boundary reached by execution: errors, checkpoints, breakpoints, steps. */
	private arrive(it: Interpreter, span: Span | undefined): StopInfo | 'finish' | undefined {
		if (it.error) {
			const e = it.error;
			if (!this.errorReported) {
				this.errorReported = true;
				this.output({ text: `${this.file}:${e.line}:${e.col}: ${e.message}\n`, category: 'stderr', line: e.line, col: e.col });
			}
			if (this.bps.scriptFilter('error', it)) {
				return { reason: 'exception', description: e.message, text: e.message, exception: { id: 'error', description: e.message, name: e.code } };
			}
			return 'finish';
		}
		if (it.done) { return undefined; }
		if (it.threads) {
			this.threadRun.sync(it, (reason, threadId) => this.emit('thread', { reason, threadId }));
			const held = heldJoin(it);
			if (held) { return held; }
		}
		if (it.threads?.active && !it.threads.atStatementStart) { return undefined; }
		this.tt.arrive(it, span?.pc ?? -1);
		// with threads, the last statement of this thread (a step's new line is per thread)
		const lastPc = it.threads ? this.threadRun.arrived(it, span?.pc ?? -1) : span?.pc ?? -1;
		if (!stoppable(it.instr)) { return undefined; }
		if (this.mode === 'entry') { return { reason: 'entry' }; }
		const done = it.threads && stepperDone(it, this.origin, this.mode);
		if (done) { return done; }
		return this.checkExpect(it) ?? boundaryStop(it, this.bps, this.mode, this.origin, lastPc,
			(text, line) => this.output({ text: text + '\n', category: 'console', line }));
	}

	/** 'expect' filter: stop before an expectation that is about to fail, on its own line. */
	private checkExpect(it: Interpreter): StopInfo | undefined {
		const ins = it.instr;
		if (!ins || ins.op !== 'exec' || ins.stmt.kind !== 'expect' || this.expectChecked === it.steps) { return undefined; }
		// a condition that scans memory (matches over gigabytes) is checked in `before`, once the
		// driver has computed its scans with pause points, not at the boundary in one go
		if (it.awaitsPrepare(ins.stmt.cond)) { return undefined; }
		this.expectChecked = it.steps;
		return expectStop(it, this.bps, this.lines);
	}

	private finish(): void {
		if (this.state === 'ended') { return; }
		this.runState.transition('ended', 'finish');
		this.runId++;
		const it = this.interp;
		if (it.error && !this.errorReported) {
			this.errorReported = true;
			this.output({ text: `${this.file}:${it.error.line}:${it.error.col}: ${it.error.message}\n`, category: 'stderr', line: it.error.line });
		}
		const done = it.done;
		this.output({ text: `-- ${it.passed} expectations held, ${it.failed} failed${it.error ? ', run stopped by an error' : done ? '' : ', run terminated'}\n`, category: 'console' });
		this.writeTrace();
		this.emit('end', it.error ? 2 : it.failed > 0 ? 1 : 0);
	}

	private writeTrace(): void {
		if (!this.trace || !this.tracePath) { return; }
		try {
			writeFileSync(this.tracePath, this.trace.json());
		} catch (e) {
			this.output({ text: `cannot write trace ${this.tracePath}: ${(e as Error).message}\n`, category: 'stderr' });
		}
	}

	/** Ends the run where it is (terminate / disconnect / restart). */
	terminate(): void {
		this.epoch++;
		this.driver.reset(false);
		this.finish();
	}

	// ------------------------------------------------------------ time travel

	/** Back to the previous statement boundary (or the start of the current statement). */
	async stepBack(): Promise<void> {
		await this.travel(async (cur, mid, here) => {
			// with threads: the exact start of the step it retraces, else of this thread's statement
			const mark = this.marks.back(here);
			if (mark) { return { ...mark, info: { reason: 'step' } }; }
			if (mid) { return { ...(here ?? { step: cur }), info: { reason: 'step' } }; }
			if (here) {
				const p = await this.tt.scanBack(here, { at: historyPosition, boundary: it => stoppable(it.instr) && !it.done });
				return p && { ...p, info: { reason: 'step' } };
			}
			// the boundaries `next` stops on: stoppable, and on a new line (or a loop going back)
			const prev = await this.tt.previousBoundary(cur, (it, lastPc) => stoppable(it.instr) && !it.done && isNewLine(it, lastPc));
			return prev === undefined ? undefined : { step: prev, info: { reason: 'step' } };
		});
	}

	/** Back to the last earlier boundary where a line breakpoint, or a statement where an event
	 * breakpoint / exception filter, would have stopped; else to the start. Hit counts are not
	 * applied backwards (they count forward hits), and logpoints do not log. */
	async reverseContinue(): Promise<void> {
		await this.travel(async (cur, _mid, here) => {
			let lastHit = '';
			const found = await this.tt.scanBack(here ?? cur, {
				kinds: this.bps.kindsWanted(),
				// with threads, positions that tell the threads' boundaries apart (threadReplay.ts)
				at: here ? historyPosition : undefined,
				boundary: (it, lastPc) => {
					const ins = it.instr;
					if (!stoppable(ins) || it.done) { return false; }
					if (!isNewLine(it, lastPc)) { return false; }
					const h = this.bps.lineHit(ins!.loc.line, it, false);
					if (h && h.ids.length) { lastHit = 'breakpoint'; return true; }
					return false;
				},
				event: (ev, it) => {
					const hit = ev.kind === 'access' ? this.bps.dataHit(ev, it, false) : ev.kind === 'call' ? this.bps.functionHit(ev, it, false) : this.bps.filterHit(ev, it);
					if (hit) { lastHit = describeEvent(ev); }
					return hit !== undefined;
				},
			});
			if (found === undefined) { return { step: 0, info: { reason: 'entry' } }; }
			return { ...found, info: { reason: 'breakpoint', description: lastHit === 'breakpoint' ? undefined : `reverse: ${lastHit}` } };
		});
	}

	/** Time travel to the boundary at `step` (the start of the statement that raised a timeline
	 * event), backwards or forwards. */
	async goToStep(step: number, description: string): Promise<void> {
		await this.travel(async () => ({ step: Math.max(0, Math.floor(step)), info: { reason: 'step', description } }));
	}

	/** Time travel to a timeline event: the `nth` timeline event (0-based) of the statement that
	 * starts at `step`. Lands inside that statement at the event (timelineGoto.ts); if the
	 * statement no longer raises it (an edit changed the future), at the boundary after it. */
	async goToEvent(step: number, nth: number, label: string): Promise<void> {
		await this.travel(async () => ({ step: Math.max(0, Math.floor(step)), info: { reason: 'step', description: `timeline: before ${label}` } }), async () => {
			const r = await runToEvent(this.driver, nth, {
				interrupted: () => this.pauseRequested || this.state === 'ended' || this.travelEpoch !== this.epoch,
				arrive: (it, pc) => this.tt.arrive(it, pc),
				ran: ms => this.tt.ran(ms),
			});
			if (r.kind === 'interrupted') { return { reason: 'pause' }; }
			if (r.kind === 'boundary') { return { reason: 'step', description: `timeline: ${label} did not happen again; stopped after its statement` }; }
			this.timelineKept = nth + 1;
			const what = describeEvent(r.ev);
			return { reason: 'step', description: `timeline: at ${what}`, text: what, event: r.ev };
		});
	}

	/** Runs a reverse job: find the target step, replay to it, stop there (or, with `inside`, run
	 * on from there to where it says). A pause (or the session ending) interrupts the replay at
	 * some earlier boundary, which is then where it stops. */
	private async travel(find: (cur: number, mid: boolean, here?: Target) => Promise<(Target & { info: StopInfo }) | undefined>, inside?: () => Promise<StopInfo>): Promise<void> {
		if (this.state !== 'stopped') { return; }
		const cur = this.position;
		const mid = this.midStatement;
		const here = stopPosition(this.interp, mid);
		const epoch = this.travelEpoch = this.epoch;
		this.threadReplay.remember(this.interp);
		this.runState.transition('replaying', 'reverse');
		this.pauseRequested = false;
		this.interp.event = undefined;
		this.stop = undefined;
		this.driver.reset(false);
		try {
			const found = await find(cur, mid, here);
			if (epoch !== this.epoch) { return; }
			if (this.pauseRequested) { return this.landed({ reason: 'pause' }); }
			const stay = here && Number.isInteger(here.seq) ? here : { step: cur };
			const target = found ?? { ...stay, info: { reason: 'step' as const } };
			const ok = epoch === this.epoch && await this.tt.replay(target.seq === undefined ? target.step : target);
			if (epoch !== this.epoch) { return; }
			if (ok && inside) {
				this.quiet = true;
				let info: StopInfo;
				try { info = await inside(); } finally { this.quiet = false; }
				if (epoch !== this.epoch) { return; }
				return this.landed(info, true);
			}
			this.landed(ok ? target.info : { reason: 'pause' });
		} catch (e) {
			if (epoch !== this.epoch) { return; }
			this.output({ text: `internal error while travelling back: ${(e as Error).stack ?? e}\n`, category: 'stderr' });
			this.finish();
		}
	}

	/** A reverse job ended at a boundary in the past (or, `inside`, within a statement, where the
	 * driver keeps it suspended): forget the abandoned future's traces. */
	private landed(info: StopInfo, inside = false): void {
		this.trace?.truncate(this.interp.steps);
		this.profile?.restart();
		this.profileComplete = false;
		if (!inside) { this.driver.reset(false); this.timelineKept = undefined; }
		this.expectChecked = -1;
		this.errorReported = false;
		this.halt(info);
	}

	// ------------------------------------------------------------ memory writes

	/** writeMemory: a CPU write by process `mm` at a statement boundary, recorded for replay. */
	writeMemory(process: string, addr: number, data: Uint8Array): string | undefined {
		if (this.state !== 'stopped') { return 'memory can be written only while stopped'; }
		if (this.midStatement) { return 'memory can be written only between statements: step to the end of this one first'; }
		const bad = checkWritable(this.interp.machine.view, process, addr, data.length);
		if (bad) { return bad; }
		const e: Edit = { step: this.interp.steps, process, addr, bytes: data.slice() };
		try { this.applyEdit(this.interp, e); } catch (err) { return (err as Error).message; }
		this.tt.addEdit(e);
		this.timeline.truncate(e.step);
		return undefined;
	}

	/** A statement typed in the Debug Console, run at this stop and recorded for replay (step back
	 * to before it undoes it). Returns an error message, or undefined. */
	consoleStatement(text: string): string | undefined {
		if (this.state !== 'stopped') { return 'a statement can run only while stopped'; }
		if (this.midStatement) { return 'a statement can run only between statements: step to the end of this one first'; }
		const p = parseConsole(text);
		if ('error' in p) { return p.error; }
		const e: Edit = { step: this.interp.steps, statement: text };
		try {
			runConsole(this.interp, p.stmts);
		} catch (err) {
			return (err as Error).message;
		}
		this.tt.addEdit(e);
		this.timeline.truncate(e.step);
		return undefined;
	}

	private applyEdit(it: Interpreter, e: Edit): void {
		if ('statement' in e) {
			const p = parseConsole(e.statement);
			// the same statement at the same state fails or succeeds the same way it did live
			if ('stmts' in p) { try { runConsole(it, p.stmts); } catch { /* as it failed live */ } }
			return;
		}
		if (checkWritable(it.machine.view, e.process, e.addr, e.bytes.length)) { return; }
		const g = cpuWriteBytes(it, e.process, e.addr, e.bytes);
		while (!g.next().done) { /* the write's events are not breakpoints */ }
	}
}

/** A pause that lands inside a long statement: the statement is suspended and resumes where it
 * is; the call stack shows the kernel frames it is in. */
function insideStop(it: Interpreter, addr: number): StopInfo {
	const line = it.loc?.line;
	const where = addr ? ` at ${hex(addr)}` : '';
	const description = `Paused inside the statement${line ? ` on line ${line}` : ''}${where}; it resumes from there`;
	return { reason: 'pause', description, text: description };
}
