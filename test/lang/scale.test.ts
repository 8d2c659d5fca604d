// Checking and running are linear in the script's size (issue 16, item 5): a script four times
// longer takes less than six times as long (quadratic would be sixteen), at a scaled size; the
// 4M-line figures are in `npm run bench` (check4m, run4m). Best of three, so a busy machine
// slowing one measurement does not decide the ratio.
import * as assert from 'node:assert/strict';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';

function script(lines: number): string {
	const out = ['process p', 'X = mmap 64KiB anon rw'];
	for (let i = 0; i < lines; i++) {
		// a mix of statements the front end treats differently: names, calls, ranges, expectations
		switch (i % 4) {
			case 0: out.push(`x = ${i} + 1`); break;
			case 1: out.push('cpu write page(X, 3) = i + x'); break;
			case 2: out.push('expect word(X, 3072) == x'); break;
			default: out.push('y = x * 2 # a comment'); break;
		}
	}
	return out.join('\n') + '\n';
}

function best(f: () => void): number {
	let t = Infinity;
	for (let r = 0; r < 3; r++) {
		const t0 = performance.now();
		f();
		t = Math.min(t, performance.now() - t0);
	}
	return t;
}

describe('scripts: checking and running are linear in size', function () {
	this.timeout(300_000);
	const small = script(40_000), big = script(160_000);

	it('checks a script 4x longer in less than 6x the time', () => {
		const check = (s: string) => () => { assert.equal(compileSource(s, 'big.hmmw').diagnostics.length, 0); };
		check(small)();
		const ratio = best(check(big)) / best(check(small));
		assert.ok(ratio < 6, `4x the lines took ${ratio.toFixed(1)}x the time`);
	});

	it('runs a script 4x longer in less than 6x the time', () => {
		const run = (s: string) => () => {
			const it = new Interpreter(compileSource(s, 'big.hmmw').program, s);
			it.runToEnd();
			assert.equal(it.failed, 0);
			assert.equal(it.error, undefined);
		};
		run(small)();
		const ratio = best(run(big)) / best(run(small));
		assert.ok(ratio < 6, `4x the lines took ${ratio.toFixed(1)}x the time`);
	});
});
