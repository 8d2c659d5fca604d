// A singleThread step of a thread that is not the running one switches to it at once (the
// running thread stays at its boundary, src/lang/threads.ts switchNow), and a schedule saved
// after such steps replays the interleaving the session ran: launch "schedule" and `hmmw run
// --schedule` repeat the switch at the same boundary. Fixture: test/debug/fixtures/threads.hmmw.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, Session, useSession } from './helpers';
import { compileSource } from '../../src/lang/frontend';
import { runWorkload } from '../../src/cli/run';
import type { ScheduleFile } from '../../src/cli/explore';

const T = fixture('threads.hmmw');
const WRITER_N = 12, CPU_READ = 18, EXPECT = 21;
const MAIN = 1, WRITER = 2, READER = 3;
const PROBES = ['time', 'n', 'p.rss', 'p.faults', 'gpu.invalidations', 'gpu.retries', 'count(a, gpu)', 'gpu.cpu_faults'];

describe('debug adapter: a held step of another thread switches at once, and its schedule replays', function () {
	this.timeout(60000);
	const s = useSession();
	const dir = mkdtempSync(path.join(tmpdir(), 'hmm-switch-now-'));
	const stack = async (threadId: number) => (await s().dc.stackTraceRequest({ threadId })).body.stackFrames.map((f: DebugProtocol.StackFrame) => `${f.name}:${f.line}`);
	const state = async () => { const out: string[] = []; for (const p of PROBES) { out.push(`${p}=${await s().evaluate(p)}`); } return out.join(' '); };

	/** stopped at main's `cpu read a`, then held steps of the writer and the reader (which waits
	 * for the writer's mmap_lock), then every thread to the expectation: its state and schedule */
	async function session(): Promise<{ state: string; doc: ScheduleFile }> {
		await s().launch(T, { breakpoints: [{ line: CPU_READ }] });
		await s().stopped('breakpoint', CPU_READ);
		await s().dc.setBreakpointsRequest({ source: { path: T }, breakpoints: [{ line: EXPECT }] });
		const main = await stack(MAIN);
		await s().dc.nextRequest({ threadId: WRITER, singleThread: true });
		const w = await s().stopped('step', WRITER_N);
		assert.equal(w.threadId, WRITER);
		assert.deepEqual(await stack(MAIN), main, 'main was held at its boundary: it did not start `cpu read a`');
		await s().dc.nextRequest({ threadId: READER, singleThread: true });
		const r = await s().stopped();
		assert.equal(r.threadId, READER);
		assert.deepEqual(await stack(MAIN), main, 'main still had not moved');
		await s().cont();
		await s().stopped('breakpoint', EXPECT);
		const doc = (await s().dc.customRequest('schedule')).body as ScheduleFile;
		const out = { state: await state(), doc };
		await s().cont();
		await s().next('terminated', 20000);
		return out;
	}

	it('main stays where it was while the writer steps; the saved schedule replays the same run (launch "schedule")', async () => {
		const live = await session();
		assert.ok((live.doc.switches ?? []).length > 0, 'the switches at boundaries are in the schedule');
		const file = path.join(dir, 'held.json');
		writeFileSync(file, JSON.stringify(live.doc));
		const again = await new Session().start();
		try {
			await again.launch(T, { breakpoints: [{ line: EXPECT }], extra: { schedule: file } });
			await again.stopped('breakpoint', EXPECT);
			const out: string[] = [];
			for (const p of PROBES) { out.push(`${p}=${await again.evaluate(p)}`); }
			assert.equal(out.join(' '), live.state, 'the replay ends in the state the session saw');
			const doc = (await again.dc.customRequest('schedule')).body as ScheduleFile;
			assert.deepEqual(doc.picks, live.doc.picks);
			assert.deepEqual(doc.switches, live.doc.switches);
		} finally { await again.stop(); }
	});

	it('`hmmw run --schedule` (runWorkload) follows the switches too: same time and counters', async () => {
		const live = await session();
		const src = readFileSync(T, 'utf8');
		const printed: string[] = [];
		const program = compileSource(src.replace(/expect n == 11\s*$/, 'print time, n, p.faults, gpu.retries, gpu.cpu_faults\n'), T).program;
		const run = await runWorkload(program, src, { schedule: live.doc.picks, switches: live.doc.switches, print: l => { printed.push(l); }, onFailure: () => undefined });
		assert.equal(run.error, undefined);
		const want = live.state.match(/time=(\d+) n=(\d+) .*p\.faults=(\d+) .*gpu\.retries=(\d+) .*gpu\.cpu_faults=(\d+)/)!.slice(1).join(' ');
		assert.deepEqual(run.interp.threads?.switches, live.doc.switches);
		assert.deepEqual(run.interp.threads?.picks, live.doc.picks);
		assert.equal(printed.join('\n'), want);
	});

	it('without singleThread, a step of another thread still lets the schedule run (no switch at once)', async () => {
		await s().launch(T, { breakpoints: [{ line: CPU_READ }] });
		await s().stopped('breakpoint', CPU_READ);
		await s().dc.setBreakpointsRequest({ source: { path: T }, breakpoints: [] });
		await s().dc.nextRequest({ threadId: READER });
		assert.equal((await s().stopped('step')).threadId, READER);
		assert.equal(((await s().dc.customRequest('schedule')).body as ScheduleFile).switches, undefined);
		await s().cont();
		await s().next('terminated', 20000);
	});
});

