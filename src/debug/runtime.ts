// The debugger's engine room: drives the interpreter one instruction (and one engine event) at a
// time, decides where to stop, and travels back in time. No DAP here: the session translates.
//
// A paused workload is a suspended generator (the instruction being executed) plus the
// interpreter. Running happens in time slices of ~20 ms with setImmediate in between, so pause,
// terminate and every other request are answered promptly even inside one huge statement (the
// engine offers 'tick' events in its long loops for exactly this).
import { EventEmitter } from 'node:events';
import type { Program } from '../lang/ast';
import { compileSource } from '../lang/frontend';
import { formatDiagnostic, hasErrors } from '../lang/diagnostics';
import { Interpreter } from '../lang/interp';
import { evaluate, truthy } from '../lang/eval';
import type { Machine } from '../engine/machine';
import type { KernelFrame } from '../engine/kernel';
import type { EventFilter, EventKind, K, SimEvent } from '../engine/sim/events';
import { Breakpoints, ENGINE_FILTERS, type FilterId } from './breakpoints';
import { describeEvent } from './describe';
import { type Edit, stoppable, TimeMachine } from './timeTravel';
import { TRACED, TraceRecorder } from './trace';
import { checkWritable, cpuWriteBytes } from './memory';

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'exception' | 'data breakpoint' | 'function breakpoint' | 'pause';
export type Mode = 'entry' | 'continue' | 'next' | 'stepIn' | 'stepOut';

export interface StopInfo {
	reason: StopReason;
	description?: string;
	text?: string;
	hitIds?: number[];
	/** the engine event stopped on (its `event.*` evaluates) */
	event?: SimEvent;
	/** for reason 'exception': the filter and what happened */
	exception?: { id: FilterId; description: string };
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
	state: 'idle' | 'running' | 'stopped' | 'ended' = 'idle';
	stop?: StopInfo;
	trace?: TraceRecorder;
	quiet = false;
	readonly tt: TimeMachine;

	private gen?: K;
	/** after an instruction: the boundary still needs its checks; 'leave': they are done */
	private phase: 'arrive' | 'leave' = 'leave';
	private mode: Mode = 'continue';
	private origin: { frame?: KernelFrame; mid: boolean; loop?: [number, number] } = { mid: false };
	private lastPc = -1;
	private pauseRequested = false;
	/** bumped whenever a run is superseded (stop, restart, terminate): stale slices see it and quit */
	private runId = 0;
	/** bumped when the run starts over or ends: a reverse job in flight sees it and gives up */
	private epoch = 0;
	private expectChecked = -1;
	private errorReported = false;
	private stmtStart = 0;
	private travelEpoch = 0;
	private watch = new Set<EventKind>(['tick']);
	private readonly filter: EventFilter = { wants: k => this.watch.has(k) };

	constructor() {
		super();
		const rt = this;
		this.tt = new TimeMachine({
			get interp() { return rt.interp; },
			set interp(i: Interpreter) { rt.interp = i; },
			fresh: () => this.newInterpreter(),
			installFilter: i => this.installFilter(i),
			setWatch: kinds => { this.watch = new Set(kinds); },
			get quiet() { return rt.quiet; },
			set quiet(q: boolean) { rt.quiet = q; },
			interrupted: () => this.pauseRequested || this.state === 'ended' || this.travelEpoch !== this.epoch,
			applyEdit: (i, e) => this.applyEdit(i, e),
		});
	}

	/** Compiles the program; returns located diagnostics (`file:line:col: message`) on errors. */
	load(file: string, source: string): string[] | undefined {
		const { program, diagnostics } = compileSource(source, file);
		if (hasErrors(diagnostics)) { return diagnostics.filter(d => d.severity === 'error').map(formatDiagnostic); }
		this.file = file;
		this.source = source;
		this.lines = source.split(/\r?\n/);
		this.program = program;
		this.interp = this.newInterpreter();
		this.emit('breakpointsChanged', this.bps.setProgram(file, this.interp.prog.lines));
		return undefined;
	}

	private newInterpreter(): Interpreter {
		const it: Interpreter = new Interpreter(this.program!, this.source, {
			print: line => { if (!this.quiet) { this.output({ text: line + '\n', category: 'stdout', line: it.loc?.line }); } },
			onFailure: f => { if (!this.quiet) { this.output({ text: `${this.file}:${f.line}:${f.col}: ${f.message}\n`, category: 'stderr', line: f.line, col: f.col }); } },
		});
		this.installFilter(it);
		return it;
	}

	private installFilter(it: Interpreter): void {
		const m = it.machine as Machine & { setEvents?(f: EventFilter): void };
		if (typeof m.setEvents === 'function') { m.setEvents(this.filter); } else { m.k.events = this.filter; }
	}

