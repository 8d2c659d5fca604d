// `hmmw explore`'s partial-order reduction (sleep sets over step footprints: src/lang/explore.ts,
// src/engine/sim/schedFootprint.ts): fewer schedules, the same outcomes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { compileSource } from '../../src/lang/frontend';
import { explore, type ExploreResult } from '../../src/lang/explore';
import { dependent, type Footprint } from '../../src/engine/sim/schedFootprint';

const EX = path.join(process.cwd(), 'examples/concurrency');

function run(file: string, o: { preemptions: number; reduce: boolean; set?: Record<string, string> }): ExploreResult {
	const source = readFileSync(file, 'utf8');
	const { program, diagnostics } = compileSource(source, file, o.set ?? {});
	assert.deepEqual(diagnostics.filter(d => d.severity === 'error'), []);
	return explore(program, source, { max: 20000, preemptions: o.preemptions, reduce: o.reduce });
}

/** What the failing schedules showed: each distinct failure or error message. */
function outcomes(r: ExploreResult): string[] {
	const s = new Set<string>();
	for (const b of r.bad) {
		for (const f of b.failures) { s.add(`${f.line}: ${f.message}`); }
		if (b.error) { s.add(`${b.error.line}: ${b.error.message.replace(/pfn \d+/g, 'pfn N')}`); }
	}
	return [...s].sort();
}

const fp = (...touches: [string, number, number][]): Footprint => ({ all: false, touches: touches.map(([key, lo, hi]) => ({ key, lo, hi })) });

describe('explore: partial-order reduction', function () {
	this.timeout(120000);

	it('steps meet on the same key with overlapping pages; anything unknown meets everything', () => {
		assert.equal(dependent(fp(['mm:family0', 0, 512]), fp(['mm:family0', 512, 1024])), false, 'disjoint leaves of one process');
		assert.equal(dependent(fp(['mm:family0', 0, 512]), fp(['mm:family0', 511, 1024])), true);
		assert.equal(dependent(fp(['mm:family0', 0, 512]), fp(['mm:family1', 0, 512])), false, 'two fork families');
		assert.equal(dependent(fp(['dev:gpu', 0, Infinity]), fp(['dev:npu', 0, Infinity])), false);
		assert.equal(dependent(fp(['dev:*', 0, Infinity]), fp(['dev:npu', 0, Infinity])), true, 'a path that may reach any device');
		assert.equal(dependent(fp(['lock:3', 0, Infinity]), fp(['lock:3', 0, Infinity])), true);
		assert.equal(dependent({ all: true, touches: [] }, fp()), true);
	});

	it('without reduction the examples explore the whole tree of their choices, no turn that changes nothing', () => {
		// A thread asleep on a lock (or migration entry) still taken is not offered (sim/sched.ts
		// canRun): before that, each kernel entry of the holder offered the sleeper a turn that only
		// failed its check again, and every such turn counted as one more interleaving
		// (munmap-vs-device-fault: 32 at 2 preemptions, more than 5000 unbounded).
		const bounded: Record<string, number> = { 'anon-teardown': 21, 'cpu-fault-vs-migration': 8, 'missing-retry': 13, 'munmap-vs-device-fault': 31 };
		for (const [name, n] of Object.entries(bounded)) {
			assert.equal(run(path.join(EX, `${name}.hmmw`), { preemptions: 2, reduce: false }).explored, n, name);
		}
		const every: Record<string, number> = { 'cpu-fault-vs-migration': 15, 'missing-retry': 28, 'munmap-vs-device-fault': 106 };
		for (const [name, n] of Object.entries(every)) {
			const r = run(path.join(EX, `${name}.hmmw`), { preemptions: Infinity, reduce: false });
			assert.equal(r.truncated, false, name);
			assert.equal(r.explored, n, name);
		}
	});

	it('on the examples, reduction keeps every outcome (failures and errors) of the full search', () => {
		const cases: [string, number][] = [['anon-teardown', 2], ['cpu-fault-vs-migration', 3], ['missing-retry', 3], ['munmap-vs-device-fault', 2]];
		for (const [name, preemptions] of cases) {
			const full = run(path.join(EX, `${name}.hmmw`), { preemptions, reduce: false });
			const reduced = run(path.join(EX, `${name}.hmmw`), { preemptions, reduce: true });
			assert.ok(reduced.explored <= full.explored, `${name}: ${reduced.explored} > ${full.explored}`);
			assert.deepEqual(outcomes(reduced), outcomes(full), `${name} at ${preemptions} preemptions`);
		}
		// the missing retry is found with the reduction on; the driver that checks is clean
		assert.ok(run(path.join(EX, 'missing-retry.hmmw'), { preemptions: 2, reduce: true }).bad.length > 0);
		assert.equal(run(path.join(EX, 'missing-retry.hmmw'), { preemptions: 2, reduce: true, set: { retry: 'check' } }).bad.length, 0);
	});

	it('independent device work is not permuted: two reads in two processes on two devices', () => {
		const file = path.join(EX, 'independent-devices.hmmw');
		const full = run(file, { preemptions: 6, reduce: false });
		const reduced = run(file, { preemptions: 6, reduce: true });
		assert.ok(reduced.explored * 4 < full.explored, `reduced ${reduced.explored}, full ${full.explored}`);
		assert.ok(reduced.pruned > 0);
		assert.equal(full.bad.length + reduced.bad.length, 0);
	});
});