describe('debug adapter: a schedule saved after held steps onto blocked threads replays the same events', function () {
	this.timeout(60000);
	const s = useSession();
	const dir = mkdtempSync(path.join(tmpdir(), 'hmm-held-blocked-'));

	/** The engine events of a trace, in order, with their step and simulated time (statement spans
	 * are turns of threads: a held step's stop ends one where a replay does not) */
	const events = (trace: string): unknown[] => (JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: { cat?: string }[] }).traceEvents.filter(e => e.cat !== 'statement');

	it('held steps to a reader waiting for the writer\'s mmap_lock and to main waiting in join: launch "schedule" repeats every event', async () => {
		const liveTrace = path.join(dir, 'live.json'), replayTrace = path.join(dir, 'replay.json');
		// stopped in the writer inside munmap (it holds p's mmap_lock for writing)
		await s().launch(T, { functionBreakpoints: [{ name: 'invalidate_range_start' }], trace: liveTrace });
		assert.equal((await s().stopped('function breakpoint')).threadId, WRITER);
		await s().dc.setFunctionBreakpointsRequest({ breakpoints: [] });
		// the reader blocks on the lock; stepping it again (already blocked) stops at once
		for (let i = 0; i < 2; i++) {
			await s().dc.nextRequest({ threadId: READER, singleThread: true });
			assert.match((await s().stopped('pause')).description ?? '', /waits in mmap_read_lock/);
		}
		await s().dc.nextRequest({ threadId: WRITER, singleThread: true });
		assert.equal((await s().stopped('step', WRITER_N)).threadId, WRITER);
		// main is blocked in `join writer`; the writer is at a boundary: the switch is at once
		await s().dc.nextRequest({ threadId: MAIN, singleThread: true });
		assert.match((await s().stopped('pause')).description ?? '', /waits in join writer/);
		await s().dc.nextRequest({ threadId: READER, singleThread: true });
		await s().stopped();
		const doc = (await s().dc.customRequest('schedule')).body as ScheduleFile;
		await s().cont();
		await s().next('terminated', 20000);
		const live = events(liveTrace);
		assert.ok(live.length > 5, 'the run raised engine events');
		const file = path.join(dir, 'held-blocked.json');
		writeFileSync(file, JSON.stringify(doc));
		const again = await new Session().start();
		try {
			await again.launch(T, { extra: { schedule: file }, trace: replayTrace });
			await again.next('terminated', 20000);
			assert.deepEqual(events(replayTrace), live, 'the replay raises the same events at every step');
		} finally { await again.stop(); }
	});
});
