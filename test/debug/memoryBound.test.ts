// Bounded memory under the debugger (issue "Reliability II", item 3): a long loop that rewrites a
// large buffer gives every checkpoint its own copy of the contents, so only the byte budget keeps
// the history from growing with the run. The runtime runs in this process; the test reads the
// bytes the TimeMachine accounts for (every typed array its checkpoints reach, shared ones once)
// and the process's RSS.
import assert from 'node:assert/strict';
import { HmmRuntime } from '../../src/debug/runtime';
import { snapshotHoldings } from '../../src/debug/timeTravel';

const MiB = 2 ** 20;

function runToEnd(rt: HmmRuntime, timeoutMs: number): Promise<number> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`the run did not end within ${timeoutMs} ms`)), timeoutMs);
		rt.once('end', (code: number) => { clearTimeout(timer); resolve(code); });
		rt.start(false);
	});
}

describe('debugger: bounded time-travel memory', function () {
	this.timeout(300_000);

	it('a checkpoint is measured by what it holds: page contents, struct-page arrays, page tables', () => {
		const rt = new HmmRuntime();
		// a non-linear fill: the pages hold bytes (a linear one is kept as a two-number pattern)
		const source = 'process p\nX = mmap 8MiB anon rw\ncpu write X = i * i\n';
		assert.equal(rt.load('/tmp/holdings.hmmw', source), undefined);
		const it = rt.interp;
		while (!it.done) { rt.driver.run({}); }
		const held = snapshotHoldings(it.snapshot());
		const bytes = [...held.buffers].reduce((n, b) => n + b.byteLength, 0);
		assert.ok(bytes >= 8 * MiB, `8 MiB of contents at least, got ${bytes}`);
		assert.ok(held.objectBytes > 0);
	});

	it('a 32 MiB buffer rewritten 100 times keeps the checkpoints under the budget, and RSS with them', async () => {
		const rt = new HmmRuntime();
		const budget = 96 * MiB;
		rt.tt.opts.budgetBytes = budget;
		// checkpoints as often as the runtime allows: each one holds a different 32 MiB
		rt.tt.opts.intervalMs = 0;
		const source = 'process p\nX = mmap 32MiB anon rw\nfor j in 0..100 {\n\tcpu write X = i * i + j\n}\nexpect matches(X, i * i + 99)\n';
		assert.equal(rt.load('/tmp/rewrite.hmmw', source), undefined);
		global.gc?.();
		const rss0 = process.memoryUsage().rss;
		let rssMax = rss0;
		const sampler = setInterval(() => { rssMax = Math.max(rssMax, process.memoryUsage().rss); }, 20);
		try {
			assert.equal(await runToEnd(rt, 240_000), 0);
		} finally {
			clearInterval(sampler);
		}
		const peak = rt.tt.peakBytes;
		assert.ok(peak <= budget, `checkpoints held ${(peak / MiB).toFixed(0)} MiB at most, budget ${budget / MiB} MiB`);
		assert.ok(peak >= 32 * MiB, `the budget was used (${(peak / MiB).toFixed(0)} MiB): the measure sees the contents`);
		// the live machine (32 MiB), the budget and a generous constant for the runtime and GC slack
		const growth = rssMax - rss0;
		assert.ok(growth < 32 * MiB + budget + 400 * MiB, `RSS grew by ${(growth / MiB).toFixed(0)} MiB`);
		console.log(`      checkpoint bytes peak ${(peak / MiB).toFixed(0)} MiB (budget ${budget / MiB} MiB), ${rt.tt.checkpoints} checkpoints at the end, RSS growth ${(growth / MiB).toFixed(0)} MiB`);
	});
});
