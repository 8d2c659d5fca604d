// Interpreter bugs found by fuzzing that a .hmmw replay cannot express (the run must end in a
// script error, which `expect error` does not catch). Each case names how it was found.
import * as assert from 'node:assert/strict';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';

function runScript(source: string): Interpreter {
	const { program, diagnostics } = compileSource(source, 't.hmmw');
	assert.deepEqual(diagnostics.filter(d => d.severity === 'error'), []);
	const interp = new Interpreter(program, source);
	interp.runToEnd(1000);
	return interp;
}

describe('fuzz: interpreter regressions', () => {
	// Found by the token-soup fuzzer (seed 20261126, shrunk to `0_toString `): the lexer looked
	// number suffixes up in plain objects, so a word after a number that names an Object.prototype
	// member (toString, constructor, __proto__, valueOf...) was taken for a suffix with no scale,
	// and BigInt * undefined threw: "internal parser error: Cannot mix BigInt and other types".
	// Fixed in src/lang/lexer.ts (Object.hasOwn for SUFFIXES and BANDWIDTHS).
	it('a word after a number that names an Object.prototype member is not a suffix', () => {
		for (const w of ['toString', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty', 'toString/s']) {
			for (const src of [`x = 1 ${w}`, `x = 1${w}`, `x = 0_${w}`]) {
				const { diagnostics } = compileSource(src, 't.hmmw');
				assert.ok(diagnostics.length > 0, src);
				for (const d of diagnostics) { assert.doesNotMatch(d.message, /internal/, `${src}: ${d.message}`); }
			}
		}
	});

	// Found by reading the fill fast path while writing the fuzzers' fill generators. `print 1 << 70`
	// stops with "shift by 70", but a fill compiled by wordFunction()/closure() in src/lang/eval.ts
	// shifts without the range check, so `cpu write X = i << 70` silently stores 0 and
	// `cpu write X = 1 << i` stores 0 from word 64 on. Fix: the same `y < 0 || y > 63` check (and
	// ScriptError) in closure()'s '<<' and '>>' cases as in binary().
	it('a fill shifts like any other expression: an out-of-range shift is a script error', () => {
		for (const fill of ['i << 70', '1 << i', 'i >> 64', '4 >> (i - 1)']) {
			const interp = runScript(`process p\nX = mmap 1 page anon rw\ncpu write X = ${fill}\n`);
			assert.equal(interp.error?.code, 'script', `cpu write X = ${fill}: ${interp.error?.message ?? 'no error'}`);
			assert.match(interp.error!.message, /shift by/);
		}
	});
});
