// `file read NAME[A:B]`, `file write NAME[A:B] [= EXPR]`, `sync NAME` and `file_writeback=`:
// parser, checker and the run-time errors (issue 14, experimental=file_migration).
import * as assert from 'node:assert/strict';
import { compileSource } from '../../src/lang/frontend';
import { parse } from '../../src/lang/parser';
import { Interpreter } from '../../src/lang/interp';

const messages = (src: string) => compileSource(src, 'w.hmmw').diagnostics.map(d => `${d.line}:${d.col}: ${d.message}`);

function runError(src: string): string | undefined {
	const it = new Interpreter(parse(src, 'r.hmmw').program, src, { print: () => undefined });
	it.runToEnd();
	return it.error ? `${it.error.line}:${it.error.col}: ${it.error.message}` : undefined;
}

describe('file read, file write and sync statements', () => {
	it('parses each form, with or without bounds', () => {
		const r = parse('file read f[4KiB:8KiB]\nfile write f[:8] = i\nfile read f\nfile write f[4:]\nsync f\n', 't.hmmw');
		assert.deepEqual(r.diagnostics, []);
		assert.deepEqual(r.program.body.map(s => s.kind), ['file-read', 'file-write', 'file-read', 'file-write', 'sync']);
		const w = r.program.body[1];
		assert.ok(w.kind === 'file-write' && w.lo === undefined && w.hi !== undefined && w.value !== undefined);
		const open = r.program.body[3];
		assert.ok(open.kind === 'file-write' && open.lo !== undefined && open.hi === undefined && open.value === undefined);
	});

	it('still declares files named read and write', () => {
		const r = parse('file read size=4KiB\nfile write size=8KiB = i\n', 't.hmmw');
		assert.deepEqual(r.diagnostics, []);
		assert.deepEqual(r.program.body.map(s => s.kind === 'file' ? s.name : s.kind), ['read', 'write']);
	});

	it('checks file names and the option that needs its mode', () => {
		const pre = 'file f size=8KiB\nprocess p\n';
		assert.deepEqual(messages(`${pre}file read f[0:4KiB]\nfile write f = i\nsync f\n`), []);
		assert.deepEqual(messages(`${pre}file read g\n`), ["3:11: unknown file 'g'"]);
		assert.deepEqual(messages(`${pre}sync g\n`), ["3:6: unknown file 'g'"]);
		assert.deepEqual(messages('system file_writeback=device\nprocess p\n'), ['1:8: `file_writeback=` applies only with `experimental=file_migration`']);
		assert.deepEqual(messages('system experimental=file_migration file_writeback=device\nprocess p\n'), []);
	});

	it('fails located on a bad range, at run time', () => {
		const pre = 'process p\nfile f size=8KiB = i\n';
		assert.equal(runError(`${pre}file write f[2:6] = 1\n`), '3:1: EINVAL: a file write needs a byte range on 4-byte boundaries');
		assert.equal(runError(`${pre}file read f[8KiB:4KiB]\n`), "3:1: EINVAL: bad byte range [8192:4096] of file 'f'");
		assert.equal(runError(`${pre}file read f[0:1MiB]\nsync f\n`), undefined, 'a read past the end stops at the end');
		assert.equal(runError('system file_writeback=cpu\nprocess p\n'), '1:8: `file_writeback=` applies only with `experimental=file_migration`');
	});
});
