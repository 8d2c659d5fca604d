// Runs a workload to completion for the CLI: in time slices, so Ctrl-C and --timeout are noticed
// even inside one long statement (the engine offers 'tick' events in its long loops).
import { Interpreter, type Failure, type RunError } from '../lang/interp';
import type { Program } from '../lang/ast';
import type { EventKind, SimEvent } from '../engine/sim/events';
import type { Machine } from '../engine/machine';
import { checkInvariants, contentChecksum } from '../engine/sim/invariants';

export interface RunOptions {
	maxSteps?: number;
	timeoutMs?: number;
	trace?: boolean;
	print: (line: string) => void;
	onFailure: (f: Failure) => void;
	/** tests: check the machine's invariants after every statement */
	checkInvariants?: boolean;
	/** polled between slices; true stops the run (Ctrl-C) */
	interrupted?: () => boolean;
}

export interface TraceEvent { name: string; cat: string; ph: 'X' | 'i'; ts: number; dur?: number; pid: number; tid: number; s?: string; args?: object }

export interface RunOutcome {
	interp: Interpreter;
	error?: RunError;
	trace: TraceEvent[];
	traceDropped: number;
}

const SLICE_MS = 30;
const TRACE_LIMIT = 200_000;
const TRACED: EventKind[] = ['page-fault', 'cpu-fault', 'device-fault', 'migration', 'eviction', 'invalidation'];

export function runWorkload(program: Program, source: string, opts: RunOptions): Promise<RunOutcome> {
	const interp = new Interpreter(program, source, { print: opts.print, onFailure: opts.onFailure });
	const m: Machine = interp.machine;
	const trace: TraceEvent[] = [];
	let dropped = 0;
	const watch = new Set<EventKind>(['tick', ...(opts.trace ? TRACED : [])]);
	const started = Date.now();
	const filter = { wants: (k: EventKind) => watch.has(k) };

	const record = (ev: SimEvent) => {
		if (ev.kind === 'tick') { return; }
		if (trace.length >= TRACE_LIMIT) { dropped++; return; }
		trace.push({
			name: ev.kind, cat: ev.kind, ph: 'i', s: 't', ts: m.time / 1000, pid: 1, tid: ev.device ? 2 : 1,
			args: { addr: '0x' + ev.addr.toString(16), npages: ev.npages, device: ev.device, process: ev.process, write: ev.write, detail: ev.detail },
		});
	};

	return new Promise(resolve => {
		let gen: ReturnType<Interpreter['step']> | undefined;
		let stmtStart = 0;
		let stmtIns = interp.instr;
		let sumBefore: number | undefined;
		const finish = (error?: RunError) => resolve({ interp, error: error ?? interp.error, trace, traceDropped: dropped });
		const slice = () => {
			// the kernel may be replaced by `system`, so the filter is installed on every slice
			const t0 = Date.now();
			try {
				while (!interp.done || gen) {
					m.k.events = filter;
					if (!gen) {
						if (opts.maxSteps !== undefined && interp.steps >= opts.maxSteps) {
							return finish(stopAt(interp, `stopped after --max-steps ${opts.maxSteps} statements`));
						}
						stmtStart = m.time;
						stmtIns = interp.instr;
						sumBefore = opts.checkInvariants && preserves(stmtIns) ? contentChecksum(m.k) : undefined;
						gen = interp.step();
					}
					let r = gen.next();
					while (!r.done) {
						if (opts.trace) { record(r.value); }
						if (r.value.kind === 'tick' && Date.now() - t0 > SLICE_MS) { break; }
						r = gen.next();
					}
					if (!r.done) { break; }
					gen = undefined;
					if (opts.checkInvariants) {
						const bad = verify(m, stmtIns, sumBefore);
						if (bad) { return finish(bad); }
					}
					if (opts.trace) { traceStatement(stmtIns, trace, stmtStart, m.time); }
					if (Date.now() - t0 > SLICE_MS) { break; }
				}
			} catch (e) {
				return finish(stopAt(interp, `internal error: ${(e as Error).message}`));
			}
			if (interp.done && !gen) { return finish(); }
			if (opts.interrupted?.()) { return finish(stopAt(interp, 'interrupted (Ctrl-C)')); }
			if (opts.timeoutMs !== undefined && Date.now() - started > opts.timeoutMs) {
				return finish(stopAt(interp, `stopped by --timeout after ${opts.timeoutMs / 1000} s`));
			}
			setImmediate(slice);
		};
		slice();
	});
}

/** Statements that move pages or change permissions but must never change what a process reads. */
const PRESERVING = new Set(['mirror', 'unmirror', 'migrate', 'exclusive', 'release', 'snapshot', 'mprotect', 'unpin']);

function preserves(ins: Interpreter['instr']): boolean {
	if (!ins || ins.op !== 'exec') { return false; }
	return PRESERVING.has(ins.stmt.kind) || (ins.stmt.kind === 'madvise' && ins.stmt.advice !== 'dontneed' && ins.stmt.advice !== 'free');
}

function verify(m: Machine, ins: Interpreter['instr'], before: number | undefined): RunError | undefined {
	const loc = ins?.loc ?? { line: 1, col: 1 };
	const bad = checkInvariants(m.k);
	if (before !== undefined && contentChecksum(m.k) !== before) { bad.push('the statement changed page contents that it must only move'); }
	if (bad.length === 0) { return undefined; }
	const more = bad.length > 8 ? ` (and ${bad.length - 8} more)` : '';
	return { line: loc.line, col: loc.col, code: 'invariant', message: `invariant violated after this statement: ${bad.slice(0, 8).join('; ')}${more}` };
}

function stopAt(interp: Interpreter, message: string): RunError {
	const loc = interp.loc ?? { line: 1, col: 1 };
	return { line: loc.line, col: loc.col, code: 'stopped', message };
}

function traceStatement(prev: Interpreter['instr'], trace: TraceEvent[], start: number, end: number): void {
	if (trace.length >= TRACE_LIMIT || !prev || prev.op !== 'exec') { return; }
	trace.push({ name: `${prev.stmt.kind} (line ${prev.loc.line})`, cat: 'statement', ph: 'X', ts: start / 1000, dur: Math.max(0.001, (end - start) / 1000), pid: 1, tid: 0 });
}
