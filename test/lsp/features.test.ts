// The language server's features without the protocol: outline, names and spelling suggestions.
import * as assert from 'node:assert/strict';
import { analyze } from '../../src/lsp/symbols';
import { complete, fixes, nearest, references, signature } from '../../src/lsp/features';

describe('language server features', () => {
	const text = [
		'device gpu memory=64MiB', 'process app', 'gpu mirror app', 'X = mmap 2MiB anon rw',
		'kernel gpu "scale" {', '  for k in 0..4 {', '    read page(X, k)', '  }', '}', 'fork child', 'Y = mmap 1MiB anon rw',
	].join('\n');
	const a = analyze(text, 'k.hmmw');

	it('outlines kernels under the process that launches them, with their body\'s lines', () => {
		const app = a.outline.find(e => e.name === 'app')!;
		assert.deepEqual(app.children.map(c => [c.name, c.kind, c.line, c.endLine]), [['X', 'mapping', 4, 4], ['scale', 'kernel', 5, 8]]);
		assert.deepEqual(a.outline.find(e => e.name === 'child')!.children.map(c => c.name), ['Y']);
	});

	it('knows a loop variable and its uses', () => {
		assert.deepEqual(references(a, 6, 7, true).map(o => [o.line, o.col]), [[6, 7], [7, 18]]);
	});

	it('suggests the nearest names for a misspelling, closest first, and nothing far away', () => {
		assert.deepEqual(nearest('gpuu', ['gpu', 'cpu', 'app']), ['gpu']);
		assert.deepEqual(nearest('where', ['where']), []);
		assert.deepEqual(nearest('zzzzzz', ['gpu']), []);
		assert.deepEqual(fixes(a, "unknown process 'ap'"), ['app']);
		assert.deepEqual(fixes(a, "'gpu' has no property 'migratd_in' (expected one of faults, migrated_in, used)"), ['migrated_in']);
		assert.deepEqual(fixes(a, 'something else'), []);
	});

	it('does not mistake brackets or strings for a call', () => {
		const b = analyze('X = mmap 1MiB anon rw\nexpect count(X[0:4096], ', 'b.hmmw');
		assert.equal(signature(b, 2, 25)?.active, 1);
		assert.equal(signature(analyze('print "count(', 's.hmmw'), 1, 14), undefined);
	});

	it('stays quiet inside a comment-only or empty document', () => {
		const e = analyze('', 'e.hmmw');
		assert.ok(complete(e, 1, 1).some(i => i.label === 'device'));
		assert.deepEqual(e.outline, []);
	});
});
