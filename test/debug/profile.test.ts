// The per-line profile in the debugger: the adapter's `profile` request and its `hmm.profile`
// event at the end of a run carry the same numbers `hmmw run --profile` prints, for the
// extension's inline hints.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { ProfileBody } from '../../src/debug/profile';
import { fixture, useSession } from './helpers';

describe('debug adapter: per-line profile', function () {
	this.timeout(30000);
	const s = useSession();

	function profileEvent(): Promise<ProfileBody> {
		return new Promise(resolve => s().dc.once('hmm.profile', (e: DebugProtocol.Event) => resolve(e.body as ProfileBody)));
	}

	it('sends the profile when the run ends: the kernel line first, as hmmw run --profile has it', async () => {
		const got = profileEvent();
		await s().launch(fixture('kernel.hmmw'));
		const p = await got;
		await s().next('terminated');
		assert.equal(p.file, fixture('kernel.hmmw'));
		assert.equal(p.complete, true);
		assert.deepEqual(p.lines.map(l => l.line), [6, 5]);
		const k = p.lines[0];
		assert.match(k.text, /^[\d.]+ ms \(\d+\.\d%\) · \d+ device faults in \d+ batches · moved device-fault \d+, prefetch \d+ · 4\.00 MiB$/);
		assert.match(p.lines[1].text, / · 1024 CPU faults$/);
		// the same line times as the command line's JSON profile
		const cli = spawnSync(process.execPath, [path.join(process.cwd(), 'dist/cli.js'), 'run', fixture('kernel.hmmw'), '--json', '--profile'], { encoding: 'utf8' });
		const doc = JSON.parse(cli.stdout.trim().split('\n').pop()!) as { profile: { totalNs: number; lines: { line: number; timeNs: number }[] } };
		assert.equal(p.totalNs, doc.profile.totalNs);
		assert.equal(k.timeNs, doc.profile.lines.find(l => l.line === 6)!.timeNs);
	});

	it('answers the profile request while stopped, and marks it partial after going back in time', async () => {
		await s().launch(fixture('kernel.hmmw'), { breakpoints: [{ line: 7 }] });
		await s().stopped('breakpoint', 7);
		const before = (await s().dc.customRequest('profile')).body as ProfileBody;
		assert.deepEqual(before.lines.map(l => l.line), [6, 5]);
		assert.equal(before.complete, true);
		await s().dc.stepBackRequest({ threadId: 1 });
		await s().stopped('step');
		const after = (await s().dc.customRequest('profile')).body as ProfileBody;
		assert.equal(after.complete, false);
		assert.deepEqual(after.lines, []);
	});
});