	private output(o: Output): void { this.emit('output', o); }

	/** Starts (or restarts) the run from the beginning. */
	start(stopOnEntry: boolean, tracePath?: string): void {
		this.runId++;
		this.epoch++;
		this.gen = undefined;
		this.interp = this.newInterpreter();
		this.tt.reset(this.interp);
		this.bps.resetHits();
		this.trace = tracePath ? new TraceRecorder(tracePath) : undefined;
		this.errorReported = false;
		this.expectChecked = -1;
		this.lastPc = -1;
		this.state = 'stopped';
		this.phase = 'arrive';
		this.resume(stopOnEntry ? 'entry' : 'continue');
	}

	/** Where the run is in history: the boundary it is at, or the start of the current statement. */
	get position(): number { return this.gen ? this.interp.steps - 1 : this.interp.steps; }
	get midStatement(): boolean { return this.gen !== undefined; }

	resume(mode: Mode): boolean {
		if (this.state !== 'stopped') { return false; }
		const it = this.interp;
		const stack = it.machine.k.stack;
		this.origin = { mid: this.gen !== undefined, frame: this.gen ? stack[stack.length - 1] : undefined };
		if (mode === 'stepOut' && !this.gen) {
			this.origin.loop = innermostLoop(it, it.pc);
		}
		this.mode = mode;
		it.event = undefined;
		this.stop = undefined;
		this.pauseRequested = false;
		this.state = 'running';
		this.rewatch();
		const id = ++this.runId;
		setImmediate(() => this.slice(id));
		return true;
	}

	/** The event kinds the engine reports while running forward; breakpoints set while running
	 * call this too, so they take effect at once. */
	rewatch(): void {
		if (this.state !== 'running' || this.quiet) { return; }
		const w = new Set<EventKind>(['tick', ...this.bps.kindsWanted()]);
		if (this.mode === 'stepIn' || (this.mode === 'stepOut' && this.origin.frame)) { for (const k of ALL_EVENTS) { w.add(k); } }
		if (this.trace) { for (const k of TRACED) { w.add(k); } }
		this.watch = w;
	}

	pause(): void { if (this.state === 'running') { this.pauseRequested = true; } }

	private halt(info: StopInfo): void {
		this.state = 'stopped';
		this.runId++;
		this.stop = info;
		if (info.event) { this.interp.event = info.event; }
		this.emit('stopped', info);
	}

	/** One time slice of forward execution. */
	private slice(id: number): void {
		if (id !== this.runId || this.state !== 'running') { return; }
		const t0 = performance.now();
		let mark = t0;
		try {
			for (;;) {
				const it = this.interp;
				if (!this.gen) {
					if (this.phase === 'arrive') {
						this.phase = 'leave';
						const now = performance.now();
						this.tt.ran(now - mark);
						mark = now;
						const s = this.arrive(it);
						if (s === 'finish') { return this.finish(); }
						if (s) { return this.halt(s); }
					}
					if (it.done) { return this.finish(); }
					if (this.pauseRequested) { return this.halt({ reason: 'pause' }); }
					const ex = this.checkExpect(it);
					if (ex) { return this.halt(ex); }
					if (performance.now() - t0 > SLICE_MS) { break; }
					if (!this.filterInstalled(it)) { this.installFilter(it); }
					this.lastPc = it.pc;
					this.stmtStart = it.machine.time;
					this.gen = it.step();
				}
				const r = this.gen.next();
				if (r.done) {
					if (this.trace && !this.quiet) { this.trace.statement(it.prog.code[this.lastPc], it.steps, this.stmtStart, it.machine.time); }
					this.gen = undefined;
					this.phase = 'arrive';
					continue;
				}
				const ev = r.value;
				if (ev.kind === 'tick') {
					if (this.pauseRequested) { return this.halt({ reason: 'pause' }); }
					if (performance.now() - t0 > SLICE_MS) { break; }
					continue;
				}
				this.trace?.event(ev, it.steps, it.machine.time);
				const s = this.onEvent(ev, it);
				if (s) { return this.halt(s); }
			}
		} catch (e) {
			this.output({ text: `internal error in the debugger: ${(e as Error).stack ?? e}\n`, category: 'stderr' });
			return this.finish();
		}
		setImmediate(() => this.slice(id));
	}

	private filterInstalled(it: Interpreter): boolean {
		const m = it.machine as Machine & { setEvents?: unknown };
		return typeof m.setEvents === 'function' || m.k.events === this.filter;
	}

