// Property: a fill compiled from script text stores, over many consecutive pages, the words the
// interpreter evaluates, whichever path each page takes (copied from a cached period, the vector
// pass, or word by word). Expressions mix ring and bitwise operators, constant shifts and divisions
// by powers of two under a mask (the periodic shapes) with operators that are not periodic; start
// indices sit near the places where products pass 2^53 and start rounding.
import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import type { Expr } from '../../src/lang/ast';
import { parse } from '../../src/lang/parser';
import { compileFill, type EvalContext, evaluate, int } from '../../src/lang/eval';
import { lowerFill } from '../../src/lang/fillCompile';
import { Program } from '../../src/lang/fillVector';
import { Machine } from '../../src/engine/machine';
import { runs, seed } from './config';

const leaf = fc.constantFrom('i', 'i', 'i', '3', '7', '255', '1000003', '0xFFFF', '(0 - 5)', '123456789012', '(1 << 40)');
const { tree } = fc.letrec<{ tree: string }>(t => ({
	tree: fc.oneof({ depthSize: 'small', withCrossShrink: true },
		leaf,
		fc.tuple(t('tree'), fc.constantFrom('+', '-', '*', '&', '|', '^'), t('tree')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
		fc.tuple(t('tree'), fc.constantFrom('<<', '>>', '/', '%'), fc.nat({ max: 12 })).map(([a, op, k]) => `(${a}) ${op} ${op === '/' || op === '%' ? 2 ** k : k}`),
		fc.tuple(t('tree'), fc.constantFrom('/', '%'), t('tree')).map(([a, op, b]) => `(${a}) ${op} ((${b}) | 1)`),
		t('tree').map(a => `-(${a})`)),
}));
const expression = fc.tuple(tree, fc.constantFrom(0xFF, 0x3FF, 0xFFF, 0xFFFF, 0xFFFFF)).map(([t, m]) => `(${t}) & ${m}`)
	.filter(text => text.includes('i'));
const start = fc.tuple(fc.constantFrom(0, 2 ** 26, 94906266, 2 ** 27, 189812532, 2 ** 31, 2 ** 40), fc.integer({ min: -40 * 1024, max: 40 * 1024 }))
	.map(([b, d]) => Math.max(0, b + d));

describe('fuzz: compiled fills over consecutive pages are the interpreter', () => {
	const ctx: EvalContext = { vars: new Map(), machine: new Machine() };

	it('every word agrees, whichever path its page took', function () {
		this.timeout(300000);
		let copied = 0;
		fc.assert(fc.property(expression, start, fc.integer({ min: 20, max: 90 }), fc.nat(), (text, first, pages, pick) => {
			const { program, diagnostics } = parse(`x = ${text}\n`, 'f.hmmw');
			assert.deepEqual(diagnostics, []);
			const e = (program.body[0] as { value: Expr }).value;
			const fill = compileFill(e, ctx);
			if (fill.kind !== 'fn' || !fill.page) { return; }
			const ref = (i: number): number | string => { try { return int(evaluate(e, ctx, i), e.loc) | 0; } catch (err) { return (err as Error).message; } };
			const got = new Int32Array(pages * 1024);
			let error: string | undefined, done = pages;
			for (let p = 0; p < pages && error === undefined; p++) {
				try { fill.page(got, p * 1024, first + p * 1024, 0, 1024); } catch (err) { error = (err as Error).message; done = p; }
			}
			copied += (fill.page as { copied?: number }).copied ?? 0;
			const root = lowerFill(e, x => evaluate(x, ctx));
			assert.ok(root);
			const plain = new Program(root), want = new Int32Array(1024);
			for (let p = 0; p < done; p++) {
				if (!plain.run(want, 0, first + p * 1024, 0, 1024)) { for (let k = 0; k < 1024; k++) { want[k] = ref(first + p * 1024 + k) as number; } }
				for (let k = 0; k < 1024; k++) {
					if (got[p * 1024 + k] !== want[k]) { assert.fail(`${text}: word ${first + p * 1024 + k} is ${got[p * 1024 + k]}, not ${want[k]}`); }
				}
			}
			// a page that failed: the interpreter fails on one of its words with the same error
			if (error !== undefined) {
				let msg: number | string = 0;
				for (let k = 0; k < 1024 && typeof msg === 'number'; k++) { msg = ref(first + done * 1024 + k); }
				assert.equal(msg, error, text);
			}
			const written = done * 1024, samples = written > 0 ? 100 : 0;
			for (let n = 0; n < samples; n++) {
				const k = (pick + n * 7919) % written;
				assert.equal(got[k], ref(first + k), `${text}: word ${first + k}`);
			}
		}), { numRuns: runs(40, 400, 'FILL_RUNS'), seed: seed(4242) });
		assert.ok(copied > 0, 'no page was copied from a period: the property did not reach that path');
	});
});
