// `thread` in an expression (docs/language.md#members): the name of the script thread running it,
// "main" without threads; a script variable of that name wins, as for any word.
import * as assert from 'node:assert/strict';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';

function run(src: string): { it: Interpreter; printed: string[] } {
	const { program, diagnostics } = compileSource(src, 't.hmmw');
	assert.deepEqual(diagnostics.filter(d => d.severity === 'error'), []);
	const printed: string[] = [];
	const it = new Interpreter(program, src, { print: l => printed.push(l) });
	it.runToEnd();
	assert.equal(it.error, undefined, it.error?.message);
	return { it, printed };
}

describe('language: the `thread` word', () => {
	it('is "main" in a script without threads', () => {
		const { it, printed } = run('print thread\nexpect thread == "main"\n');
		assert.deepEqual(printed, ['main']);
		assert.equal(it.passed, 1);
	});

	it('names the thread that evaluates it', () => {
		const src = 'process p\na = mmap 4 pages anon rw\nthread w {\n  cpu read a\n  print thread\n}\ncpu read a\nprint thread\njoin w\n';
		assert.deepEqual(run(src).printed.sort(), ['main', 'w']);
	});

	it('a variable named thread is the variable', () => {
		assert.deepEqual(run('thread = 3\nprint thread + 1\n').printed, ['4']);
	});
});
