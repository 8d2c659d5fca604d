// Progress reporting for long runs: progressStart after half a second, updates, a cancellable
// notification whose cancel pauses the run, and progressEnd in every case.
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, useSession } from './helpers';

describe('debug adapter: progress of long runs', function () {
	this.timeout(30000);
	const s = useSession();
	const LONGER = fixture('longer.hmmw');

	it('reports a long continue as cancellable progress; cancel pauses it', async () => {
		await s().launch(LONGER, { init: { supportsProgressReporting: true } });
		const start = await s().next<DebugProtocol.ProgressStartEvent>('progressStart', 5000);
		assert.equal(start.body.cancellable, true);
		assert.match(start.body.message ?? '', /line 5, \d+ steps/);
		await s().dc.customRequest('cancel', { progressId: start.body.progressId });
		await s().stopped('pause', 5);
		const end = await s().next<DebugProtocol.ProgressEndEvent>('progressEnd');
		assert.equal(end.body.progressId, start.body.progressId);
	});

	it('ends the progress when the run ends, and reports none to clients without support', async () => {
		await s().launch(LONGER, { init: { supportsProgressReporting: true } });
		const start = await s().next<DebugProtocol.ProgressStartEvent>('progressStart', 5000);
		await s().next('terminated', 20000);
		const ends = s().drain('progressEnd') as DebugProtocol.ProgressEndEvent[];
		assert.deepEqual(ends.map(e => e.body.progressId), [start.body.progressId]);
	});

	it('sends no progress to a client that did not ask for it', async () => {
		await s().launch(LONGER);
		await s().next('terminated', 20000);
		assert.equal(s().drain('progressStart').length, 0);
	});
});
