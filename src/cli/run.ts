// Runs a workload to completion for the CLI, through the driver in time slices, so Ctrl-C and
// --timeout are noticed even inside one long statement.
import { Interpreter, type ExpectResult, type Failure, type RunError } from '../lang/interp';
import type { Program } from '../lang/ast';
import { Driver, type DriverHooks } from '../lang/driver';
import { TRACED, TraceRecorder, type TraceSink } from '../lang/trace';
import { LineProfiler } from '../lang/profile';
import { TimelineRecorder } from '../lang/timeline';
import { replayChooser } from '../lang/explore';
import type { BoundarySwitch } from '../lang/threads';

export interface RunOptions {
	maxSteps?: number;
	timeoutMs?: number;
	/** record a Chrome trace into this sink */
	trace?: TraceSink;
	/** the script's name on the trace's script track */
	scriptName?: string;
	print: (line: string) => void;
	onFailure: (f: Failure) => void;
	/** tests: check the machine's invariants after every statement */
	checkInvariants?: boolean;
	/** charge every statement's time and counters to its line (--profile) */
	profile?: boolean;
	/** record statement spans and residency samples (--timeline) */
	timeline?: boolean;
	/** replay these picks at the threads' switch points (a schedule file of `hmmw explore`) */
	schedule?: string[];
	/** and the debugger's switches at boundaries it holds (a schedule saved from a session) */
	switches?: BoundarySwitch[];
	/** polled between slices; true stops the run (Ctrl-C) */
	interrupted?: () => boolean;
}

export interface RunOutcome {
	interp: Interpreter;
	error?: RunError;
	trace?: TraceRecorder;
	/** every expectation decided, in the order decided */
	expectations: ExpectResult[];
	/** wall-clock time of the run, ms */
	wallMs: number;
	profile?: LineProfiler;
	timeline?: TimelineRecorder;
}

const SLICE_MS = 30;

export function runWorkload(program: Program, source: string, opts: RunOptions): Promise<RunOutcome> {
	const expectations: ExpectResult[] = [];
	const interp = new Interpreter(program, source, { print: opts.print, onFailure: opts.onFailure, onExpect: r => expectations.push(r) });
	const m = interp.machine;
	if (opts.switches?.length) { interp.forcedSwitches = opts.switches; }
	if (opts.schedule) { interp.useSchedule(replayChooser(opts.schedule, [])); }
	const trace = opts.trace ? new TraceRecorder(opts.trace, opts.scriptName) : undefined;
	const profile = opts.profile ? new LineProfiler(() => m) : undefined;
	const timeline = opts.timeline ? new TimelineRecorder(m) : undefined;
	const driver = new Driver(interp, { sliceMs: SLICE_MS, invariants: opts.checkInvariants });
	if (trace) { driver.watch(TRACED); }
	const started = Date.now();
	const hooks: DriverHooks<string> = {
		before: () => opts.maxSteps !== undefined && interp.steps >= opts.maxSteps ? `stopped after --max-steps ${opts.maxSteps} statements` : undefined,
		// statements that cannot pause run in batches until --max-steps (the driver's fast path);
		// a per-statement hook (trace, profile, timeline) turns the fast path off, as it must
		quietUntil: opts.maxSteps ?? Infinity,
		event: ev => { trace?.event(ev, interp.steps, m.time, driver.current?.loc.line); return undefined; },
		tick: timeline ? () => { timeline.tick(); return undefined; } : undefined,
		boundary: !trace && !profile && !timeline ? undefined : span => {
			if (span) {
				trace?.statement(span.ins, span.step, span.startNs, span.endNs, m);
				profile?.statement(span);
				timeline?.statement(span);
			}
			return undefined;
		},
	};

	return new Promise(resolve => {
		const finish = (error?: RunError) => resolve({ interp, error: error ?? interp.error, trace, expectations, wallMs: Date.now() - started, profile, timeline });
		const slice = () => {
			let r;
			try {
				r = driver.run<string>(hooks);
			} catch (e) {
				return finish(stopAt(interp, `internal error: ${(e as Error).message}`));
			}
			switch (r.kind) {
				case 'done': return finish();
				case 'stop': return finish(stopAt(interp, r.stop));
				case 'invariant': return finish(r.error);
			}
			if (opts.interrupted?.()) { return finish(stopAt(interp, 'interrupted (Ctrl-C)')); }
			if (opts.timeoutMs !== undefined && Date.now() - started > opts.timeoutMs) {
				return finish(stopAt(interp, `stopped by --timeout after ${opts.timeoutMs / 1000} s`));
			}
			setImmediate(slice);
		};
		slice();
	});
}

function stopAt(interp: Interpreter, message: string): RunError {
	const loc = interp.loc ?? { line: 1, col: 1 };
	return { line: loc.line, col: loc.col, code: 'stopped', message };
}
