import * as assert from 'node:assert/strict';
import { lex, type Token } from '../../src/lang/lexer';

function tokens(src: string): Token[] {
	const r = lex(src, 't.hmmw');
	return r.tokens;
}
/** Compact `kind:text` view without the trailing eof. */
function kinds(src: string): string[] {
	return tokens(src).filter(t => t.kind !== 'eof').map(t => `${t.kind}:${t.text}`);
}
function num(src: string): { value?: number; unit?: string; rest: string[] } {
	const r = lex(src, 't.hmmw');
	assert.deepEqual(r.diagnostics, [], `unexpected diagnostics for ${JSON.stringify(src)}`);
	const [first, ...rest] = r.tokens;
	assert.equal(first.kind, 'num');
	return { value: first.value, unit: first.unit, rest: rest.filter(t => t.kind !== 'eof').map(t => t.text) };
}
function messages(src: string): string[] {
	return lex(src, 't.hmmw').diagnostics.map(d => `${d.line}:${d.col}: ${d.message}`);
}

describe('lexer', () => {
	describe('positions', () => {
		it('gives 1-based line and column to every token', () => {
			const ts = tokens('a = 1\n  cpu read X');
			assert.deepEqual(ts.map(t => [t.kind, t.text, t.line, t.col]), [
				['ident', 'a', 1, 1], ['op', '=', 1, 3], ['num', '1', 1, 5], ['eol', '\n', 1, 6],
				['ident', 'cpu', 2, 3], ['ident', 'read', 2, 7], ['ident', 'X', 2, 12], ['eof', '', 2, 13],
			]);
		});
		it('counts CRLF and lone CR as one line break each', () => {
			const ts = tokens('a\r\nb\rc');
			assert.deepEqual(ts.filter(t => t.kind === 'ident').map(t => [t.text, t.line, t.col]),
				[['a', 1, 1], ['b', 2, 1], ['c', 3, 1]]);
		});
		it('skips a byte order mark without shifting columns', () => {
			const ts = tokens('\uFEFFx');
			assert.deepEqual([ts[0].text, ts[0].col], ['x', 2]);
			assert.deepEqual(messages('\uFEFFx'), []);
		});
	});

	describe('separators and comments', () => {
		it('turns newlines and ; into eol tokens and drops comments', () => {
			assert.deepEqual(kinds('a # b c\nd; e'), ['ident:a', 'eol:\n', 'ident:d', 'eol:;', 'ident:e']);
		});
		it('keeps # inside strings', () => {
			assert.deepEqual(kinds('"a # b"'), ['str:a # b']);
		});
	});

	describe('integers', () => {
		it('reads decimal, hex and underscores', () => {
			assert.equal(num('1234').value, 1234);
			assert.equal(num('1_000_000').value, 1000000);
			assert.equal(num('0x1f').value, 31);
			assert.equal(num('0XFF_FF').value, 0xffff);
			assert.equal(num('0').value, 0);
			assert.equal(num('007').value, 7);
		});
		it('reads a hex B as a digit, not as the byte suffix', () => {
			assert.deepEqual(num('0x10B'), { value: 0x10b, unit: undefined, rest: [] });
			assert.deepEqual(num('0x10 B'), { value: 16, unit: 'bytes', rest: [] });
		});
		it('rejects fractions with a hint, consuming the suffix', () => {
			assert.deepEqual(messages('x = 1.5GiB'), ['1:5: only whole numbers are supported (write 1536MiB, not 1.5GiB)']);
			assert.deepEqual(kinds('1.5 GiB + 1'), ['num:1.5 GiB', 'op:+', 'num:1']);
			assert.deepEqual(kinds('1..5'), ['num:1', 'op:..', 'num:5']);
		});
		it('rejects 0x without digits', () => {
			assert.match(messages('0x')[0], /1:1: invalid number/);
		});
		it('accepts 2^53 and rejects anything above, also after scaling', () => {
			assert.equal(num('9007199254740992').value, 2 ** 53);
			assert.deepEqual(messages('9007199254740993'), ['1:1: integer literal is too large (above 2^53)']);
			assert.equal(num('2097152 GiB').value, 2 ** 51);
			assert.deepEqual(messages('x = 8388609 GiB'), ['1:5: integer literal is too large (above 2^53)']);
			assert.equal(messages('0x20000000000001').length, 1);
			assert.equal(messages('9'.repeat(5000)).length, 1);
			assert.equal(messages('0x' + 'f'.repeat(5000)).length, 1);
			assert.deepEqual(messages('0'.repeat(100) + '1'), []);
		});
	});

	describe('suffixes', () => {
		const cases: [string, number, string][] = [
			['1B', 1, 'bytes'], ['4KiB', 4096, 'bytes'], ['2MiB', 2 * 2 ** 20, 'bytes'], ['3GiB', 3 * 2 ** 30, 'bytes'],
			['1TiB', 2 ** 40, 'bytes'], ['1page', 4096, 'bytes'], ['3pages', 12288, 'bytes'],
			['7ns', 7, 'ns'], ['5us', 5000, 'ns'], ['2ms', 2e6, 'ns'], ['1s', 1e9, 'ns'],
			['12GB/s', 12e9, 'bps'], ['500MB/s', 5e8, 'bps'], ['0x10KiB', 16384, 'bytes'], ['1_0KiB', 10240, 'bytes'],
		];
		for (const [src, value, unit] of cases) {
			it(`folds ${src} with and without a space`, () => {
				assert.deepEqual(num(src), { value, unit, rest: [] });
				const spaced = src.replace(/^(0x[0-9a-fA-F_]+|[0-9_]+)/, '$1 ');
				assert.deepEqual(num(spaced), { value, unit, rest: [] });
				assert.deepEqual(num(spaced.replace(' ', '\t \t')), { value, unit, rest: [] });
			});
		}
		it('does not take a suffix from the next line', () => {
			assert.deepEqual(num('4\npages'), { value: 4, unit: undefined, rest: ['\n', 'pages'] });
		});
		it('leaves a suffix word directly followed by ( as a call', () => {
			assert.deepEqual(num('4 pages(X, 0, 2)').rest.slice(0, 2), ['pages', '(']);
			assert.equal(num('4 pages(X, 0, 2)').unit, undefined);
			assert.deepEqual(kinds('pages(X,0,2)').slice(0, 2), ['ident:pages', 'op:(']);
			assert.deepEqual(num('4 page (X)'), { value: 16384, unit: 'bytes', rest: ['(', 'X', ')'] });
		});
		it('does not take a longer word that merely starts like a suffix', () => {
			assert.deepEqual(num('4 pagesize'), { value: 4, unit: undefined, rest: ['pagesize'] });
			assert.deepEqual(num('4 GB'), { value: 4, unit: undefined, rest: ['GB'] });
		});
		it('is case sensitive', () => {
			assert.deepEqual(num('4 kib'), { value: 4, unit: undefined, rest: ['kib'] });
		});
		it('rejects letters glued to a number', () => {
			assert.deepEqual(messages('12abc'), ["1:3: invalid number suffix 'abc'"]);
			assert.deepEqual(messages('4GB'), ["1:2: invalid number suffix 'GB'"]);
			assert.deepEqual(messages('4GB/sec'), ["1:2: invalid number suffix 'GB'"]);
		});
		it('splits ranges and members', () => {
			assert.deepEqual(kinds('0..4'), ['num:0', 'op:..', 'num:4']);
			assert.deepEqual(kinds('0..4KiB'), ['num:0', 'op:..', 'num:4KiB']);
			assert.deepEqual(kinds('last.cpages'), ['ident:last', 'op:.', 'ident:cpages']);
		});
	});

	describe('strings', () => {
		it('decodes \\" and \\\\', () => {
			assert.deepEqual(kinds(String.raw`"a\"b\\c"`), ['str:a"b\\c']);
		});
		it('accepts an empty string', () => {
			assert.deepEqual(kinds('""'), ['str:']);
		});
		it('reports an unknown escape at the backslash', () => {
			assert.deepEqual(messages(String.raw`x = "a\qb"`), [String.raw`1:7: unknown escape sequence '\q' (use \" or \\)`]);
		});
		it('reports an unterminated string at its quote and keeps the next line', () => {
			assert.deepEqual(messages('print "abc\nx = 1'), ['1:7: unterminated string']);
			assert.deepEqual(kinds('print "abc\nx'), ['ident:print', 'str:abc', 'eol:\n', 'ident:x']);
			assert.deepEqual(messages('"abc\\'), ['1:1: unterminated string']);
		});
		it('reads a 100k-character string in linear time', () => {
			const body = 'a\\"'.repeat(40000);
			const t0 = Date.now();
			const ts = tokens(`"${body}"`);
			assert.equal(ts[0].text.length, 80000);
			assert.ok(Date.now() - t0 < 1000);
		});
	});

	describe('operators', () => {
		it('prefers the longest operator', () => {
			assert.deepEqual(kinds('<<>><=>===!=->..<>=.-'), ['op:<<', 'op:>>', 'op:<=', 'op:>=', 'op:==', 'op:!=',
				'op:->', 'op:..', 'op:<', 'op:>=', 'op:.', 'op:-']);
		});
		it('knows every single-character operator', () => {
			assert.deepEqual(kinds('+-*/%|&^()[]{},:=').map(k => k.slice(3)), [...'+-*/%|&^()[]{},:=']);
		});
	});

	describe('garbage', () => {
		it('reports NUL and control characters with their code point', () => {
			assert.deepEqual(messages('a \u0000 b'), ['1:3: unexpected character U+0000']);
			assert.deepEqual(messages('x\u0007'), ['1:2: unexpected character U+0007']);
			assert.deepEqual(kinds('a \u0000 b'), ['ident:a', 'ident:b']);
		});
		it('reports replacement characters and emoji', () => {
			assert.deepEqual(messages('\uFFFD'), ['1:1: unexpected character U+FFFD']);
			assert.deepEqual(messages('x = 😀 1'), ["1:5: unexpected character '😀' (U+1F600)"]);
			assert.deepEqual(messages('é'), ["1:1: unexpected character 'é' (U+00E9)"]);
			assert.deepEqual(messages('\uD800x'), ['1:1: unexpected character U+D800']);
		});
		it('reports a run of garbage once, and each separate run', () => {
			assert.deepEqual(messages('\u0001\u0002\u0003 ok\n@@ $'), ['1:1: unexpected character U+0001',
				"2:1: unexpected character '@' (U+0040)", "2:4: unexpected character '$' (U+0024)"]);
		});
		it('survives every byte value', () => {
			let all = '';
			for (let c = 0; c < 256; c++) { all += String.fromCharCode(c); }
			const r = lex(all.repeat(4), 't.hmmw');
			assert.ok(r.diagnostics.length > 0);
			assert.equal(r.tokens[r.tokens.length - 1].kind, 'eof');
		});
	});

	it('lexes a 100k-character identifier in linear time', () => {
		const name = 'x'.repeat(100000);
		const t0 = Date.now();
		const ts = tokens(`${name} = ${name}`);
		assert.equal(ts[0].text.length, 100000);
		assert.equal(ts[2].text, name);
		assert.ok(Date.now() - t0 < 1000);
	});
});
