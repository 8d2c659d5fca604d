// Periodic fills (src/lang/fillPeriod.ts): pages copied from a cached period must hold the words the
// interpreter computes, across the boundaries where a product passes 2^53 and starts rounding (the
// period then only holds within one binade) and for random expressions under a narrowing mask.
import * as assert from 'node:assert/strict';
import type { Expr } from '../../src/lang/ast';
import { parse } from '../../src/lang/parser';
import { compileFill, type EvalContext, evaluate, int } from '../../src/lang/eval';
import { lowerFill } from '../../src/lang/fillCompile';
import { Program } from '../../src/lang/fillVector';
import { periodBits } from '../../src/lang/fillPeriod';
import { Machine } from '../../src/engine/machine';
import { rng } from './rng';

function parseExpr(text: string): Expr {
	const { program, diagnostics } = parse(`x = ${text}\n`, 't.hmmw');
	assert.deepEqual(diagnostics, [], text);
	return (program.body[0] as { value: Expr }).value;
}

const ctx: EvalContext = { vars: new Map(), machine: new Machine() };

/** the interpreter's word at index i */
function ref(e: Expr, i: number): number { return int(evaluate(e, ctx, i), e.loc) | 0; }

/** Fills `pages` consecutive pages from word index `start` with the compiled filler, and checks
 * every word against the vector pass alone and a sample against the interpreter; returns the
 * pages the filler copied from a period. */
function check(text: string, start: number, pages: number, r: () => number): number {
	const e = parseExpr(text);
	const fill = compileFill(e, ctx);
	assert.ok(fill.kind === 'fn' && fill.page, text);
	const root = lowerFill(e, x => evaluate(x, ctx));
	assert.ok(root, text);
	const plain = new Program(root);
	const got = new Int32Array(1024 * pages), want = new Int32Array(1024);
	for (let pg = 0; pg < pages; pg++) { fill.page(got, pg * 1024, start + pg * 1024, 0, 1024); }
	for (let pg = 0; pg < pages; pg++) {
		if (!plain.run(want, 0, start + pg * 1024, 0, 1024)) { for (let k = 0; k < 1024; k++) { want[k] = ref(e, start + pg * 1024 + k); } }
		for (let k = 0; k < 1024; k++) {
			if (got[pg * 1024 + k] !== want[k]) { assert.fail(`${text}: word ${start + pg * 1024 + k} is ${got[pg * 1024 + k]}, the vector pass says ${want[k]}`); }
		}
	}
	for (let n = 0; n < 300; n++) {
		const k = Math.floor(r() * got.length);
		assert.equal(got[k], ref(e, start + k), `${text}: word ${start + k}`);
	}
	return (fill.page as { copied?: number }).copied ?? 0;
}

