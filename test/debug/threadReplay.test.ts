// Time travel across script threads by deterministic replay (src/debug/threadReplay.ts), and a
// launch that replays a schedule file written by `hmmw explore`.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { useSession } from './helpers';
import { compileSource } from '../../src/lang/frontend';
import { explore } from '../../src/lang/explore';

const ROOT = process.cwd();
const MIGRATION = path.join(ROOT, 'examples/concurrency/cpu-fault-vs-migration.hmmw');
const MISSING_RETRY = path.join(ROOT, 'examples/concurrency/missing-retry.hmmw');

/** What the machine and the script look like at a stop: counters, time, residency, variables. */
const PROBES = ['time', 'gpu.migrated_in', 'gpu.migrated_out', 'gpu.cpu_faults', 'gpu.invalidations', 'p.rss', 'p.faults', 'count(a, gpu)', 'count(a, ram)', 'last.cpages'];

describe('debug adapter: time travel across threads (replay under the recorded schedule)', function () {
	this.timeout(60000);
	const s = useSession();

	async function state(): Promise<string> {
		const out: string[] = [];
		for (const p of PROBES) { out.push(`${p}=${await s().evaluate(p)}`); }
		return out.join(' ');
	}

	it('stepBack after threads ran goes back to the first stop with its state, and forward again repeats the run', async () => {
		// line 17: `cpu write a = i + 1` while the mover thread migrates the same range
		await s().launch(MIGRATION, { breakpoints: [{ line: 17 }] });
		await s().stopped('breakpoint', 17);
		const first = await state();
		const seen: string[] = [];
		for (let i = 0; i < 4; i++) {
			await s().dc.nextRequest({ threadId: 1 });
			await s().stopped('step');
			seen.push(await state());
		}
		assert.notEqual(seen[3], first, 'the threads changed the machine');
		let back = '';
		let line = 0;
		for (let i = 0; i < 8 && (back !== first || line !== 17); i++) {
			await s().dc.stepBackRequest({ threadId: 1 });
			const at = await s().stopped('step');
			back = await state();
			line = at.frames.find(f => f.source?.path)?.line ?? 0;
		}
		assert.equal(back, first, 'back at the first stop: the machine as the run had it there');
		await s().dc.nextRequest({ threadId: 1 });
		await s().stopped('step');
		assert.equal(await state(), seen[0], 'forward again: the recorded future');
		await s().cont();
		await s().dc.waitForEvent('terminated', 20000);
	});

	// the same steps reached two ways: going forward in a fresh run (timeline goto from the
	// entry), and travelling back from the end of a run that went past them
	const STEPS = [9, 10, 11, 12, 13, 14];
	const forward = new Map<number, string>();
	it('a fresh run, stopped at each step after the thread starts', async () => {
		await s().launch(MIGRATION, { stopOnEntry: true });
		await s().stopped('entry');
		for (const step of STEPS) {
			await s().dc.customRequest('timelineGoto', { step, nth: -1, label: `step ${step}` });
			await s().stopped('step');
			forward.set(step, await state());
		}
		assert.ok(new Set(forward.values()).size >= 3, `the steps see the threads change the machine: ${[...forward.values()].join('\n')}`);
	});

	it('travelling back to each of those steps gives the same machine', async () => {
		await s().launch(MIGRATION, { breakpoints: [{ line: 21 }] });
		await s().stopped('breakpoint', 21);
		for (const step of [...STEPS].reverse()) {
			await s().dc.customRequest('timelineGoto', { step, nth: -1, label: `step ${step}` });
			await s().stopped('step');
			assert.equal(await state(), forward.get(step), `step ${step}`);
		}
	});

	it('reverseContinue and a fresh run agree on the state at a breakpoint past the threads', async () => {
		await s().launch(MIGRATION, { breakpoints: [{ line: 19 }] });
		await s().stopped('breakpoint', 19);
		const fresh = await state();
		await s().dc.setBreakpointsRequest({ source: { path: MIGRATION }, breakpoints: [{ line: 19 }, { line: 21 }] });
		await s().cont();
		await s().stopped('breakpoint', 21);
		assert.notEqual(await state(), fresh, 'the device read changed the machine');
		await s().dc.reverseContinueRequest({ threadId: 1 });
		await s().stopped('breakpoint', 19);
		assert.equal(await state(), fresh);
		await s().dc.setBreakpointsRequest({ source: { path: MIGRATION }, breakpoints: [] });
		await s().cont();
		await s().dc.waitForEvent('terminated', 20000);
	});
});

describe('debug adapter: launch "schedule" (a failing interleaving from hmmw explore)', function () {
	this.timeout(60000);
	const s = useSession();
	const dir = mkdtempSync(path.join(tmpdir(), 'hmm-schedule-'));

	function badSchedule(): string {
		const source = readFileSync(MISSING_RETRY, 'utf8');
		const r = explore(compileSource(source, MISSING_RETRY).program, source, { max: 200, preemptions: 2 });
		assert.ok(r.bad.length > 0, 'explore finds the missing-retry bug');
		const file = path.join(dir, 'missing-retry.schedule-1.json');
		writeFileSync(file, JSON.stringify({ script: 'missing-retry.hmmw', picks: r.bad[0].picks }));
		return file;
	}

	it('replays the interleaving: the stale mapping the default schedule never shows', async () => {
		const out: string[] = [];
		s().dc.on('output', e => out.push(e.body.output));
		await s().launch(MISSING_RETRY, { extra: { schedule: badSchedule() } });
		const stop = await s().stopped();
		assert.equal(stop.reason, 'exception');
		assert.match(stop.text ?? stop.description ?? JSON.stringify(stop), /the device reads what the CPU wrote/);
		// and time travel works in it: one step back from the failure
		await s().dc.stepBackRequest({ threadId: 1 });
		await s().stopped('step');
	});

	for (const [what, body, message] of [
		['a file that is not there', undefined, /cannot read schedule/],
		['a file that is not JSON', 'picks: main', /is not JSON/],
		['picks that are not names', JSON.stringify({ picks: [1, 2] }), /"picks" must be an array of thread names/],
		['a thread the script never starts', JSON.stringify({ script: 'missing-retry.hmmw', picks: ['main', 'writer'] }), /picks thread 'writer', which missing-retry.hmmw never starts/],
		['another script\'s schedule', JSON.stringify({ script: 'anon-teardown.hmmw', picks: [] }), /written for "anon-teardown.hmmw", not missing-retry.hmmw/],
	] as const) {
		it(`fails the launch with a clear message: ${what}`, async () => {
			const file = path.join(dir, `bad-${what.replace(/\W+/g, '-')}.json`);
			if (body !== undefined) { writeFileSync(file, body); }
			await assert.rejects(s().launch(MISSING_RETRY, { extra: { schedule: file } }), message);
		});
	}
});
