// The DAP side of the debugger: translates requests into HmmRuntime calls and runtime events into
// DAP events. It holds no simulation logic. Every request gets a response, errors included, and
// nothing a client sends can make the adapter exit: frames are read by transport.ts, requests are
// checked by validate.ts before any handler, and handlers run inside guard().
import * as path from 'node:path';
import {
	BreakpointEvent, ContinuedEvent, Event, ExitedEvent, InitializedEvent, InvalidatedEvent, MemoryEvent, OutputEvent, StoppedEvent, TerminatedEvent, ThreadEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { HmmRuntime, type Mode, type Output, type StopInfo } from './runtime';
import type { LineBreakpoint } from './breakpoints';
import { VariableStore } from './variables';
import { Inspector } from './inspect';
import { completions, evaluateRequest, isStatement } from './evaluate';
import { time } from './describe';
import { capabilities } from './capabilities';
import { exceptionInfo, outputEvent, scopes, stackFrames } from './frames';
import { dataBreakpointInfo, readMemory, writeMemory } from './memoryRequests';
import { PAGE_WATCH_REQUESTS, pageWatches, pageWatchRequest } from './pageWatch';
import { ResidencyHistory } from './residency';
import { PANEL_READS, panelRequest, timelineGotoArgs } from './panelRequests';
import { Progress } from './progress';
import { CheckedSession } from './checkedSession';
import { traceProblem } from '../cli/scriptFile';
import type { Diagnostic } from '../lang/ast';
import { formatDiagnostic } from '../lang/diagnostics';
import { profileBody } from './profile';
import { otherThreadFrames, scheduleFile, stoppedThread, switchThread, threadList } from './threadsDap';
import { readScheduleFile, threadNamesOf } from './threadReplay';

export interface LaunchArgs extends DebugProtocol.LaunchRequestArguments { program?: string; stopOnEntry?: boolean; trace?: string; maxScriptSize?: number; schedule?: string }

const THREAD = 1;
const CONFIG_WAIT_MS = 5000;

export class HmmDebugSession extends CheckedSession {
	readonly rt = new HmmRuntime();
	readonly vs = new VariableStore(this.rt);
	readonly inspector: Inspector;
	private client: DebugProtocol.InitializeRequestArguments = { adapterID: 'hmm' };
	private configDone!: () => void;
	private readonly configured = new Promise<void>(resolve => { this.configDone = resolve; });
	private launchArgs: LaunchArgs = {};
	private readonly progress = new Progress(e => this.sendEvent(e), () => {
		if (!this.rt.busy) { return undefined; }
		const it = this.rt.interp;
		return `line ${it.loc?.line ?? '-'}, ${it.steps} steps, simulated time ${it.machine.time} ns`;
	});
	/** terminate or disconnect came: a launch still waiting for configurationDone must not start */
	private ended = false;
	/** stops so far, and the page locations the residency panel saw at the previous one */
	private stopSeq = 0;
	private readonly residencyHistory = new ResidencyHistory();

	constructor() {
		super();
		this.setDebuggerLinesStartAt1(true);
		this.setDebuggerColumnsStartAt1(true);
		this.inspector = new Inspector(this.vs, addr => this.vs.rangeNameAt(addr));
		this.rt.on('stopped', (s: StopInfo) => this.onStopped(s));
		this.rt.on('output', (o: Output) => this.onOutput(o));
		this.rt.on('end', (code: number) => {
			this.progress.end();
			if (this.rt.profile) { this.sendEvent(new Event('hmm.profile', profileBody(this.rt.file, this.rt.profile.result(), this.rt.profileComplete))); }
			this.sendEvent(new ExitedEvent(code));
			this.sendEvent(new TerminatedEvent());
		});
		this.rt.on('thread', (e: { reason: string; threadId: number }) => this.sendEvent(new ThreadEvent(e.reason, e.threadId)));
		this.rt.on('breakpointsChanged', (list: LineBreakpoint[]) => {
			for (const bp of list) { this.sendEvent(new BreakpointEvent('changed', this.lineBp(bp))); }
		});
	}

	// ------------------------------------------------------------ plumbing

	private needProgram(response: DebugProtocol.Response): boolean {
		if (this.rt.program) { return true; }
		this.fail(response, 'no workload is loaded: launch one first');
		return false;
	}

	private needStopped(response: DebugProtocol.Response): boolean {
		if (!this.needProgram(response)) { return false; }
		if (this.rt.state === 'stopped') { return true; }
		this.fail(response, this.rt.state === 'ended' ? 'the workload has ended' : 'the workload is running: pause it first');
		return false;
	}

	private onStopped(s: StopInfo): void {
		this.stopSeq++;
		this.progress.end();
		this.vs.reset();
		const ev = new StoppedEvent(s.reason, stoppedThread(this.rt.program && this.rt.interp), s.text) as DebugProtocol.StoppedEvent;
		ev.body.description = s.description;
		ev.body.allThreadsStopped = true;
		if (s.hitIds?.length) { ev.body.hitBreakpointIds = s.hitIds; }
		this.sendEvent(ev);
	}

	private onOutput(o: Output): void { this.sendEvent(outputEvent(o, this.rt.file)); }

	private lineBp(bp: LineBreakpoint): DebugProtocol.Breakpoint {
		return { id: bp.id, verified: bp.verified, line: bp.line, message: bp.message, source: this.rt.file ? { path: this.rt.file, name: path.basename(this.rt.file) } : undefined };
	}

	// ------------------------------------------------------------ lifecycle

	protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
		this.client = args;
		response.body = { ...response.body, ...capabilities() };
		this.sendResponse(response);
	}

	protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
		this.configDone();
		this.sendResponse(response);
	}

	/** Reads and compiles the program. A launch configuration problem (no program, unreadable,
	 * too big, bad trace path) fails the request, and VS Code rightly points at launch.json. A
	 * script that does not compile is not a configuration problem: see scriptErrors. */
	private loadProgram(response: DebugProtocol.Response, args: LaunchArgs): 'ok' | 'failed' | 'script' {
		const trace = args.trace !== undefined ? traceProblem(args.trace) : undefined;
		if (trace) { this.fail(response, trace, true); return 'failed'; }
		const bad = this.rt.loadFile(args.program, args.maxScriptSize);
		if (bad?.script) { this.scriptErrors(response, bad.script.file, bad.script.errors); return 'script'; }
		if (bad) {
			for (const d of bad.diagnostics) { this.sendEvent(new OutputEvent(d + '\n', 'stderr')); }
			this.fail(response, bad.error, true);
			return 'failed';
		}
		const schedule = args.schedule === undefined ? undefined : readScheduleFile(args.schedule, this.rt.file, threadNamesOf(this.rt.interp));
		if (typeof schedule === 'string') { this.fail(response, schedule, true); return 'failed'; }
		this.rt.threadReplay.schedule = schedule;
		this.launchArgs = args;
		return 'ok';
	}

	/** A script with errors is run the way a compiler runs it: the request succeeds, each error
	 * goes to the Debug Console as `file:line:col: message` linked to its place, the
	 * `hmmScriptErrors` event lets the extension show them in Problems, and the session ends
	 * (exit code 2, as `hmmw run`). No error response, so no modal pointing at launch.json. */
	private scriptErrors(response: DebugProtocol.Response, file: string, errors: Diagnostic[]): void {
		for (const d of errors) { this.sendEvent(outputEvent({ text: formatDiagnostic(d) + '\n', category: 'stderr', line: d.line, col: d.col }, file)); }
		this.sendEvent(new Event('hmmScriptErrors', { program: file, errors: errors.map(d => ({ line: d.line, col: d.col, message: d.message })) }));
		this.sendResponse(response);
		this.ended = true;
		this.configDone();
		// a restart into a broken script ends the run it replaces
		if (this.rt.program && this.rt.state !== 'ended' && this.rt.state !== 'idle') { this.rt.terminate(); return; }
		this.sendEvent(new ExitedEvent(2));
		this.sendEvent(new TerminatedEvent());
	}

	protected override launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArgs): void {
		this.guard(response, async () => {
			args ??= {};
			this.ended = false;
			if (this.loadProgram(response, args) !== 'ok') { return; }
			// configuration requests may come now that breakpoints can be placed on the program
			this.sendEvent(new InitializedEvent());
			let timer: NodeJS.Timeout | undefined;
			await Promise.race([this.configured, new Promise(r => { timer = setTimeout(r, CONFIG_WAIT_MS); })]);
			clearTimeout(timer);
			this.sendResponse(response);
			if (this.ended) { return; }
			this.run(() => this.rt.start(!!args.stopOnEntry, args.trace));
		});
	}

	protected override restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): void {
		this.guard(response, () => {
			const next = { ...this.launchArgs, ...(args?.arguments as LaunchArgs | undefined ?? {}) };
			this.ended = false;
			if (this.rt.busy) { this.rt.pause(); }
			if (this.loadProgram(response, next) !== 'ok') { return; }
			this.sendResponse(response);
			this.residencyHistory.clear();
			this.run(() => this.rt.start(!!next.stopOnEntry, next.trace));
		});
	}

	protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
		this.guard(response, () => {
			this.ended = true;
			// a launch still waiting for configurationDone answers now, before the session ends
			this.configDone();
			if (this.rt.program && this.rt.state !== 'ended' && this.rt.state !== 'idle') { this.rt.terminate(); } else if (this.rt.state !== 'ended') { this.sendEvent(new TerminatedEvent()); }
			this.sendResponse(response);
		});
	}

	protected override disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments, request?: DebugProtocol.Request): void {
		this.guard(response, () => {
			this.progress.end();
			this.ended = true;
			this.configDone();
			if (this.rt.program && this.rt.state !== 'ended' && this.rt.state !== 'idle') { this.rt.removeAllListeners('end'); this.rt.terminate(); }
			super.disconnectRequest(response, args, request);
		});
	}

	// ------------------------------------------------------------ execution

	/** Starts a forward or reverse run; progress reporting follows it if it is still going once
	 * started (a step most often ends in its first slice, before this returns: it has nothing to
	 * report, and arming the progress timer would cost more than the step). */
	private run(go: () => unknown): void {
		this.vs.reset();
		this.progress.end();
		void go();
		if (this.rt.busy) { this.progress.start(!!this.client.supportsProgressReporting); }
	}

	private resume(response: DebugProtocol.Response, mode: Mode, args?: { threadId?: number; singleThread?: boolean }): void {
		this.guard(response, () => {
			if (!this.needStopped(response)) { return; }
			const single = !!args?.singleThread && threadList(this.rt.interp).length > 1;
			if (mode === 'continue') {
				(response as DebugProtocol.ContinueResponse).body = { allThreadsContinued: !single };
				// answered at once, before the run's first slice: what the run reports comes after
				this.sendResponse(response);
				this.flushOutput();
				this.run(() => this.rt.resume(mode, args?.threadId, single));
				return;
			}
			// a step's response is queued, then its first slice runs at once: a step that ends in it
			// is answered with the response and the stopped event, in that order, in one write
			// (transport.ts), with no turn of the event loop in between
			this.sendResponse(response);
			this.run(() => this.rt.resume(mode, args?.threadId, single, true));
		});
	}

	protected override continueRequest(r: DebugProtocol.ContinueResponse, a: DebugProtocol.ContinueArguments): void { this.resume(r, 'continue', a); }
	protected override nextRequest(r: DebugProtocol.NextResponse, a: DebugProtocol.NextArguments): void { this.resume(r, 'next', a); }
	protected override stepInRequest(r: DebugProtocol.StepInResponse, a: DebugProtocol.StepInArguments): void { this.resume(r, 'stepIn', a); }
	protected override stepOutRequest(r: DebugProtocol.StepOutResponse, a: DebugProtocol.StepOutArguments): void { this.resume(r, 'stepOut', a); }

	private reverse(response: DebugProtocol.Response, how: 'back' | 'continue'): void {
		this.guard(response, () => {
			if (!this.needStopped(response)) { return; }
			this.sendResponse(response);
			this.run(() => (how === 'back' ? this.rt.stepBack() : this.rt.reverseContinue()));
		});
	}

	protected override stepBackRequest(r: DebugProtocol.StepBackResponse): void { this.reverse(r, 'back'); }
	protected override reverseContinueRequest(r: DebugProtocol.ReverseContinueResponse): void { this.reverse(r, 'continue'); }

	protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
		this.guard(response, () => { this.rt.pause(); this.sendResponse(response); });
	}

	protected override cancelRequest(response: DebugProtocol.CancelResponse, args: DebugProtocol.CancelArguments): void {
		this.guard(response, () => {
			if (args.progressId !== undefined && args.progressId === this.progress.id) { this.rt.pause(); }
			this.sendResponse(response);
		});
	}

	// ------------------------------------------------------------ breakpoints

	protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
		this.guard(response, () => {
			const file = args.source.path ? path.resolve(args.source.path) : `<source ${args.source.sourceReference ?? '?'}>`;
			const specs = args.breakpoints ?? (args.lines ?? []).map(line => ({ line }));
			const list = this.rt.bps.setLineBreakpoints(file, specs);
			response.body = { breakpoints: list.map(bp => ({ ...this.lineBp(bp), source: args.source })) };
			this.sendResponse(response);
		});
	}

	protected override breakpointLocationsRequest(response: DebugProtocol.BreakpointLocationsResponse, args: DebugProtocol.BreakpointLocationsArguments): void {
		this.guard(response, () => {
			const lines = this.rt.program && args.source.path && path.resolve(args.source.path) === this.rt.file ? this.rt.interp.prog.lines : [];
			response.body = { breakpoints: lines.filter(l => l >= args.line && l <= (args.endLine ?? args.line)).map(line => ({ line })) };
			this.sendResponse(response);
		});
	}

	protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
		this.guard(response, () => {
			const list = this.rt.bps.setFunctionBreakpoints(args.breakpoints ?? []);
			this.rt.rewatch();
			response.body = { breakpoints: list.map(bp => ({ id: bp.id, verified: bp.verified, message: bp.message })) };
			this.sendResponse(response);
		});
	}

	protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
		this.guard(response, () => {
			const list = this.rt.bps.setFilters(args.filters ?? [], args.filterOptions ?? []);
			this.rt.rewatch();
			response.body = { breakpoints: list };
			this.sendResponse(response);
		});
	}

	protected override dataBreakpointInfoRequest(response: DebugProtocol.DataBreakpointInfoResponse, args: DebugProtocol.DataBreakpointInfoArguments): void {
		this.guard(response, () => {
			response.body = this.rt.program ? dataBreakpointInfo(this.vs, this.rt.interp, args) : { dataId: null, description: 'no workload is loaded' };
			this.sendResponse(response);
		});
	}

	protected override setDataBreakpointsRequest(response: DebugProtocol.SetDataBreakpointsResponse, args: DebugProtocol.SetDataBreakpointsArguments): void {
		this.guard(response, () => {
			const list = this.rt.bps.setDataBreakpoints(args.breakpoints ?? []);
			this.rt.rewatch();
			response.body = { breakpoints: list.map(bp => ({ id: bp.id, verified: bp.verified, message: bp.message })) };
			this.sendResponse(response);
		});
	}

	protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
		this.guard(response, () => {
			const body = exceptionInfo(this.rt);
			if (!body) { return this.fail(response, 'not stopped on an exception'); }
			response.body = body;
			this.sendResponse(response);
		});
	}

	// ------------------------------------------------------------ inspection

	protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
		response.body = { threads: threadList(this.rt.program && this.rt.state !== 'ended' ? this.rt.interp : undefined) };
		this.sendResponse(response);
	}

	protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
		this.guard(response, () => {
			const live = this.rt.program && this.rt.state !== 'ended';
			const frames = live ? otherThreadFrames(this.rt.interp, this.rt.file, this.rt.lines, args.threadId) ?? stackFrames(this.rt) : [];
			const start = args.startFrame ?? 0;
			const levels = args.levels || frames.length;
			response.body = { stackFrames: frames.slice(start, start + levels), totalFrames: frames.length };
			this.sendResponse(response);
		});
	}

	protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
		this.guard(response, () => {
			if (!this.needProgram(response)) { return; }
			response.body = { scopes: scopes(this.rt, this.vs, this.inspector, args.frameId) };
			this.sendResponse(response);
		});
	}

	protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
		this.guard(response, () => {
			const saved = this.vs.hex;
			this.vs.hex = saved || !!args.format?.hex;
			try {
				const r = this.vs.list(args.variablesReference, args.filter, args.start, args.count);
				if (typeof r === 'string') { return this.fail(response, r); }
				response.body = { variables: r };
				this.sendResponse(response);
			} finally {
				this.vs.hex = saved;
			}
		});
	}

	protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
		this.guard(response, () => {
			if (!this.needProgram(response)) { return; }
			if (args.context === 'repl' && typeof args.expression === 'string' && isStatement(args.expression)) { return this.consoleStatement(response, args.expression); }
			const r = evaluateRequest(args.expression, this.rt.interp, this.vs, this.vs.hex || !!args.format?.hex, name => this.inspector.named(name));
			if (typeof r === 'string') { return this.fail(response, r); }
			response.body = r;
			this.sendResponse(response);
		});
	}

	/** A statement typed in the Debug Console: it runs on the machine at this stop, is marked in
	 * the output, recorded in history (step back undoes it), and every view is refreshed. */
	private consoleStatement(response: DebugProtocol.EvaluateResponse, text: string): void {
		if (!this.needStopped(response)) { return; }
		const m = this.rt.interp.machine;
		const t0 = m.time;
		const err = this.rt.consoleStatement(text);
		if (err) { return this.fail(response, err); }
		const dt = m.time - t0;
		const last = m.last;
		response.body = {
			result: `ran at step ${this.rt.interp.steps}: +${time(dt)} simulated${last.error === 'none' ? `, last.cpages = ${last.cpages}` : ''}`,
			variablesReference: 0,
		};
		this.sendResponse(response);
		this.sendEvent(new OutputEvent(`▶ ${text.trim()}   (console statement at step ${this.rt.interp.steps}; step back to undo)\n`, 'console'));
		// the machine changed under the stop: views refetch, and a stop event makes VS Code and the
		// residency panel redraw at the same position
		this.onStopped({ reason: 'step', description: `after the console statement \`${text.trim()}\``, text: `console: ${text.trim()}` });
	}

	protected override completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
		this.guard(response, () => {
			response.body = { targets: completions(args.text, args.column, this.rt.program ? this.rt.interp : undefined) };
			this.sendResponse(response);
		});
	}

	protected override readMemoryRequest(response: DebugProtocol.ReadMemoryResponse, args: DebugProtocol.ReadMemoryArguments): void {
		this.guard(response, () => {
			if (!this.needProgram(response)) { return; }
			const r = readMemory(this.rt.interp.machine.view, args);
			if (typeof r === 'string') { return this.fail(response, r); }
			response.body = r;
			this.sendResponse(response);
		});
	}

	protected override writeMemoryRequest(response: DebugProtocol.WriteMemoryResponse, args: DebugProtocol.WriteMemoryArguments): void {
		this.guard(response, () => {
			if (!this.needStopped(response)) { return; }
			const r = writeMemory(this.rt, args);
			if (typeof r === 'string') { return this.fail(response, r); }
			response.body = { bytesWritten: r.count };
			this.sendResponse(response);
			// nothing written, nothing changed: no memory event
			if (r.count === 0) { return; }
			this.sendEvent(new MemoryEvent(args.memoryReference, args.offset ?? 0, r.count));
			this.vs.reset();
			this.sendEvent(new InvalidatedEvent(['variables']));
		});
	}

	protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
		this.guard(response, () => {
			switch (command) {
				case 'toggleFormatting':
					this.vs.hex = !this.vs.hex;
					response.body = { hex: this.vs.hex };
					this.sendResponse(response);
					this.sendEvent(new InvalidatedEvent(['variables']));
					return;
				case 'processes':
					response.body = { processes: this.rt.program ? this.rt.interp.machine.view.processes().map(p => ({ name: p.name, pid: p.pid, alive: p.alive })) : [] };
					this.sendResponse(response);
					return;
				case 'profile':
					if (!this.rt.profile) { return this.fail(response, 'no run yet'); }
					response.body = profileBody(this.rt.file, this.rt.profile.result(), this.rt.profileComplete);
					this.sendResponse(response);
					return;
				case 'switchThread': {
					// "switch thread here": the next switch point runs this thread (threadsDap.ts)
					if (!this.needStopped(response)) { return; }
					const r = switchThread(this.rt.interp, (args as { threadId: number }).threadId);
					if (typeof r === 'string') { return this.fail(response, r); }
					response.body = r;
					this.sendResponse(response);
					this.sendEvent(new OutputEvent(`${r.message}\n`, 'console'));
					return;
				}
				case 'schedule':
					if (!this.needProgram(response)) { return; }
					response.body = scheduleFile(this.rt.interp, this.rt.file, this.rt.failures);
					this.sendResponse(response);
					return;
				case 'timelineGoto': {
					// a click on a timeline event: time travel to the event itself (inside the statement
					// that raised it), or to the statement's start for a per-statement count
					if (!this.needStopped(response)) { return; }
					const g = timelineGotoArgs(args);
					if (typeof g === 'string') { return this.fail(response, g); }
					this.sendResponse(response);
					// the thread runs (a replay) on a request the client did not see as a step: say so, so
					// that the stop that follows is shown as a new one, with its description
					this.sendEvent(new ContinuedEvent(THREAD, true));
					this.run(() => (g.nth >= 0 ? this.rt.goToEvent(g.step, g.nth, g.label) : this.rt.goToStep(g.step, `timeline: before ${g.label}`)));
					return;
				}
			}
			if (PAGE_WATCH_REQUESTS.includes(command)) {
				if (!this.needProgram(response)) { return; }
				const r = pageWatchRequest(command, args, this.rt.bps, this.rt.interp.machine.view);
				if (typeof r === 'string') { return this.fail(response, r); }
				this.rt.rewatch();
				response.body = r;
				this.sendResponse(response);
				return;
			}
			if (PANEL_READS.includes(command)) {
				if (!this.needProgram(response)) { return; }
				const m = this.rt.interp.machine;
				const r = panelRequest(command, args, {
					view: m.view, timeline: this.rt.timeline, time: m.time, history: this.residencyHistory, stop: this.stopSeq, varName: addr => this.vs.rangeNameAt(addr),
				});
				if (typeof r === 'string') { return this.fail(response, r); }
				// the panel draws and lists its page watches with the map
				response.body = command === 'residency' ? { ...r, watches: pageWatches(this.rt.bps, (r as { process: string }).process) } : r;
				this.sendResponse(response);
				return;
			}
			this.fail(response, `unknown request '${command}'`);
		});
	}
}
