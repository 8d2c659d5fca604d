// Compiled fills (src/lang/fillCompile.ts, fillVector.ts) against the interpreter's evaluate():
// random integer expressions of i, evaluated a page at a time and word by word, must store the
// same int32 words and stop with the same error after the same words. The exact bitwise helpers
// (intOps.ts) are checked against their BigInt definition.
import * as assert from 'node:assert/strict';
import type { Expr } from '../../src/lang/ast';
import { parse } from '../../src/lang/parser';
import { compileFill, type EvalContext, evaluate, int } from '../../src/lang/eval';
import { bitAnd, bitOr, bitXor } from '../../src/lang/intOps';
import { type Fill, fillWord } from '../../src/engine/mm/fill';
import { Machine } from '../../src/engine/machine';
import { rng } from './rng';

const CONSTS = ['0', '1', '2', '3', '7', '31', '63', '64', '255', '0xFFFF', '0x7FFFFFFF', '0x80000000', '0xFFFFFFFF', '4294967296',
	'1000003', '0x1FFFFFFFFFFFFF', '9007199254740992', '(0 - 1)', '(0 - 0x80000000)', '(1 << 40)', '(1 << 62)', '123456789012'];
const OPS = ['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>'];

function expr(r: () => number, depth: number): string {
	const p = r();
	if (depth === 0 || p < 0.25) { return p < 0.12 ? 'i' : CONSTS[Math.floor(r() * CONSTS.length)]; }
	if (p < 0.3) { return `-(${expr(r, depth - 1)})`; }
	const op = OPS[Math.floor(r() * OPS.length)];
	// shift amounts mostly in range, sometimes not (an error the page must report like the interpreter)
	const right = op === '<<' || op === '>>' ? (r() < 0.8 ? `(${expr(r, depth - 1)}) % 64` : expr(r, 0)) : expr(r, depth - 1);
	return `(${expr(r, depth - 1)}) ${op} (${right})`;
}

function parseExpr(text: string): Expr {
	const { program, diagnostics } = parse(`x = ${text}\n`, 't.hmmw');
	assert.deepEqual(diagnostics, [], text);
	return (program.body[0] as { value: Expr }).value;
}

type Outcome = { words: number[]; error?: string };

/** what the interpreter stores for words [from, to) of a page whose word 0 has index base */
function reference(e: Expr, ctx: EvalContext, base: number, from: number, to: number): Outcome {
	const words: number[] = [];
	for (let k = from; k < to; k++) {
		try { words.push(int(evaluate(e, ctx, base + k), e.loc) | 0); } catch (err) { return { words, error: (err as Error).message }; }
	}
	return { words };
}

function paged(page: (w: Int32Array, o: number, base: number, from: number, to: number) => void, base: number, from: number, to: number): Outcome {
	const w = new Int32Array(3000).fill(0x5a5a5a5a);
	const o = 700;
	let error: string | undefined;
	try { page(w, o, base, from, to); } catch (err) { error = (err as Error).message; }
	const words = Array.from(w.subarray(o + from, o + to));
	if (error === undefined) { return { words }; }
	// the words before the failing one are written; compare those only
	const done = words.findIndex(v => v === 0x5a5a5a5a);
	return { words: done < 0 ? words : words.slice(0, done), error };
}

/** word-index windows: the start, int32 and 2^53 boundaries of i*i and i, partial pages */
const BASES = [0, 1024, 46336, 94906240, 2 ** 31 - 512, 2 ** 32 - 100, 2 ** 40, 2 ** 53 - 2048];

