// Test driver for the debug adapter: `node dist/debugAdapter.js` over stdio through
// @vscode/debugadapter-testsupport's DebugClient, with every event buffered so a test never
// misses one that arrived before it started waiting. Every message the adapter sends is checked
// against the DAP JSON schema (schema.ts); a test whose session saw a violation fails.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { schemaViolation } from './schema';

const ROOT = process.cwd();
const ADAPTER = path.join(ROOT, 'dist/debugAdapter.js');
export const fixture = (name: string): string => path.join(ROOT, 'test/debug/fixtures', name);

const EVENTS = ['initialized', 'stopped', 'output', 'terminated', 'exited', 'breakpoint', 'progressStart', 'progressUpdate',
	'progressEnd', 'invalidated', 'memory', 'continued', 'hmmScriptErrors', 'thread'];

export interface LaunchOptions {
	stopOnEntry?: boolean;
	trace?: string;
	/** line breakpoints in the program */
	breakpoints?: DebugProtocol.SourceBreakpoint[];
	functionBreakpoints?: DebugProtocol.FunctionBreakpoint[];
	filters?: string[];
	filterOptions?: DebugProtocol.ExceptionFilterOptions[];
	init?: Partial<DebugProtocol.InitializeRequestArguments>;
	extra?: Record<string, unknown>;
}

export class Session {
	readonly dc = new DebugClient('node', ADAPTER, 'hmm');
	private queues = new Map<string, DebugProtocol.Event[]>();
	private waiters = new Map<string, ((e: DebugProtocol.Event) => void)[]>();
	program = '';
	setBreakpointsResponse?: DebugProtocol.SetBreakpointsResponse;
	capabilities?: DebugProtocol.Capabilities;
	/** messages from the adapter that break the DAP schema */
	readonly violations: string[] = [];

	constructor() {
		const client = this.dc as unknown as { dispatch(body: string): void };
		const dispatch = client.dispatch.bind(client);
		client.dispatch = (body: string) => {
			const v = schemaViolation(JSON.parse(body));
			if (v) { this.violations.push(v); }
			dispatch(body);
		};
		for (const type of EVENTS) {
			this.dc.on(type, (e: DebugProtocol.Event) => {
				const w = this.waiters.get(type);
				if (w && w.length) { w.shift()!(e); return; }
				const q = this.queues.get(type) ?? [];
				q.push(e);
				this.queues.set(type, q);
			});
		}
	}

	async start(): Promise<this> { await this.dc.start(); return this; }
	async stop(): Promise<void> { await this.dc.stop(); }

	/** The next event of a type (buffered ones first). */
	next<T extends DebugProtocol.Event = DebugProtocol.Event>(type: string, timeout = 10000): Promise<T> {
		const q = this.queues.get(type);
		if (q && q.length) { return Promise.resolve(q.shift() as T); }
		return new Promise((resolve, reject) => {
			const timer = setTimeout(() => reject(new Error(`no '${type}' event within ${timeout} ms`)), timeout);
			const list = this.waiters.get(type) ?? [];
			list.push(e => { clearTimeout(timer); resolve(e as T); });
			this.waiters.set(type, list);
		});
	}

	/** Buffered events of a type, consumed. */
	drain(type: string): DebugProtocol.Event[] {
		const q = this.queues.get(type) ?? [];
		this.queues.set(type, []);
		return q;
	}

	async launch(program: string, o: LaunchOptions = {}): Promise<DebugProtocol.LaunchResponse> {
		this.program = program;
		const init = await this.dc.initializeRequest({ adapterID: 'hmm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path', ...o.init });
		this.capabilities = init.body;
		const launched = this.dc.launchRequest({ program, stopOnEntry: o.stopOnEntry, trace: o.trace, ...o.extra } as DebugProtocol.LaunchRequestArguments);
		await Promise.race([this.next('initialized'), launched]);
		if (o.breakpoints) {
			this.setBreakpointsResponse = await this.dc.setBreakpointsRequest({ source: { path: program }, breakpoints: o.breakpoints });
		}
		if (o.functionBreakpoints) { await this.dc.setFunctionBreakpointsRequest({ breakpoints: o.functionBreakpoints }); }
		if (o.filters || o.filterOptions) { await this.dc.setExceptionBreakpointsRequest({ filters: o.filters ?? [], filterOptions: o.filterOptions }); }
		await this.dc.configurationDoneRequest();
		return launched;
	}

