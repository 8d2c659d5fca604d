// Script threads as DAP threads (issue 15 item 4, src/debug/threadsDap.ts): each thread its own
// DAP thread and stack, steps of one thread (with the others held, or running as the schedule
// says), per-thread breakpoint conditions, and "switch thread here" recorded in a schedule that
// replays. The fixture's writer munmaps under p's mmap_lock held for writing (do_munmap), the
// reader's device fault takes it for reading (hmm_range_fault under mmap_read_lock).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, useSession } from './helpers';
import { compileSource } from '../../src/lang/frontend';
import { runSchedule } from '../../src/lang/explore';

const T = fixture('threads.hmmw');
// lines of the fixture
const MUNMAP = 11, WRITER_N = 12, GPU_READ = 15, READER_N = 16, JOIN_WRITER = 19, EXPECT = 21;
const MAIN = 1, WRITER = 2, READER = 3;

describe('debug adapter: script threads as DAP threads', function () {
	this.timeout(30000);
	const s = useSession();
	const stack = async (threadId: number) => (await s().dc.stackTraceRequest({ threadId })).body.stackFrames;
	const names = (frames: DebugProtocol.StackFrame[]) => frames.map(f => f.name);
	/** stopped in the writer inside munmap, holding p's mmap_lock for writing */
	const inMunmap = async () => {
		await s().launch(T, { functionBreakpoints: [{ name: 'invalidate_range_start' }] });
		const st = await s().stopped('function breakpoint');
		assert.equal(st.threadId, WRITER);
		assert.equal(st.frames.at(-1)!.line, MUNMAP);
		await s().dc.setFunctionBreakpointsRequest({ breakpoints: [] });
	};

	it('lists main and every running thread by name, announces them with thread events, and each has its own stack', async () => {
		await s().launch(T, { breakpoints: [{ line: WRITER_N }] });
		const st = await s().stopped('breakpoint', WRITER_N);
		assert.equal(st.threadId, WRITER, 'the stop names the thread that hit it');
		assert.equal(st.allThreadsStopped, true);
		assert.deepEqual((await s().dc.threadsRequest()).body.threads, [{ id: MAIN, name: 'main' }, { id: WRITER, name: 'writer' }, { id: READER, name: 'reader' }]);
		assert.deepEqual(s().drain('thread').map(e => e.body), [{ reason: 'started', threadId: WRITER }, { reason: 'started', threadId: READER }]);
		// the writer: its line only (stopped before its statement)
		assert.deepEqual((await stack(WRITER)).map(f => f.line), [WRITER_N]);
		// main waits in `join writer`
		const main = await stack(MAIN);
		assert.equal(main.length, 1);
		assert.equal(main[0].line, JOIN_WRITER);
		assert.match(main[0].name, /join writer \(waits for writer\)/);
		// the reader is parked at a switch point inside its device read: kernel frames over its line
		const reader = await stack(READER);
		assert.equal(reader.at(-1)!.line, GPU_READ);
		assert.ok(reader.length > 1 && reader.slice(0, -1).every(f => f.presentationHint === 'subtle' && f.line === 0), names(reader).join(' <- '));
		assert.match(names(reader).at(-2)!, /^dmirror_read\(/, 'the device read entered the driver (dmirror_read)');
		// a kernel frame of another thread has its arguments
		const scopes = (await s().dc.scopesRequest({ frameId: reader[0].id })).body.scopes;
		assert.ok(scopes.some(x => x.name === 'Arguments'), scopes.map(x => x.name).join());
		await s().cont();
		await s().next('terminated', 20000);
		assert.deepEqual(s().drain('thread').map(e => e.body), [{ reason: 'exited', threadId: WRITER }, { reason: 'exited', threadId: READER }]);
	});

	it('advertises single-thread stepping; next with singleThread runs only the stepping thread', async () => {
		await inMunmap();
		assert.equal(s().capabilities?.supportsSingleThreadExecutionRequests, true);
		const readerBefore = names(await stack(READER));
		await s().dc.nextRequest({ threadId: WRITER, singleThread: true });
		const st = await s().stopped('step', WRITER_N);
		assert.equal(st.threadId, WRITER);
		assert.deepEqual(names(await stack(READER)), readerBefore, 'the held reader did not move');
		assert.equal((await stack(MAIN))[0].line, JOIN_WRITER);
		await s().cont();
		await s().next('terminated', 20000);
	});

	it('a held step that needs a lock a held thread holds stops and says so (mmap_read_lock vs munmap\'s mmap_write_lock)', async () => {
		await inMunmap();
		await s().dc.nextRequest({ threadId: READER, singleThread: true });
		const st = await s().stopped('pause');
		assert.equal(st.threadId, READER);
		assert.match(st.description ?? '', /thread 'reader' waits in mmap_read_lock for a thread this step holds \(held inside a kernel path: 'writer' in invalidate_range_start\)/);
		assert.match(st.frames[0].name, /^mmap_read_lock\(/, 'the reader\'s stack shows where it waits');
		// stepping it again held stops again at once rather than spinning; so does continuing it alone
		await s().dc.nextRequest({ threadId: READER, singleThread: true });
		assert.equal((await s().stopped('pause')).threadId, READER);
		const alone = await s().dc.continueRequest({ threadId: READER, singleThread: true });
		assert.equal(alone.body.allThreadsContinued, false);
		assert.match((await s().stopped('pause')).description ?? '', /waits in mmap_read_lock/);
		// continue runs every thread: the writer lets go, everything finishes and the expectation holds
		const out: string[] = [];
		s().dc.on('output', e => out.push(e.body.output));
		await s().cont();
		await s().next('terminated', 20000);
		assert.ok(out.some(o => /1 expectations held, 0 failed/.test(o)), out.join(''));
	});

	it('a held thread joining a held one stops with a message', async () => {
		await inMunmap();
		await s().dc.nextRequest({ threadId: MAIN, singleThread: true });
		const st = await s().stopped('pause', JOIN_WRITER);
		assert.equal(st.threadId, MAIN);
		assert.match(st.description ?? '', /thread 'main' waits in join writer, which this step holds/);
		await s().cont();
		await s().next('terminated', 20000);
	});

	it('next without singleThread runs the schedule until the stepping thread reaches its next statement', async () => {
		await inMunmap();
		await s().dc.nextRequest({ threadId: READER });
		const st = await s().stopped('step', READER_N);
		assert.equal(st.threadId, READER);
		// the others advanced meanwhile: the writer finished munmap (it is past line 11)
		const w = await stack(WRITER);
		assert.ok(w.length === 0 || w.at(-1)!.line !== MUNMAP, names(w).join(' <- '));
		// stepIn of the reader's last statement: the thread finishes, and the step says so
		await s().dc.stepInRequest({ threadId: READER });
		const done = await s().stopped('step');
		assert.match(done.description ?? '', /thread 'reader' finished/);
		await s().cont();
		await s().next('terminated', 20000);
	});

	it('a breakpoint condition can name the thread: `thread == "reader"` on mmap_read_lock stops only in the reader', async () => {
		await s().launch(T, { functionBreakpoints: [{ name: 'mmap_read_lock' }] });
		const first = await s().stopped('function breakpoint');
		assert.equal(first.threadId, MAIN, 'unconditioned, main\'s cpu read takes mmap_read_lock first');
		assert.equal(await s().evaluate('thread'), '"main"');
		await s().dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'mmap_read_lock', condition: 'thread == "reader"' }] });
		await s().cont();
		const st = await s().stopped('function breakpoint');
		assert.equal(st.threadId, READER);
		assert.equal(st.frames.at(-1)!.line, GPU_READ);
		await s().dc.setFunctionBreakpointsRequest({ breakpoints: [] });
		await s().cont();
		await s().next('terminated', 20000);
	});

	/** Stopped where main enters mmap_read_lock (line 18, before the switch point's pick), maybe
	 * hand-picks a thread, runs to the last line: the pick made there, and the session's schedule. */
	const pickAfterEntry = async (hand?: number) => {
		await s().launch(T, { functionBreakpoints: [{ name: 'mmap_read_lock' }], breakpoints: [{ line: EXPECT }] });
		assert.equal((await s().stopped('function breakpoint')).threadId, MAIN);
		const before = ((await s().dc.customRequest('schedule')).body as { picks: string[] }).picks.length;
		if (hand !== undefined) {
			const r = await s().dc.customRequest('switchThread', { threadId: hand });
			assert.match((r.body as { message: string }).message, /the next switch point runs 'reader'/);
		}
		await s().dc.setFunctionBreakpointsRequest({ breakpoints: [] });
		await s().cont();
		await s().stopped('breakpoint', EXPECT);
		const doc = (await s().dc.customRequest('schedule')).body as { script: string; picks: string[]; failures: unknown[] };
		await s().cont();
		await s().next('terminated', 20000);
		return { pick: doc.picks[before], doc };
	};

	it('round robin: at main\'s mmap_read_lock entry the next thread in start order (writer) runs', async () => {
		assert.equal((await pickAfterEntry()).pick, 'writer');
	});

	it('switchThread makes the next switch point run the thread; the schedule (picks) replays exactly', async () => {
		const hand = await pickAfterEntry(READER);
		assert.equal(hand.pick, 'reader', 'the hand pick was taken and recorded');
		assert.equal(hand.doc.script, 'threads.hmmw');
		assert.deepEqual(hand.doc.failures, []);
		// `hmmw run --schedule` follows the same picks (src/lang/explore.ts replayChooser)
		const src = readFileSync(T, 'utf8');
		const replay = runSchedule(compileSource(src, T).program, src, hand.doc.picks);
		assert.deepEqual(replay.picks.slice(0, hand.doc.picks.length), hand.doc.picks);
		assert.equal(replay.passed, 1);
		assert.equal(replay.error, undefined);
	});

	it('switchThread is refused without threads or for a finished thread; a single-threaded script has one DAP thread', async () => {
		await s().launch(fixture('basic.hmmw'), { stopOnEntry: true });
		const st = await s().stopped('entry');
		assert.equal(st.threadId, MAIN);
		await assert.rejects(s().dc.customRequest('switchThread', { threadId: 1 }), /has not started threads/);
		await assert.rejects(s().dc.customRequest('switchThread', {}), /threadId/);
		assert.deepEqual((await s().dc.threadsRequest()).body.threads, [{ id: 1, name: 'workload' }]);
		assert.deepEqual(((await s().dc.customRequest('schedule')).body as { picks: string[] }).picks, []);
		await s().cont();
		await s().next('terminated', 20000);
		assert.deepEqual(s().drain('thread'), []);
	});
});
