// Script threads under the debugger (issue 15): a threaded script runs as `hmmw run` runs it, and
// time travel, which cannot checkpoint a thread suspended inside a kernel path (its generator),
// replays from before the threads started under the recorded schedule (threadReplay.test.ts).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { useSession } from './helpers';

const MISSING_RETRY = path.join(process.cwd(), 'examples/concurrency/missing-retry.hmmw');

describe('debug adapter: script threads', function () {
	this.timeout(30000);
	const s = useSession();

	it('runs a threaded script to the end with its expectations, as the CLI does', async () => {
		await s().launch(MISSING_RETRY);
		const out: string[] = [];
		s().dc.on('output', e => out.push(e.body.output));
		await s().dc.waitForEvent('terminated', 20000);
		assert.ok(out.some(o => /1 expectations held, 0 failed/.test(o)), out.join(''));
	});

	it('steps back before a thread starts, and after (by replay)', async () => {
		// line 19: `thread reader {`; line 22: `madvise a dontneed`; line 23: `join reader`
		await s().launch(MISSING_RETRY, { breakpoints: [{ line: 18 }] });
		await s().stopped('breakpoint', 18);
		await s().dc.nextRequest({ threadId: 1 });
		await s().stopped('step');
		await s().dc.stepBackRequest({ threadId: 1 });
		await s().stopped('step', 18);
		await s().dc.setBreakpointsRequest({ source: { path: MISSING_RETRY }, breakpoints: [{ line: 23 }] });
		await s().cont();
		await s().stopped('breakpoint', 23);
		await s().dc.stepBackRequest({ threadId: 1 });
		await s().stopped('step');
		// forward again to the breakpoint, and on to the end
		// (the breakpoint on `join` hit once, not again on each turn the join waits)
		await s().cont();
		await s().stopped('breakpoint', 23);
		await s().cont();
		await s().dc.waitForEvent('terminated', 20000);
	});

	it('a breakpoint inside a thread body stops once, in the thread\'s statement; next steps on', async () => {
		await s().launch(MISSING_RETRY, { breakpoints: [{ line: 20 }] });
		const at = await s().stopped('breakpoint', 20);
		assert.equal(at.frames[0].name, 'gpu read a');
		await s().dc.nextRequest({ threadId: 1 });
		const next = await s().stopped('step');
		assert.notEqual(next.frames[0].line, 20, 'next leaves the statement');
		await s().cont();
		await s().dc.waitForEvent('terminated', 20000);
	});
});