	/** Checks at a statement boundary reached by execution: errors, checkpoints, breakpoints, steps. */
	private arrive(it: Interpreter): StopInfo | 'finish' | undefined {
		if (it.error) {
			const e = it.error;
			if (!this.errorReported) {
				this.errorReported = true;
				this.output({ text: `${this.file}:${e.line}:${e.col}: ${e.message}\n`, category: 'stderr', line: e.line, col: e.col });
			}
			if (this.bps.scriptFilter('error', it)) {
				return { reason: 'exception', description: e.message, text: e.message, exception: { id: 'error', description: e.message } };
			}
			return 'finish';
		}
		if (it.done) { return undefined; }
		this.tt.arrive(it);
		const ins = it.instr;
		if (!stoppable(ins)) { return undefined; }
		if (this.mode === 'entry') { return { reason: 'entry' }; }
		const last = it.prog.code[this.lastPc];
		const newLine = !last || last.loc.line !== ins!.loc.line || it.pc <= this.lastPc;
		const ex = this.checkExpect(it);
		if (ex) { return ex; }
		if (newLine) {
			const h = this.bps.lineHit(ins!.loc.line, it);
			if (h?.log) { this.output({ text: h.log + '\n', category: 'console', line: ins!.loc.line }); }
			if (h && h.ids.length > 0) { return { reason: 'breakpoint', hitIds: h.ids, text: h.error, description: h.error }; }
		}
		switch (this.mode) {
			case 'stepIn': return { reason: 'step' };
			case 'next': return newLine ? { reason: 'step' } : undefined;
			case 'stepOut': {
				const l = this.origin.loop;
				if (l) { return it.pc < l[0] || it.pc >= l[1] ? { reason: 'step' } : undefined; }
				return this.origin.mid || newLine ? { reason: 'step' } : undefined;
			}
		}
		return undefined;
	}

