// Script fuzzing (issue "Reliability", part 1): random, mutated and pathological scripts through
// the front end and the interpreter, and a sample of them through the CLI. Whatever the input,
// no JS exception escapes, every location is inside the source, and the CLI exits 0, 1 or 2 with
// located messages and no stack trace.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { FUZZ, ROOT, runs, seed } from './config';
import { anyScript, corpus, garbage, huge, mutated, pathological, statementSoup, tokenSoup } from './gen';
import { compileSource } from '../../src/lang/frontend';
import { program } from './programs';
import { fuzzOne } from './harness';

/** Total script cases under `npm run fuzz` (FUZZ_RUNS), split over the properties below. */
const TOTAL = runs(3000, 100_000, 'FUZZ_RUNS');
const share = (quick: number, part: number) => (FUZZ || process.env.FUZZ_RUNS ? Math.max(1, Math.round(TOTAL * part)) : quick);

const stats = { cases: 0, compiled: 0, runErrors: 0, timedOut: 0 };

function property(name: string, arb: fc.Arbitrary<string>, numRuns: number, fixedSeed: number, invariants = false): void {
	it(`${name} (${numRuns} cases)`, function () {
		this.timeout(FUZZ ? 0 : 60_000);
		fc.assert(fc.property(arb, source => {
			const o = fuzzOne(source, { invariants });
			stats.cases++;
			if (o.compiled) { stats.compiled++; }
			if (o.error) { stats.runErrors++; }
			if (o.timedOut) { stats.timedOut++; }
		}), { numRuns, seed: seed(fixedSeed) });
	});
}

describe('fuzz: scripts through compileSource and the interpreter', function () {
	after(() => {
		if (FUZZ) { console.log(`      script fuzzing: ${stats.cases} cases, ${stats.compiled} compiled, ${stats.runErrors} ended in a run error, ${stats.timedOut} hit the time budget`); }
	});

	it('has a corpus to mutate', () => { assert.ok(corpus.length >= 50, `only ${corpus.length} scripts found under ${ROOT}`); });
	it('still passes the unmutated corpus (the harness itself is sound)', function () {
		this.timeout(60_000);
		for (const c of corpus) { fuzzOne(c.text, { maxSteps: 100, budgetMs: 40 }); }
	});
	property('byte-level mutations of the conformance scripts, examples and fixtures', mutated, share(800, 0.3), 101);
	property('random checked programs over two devices (invariants after every statement)', program, share(800, 0.3), 106, true);
	property('statement soups', statementSoup, share(500, 0.1), 102);
	property('token soups', tokenSoup, share(500, 0.15), 103);
	property('pathological shapes (nesting, huge literals, long names, unterminated strings)', pathological, share(150, 0.05), 104);
	property('garbage bytes', garbage, share(300, 0.1), 105);
	property('huge inputs (megabytes, long lines, long dotted names)', huge, share(12, 0.002), 107);

	// checking is linear in the script's size: four times the lines, at most about four times the
	// time (quadratic would be sixteen); best of three, so a busy machine does not decide it
	it('checks in time linear in the number of lines', function () {
		this.timeout(120_000);
		const lines = (n: number) => `process p\nX = mmap 8 pages anon rw\n${'x = 1 + 2 * 3\nprint "v", x\ncpu write page(X, 1) = i\nexpect x == 7\n'.repeat(n / 4)}`;
		const best = (src: string) => Math.min(...[0, 1, 2].map(() => { const t0 = performance.now(); compileSource(src, 'big.hmmw'); return performance.now() - t0; }));
		const small = best(lines(25_000));
		const big = best(lines(100_000));
		assert.ok(big < 8 * small + 200, `25k lines: ${small.toFixed(0)} ms, 100k lines: ${big.toFixed(0)} ms`);
	});
});

// -------------------------------------------------------------- the CLI on a sample

const CLI = path.join(ROOT, 'dist', 'cli.js');
const LOCATED = /^(.*):(\d+):(\d+): /;
// a JS stack frame, as Node prints one: "    at fn (file.js:1:2)" or "    at file.js:1:2"
const STACK = /^\s+at .*(\(.*:\d+:\d+\)|:\d+:\d+)$/m;

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
	const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
	return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function checkCli(file: string, source: string): void {
	const check = cli(['check', file]);
	const run = cli(['run', file, '--max-steps', '300', '--timeout', '0.5']);
	for (const [what, r] of [['check', check], ['run', run]] as const) {
		const ctx = `hmmw ${what} on:\n${source.slice(0, 400)}\n--- stderr:\n${r.stderr.slice(0, 2000)}`;
		assert.ok(r.status === 0 || r.status === 1 || r.status === 2, `exit ${r.status} from ${ctx}`);
		assert.doesNotMatch(r.stderr, /internal error/i, ctx);
		assert.doesNotMatch(r.stderr, STACK, ctx);
		assert.doesNotMatch(r.stdout, STACK, ctx);
		// diagnostics come first, each located; `run` then prints its summary ("-- …", indented lines)
		let inSummary = false;
		for (const line of r.stderr.split('\n')) {
			if (line === '') { continue; }
			if (what === 'run' && (line.startsWith('-- ') || (inSummary && line.startsWith('   ')))) { inSummary = true; continue; }
			const m = LOCATED.exec(line);
			assert.ok(m, `unlocated stderr line ${JSON.stringify(line)} from ${ctx}`);
			assert.equal(m[1], file, ctx);
			assert.ok(!inSummary, `located line after the summary: ${ctx}`);
		}
	}
	assert.ok(check.status === 0 || check.status === 2, `check exits 0 or 2, not ${check.status}`);
	// a script that does not check cannot run, and its errors are said where they are
	if (check.status === 2) { assert.equal(run.status, 2); assert.match(check.stderr, LOCATED); }
}

describe('fuzz: scripts through the CLI (hmmw run | check)', function () {
	let dir = '';
	before(() => {
		assert.ok(existsSync(CLI), `${CLI} is missing: npm run build`);
		dir = mkdtempSync(path.join(os.tmpdir(), 'hmmw-fuzz-'));
	});
	after(() => { if (dir) { rmSync(dir, { recursive: true, force: true }); } });

	const numRuns = runs(40, 1000, 'FUZZ_CLI_RUNS');
	it(`exits 0/1/2 with located messages and no stack trace (${numRuns} scripts)`, function () {
		this.timeout(FUZZ ? 0 : 60_000);
		let n = 0;
		fc.assert(fc.property(anyScript, source => {
			// the CLI reads UTF-8; NULs and lone surrogates are written as the bytes they become
			const file = path.join(dir, `case${n++}.hmmw`);
			writeFileSync(file, source);
			checkCli(file, source);
		}), { numRuns, seed: seed(201) });
	});
});
