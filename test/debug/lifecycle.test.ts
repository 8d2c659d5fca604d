// Adapter lifecycle over DAP: capabilities, launch (and its errors), the configurationDone
// handshake, running to the end, output, terminate, restart, disconnect, the trace file, and
// robustness against bad requests.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, scriptFrame, useSession } from './helpers';

describe('debug adapter: lifecycle', function () {
	this.timeout(20000);
	const s = useSession();

	it('announces its capabilities, with the exception filters by their exact ids', async () => {
		const caps = (await s().dc.initializeRequest()).body!;
		const filters = caps.exceptionBreakpointFilters!;
		assert.deepEqual(filters.map(f => f.filter), ['cpu-fault', 'device-fault', 'fault-batch', 'migration', 'prefetch', 'thrashing', 'eviction', 'invalidation', 'page-fault', 'error', 'expect']);
		assert.deepEqual(filters.filter(f => f.default).map(f => f.filter), ['error', 'expect']);
		assert.ok(filters.every(f => f.supportsCondition), 'every filter takes a condition');
		for (const cap of ['supportsConfigurationDoneRequest', 'supportsConditionalBreakpoints', 'supportsHitConditionalBreakpoints', 'supportsLogPoints',
			'supportsFunctionBreakpoints', 'supportsExceptionFilterOptions', 'supportsExceptionInfoRequest', 'supportsDataBreakpoints', 'supportsStepBack',
			'supportsRestartRequest', 'supportsTerminateRequest', 'supportsReadMemoryRequest', 'supportsWriteMemoryRequest', 'supportsCompletionsRequest',
			'supportsEvaluateForHovers', 'supportsCancelRequest'] as const) {
			assert.equal(caps[cap], true, cap);
		}
	});

	it('stops on entry at the first statement, on thread 1 "workload"', async () => {
		const prog = fixture('basic.hmmw');
		await s().launch(prog, { stopOnEntry: true });
		const stop = await s().stopped('entry', 2);
		assert.equal(stop.threadId, 1);
		assert.equal(stop.frames.length, 1, 'only the script frame between statements');
		assert.equal(stop.frames[0].source?.path, prog);
		assert.match(stop.frames[0].name, /device gpu/);
		const threads = (await s().dc.threadsRequest()).body.threads;
		assert.deepEqual(threads, [{ id: 1, name: 'workload' }]);
	});

	it('runs to the end: print output, failures on stderr, exit code, terminated', async () => {
		await s().launch(fixture('basic.hmmw'));
		const exited = await s().next<DebugProtocol.ExitedEvent>('exited');
		assert.equal(exited.body.exitCode, 0);
		await s().next('terminated');
		const out = s().drain('output').map(e => (e as DebugProtocol.OutputEvent).body);
		const stdout = out.filter(o => o.category === 'stdout').map(o => o.output).join('');
		assert.equal(stdout, 'wrote 4 pages\ndone 8\n');
		assert.equal(out.find(o => o.output.startsWith('wrote'))?.line, 9, 'print output carries its line');
	});

	it('rejects a launch without a program or with an unreadable one (a launch.json problem)', async () => {
		await s().dc.initializeRequest();
		await assert.rejects(s().dc.launchRequest({} as DebugProtocol.LaunchRequestArguments), /"program"/);
		await assert.rejects(s().dc.launchRequest({ program: fixture('no-such-file.hmmw') } as DebugProtocol.LaunchRequestArguments), /cannot read program .*ENOENT/);
		// the adapter is still there and answers
		assert.equal((await s().dc.threadsRequest()).body.threads.length, 1);
	});

	it('a script with errors launches, reports each error located and linked, then ends (no error response)', async () => {
		await s().dc.initializeRequest();
		const bad = fixture('syntax.hmmw');
		const r = await s().dc.launchRequest({ program: bad } as DebugProtocol.LaunchRequestArguments);
		assert.equal(r.success, true, 'an error response would make VS Code open its launch.json modal');
		assert.equal((await s().next<DebugProtocol.ExitedEvent>('exited')).body.exitCode, 2);
		await s().next('terminated');
		const errs = s().drain('output').map(e => (e as DebugProtocol.OutputEvent).body).filter(o => o.category === 'stderr');
		assert.deepEqual(errs.map(o => o.output), [`${bad}:3:15: expected an expression, found '='\n`, `${bad}:4:5: expected an expression, found end of line\n`]);
		// each carries its place, so the Debug Console links it to the script
		assert.deepEqual(errs.map(o => [o.source?.path, o.line, o.column]), [[bad, 3, 15], [bad, 4, 5]]);
		// the extension puts them in Problems from this event
		const ev = await s().next('hmmScriptErrors');
		assert.deepEqual(ev.body, { program: bad, errors: [{ line: 3, col: 15, message: "expected an expression, found '='" }, { line: 4, col: 5, message: 'expected an expression, found end of line' }] });
		assert.equal(s().drain('initialized').length, 0, 'no configuration phase for a script that cannot run');
		// the adapter still answers, and a good program launches on it afterwards
		assert.equal((await s().dc.threadsRequest()).body.threads.length, 1);
		const launched = s().dc.launchRequest({ program: fixture('basic.hmmw'), stopOnEntry: true } as DebugProtocol.LaunchRequestArguments);
		await s().next('initialized');
		await s().dc.configurationDoneRequest();
		await launched;
		await s().stopped('entry', 2);
	});

	it('a restart into a script that no longer compiles ends the session with the errors', async () => {
		await s().launch(fixture('basic.hmmw'), { stopOnEntry: true });
		await s().stopped('entry', 2);
		const r = await s().dc.restartRequest({ arguments: { program: fixture('syntax.hmmw') } as DebugProtocol.LaunchRequestArguments });
		assert.equal(r.success, true);
		await s().next('terminated');
		assert.equal((await s().next('hmmScriptErrors')).body.errors.length, 2);
	});

	it('waits for configurationDone: breakpoints set after "initialized" are honoured', async () => {
		const prog = fixture('basic.hmmw');
		await s().launch(prog, { breakpoints: [{ line: 13 }] });
		await s().stopped('breakpoint', 13);
	});

	it('terminate ends the session (terminated event), disconnect is always answered', async () => {
		await s().launch(fixture('basic.hmmw'), { stopOnEntry: true });
		await s().stopped('entry');
		await s().dc.terminateRequest();
		await s().next('terminated');
		await s().dc.disconnectRequest({});
	});

	it('answers disconnect before any launch', async () => {
		await s().dc.initializeRequest();
		await s().dc.disconnectRequest({});
	});

	it('restarts in place: back at the entry with a fresh machine', async () => {
		await s().launch(fixture('basic.hmmw'), { stopOnEntry: true, breakpoints: [{ line: 13 }] });
		await s().stopped('entry', 2);
		await s().cont();
		await s().stopped('breakpoint', 13);
		assert.equal(await s().evaluate('k'), '3');
		await s().dc.restartRequest({ arguments: { program: fixture('basic.hmmw'), stopOnEntry: true } as DebugProtocol.LaunchRequestArguments });
		await s().stopped('entry', 2);
		await assert.rejects(s().evaluate('k'), /has no value/);
		const stats = await s().lookup('Statistics', 'steps');
		assert.equal(stats.value, '0');
		await s().cont();
		await s().stopped('breakpoint', 13);
	});

	it('writes the Chrome trace given by the `trace` launch argument', async () => {
		const dir = mkdtempSync(path.join(os.tmpdir(), 'hmm-trace-'));
		const out = path.join(dir, 'trace.json');
		try {
			await s().launch(fixture('migrate.hmmw'), { trace: out });
			await s().next('terminated');
			assert.ok(existsSync(out));
			const t = JSON.parse(readFileSync(out, 'utf8')) as { traceEvents: { name: string; cat: string; args?: { kind?: string } }[] };
			assert.ok(t.traceEvents.some(e => e.args?.kind === 'migration'), 'migration events');
			assert.ok(t.traceEvents.some(e => e.cat === 'statement' && /migrate \(line 7\)/.test(e.name)), 'statement spans');
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('answers bad requests with errors and keeps going', async () => {
		await s().launch(fixture('basic.hmmw'), { stopOnEntry: true });
		await s().stopped('entry');
		await assert.rejects(s().dc.variablesRequest({ variablesReference: 987654 }), /out of date/);
		await assert.rejects(s().dc.evaluateRequest({ expression: 'where(', context: 'repl' }), /expected/);
		await assert.rejects(s().dc.evaluateRequest({ expression: 'nosuchvar + 1', context: 'repl' }), /has no value/);
		await assert.rejects(s().dc.customRequest('frobnicate'), /'frobnicate' request is not supported/);
		await assert.rejects(s().dc.customRequest('source', { sourceReference: 1 }), /'source' request is not supported/);
		await assert.rejects(s().dc.customRequest('readMemory', { memoryReference: 'garbage', count: 4 }), /not one this debugger gave out/);
		await assert.rejects(s().dc.customRequest('writeMemory', { memoryReference: '0:0x10', data: 'AAAA' }), /names no process/);
		await assert.rejects(s().dc.customRequest('residency', { process: 'nobody' }), /no process 'nobody'/);
		const frames = (await s().dc.stackTraceRequest({ threadId: 1 })).body.stackFrames;
		assert.equal(scriptFrame(frames)?.line, 2);
	});

	it('continuing while running is refused, not crashed on', async () => {
		await s().launch(fixture('long.hmmw'), { stopOnEntry: true });
		await s().stopped('entry');
		await s().cont();
		await assert.rejects(s().dc.nextRequest({ threadId: 1 }), /running/);
		await s().dc.pauseRequest({ threadId: 1 });
		await s().stopped('pause');
	});
});