	/** 'expect' filter: stop before an expectation that is about to fail, on its own line. */
	private checkExpect(it: Interpreter): StopInfo | undefined {
		const ins = it.instr;
		if (!ins || ins.op !== 'exec' || ins.stmt.kind !== 'expect' || this.expectChecked === it.steps) { return undefined; }
		this.expectChecked = it.steps;
		if (!this.bps.filters.has('expect')) { return undefined; }
		let ok: boolean;
		try { ok = truthy(evaluate(ins.stmt.cond, it), ins.stmt.cond.loc); } catch { return undefined; }
		if (ok || !this.bps.scriptFilter('expect', it)) { return undefined; }
		const text = this.lines[ins.loc.line - 1]?.slice(ins.loc.col - 1).replace(/\s+#.*$/, '').trim() ?? 'expect';
		const description = `expectation fails: ${text}`;
		return { reason: 'exception', description, text: description, exception: { id: 'expect', description } };
	}

	private onEvent(ev: SimEvent, it: Interpreter): StopInfo | undefined {
		if (ev.kind === 'access') {
			const d = this.bps.dataHit(ev, it);
			if (d) {
				const what = describeEvent(ev);
				return { reason: 'data breakpoint', event: ev, hitIds: d.hit.ids, description: `${d.bp.target.description}: ${what}`, text: d.hit.error ?? what };
			}
		} else if (ev.kind === 'call') {
			const h = this.bps.functionHit(ev, it);
			if (h) { return { reason: 'function breakpoint', event: ev, hitIds: h.ids, description: `${ev.fn}`, text: h.error ?? describeEvent(ev) }; }
		} else {
			const f = this.bps.filterHit(ev, it);
			if (f) {
				const description = describeEvent(ev);
				return { reason: 'exception', event: ev, description, text: f.error ?? description, exception: { id: f.id, description } };
			}
		}
		if (this.mode === 'stepIn') { return { reason: 'step', event: ev, description: describeEvent(ev) }; }
		if (this.mode === 'stepOut' && this.origin.frame && !it.machine.k.stack.includes(this.origin.frame)) {
			return { reason: 'step', event: ev, description: describeEvent(ev) };
		}
		return undefined;
	}

	private finish(): void {
		if (this.state === 'ended') { return; }
		this.state = 'ended';
		this.runId++;
		const it = this.interp;
		if (it.error && !this.errorReported) {
			this.errorReported = true;
			this.output({ text: `${this.file}:${it.error.line}:${it.error.col}: ${it.error.message}\n`, category: 'stderr', line: it.error.line });
		}
		const done = it.done;
		this.output({ text: `-- ${it.passed} expectations held, ${it.failed} failed${it.error ? ', run stopped by an error' : done ? '' : ', run terminated'}\n`, category: 'console' });
		const bad = this.trace?.write();
		if (bad) { this.output({ text: bad + '\n', category: 'stderr' }); }
		this.emit('end', it.error ? 2 : it.failed > 0 ? 1 : 0);
	}

	/** Ends the run where it is (terminate / disconnect / restart). */
	terminate(): void {
		this.epoch++;
		if (this.gen) { try { this.gen.return(); } catch { /* the state is being dropped anyway */ } this.gen = undefined; }
		this.finish();
	}

	// ------------------------------------------------------------ time travel

	/** Back to the previous statement boundary (or the start of the current statement). */
	async stepBack(): Promise<void> {
		await this.travel(async (cur, mid) => {
			if (mid) { return { step: cur, info: { reason: 'step' } }; }
			const prev = await this.tt.previousBoundary(cur);
			return prev === undefined ? undefined : { step: prev, info: { reason: 'step' } };
		});
	}

	/** Back to the last earlier boundary where a line breakpoint, or a statement where an event
	 * breakpoint / exception filter, would have stopped; else to the start. Hit counts are not
	 * applied backwards (they count forward hits), and logpoints do not log. */
	async reverseContinue(): Promise<void> {
		await this.travel(async cur => {
			let lastHit = '';
			const found = await this.tt.scanBack(cur, {
				kinds: this.bps.kindsWanted(),
				boundary: (it, lastPc) => {
					const ins = it.instr;
					if (!stoppable(ins) || it.done) { return false; }
					const last = it.prog.code[lastPc];
					if (last && last.loc.line === ins!.loc.line && it.pc > lastPc) { return false; }
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
			return { step: found, info: { reason: 'breakpoint', description: lastHit === 'breakpoint' ? undefined : `reverse: ${lastHit}` } };
		});
	}

	/** Runs a reverse job: find the target step, replay to it, stop there. A pause (or the session
	 * ending) interrupts the replay at some earlier boundary, which is then where it stops. */
	private async travel(find: (cur: number, mid: boolean) => Promise<{ step: number; info: StopInfo } | undefined>): Promise<void> {
		if (this.state !== 'stopped') { return; }
		const cur = this.position;
		const mid = this.gen !== undefined;
		const epoch = this.travelEpoch = this.epoch;
		this.state = 'running';
		this.pauseRequested = false;
		this.interp.event = undefined;
		this.stop = undefined;
		if (this.gen) { try { this.gen.return(); } catch { /* replaced by the replay */ } this.gen = undefined; }
		try {
			const found = await find(cur, mid);
			if (epoch !== this.epoch) { return; }
			if (this.pauseRequested) { return this.landed({ reason: 'pause' }); }
			const target = found ?? { step: cur, info: { reason: 'step' as const } };
			const ok = epoch === this.epoch && await this.tt.replay(target.step);
			if (epoch !== this.epoch) { return; }
			this.landed(ok ? target.info : { reason: 'pause' });
		} catch (e) {
			if (epoch !== this.epoch) { return; }
			this.output({ text: `internal error while travelling back: ${(e as Error).stack ?? e}\n`, category: 'stderr' });
			this.finish();
		}
	}

	/** A reverse job ended at a boundary in the past: forget the abandoned future's traces. */
	private landed(info: StopInfo): void {
		this.trace?.truncate(this.interp.steps);
		this.phase = 'leave';
		this.lastPc = -1;
		this.expectChecked = -1;
		this.errorReported = false;
		this.halt(info);
	}

	// ------------------------------------------------------------ memory writes

	/** writeMemory: a CPU write by process `mm` at a statement boundary, recorded for replay. */
	writeMemory(process: string, addr: number, data: Uint8Array): string | undefined {
		if (this.state !== 'stopped') { return 'memory can be written only while stopped'; }
		if (this.gen) { return 'memory can be written only between statements: step to the end of this one first'; }
		const mm = this.interp.machine.k.procs.get(process);
		if (!mm) { return `no process '${process}'`; }
		const bad = checkWritable(mm, addr, data.length);
		if (bad) { return bad; }
		const e: Edit = { step: this.interp.steps, process, addr, bytes: data.slice() };
		try { this.applyEdit(this.interp, e); } catch (err) { return (err as Error).message; }
		this.tt.addEdit(e);
		return undefined;
	}

	private applyEdit(it: Interpreter, e: Edit): void {
		const mm = it.machine.k.procs.get(e.process);
		if (!mm || checkWritable(mm, e.addr, e.bytes.length)) { return; }
		const g = cpuWriteBytes(it, mm, e.addr, e.bytes);
		while (!g.next().done) { /* the write's events are not breakpoints */ }
	}
}

/** The innermost for/repeat loop whose body holds pc: [header, exit). */
function innermostLoop(it: Interpreter, pc: number): [number, number] | undefined {
	let best: [number, number] | undefined;
	it.prog.code.forEach((ins, i) => {
		if ((ins.op === 'for-init' || ins.op === 'repeat-init') && i < pc && pc < ins.exit && (!best || i > best[0])) { best = [i, ins.exit]; }
	});
	return best;
}
