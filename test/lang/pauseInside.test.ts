// Pause and --timeout reach inside every long statement (issue 16, item 4): over 8 GiB, each
// long engine operation offers the driver a stop many times before it finishes, at a state the
// debugger can show (its kernel frames, readable processes and mappings), and resumes from there
// to the result an uninterrupted run gives. The latency figures (a pause stops within 100 ms) are
// timing measurements and live in `npm run bench` (bench/pause.ts); here only wall-time ratios
// that hold on a loaded machine are asserted.
import * as assert from 'node:assert/strict';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';
import { Driver } from '../../src/lang/driver';
import { PAUSE_CASES, pauseScript } from '../../bench/pauseCases';

/** stops taken inside a statement the test abandons */
const PARTIAL_STOPS = 6;

describe('pause inside every long statement at 8 GiB (driver ticks)', function () {
	this.timeout(600_000);
	for (const c of PAUSE_CASES) {
		it(c.name, () => {
			const { source, line } = pauseScript(c);
			const { program, diagnostics } = compileSource(source, 'pause.hmmw');
			assert.deepEqual(diagnostics.filter(d => d.severity === 'error'), []);
			const printed: string[] = [];
			const it = new Interpreter(program, source, { print: l => printed.push(l) });
			const d = new Driver(it, { sliceMs: Infinity });
			assert.equal(d.run({ before: () => (it.loc?.line === line ? 'there' : undefined) }).kind, 'stop');

			const inside = () => d.midStatement && d.current?.loc.line === line;
			const gaps: number[] = [];
			let stops = 0;
			const t0 = performance.now();
			for (;;) {
				const t = performance.now();
				const r = d.run({ tick: () => (inside() ? 'pause' : undefined) });
				gaps.push(performance.now() - t);
				if (r.kind !== 'stop') { assert.equal(r.kind, 'done'); break; }
				stops++;
				// a consistent state the debugger can show: suspended in the statement, its kernel
				// frames on the stack, every process and mapping readable
				assert.ok(inside(), `stopped inside line ${line}`);
				const view = it.machine.view;
				const frames = view.stack().map(f => f.fn);
				if (c.frame) { assert.ok(frames.includes(c.frame), `frames ${JSON.stringify(frames)} include ${c.frame}`); }
				for (const p of view.processes()) { view.vmas(p.id); }
				if (c.partial && stops === PARTIAL_STOPS) { d.reset(false); break; }
			}
			const total = performance.now() - t0;
			if (c.partial) {
				assert.equal(stops, PARTIAL_STOPS);
				return;
			}
			// it stopped many times before it finished, and no stretch between stops held most of
			// the statement (evenly spread, a stretch is 1/64 of it or less; the slack is for a
			// garbage collection landing in one stretch of a short statement on a loaded machine)
			assert.ok(stops >= 64, `${stops} stops inside the statement`);
			assert.ok(Math.max(...gaps) < total / 2, `longest stretch ${Math.max(...gaps).toFixed(0)} ms of ${total.toFixed(0)} ms`);
			// resumed from every stop, it still gives the uninterrupted result
			assert.equal(it.error, undefined, it.error?.message);
			assert.deepEqual(it.failures, []);
			assert.deepEqual(printed, ['end']);
		});
	}
});