describe('periodic fills copy pages that repeat, and only those', () => {
	it('(i * i) & 0xFFFF repeats every 2^16 words within a binade, and is exact across 2^53, 2^54 and 2^55', () => {
		const r = rng(1);
		// i * i passes 2^53 at i = 94906266, 2^54 at 2^27, 2^55 at 189812532
		for (const start of [0, 94906266 - 200 * 1024 + 37, 2 ** 27 - 150 * 1024, 189812532 - 180 * 1024 - 5]) {
			const copied = check('(i * i) & 0xFFFF', start, 400, r);
			assert.ok(copied > 200, `only ${copied} pages copied from ${start}`);
		}
		// where the low bits round away, and where rounding decides them
		assert.ok(check('(i * i * i) & 0xFF', 2 ** 22 - 100 * 1024, 300, r) > 100);
		assert.ok(check('(i * i * i) & 0xFFFFF', 2 ** 18 - 30 * 1024 + 3, 300, r) >= 0);
	});

	it('each periodic operator keeps the words: shifts, / and % by powers of two, masks, rounding products', () => {
		const r = rng(3);
		for (const [text, start] of [['(i / 16) & 0xFF', 0], ['(i >> 3) & 0xFF', 5], ['(i << 5) & 0xFFFF', 0], ['((i % 64) * 3) & 0xFFF', 1],
			['(i * i + 3 * i) & 0xFFF', 94906266 - 40 * 1024], ['((i * i) ^ 0x5555) & 0xFFFF', 2 ** 27 - 20 * 1024],
			['(i * i * 1000003) & 0xFFFF', 2 ** 20 + 2 ** 17], ['(-(i * i) | 7) & 0x3FF', 189812532 - 30 * 1024], ['((0 - i) / 8) & 0xFF', 0]] as const) {
			assert.ok(check(text, start, 120, r) > 40, text);
		}
	});

	it('the period is the bits of i the stored bits demand', () => {
		const bits = (text: string, lo: number, hi: number): number => {
			const root = lowerFill(parseExpr(text), x => evaluate(x, ctx));
			assert.ok(root);
			const p = new Program(root);
			return periodBits(p, new Float64Array(p.op.length), lo, hi);
		};
		assert.equal(bits('(i * i) & 0xFFFF', 0, 2 ** 20), 16);
		assert.equal(bits('(i * 3 + 1) & 0xFF', 0, 2 ** 20), 8);
		assert.equal(bits('(i << 20) + 5', 0, 2 ** 20), 12);
		assert.equal(bits('(i >> 4) & 0xFF', 0, 2 ** 20), 12);
		assert.equal(bits('(i % 64) * 7', 0, 2 ** 20), 6);
		assert.equal(bits('(i * i) & 0xFFFF', 94906266, 2 ** 27 - 1), 16, 'one binade: rounding to even keeps 2 bits, under the 16');
		assert.equal(bits('(i * i) & 0xFFFF', 2 ** 26, 2 ** 27), -1, 'a binade boundary inside');
		assert.equal(bits('(i * i * i) & 3', 2 ** 22 + 1, 2 ** 22 + 2 ** 20), 0, 'a product in [2^66, 2^67) is a multiple of 2^14');
		assert.equal(bits('(i * i * i) & 0xFFFFF', 2 ** 22 + 1, 2 ** 22 + 2 ** 20), 20);
		assert.equal(bits('(i * i * i) & 0xFFFFF', 2 ** 22, 2 ** 22 + 2 ** 20), -1, 'bounds on 2^66 itself do not prove the binade');
		assert.equal(bits('(i * i) & 0xFFFF', -(2 ** 20), 2 ** 20), 16);
		assert.equal(bits('(i % 64) * 7', -(2 ** 20), 2 ** 20), -1, '% of both signs is not periodic');
		assert.equal(bits('(i / 3) & 1', 0, 2 ** 20), -1);
		assert.equal(bits('(1 << (i % 8)) & 0xF', 0, 2 ** 20), -1, 'a shift by i is not a ring operation');
		assert.equal(bits('i * i', 0, 2 ** 20), 32);
	});

	it('random expressions under a narrowing mask store the interpreter\'s words', function () {
		this.timeout(120000);
		const r = rng(2);
		const leaves = ['i', 'i', '3', '7', '1000003', '0xFFFF', '(0 - 5)', '123456789012', '(1 << 40)'];
		const ops = ['+', '-', '*', '&', '|', '^'];
		const gen = (d: number): string => {
			const p = r();
			if (d === 0 || p < 0.2) { return leaves[Math.floor(r() * leaves.length)]; }
			if (p < 0.3) { return `-(${gen(d - 1)})`; }
			if (p < 0.4) { return `(${gen(d - 1)}) ${r() < 0.5 ? '<<' : '>>'} ${Math.floor(r() * 12)}`; }
			if (p < 0.45) { return `(${gen(d - 1)}) ${r() < 0.5 ? '%' : '/'} ${2 ** Math.floor(r() * 10)}`; }
			return `(${gen(d - 1)}) ${ops[Math.floor(r() * ops.length)]} (${gen(d - 1)})`;
		};
		let copied = 0;
		for (let n = 0; n < 150; n++) {
			const mask = [0xFF, 0x3FF, 0xFFF, 0xFFFF][Math.floor(r() * 4)];
			const text = `(${gen(3)}) & ${mask}`;
			if (!text.includes('i')) { continue; }
			const start = [0, 2 ** 26 - 40 * 1024, 94906266 - 40 * 1024, 2 ** 33 + 17][Math.floor(r() * 4)];
			copied += check(text, start, 80, r);
		}
		assert.ok(copied > 400, `only ${copied} pages copied`);
	});
});
