// The interpreter's fast path (Interpreter.runSimple, the driver's batches): instructions that
// cannot pause run without a generator and without per-statement hooks. It must end in exactly
// the state that stepping one instruction at a time reaches, stop exactly at --max-steps, and
// still give the clock a look often enough to slice (pause, Ctrl-C, --timeout).
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';
import { Driver } from '../../src/lang/driver';
import { contentChecksum } from '../../src/engine/sim/invariants';

const ROOT = path.resolve(__dirname, '..', '..', '..');

function make(source: string, printed: string[]): Interpreter {
	const { program, diagnostics } = compileSource(source, 'fast.hmmw');
	assert.deepEqual(diagnostics.filter(d => d.severity === 'error'), []);
	return new Interpreter(program, source, { print: l => printed.push(l) });
}

/** Everything a run leaves behind that a user or the debugger can see. */
function outcome(it: Interpreter, printed: string[]): string {
	return JSON.stringify({
		pc: it.pc, steps: it.steps, passed: it.passed, failed: it.failed, failures: it.failures, error: it.error, printed,
		vars: [...it.vars].map(([k, v]) => [k, typeof v === 'object' && v.kind === 'buffer' ? Array.from(v.bytes) : v]),
		time: it.machine.time, content: contentChecksum(it.machine.k),
	});
}

/** one instruction at a time through step(), the debugger's way */
function stepped(source: string): string {
	const printed: string[] = [];
	const it = make(source, printed);
	while (!it.done) { const g = it.step(); while (!g.next().done) { /* unwatched */ } }
	return outcome(it, printed);
}

const PROGRAMS: Record<string, string> = {
	loops: 'n = 0\nfor j in 0..5000 {\n  if j % 7 == 0 { n = n + j } else { n = n - 1 }\n  repeat 2 { n = n * 1 }\n}\nprint n\nexpect n == 1781',
	errors: 'process p\nX = mmap 4 pages anon rw\nexpect error SIGSEGV {\n  k = 1\n  cpu write at(0, 4096) = 1\n  k = 2\n}\nexpect k == 1\nprint k\nz = 1 / (k - 1)\nprint "never"',
	mixed: 'process p\nX = mmap 64KiB anon rw\nfor j in 0..16 {\n  cpu write page(X, j) = i + j\n  s = word(X, j * 1024)\n  expect s == j\n}\nexpect matches(page(X, 3), i + 3)\nprint s',
};

describe('interpreter fast path', () => {
	const scripts: [string, string][] = Object.entries(PROGRAMS);
	for (const f of readdirSync(path.join(ROOT, 'examples')).filter(n => n.endsWith('.hmmw'))) {
		scripts.push([f, readFileSync(path.join(ROOT, 'examples', f), 'utf8')]);
	}

	for (const [name, source] of scripts) {
		it(`${name}: runToEnd and the driver's batches end exactly where stepping does`, () => {
			const want = stepped(source);
			const p1: string[] = [];
			const a = make(source, p1);
			a.runToEnd();
			assert.equal(outcome(a, p1), want, 'runToEnd');
			const p2: string[] = [];
			const b = make(source, p2);
			const d = new Driver(b, {});
			while (d.run({ before: () => undefined, quietUntil: Infinity }).kind === 'slice') { /* next slice */ }
			assert.equal(outcome(b, p2), want, 'driver');
		});
	}

	it('stops exactly at the step limit the before hook enforces (--max-steps)', () => {
		for (const max of [1, 2, 3, 100, 4097, 9000]) {
			const it = make(PROGRAMS.loops, []);
			const d = new Driver(it, {});
			let r;
			do {
				r = d.run({ before: () => (it.steps >= max ? 'max' : undefined), quietUntil: max });
			} while (r.kind === 'slice');
			assert.deepEqual(r, { kind: 'stop', stop: 'max' });
			assert.equal(it.steps, max);
		}
	});

	it('looks at the clock between batches, so a long loop of simple statements slices', () => {
		let clock = 0;
		const it = make('n = 0\nfor j in 0..100000 { n = n + 1 }\nexpect n == 100000', []);
		const d = new Driver(it, { sliceMs: 5, now: () => (clock += 1) });
		let slices = 0;
		while (d.run({}).kind === 'slice') { slices++; }
		// 200k steps in batches of 4096, one clock reading per batch, a slice every 5 readings
		assert.ok(slices >= 5, `${slices} slices`);
		assert.equal(it.passed, 1);
	});

	it('a boundary hook (the debugger, a trace) sees every statement: no batches then', () => {
		const it = make(PROGRAMS.loops, []);
		const d = new Driver(it, {});
		let boundaries = 0;
		while (d.run({ boundary: () => { boundaries++; return undefined; } }).kind === 'slice') { /* next slice */ }
		assert.equal(boundaries, it.steps);
	});
});