	/** Waits for a stop; checks its reason and, if given, the top frame's line. */
	async stopped(reason?: string, line?: number): Promise<DebugProtocol.StoppedEvent['body'] & { frames: DebugProtocol.StackFrame[] }> {
		const ev = await this.next<DebugProtocol.StoppedEvent>('stopped');
		// the stack of the thread that stopped (a script thread of its own, threadsDap.ts)
		const frames = (await this.dc.stackTraceRequest({ threadId: ev.body.threadId ?? 1 })).body.stackFrames;
		if (reason !== undefined) { assert.equal(ev.body.reason, reason, `stop reason (${JSON.stringify(ev.body)}) at ${frames[0]?.name}`); }
		if (line !== undefined) { assert.equal(scriptFrame(frames)?.line, line, `stopped line (frames: ${frames.map(f => `${f.name}:${f.line}`).join(' <- ')})`); }
		return { ...ev.body, frames };
	}

	/** Scopes of the top frame by name. */
	async scopes(frameId?: number): Promise<Map<string, DebugProtocol.Scope>> {
		const id = frameId ?? (await this.dc.stackTraceRequest({ threadId: 1 })).body.stackFrames[0].id;
		const scopes = (await this.dc.scopesRequest({ frameId: id })).body.scopes;
		return new Map(scopes.map(s => [s.name, s]));
	}

	async vars(ref: number, args: Partial<DebugProtocol.VariablesArguments> = {}): Promise<DebugProtocol.Variable[]> {
		return (await this.dc.variablesRequest({ variablesReference: ref, ...args })).body.variables;
	}

	/** Children of a variable by name. */
	async children(ref: number, args: Partial<DebugProtocol.VariablesArguments> = {}): Promise<Map<string, DebugProtocol.Variable>> {
		return new Map((await this.vars(ref, args)).map(v => [v.name, v]));
	}

	/** Follows a path of names from a scope: scope / child / grandchild ... */
	async lookup(scope: string, ...names: string[]): Promise<DebugProtocol.Variable> {
		const s = (await this.scopes()).get(scope);
		assert.ok(s, `no scope ${scope}`);
		let ref = s.variablesReference;
		let v: DebugProtocol.Variable | undefined;
		for (const n of names) {
			const kids = await this.children(ref, { filter: 'named' });
			v = kids.get(n) ?? [...kids.values()].find(k => k.name.startsWith(n));
			assert.ok(v, `no '${n}' among ${[...kids.keys()].join(', ')}`);
			ref = v.variablesReference;
		}
		return v!;
	}

	async evaluate(expression: string, context = 'watch'): Promise<string> {
		return (await this.dc.evaluateRequest({ expression, context, frameId: 1 })).body.result;
	}

	async cont(): Promise<void> { await this.dc.continueRequest({ threadId: 1 }); }
}

export function scriptFrame(frames: DebugProtocol.StackFrame[]): DebugProtocol.StackFrame | undefined {
	return frames.find(f => f.source?.path !== undefined);
}

/** A fresh adapter per test, stopped afterwards even when the test failed. */
export function useSession(): () => Session {
	let s: Session | undefined;
	beforeEach(async () => { s = await new Session().start(); });
	afterEach(async function () {
		const seen = s?.violations ?? [];
		await s?.stop();
		s = undefined;
		// a failed test already says why; a passing one must also have spoken the protocol
		if (this.currentTest?.state === 'passed') { assert.deepEqual(seen, [], 'messages that break the DAP schema'); }
	});
	return () => s!;
}
