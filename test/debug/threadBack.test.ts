// Time travel with script threads lands on exact boundaries (src/debug/threadReplay.ts): several
// threads' boundaries share a step count, so stepBack retraces the step it undoes to the boundary
// that step began at (same thread, line and stacks), and reverseContinue stops where a
// per-thread breakpoint condition held, in that thread. Fixture: test/debug/fixtures/threads.hmmw.
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, useSession } from './helpers';

const T = fixture('threads.hmmw');
const MUNMAP = 11, GPU_READ = 15, EXPECT = 21;
const MAIN = 1, WRITER = 2, READER = 3;

describe('debug adapter: stepBack and reverseContinue across script threads', function () {
	this.timeout(60000);
	const s = useSession();
	/** the stopped thread, and every live thread's stack (names and lines) */
	const where = async (threadId: number): Promise<string> => {
		const out = [`stopped in ${threadId}`];
		for (const t of (await s().dc.threadsRequest()).body.threads) {
			const frames: DebugProtocol.StackFrame[] = (await s().dc.stackTraceRequest({ threadId: t.id })).body.stackFrames;
			out.push(`${t.name}: ${frames.map(f => `${f.name}:${f.line}`).join(' <- ')}`);
		}
		return out.join('\n');
	};

	for (const single of [false, true]) {
		it(`stepBack after next of each thread in turn${single ? ' (singleThread)' : ''} lands where each next started`, async () => {
			await s().launch(T, { breakpoints: [{ line: MUNMAP }] });
			let st = await s().stopped('breakpoint', MUNMAP);
			await s().dc.setBreakpointsRequest({ source: { path: T }, breakpoints: [] });
			const seen: string[] = [];
			for (const threadId of [MAIN, WRITER, READER]) {
				seen.push(await where(st.threadId!));
				await s().dc.nextRequest({ threadId, singleThread: single });
				st = await s().stopped('step');
			}
			for (let i = seen.length - 1; i >= 0; i--) {
				await s().dc.stepBackRequest({ threadId: st.threadId! });
				st = await s().stopped('step');
				assert.equal(await where(st.threadId!), seen[i], `stepBack ${seen.length - i}`);
			}
			await s().cont();
			await s().next('terminated', 20000);
		});
	}

	it('reverseContinue to a function breakpoint with `thread == "reader"` stops in the reader, as the forward run did', async () => {
		await s().launch(T, { functionBreakpoints: [{ name: 'mmap_read_lock', condition: 'thread == "reader"' }], breakpoints: [{ line: EXPECT }] });
		let hit = await s().stopped();
		for (let i = 0; i < 10 && hit.reason === 'function breakpoint'; i++) {
			assert.equal(hit.threadId, READER);
			await s().cont();
			hit = await s().stopped();
		}
		assert.equal(hit.reason, 'breakpoint');
		await s().dc.reverseContinueRequest({ threadId: MAIN });
		// an event breakpoint stops in reverse at the start of the statement that raised it
		const back = await s().stopped('breakpoint', GPU_READ);
		assert.equal(back.threadId, READER, 'the reverse stop is in the thread the condition names');
		assert.match(back.description ?? '', /reverse: call mmap_read_lock/);
		await s().dc.setFunctionBreakpointsRequest({ breakpoints: [] });
		await s().dc.setBreakpointsRequest({ source: { path: T }, breakpoints: [] });
		await s().cont();
		await s().next('terminated', 20000);
	});
});