describe('compiled fills are the interpreter, a page at a time', () => {
	const ctx: EvalContext = { vars: new Map(), machine: new Machine() };

	it('random integer expressions of i store the same words and stop with the same error', function () {
		this.timeout(120000);
		let vectorPages = 0;
		for (let seed = 1; seed <= 400; seed++) {
			const r = rng(seed);
			const text = expr(r, 4);
			const e = parseExpr(text);
			let fill: Fill;
			try { fill = compileFill(e, ctx); } catch (err) {
				// a part without i that fails is reported once, before any word (as before compiled
				// fills); the interpreter fails at word 0 too, though maybe first on another part
				assert.ok(reference(e, ctx, 0, 0, 1).error, `seed ${seed}: ${text}: ${(err as Error).message}`);
				continue;
			}
			for (const b of BASES) {
				const from = Math.floor(r() * 4) * 100, to = 1024 - Math.floor(r() * 4) * 100;
				const want = reference(e, ctx, b, from, to);
				if (fill.kind === 'linear') {
					// patterns compute in int32 (fill.ts): the same words wherever a*i + b stays exact
					if (Math.abs(fill.a) * (b + to) + Math.abs(fill.b) >= 2 ** 53) { continue; }
					assert.deepEqual(Array.from({ length: to - from }, (_, k) => fillWord(fill, b + from + k)), want.words, `seed ${seed}: ${text} at ${b}`);
					continue;
				}
				assert.ok(fill.page, `seed ${seed}: ${text} has a page filler`);
				vectorPages++;
				assert.deepEqual(paged(fill.page, b, from, to), want, `seed ${seed}: ${text}, page at i = ${b}`);
				const k = from + Math.floor(r() * (to - from));
				const one = reference(e, ctx, b + k, 0, 1);
				if (!one.error) { assert.equal(fill.fn(b + k) | 0, one.words[0], `seed ${seed}: ${text}, word ${b + k}`); }
			}
		}
		assert.ok(vectorPages > 1000, `only ${vectorPages} pages went through the page filler`);
	});

	it('the benchmark fill and its neighbours, over the whole 1 GiB index range', () => {
		for (const text of ['(i * i) & 0xFFFF', '(i * i) | 1', '(i * i) ^ i', '(i * 3) % 1000', '(i >> 3) * (i & 7)', '1 << (i % 64)', 'i / (i - 94906240)']) {
			const e = parseExpr(text);
			const fill = compileFill(e, ctx);
			assert.equal(fill.kind, 'fn', text);
			if (fill.kind !== 'fn') { continue; }
			for (const b of [0, 46336, 94906240, 2 ** 28 - 1024]) {
				assert.deepEqual(paged(fill.page!, b, 0, 1024), reference(e, ctx, b, 0, 1024), `${text} at ${b}`);
			}
		}
	});

	it('a fractional word index (a range that does not start on a word) takes the word-by-word path', () => {
		const e = parseExpr('(i * i) & 0xFFFF');
		const fill = compileFill(e, ctx);
		assert.ok(fill.kind === 'fn' && fill.page);
		assert.deepEqual(paged(fill.page, -0.5, 1, 1024), reference(e, ctx, -0.5, 1, 1024));
	});
});

describe('exact bitwise operators without BigInt', () => {
	it('agree with the BigInt definition on integers of every magnitude', () => {
		const r = rng(7);
		const pick = (): number => {
			const mag = 2 ** Math.floor(r() * 70);
			const v = Math.floor(r() * mag) * (r() < 0.3 ? -1 : 1);
			return r() < 0.1 ? [0, -1, 2 ** 31, -(2 ** 31), 2 ** 53, -(2 ** 53), 2 ** 53 - 1, 2 ** 32 - 1][Math.floor(r() * 8)] : v;
		};
		for (let n = 0; n < 20000; n++) {
			const x = pick(), y = pick();
			const X = BigInt(x), Y = BigInt(y);
			assert.equal(bitAnd(x, y), Number(X & Y), `${x} & ${y}`);
			assert.equal(bitOr(x, y), Number(X | Y), `${x} | ${y}`);
			assert.equal(bitXor(x, y), Number(X ^ Y), `${x} ^ ${y}`);
		}
	});
});
