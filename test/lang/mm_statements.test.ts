// `X = mremap R SIZE [maymove] [fixed=ADDR] [dontunmap]` and `truncate NAME SIZE`: parser and checker.
import * as assert from 'node:assert/strict';
import { compileSource } from '../../src/lang/frontend';
import { parse } from '../../src/lang/parser';

const messages = (src: string) => compileSource(src, 'w.hmmw').diagnostics.map(d => `${d.line}:${d.col}: ${d.message}`);

describe('mremap and truncate statements', () => {
	it('parses mremap with every modifier, in any order', () => {
		const r = parse('Y = mremap X 2MiB dontunmap fixed=addr(X) + 4MiB maymove\n', 't.hmmw');
		assert.deepEqual(r.diagnostics, []);
		const s = r.program.body[0];
		assert.equal(s.kind, 'mremap');
		if (s.kind !== 'mremap') { return; }
		assert.equal(s.target, 'Y');
		assert.equal(s.maymove, true);
		assert.equal(s.dontunmap, true);
		assert.equal(s.fixed?.kind, 'binary');
		assert.equal(s.size.kind, 'num');
	});

	it('parses a plain mremap and a truncate', () => {
		const r = parse('Y = mremap at(4096, 8KiB) 4KiB\ntruncate f 0\n', 't.hmmw');
		assert.deepEqual(r.diagnostics, []);
		assert.deepEqual(r.program.body.map(s => s.kind), ['mremap', 'truncate']);
	});

	it('rejects a missing size, an unknown or repeated modifier', () => {
		assert.match(parse('Y = mremap X\n', 't.hmmw').diagnostics[0].message, /new size/);
		assert.match(parse('Y = mremap X 4KiB move\n', 't.hmmw').diagnostics[0].message, /maymove, dontunmap or fixed=ADDR/);
		assert.match(parse('Y = mremap X 4KiB maymove maymove\n', 't.hmmw').diagnostics[0].message, /repeated/);
	});

	it('checks flag dependencies and file names', () => {
		const pre = 'process p\nX = mmap 4KiB anon rw\n';
		assert.deepEqual(messages(`${pre}Y = mremap X 4KiB maymove\nfile f size=4KiB\ntruncate f 0\n`), []);
		assert.deepEqual(messages(`${pre}Y = mremap X 4KiB dontunmap\n`), ["3:1: 'dontunmap' needs 'maymove'"]);
		assert.equal(messages(`${pre}Y = mremap X 4KiB fixed=0\n`).length, 1);
		assert.deepEqual(messages(`${pre}truncate g 0\n`), ["3:10: unknown file 'g'"]);
	});
});
