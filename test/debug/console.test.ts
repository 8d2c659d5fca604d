// Statements typed in the Debug Console run on the simulated machine at the current stop: they are
// marked in the output, every view is refreshed, and they are part of history (step back to
// before them undoes them; passing them again replays them).
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, useSession } from './helpers';

describe('debug adapter: statements in the Debug Console', function () {
	this.timeout(30000);
	const s = useSession();
	const repl = (expression: string) => s().dc.evaluateRequest({ expression, context: 'repl', frameId: 1 });

	it('runs a statement at the stop, marks it, refreshes, and step back undoes it', async () => {
		await s().launch(fixture('migrate.hmmw'), { breakpoints: [{ line: 9 }] });
		await s().stopped('breakpoint', 9);
		assert.equal(await s().evaluate('where(X)'), '"gpu"');
		s().drain('output');
		const r = await repl('migrate X -> ram');
		assert.match(r.body.result, /^ran at step \d+: \+[\d.]+ \w+ simulated, last\.cpages = 4$/);
		const st = await s().next<DebugProtocol.StoppedEvent>('stopped');
		assert.match(st.body.description ?? '', /console statement `migrate X -> ram`/);
		assert.ok(s().drain('output').some(e => /^▶ migrate X -> ram {3}\(console statement at step \d+; step back to undo\)/.test((e as DebugProtocol.OutputEvent).body.output)));
		assert.equal(await s().evaluate('where(X)'), '"ram"');
		assert.equal(await s().evaluate('count(X, ram)'), '4');
		// the script goes on from the changed machine: line 10 now holds, and so on
		await s().dc.nextRequest({ threadId: 1 });
		await s().stopped('step', 10);
		// back to line 9: the statement is part of that stop's history, so it is there again
		await s().dc.stepBackRequest({ threadId: 1 });
		await s().stopped('step', 9);
		assert.equal(await s().evaluate('where(X)'), '"ram"');
		// one more step back, to before it: undone
		await s().dc.stepBackRequest({ threadId: 1 });
		await s().stopped('step', 8);
		assert.equal(await s().evaluate('where(X)'), '"gpu"');
	});

	it('assignments define variables; errors come back as errors; checks and blocks are refused', async () => {
		await s().launch(fixture('migrate.hmmw'), { breakpoints: [{ line: 9 }] });
		await s().stopped('breakpoint', 9);
		await repl('Y = page(X, 2)');
		await s().next('stopped');
		assert.equal(await s().evaluate('addr(Y) - addr(X)'), '8192');
		await assert.rejects(repl('migrate X -> nosuch'), /EINVAL: no device 'nosuch'/);
		await assert.rejects(repl('expect 1 == 1'), /cannot run from the console/);
		await assert.rejects(repl('repeat 2 { cpu read X }'), /cannot run from the console/);
		// expressions are still expressions
		assert.equal((await repl('len(X)')).body.result, '16384');
	});
});
