// Time travel: stepBack (across a migration, out of the middle of a statement, through loops),
// reverseContinue to earlier line breakpoints and event stops, memory writes replayed at their
// step, prints not repeated by replays, and long histories.
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, scriptFrame, useSession } from './helpers';

describe('debug adapter: time travel', function () {
	this.timeout(30000);
	const s = useSession();
	const back = async () => { await s().dc.stepBackRequest({ threadId: 1 }); return s().stopped('step'); };

	it('steps back across a migration: the state before the migrate statement is restored', async () => {
		await s().launch(fixture('migrate.hmmw'), { breakpoints: [{ line: 8 }] });
		await s().stopped('breakpoint', 8);
		assert.equal(await s().evaluate('where(X)'), '"gpu"');
		assert.equal(await s().evaluate('gpu.migrated_in'), '4');
		const st = await back();
		assert.equal(scriptFrame(st.frames)?.line, 7);
		assert.equal(await s().evaluate('where(X)'), '"ram"');
		assert.equal(await s().evaluate('gpu.migrated_in'), '0');
		assert.equal(await s().evaluate('matches(X, i)'), 'true');
		const residency = (await s().dc.customRequest('residency')).body as { runs: number[] };
		assert.deepEqual(residency.runs, [2, 4]);
		// and forward again, deterministically
		await s().dc.nextRequest({ threadId: 1 });
		await s().stopped(undefined, 8);
		assert.equal(await s().evaluate('where(X)'), '"gpu"');
		await s().cont();
		await s().next('terminated');
	});

	it('steps back from inside a statement to its start', async () => {
		await s().launch(fixture('migrate.hmmw'), { functionBreakpoints: [{ name: 'migrate_to_ram' }] });
		const st = await s().stopped('function breakpoint', 9);
		assert.equal(st.frames.length, 4);
		const b = await back();
		assert.equal(b.frames.length, 1, 'at a statement boundary');
		assert.equal(scriptFrame(b.frames)?.line, 9);
		assert.equal(await s().evaluate('where(page(X, 1))'), '"gpu"');
		assert.equal((await s().scopes()).has('Event'), false);
		// running forward hits the function breakpoint again
		await s().cont();
		await s().stopped('function breakpoint', 9);
	});

	it('steps back through a loop, mirroring next', async () => {
		await s().launch(fixture('basic.hmmw'), { breakpoints: [{ line: 13 }] });
		await s().stopped('breakpoint', 13);
		const lines: number[] = [];
		const ks: string[] = [];
		for (let i = 0; i < 9; i++) {
			lines.push(scriptFrame((await back()).frames)!.line);
			ks.push(await s().evaluate('k').catch(() => '-'));
		}
		assert.deepEqual(lines, [10, 11, 10, 11, 10, 11, 10, 11, 10]);
		assert.deepEqual(ks, ['3', '3', '2', '2', '1', '1', '0', '0', '-']);
		for (let i = 0; i < 6; i++) { await back(); }
		const start = await back();
		assert.equal(scriptFrame(start.frames)?.line, 2, 'at the beginning');
		const again = await back();
		assert.equal(scriptFrame(again.frames)?.line, 2, 'stepBack at the beginning stays there');
	});

	it('each stepBack retraces one next, even over a line of several statements', async () => {
		await s().launch(fixture('sameline.hmmw'), { stopOnEntry: true });
		await s().stopped('entry', 2);
		const forward: number[] = [];
		for (let i = 0; i < 3; i++) {
			await s().dc.nextRequest({ threadId: 1 });
			forward.push(scriptFrame((await s().stopped('step')).frames)!.line);
		}
		assert.deepEqual(forward, [3, 4, 5]);
		const first = scriptFrame((await back()).frames)!.line;
		const second = scriptFrame((await back()).frames)!.line;
		assert.deepEqual([first, second], [4, 3], 'two stepBacks land on the two boundaries next showed before');
		// at the start of line 3, where next stopped: none of its statements has run
		await assert.rejects(s().evaluate('a'), /has no value/);
		await assert.rejects(s().evaluate('b'), /has no value/);
		assert.equal(scriptFrame((await back()).frames)!.line, 2);
	});

	it('reverseContinue goes to the previous breakpoint hit, then to the start', async () => {
		await s().launch(fixture('basic.hmmw'), { breakpoints: [{ line: 11 }] });
		await s().stopped('breakpoint', 11);
		await s().cont();
		await s().stopped('breakpoint', 11);
		await s().cont();
		await s().stopped('breakpoint', 11);
		assert.equal(await s().evaluate('k'), '2');
		await s().dc.reverseContinueRequest({ threadId: 1 });
		await s().stopped('breakpoint', 11);
		assert.equal(await s().evaluate('k'), '1');
		await s().dc.reverseContinueRequest({ threadId: 1 });
		await s().stopped('breakpoint', 11);
		assert.equal(await s().evaluate('k'), '0');
		await s().dc.reverseContinueRequest({ threadId: 1 });
		await s().stopped('entry', 2);
	});

	it('reverseContinue lands on the statement where an earlier event stop happened', async () => {
		await s().launch(fixture('events.hmmw'), { filters: ['migration'] });
		await s().stopped('exception', 9);
		await s().cont();
		await s().stopped('exception', 10);
		await s().dc.reverseContinueRequest({ threadId: 1 });
		const st = await s().stopped('breakpoint', 9);
		assert.match(st.description ?? '', /migration/);
		assert.equal(st.frames.length, 1);
		assert.equal(await s().evaluate('where(X)'), '"ram"', 'before the migrate statement ran');
		await s().cont();
		await s().stopped('exception', 9);
	});

	it('memory writes from the debugger are replayed at their step', async () => {
		await s().launch(fixture('migrate.hmmw'), { breakpoints: [{ line: 9 }] });
		await s().stopped('breakpoint', 9);
		const ref = (await s().lookup('Locals', 'X')).memoryReference!;
		const data = Buffer.alloc(4);
		data.writeInt32LE(-7);
		await s().dc.customRequest('writeMemory', { memoryReference: ref, offset: 8, data: data.toString('base64') });
		assert.equal(await s().evaluate('word(X, 2)'), '-7');
		await back();
		assert.equal(await s().evaluate('word(X, 2)'), '2', 'before the write');
		await s().dc.nextRequest({ threadId: 1 });
		await s().stopped(undefined, 9);
		assert.equal(await s().evaluate('word(X, 2)'), '-7', 'the write happens again at its step');
	});

	it('replays are silent: prints are not repeated by stepping back', async () => {
		await s().launch(fixture('basic.hmmw'), { breakpoints: [{ line: 13 }] });
		await s().stopped('breakpoint', 13);
		const printed = () => s().drain('output').map(e => (e as DebugProtocol.OutputEvent).body).filter(o => o.category === 'stdout').map(o => o.output);
		assert.deepEqual(printed(), ['wrote 4 pages\n']);
		for (let i = 0; i < 11; i++) { await back(); }
		assert.equal(scriptFrame((await s().dc.stackTraceRequest({ threadId: 1 })).body.stackFrames)?.line, 8);
		assert.deepEqual(printed(), []);
		await s().dc.nextRequest({ threadId: 1 });
		await s().stopped('step', 9);
		await s().dc.nextRequest({ threadId: 1 });
		await s().stopped('step', 10);
		assert.deepEqual(printed(), ['wrote 4 pages\n'], 'running the print again prints again');
	});

	it('steps back after a long history (tens of thousands of statements)', async () => {
		await s().launch(fixture('loop.hmmw'), { breakpoints: [{ line: 12 }] });
		await s().stopped('breakpoint', 12);
		assert.equal(await s().evaluate('n'), '30000');
		let st = await back();
		assert.equal(scriptFrame(st.frames)?.line, 7, 'the loop header that ended the loop');
		assert.equal(await s().evaluate('n'), '30000');
		st = await back();
		assert.equal(scriptFrame(st.frames)?.line, 9);
		assert.equal(await s().evaluate('n'), '29999');
		assert.equal(await s().evaluate('where(page(X, 3))'), '"ram"');
		await s().dc.nextRequest({ threadId: 1 });
		await s().stopped('step', 7);
		await s().dc.nextRequest({ threadId: 1 });
		await s().stopped(undefined, 12);
		assert.equal(await s().evaluate('n'), '30000');
	});
});
