import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import type { Expr, Stmt } from '../../src/lang/ast';
import { compileSource } from '../../src/lang/frontend';
import { parse, parseExpression } from '../../src/lang/parser';

/** Fully parenthesised rendering, so that a test states the tree shape in one string. */
function show(e: Expr): string {
	switch (e.kind) {
		case 'num': return e.unit === undefined ? String(e.value) : `${e.value}${e.unit}`;
		case 'bool': return String(e.value);
		case 'str': return JSON.stringify(e.value);
		case 'ident': return e.name;
		case 'member': return `${e.object}.${e.property}`;
		case 'unary': return e.op === 'not' ? `(not ${show(e.arg)})` : `(-${show(e.arg)})`;
		case 'binary': return `(${show(e.left)} ${e.op} ${show(e.right)})`;
		case 'call': return `${e.callee}(${e.args.map(show).join(', ')})`;
		case 'slice': return `${show(e.object)}[${e.lo ? show(e.lo) : ''}:${e.hi ? show(e.hi) : ''}]`;
		case 'index': return `${show(e.object)}[${show(e.index)}]`;
	}
}
function ok(src: string): Stmt[] {
	const r = parse(src, 't.hmmw');
	assert.deepEqual(r.diagnostics, [], `diagnostics for ${JSON.stringify(src.slice(0, 200))}`);
	return r.program.body;
}
function one(src: string): Stmt {
	const body = ok(src);
	assert.equal(body.length, 1);
	return body[0];
}
function expr(src: string): string {
	const s = one(`x = ${src}`);
	assert.equal(s.kind, 'assign');
	return show(s.value);
}
function errors(src: string): string[] {
	return parse(src, 't.hmmw').diagnostics.map(d => `${d.line}:${d.col}: ${d.message}`);
}
/** A statement with its expressions rendered and positions dropped, to compare whole nodes. */
function plain(s: unknown): unknown {
	return JSON.parse(JSON.stringify(s, (k, v: unknown) => {
		if (k === 'loc') { return undefined; }
		if (v !== null && typeof v === 'object' && 'kind' in v && typeof (v as Expr).kind === 'string'
			&& ['num', 'bool', 'str', 'ident', 'member', 'unary', 'binary', 'call', 'slice', 'index'].includes((v as Expr).kind)) {
			return show(v as Expr);
		}
		return v;
	}));
}
function timed<T>(limitMs: number, f: () => T): T {
	const t0 = Date.now();
	const r = f();
	assert.ok(Date.now() - t0 < limitMs, `took ${Date.now() - t0} ms`);
	return r;
}

describe('parser', () => {
	describe('setup statements', () => {
		it('system and device with options', () => {
			assert.deepEqual(plain(one('system ram=4 GiB swap=0 thp=never')), { kind: 'system', options: [
				{ key: 'ram', value: '4294967296bytes' }, { key: 'swap', value: '0' }, { key: 'thp', value: 'never' }] });
			assert.deepEqual(plain(one('device gpu memory=1GiB kind=coherent fault_latency=5us link_bw=12 GB/s fault_batch=2*8')), {
				kind: 'device', name: 'gpu', options: [{ key: 'memory', value: '1073741824bytes' }, { key: 'kind', value: 'coherent' },
					{ key: 'fault_latency', value: '5000ns' }, { key: 'link_bw', value: '12000000000bps' },
					{ key: 'fault_batch', value: '(2 * 8)' }] });
		});
		it('option word values are identifiers with their own position', () => {
			const s = one('device gpu memory=1GiB kind=private');
			assert.equal(s.kind, 'device');
			if (s.kind !== 'device') { return; }
			assert.deepEqual(s.options[1], { key: 'kind', value: { kind: 'ident', name: 'private', loc: { line: 1, col: 29 } },
				loc: { line: 1, col: 24 } });
		});
		it('process, use, fork, exit, with keywords as names', () => {
			assert.deepEqual(ok('process child\nuse child\nfork read\nexit use').map(plain),
				[{ kind: 'process', name: 'child' }, { kind: 'use', name: 'child' }, { kind: 'fork', name: 'read' },
					{ kind: 'exit', name: 'use' }]);
		});
		it('file with and without initial content', () => {
			assert.deepEqual(plain(one('file f size=2 pages')), { kind: 'file', name: 'f', size: '8192bytes' });
			assert.deepEqual(plain(one('file data size=4KiB = i * 3')), { kind: 'file', name: 'data', size: '4096bytes', init: '(i * 3)' });
		});
		it('mirror, unmirror and release', () => {
			assert.deepEqual(ok('gpu mirror p\ngpu unmirror child\ngpu release').map(plain), [
				{ kind: 'mirror', device: 'gpu', process: 'p' }, { kind: 'unmirror', device: 'gpu', process: 'child' },
				{ kind: 'release', device: 'gpu' }]);
		});
	});

	describe('memory map statements', () => {
		it('anon mmap with modifiers in any order', () => {
			assert.deepEqual(plain(one('X = mmap 16 pages anon rw')),
				{ kind: 'mmap', target: 'X', size: '65536bytes', backing: 'anon', prot: 'rw', shared: false });
			assert.deepEqual(plain(one('X = mmap 2MiB anon rwx huge shared')),
				{ kind: 'mmap', target: 'X', size: '2097152bytes', backing: 'anon', prot: 'rwx', shared: true, huge: 'huge' });
			assert.deepEqual(plain(one('X = mmap n * 4096 anon r shared nohuge')),
				{ kind: 'mmap', target: 'X', size: '(n * 4096)', backing: 'anon', prot: 'r', shared: true, huge: 'nohuge' });
		});
		it('file and dax mmap', () => {
			assert.deepEqual(plain(one('F = mmap 8KiB file data r offset=1 page private')), { kind: 'mmap', target: 'F',
				size: '8192bytes', backing: 'file', file: 'data', prot: 'r', shared: false, offset: '4096bytes' });
			assert.deepEqual(plain(one('D = mmap 4KiB dax pm rw shared')), { kind: 'mmap', target: 'D', size: '4096bytes',
				backing: 'dax', file: 'pm', prot: 'rw', shared: true });
		});
		it('reports inconsistent mmap modifiers at the offending word', () => {
			assert.deepEqual(errors('X = mmap 1 page anon rw shared private'), ["1:32: 'shared' and 'private' exclude each other"]);
			assert.deepEqual(errors('X = mmap 1 page anon rw huge huge'), ["1:30: 'huge' given twice"]);
			assert.deepEqual(errors('X = mmap 1 page file f rw'), ["1:1: a file mapping must be 'shared' or 'private'"]);
			assert.deepEqual(errors('X = mmap 1 page dax f rw private'), ["1:26: a dax mapping must be 'shared'"]);
			assert.deepEqual(errors('X = mmap 1 page anon rw offset=0'), ["1:25: 'offset=' applies only to file mappings"]);
			assert.deepEqual(errors('X = mmap 1 page file f rw shared huge'), ["1:34: 'huge' applies only to anon mappings"]);
			assert.deepEqual(errors('X = mmap 1 page anon rw sharde'),
				["1:25: expected an mmap option (shared, private, huge, nohuge, offset=SIZE), found 'sharde'"]);
			assert.deepEqual(errors('X = mmap 1 page heap rw'), ["1:17: expected 'anon', 'hugetlb', 'file' or 'dax', found 'heap'"]);
		});
		it('munmap, mprotect, madvise, fork, exit', () => {
			assert.deepEqual(ok('munmap X[4096:]\nmprotect X r\nmadvise page(X, 1) dontneed').map(plain), [
				{ kind: 'munmap', range: 'X[4096:]' }, { kind: 'mprotect', range: 'X', prot: 'r' },
				{ kind: 'madvise', range: 'page(X, 1)', advice: 'dontneed' }]);
		});
		it('leaves word validation to the checker', () => {
			assert.deepEqual(plain(one('mprotect X rwxx')), { kind: 'mprotect', range: 'X', prot: 'rwxx' });
		});
	});

	describe('access statements', () => {
		it('cpu read and write', () => {
			assert.deepEqual(ok('cpu read X\ncpu write X\ncpu write X[0:8] = -i').map(plain), [
				{ kind: 'cpu-read', range: 'X' }, { kind: 'cpu-write', range: 'X' }, { kind: 'cpu-write', range: 'X[0:8]', value: '(-i)' }]);
		});
		it('device read, write and snapshot, with and without a target', () => {
			assert.deepEqual(ok('B = gpu read X\ngpu read pages(X, 0, 2)\ngpu write X = i + 7\nS = gpu snapshot X[:8192]').map(plain), [
				{ kind: 'dev-read', device: 'gpu', range: 'X', target: 'B' },
				{ kind: 'dev-read', device: 'gpu', range: 'pages(X, 0, 2)' },
				{ kind: 'dev-write', device: 'gpu', range: 'X', value: '(i + 7)' },
				{ kind: 'snapshot', target: 'S', device: 'gpu', range: 'X[:8192]' }]);
		});
		it('device write needs a value', () => {
			assert.deepEqual(errors('gpu write X'), ["1:12: expected '=' and the value to write, found end of file"]);
		});
		it('kernel with and without a name, holding kernel lines and control flow', () => {
			const s = one('kernel gpu "k" {\n read X\n write X = 1\n write Y\n atomic Z\n for k in 0..4 { read page(X, k) }\n}');
			assert.deepEqual(plain(s), { kind: 'kernel', device: 'gpu', name: 'k', body: [
				{ kind: 'kernel-read', range: 'X' }, { kind: 'kernel-write', range: 'X', value: '1' },
				{ kind: 'kernel-write', range: 'Y' }, { kind: 'kernel-atomic', range: 'Z' },
				{ kind: 'for', variable: 'k', from: '0', to: '4', body: [{ kind: 'kernel-read', range: 'page(X, k)' }] }] });
			assert.deepEqual(plain(one('kernel gpu { }')), { kind: 'kernel', device: 'gpu', body: [] });
		});
	});

	describe('migration and policy statements', () => {
		it('migrate, prefetch, exclusive, advise, pin, unpin', () => {
			assert.deepEqual(ok([
				'migrate X -> gpu', 'migrate X[0:4096] -> ram', 'prefetch X -> ram', 'exclusive X -> gpu',
				'advise X preferred=gpu', 'advise X accessed_by=gpu', 'advise X read_mostly=on', 'pin X', 'unpin X',
			].join('\n')).map(plain), [
				{ kind: 'migrate', range: 'X', to: 'gpu' }, { kind: 'migrate', range: 'X[0:4096]', to: 'ram' },
				{ kind: 'prefetch', range: 'X', to: 'ram' }, { kind: 'exclusive', range: 'X', device: 'gpu' },
				{ kind: 'advise', range: 'X', advice: 'preferred', value: 'gpu' },
				{ kind: 'advise', range: 'X', advice: 'accessed_by', value: 'gpu' },
				{ kind: 'advise', range: 'X', advice: 'read_mostly', value: 'on' },
				{ kind: 'pin', range: 'X' }, { kind: 'unpin', range: 'X' }]);
		});
		it('migrate needs an arrow', () => {
			assert.deepEqual(errors('migrate X gpu'), ["1:11: expected '->', found 'gpu'"]);
		});
	});

	describe('control statements', () => {
		it('assignments, including to keyword names', () => {
			assert.deepEqual(ok('read = 3\nx = read + 1\nprint = mmap\nmmap = 2\ny = mmap * 2\nz = mmap and 1').map(plain), [
				{ kind: 'assign', target: 'read', value: '3' }, { kind: 'assign', target: 'x', value: '(read + 1)' },
				{ kind: 'assign', target: 'print', value: 'mmap' }, { kind: 'assign', target: 'mmap', value: '2' },
				{ kind: 'assign', target: 'y', value: '(mmap * 2)' }, { kind: 'assign', target: 'z', value: '(mmap and 1)' }]);
		});
		it('for with and without step, repeat', () => {
			assert.deepEqual(ok('for i in 0..n step 2 { print i }\nfor j in a + 1 .. b { }\nrepeat 3 { cpu read X }').map(plain), [
				{ kind: 'for', variable: 'i', from: '0', to: 'n', step: '2', body: [{ kind: 'print', args: ['i'] }] },
				{ kind: 'for', variable: 'j', from: '(a + 1)', to: 'b', body: [] },
				{ kind: 'repeat', count: '3', body: [{ kind: 'cpu-read', range: 'X' }] }]);
		});
		it('if, else, else if, else on the next line', () => {
			assert.deepEqual(plain(one('if a { print 1 }')), { kind: 'if', cond: 'a', then: [{ kind: 'print', args: ['1'] }] });
			assert.deepEqual(plain(one('if a {\n} else if b {\n print 2\n}\nelse {\n print 3\n}')), { kind: 'if', cond: 'a', then: [],
				else: [{ kind: 'if', cond: 'b', then: [{ kind: 'print', args: ['2'] }], else: [{ kind: 'print', args: ['3'] }] }] });
			assert.deepEqual(ok('if a { }\nelse = 1').map(plain),
				[{ kind: 'if', cond: 'a', then: [] }, { kind: 'assign', target: 'else', value: '1' }]);
		});
		it('print and expect with messages', () => {
			assert.deepEqual(ok('print 1, "a", x\nexpect x == 1\nexpect y, "msg"').map(plain), [
				{ kind: 'print', args: ['1', '"a"', 'x'] }, { kind: 'expect', cond: '(x == 1)' },
				{ kind: 'expect', cond: 'y', message: '"msg"' }]);
		});
		it('expect error blocks, and a variable named error', () => {
			assert.deepEqual(plain(one('expect error EFAULT {\n gpu read X\n}')),
				{ kind: 'expect-error', code: 'EFAULT', body: [{ kind: 'dev-read', device: 'gpu', range: 'X' }] });
			assert.deepEqual(plain(one('expect error == 0')), { kind: 'expect', cond: '(error == 0)' });
			assert.deepEqual(plain(one('expect error and ok')), { kind: 'expect', cond: '(error and ok)' });
		});
		it('separates statements with ; and tolerates blank lines and comments', () => {
			assert.deepEqual(ok('\n# c\na = 1; b = 2 # t\n\n;;\nif a { c = 3; d = 4 }').map(s => s.kind),
				['assign', 'assign', 'if']);
		});
		it('puts each statement at its first token', () => {
			const body = ok('  a = 1\nif a {\n\tgpu read X\n}');
			assert.deepEqual(body[0].loc, { line: 1, col: 3 });
			assert.equal(body[1].kind, 'if');
			if (body[1].kind === 'if') { assert.deepEqual(body[1].then[0].loc, { line: 3, col: 2 }); }
		});
	});

	describe('expressions', () => {
		const table: [string, string][] = [
			['a or b and c', '(a or (b and c))'],
			['a and b or c', '((a and b) or c)'],
			['not a and b', '((not a) and b)'],
			['not a == b', '(not (a == b))'],
			['not not a', '(not (not a))'],
			['a == b | c', '(a == (b | c))'],
			['a | b ^ c & d << e + f * -g', '(a | (b ^ (c & (d << (e + (f * (-g)))))))'],
			['-g * f + e << d & c ^ b | a', '(((((((-g) * f) + e) << d) & c) ^ b) | a)'],
			['a - b - c', '((a - b) - c)'],
			['a / b % c * d', '(((a / b) % c) * d)'],
			['a >> b << c', '((a >> b) << c)'],
			['(a + b) * c', '((a + b) * c)'],
			['- - a', '(-(-a))'],
			['-a - -b', '((-a) - (-b))'],
			['a <= b and c != d or e >= f', '(((a <= b) and (c != d)) or (e >= f))'],
			['true or false', '(true or false)'],
			['"s" == where(X)', '("s" == where(X))'],
			['last.cpages + gpu.faults', '(last.cpages + gpu.faults)'],
			['X[a:b + 1]', 'X[a:(b + 1)]'],
			['X[:]', 'X[:]'],
			['B[k * 2]', 'B[(k * 2)]'],
			['pages(X, 0, 2)', 'pages(X, 0, 2)'],
			['f()', 'f()'],
			['count(X, ram) == 4 pages', '(count(X, ram) == 16384bytes)'],
			['X[0:8][0:4]', 'X[0:8][0:4]'],
			['time', 'time'],
		];
		for (const [src, tree] of table) {
			it(`${src}  =>  ${tree}`, () => assert.equal(expr(src), tree));
		}
		it('rejects chained comparisons', () => {
			assert.deepEqual(errors('x = a < b < c'), ['1:11: comparisons cannot be chained; use "and"']);
		});
		it('locates binary nodes at their first token, parentheses included', () => {
			const s = one('x = (a + b) * c');
			assert.ok(s.kind === 'assign' && s.value.kind === 'binary');
			if (s.kind === 'assign') { assert.deepEqual(s.value.loc, { line: 1, col: 5 }); }
		});
		it('parseExpression accepts a lone expression and nothing more', () => {
			const r = parseExpression('count(X, gpu) + 1');
			assert.equal(r.expr && show(r.expr), '(count(X, gpu) + 1)');
			assert.deepEqual(parseExpression('a b').diagnostics.map(d => d.message), ["unexpected 'b' after the expression"]);
			assert.equal(parseExpression('a b').expr, undefined);
		});
	});

	describe('errors and recovery', () => {
		it('reports several errors, in order, and keeps the good statements', () => {
			const src = 'a = 1\nb = * 2\nprint a\nmigrate X -> \nc = (1\nd = 4';
			const r = parse(src, 't.hmmw');
			assert.deepEqual(r.diagnostics.map(d => `${d.file}:${d.line}:${d.col}: ${d.message}`), [
				"t.hmmw:2:5: expected an expression, found '*'",
				't.hmmw:4:14: expected \'ram\' or a device name, found end of line',
				"t.hmmw:5:7: expected ')', found end of line"]);
			assert.deepEqual(r.program.body.map(s => s.kind === 'assign' ? s.target : s.kind), ['a', 'print', 'd']);
		});
		it('recovers inside a block and carries on after it', () => {
			const r = parse('if x {\n print )\n y = 2\n}\nz = 3', 't.hmmw');
			assert.deepEqual(r.diagnostics.map(d => d.line), [2]);
			assert.deepEqual(plain(r.program.body), [{ kind: 'if', cond: 'x', then: [{ kind: 'assign', target: 'y', value: '2' }] },
				{ kind: 'assign', target: 'z', value: '3' }]);
		});
		it('skips a broken statement together with its block', () => {
			const r = parse('if { \n a = 1 \n}\nb = 2', 't.hmmw');
			assert.deepEqual(r.diagnostics.map(d => `${d.line}:${d.col}: ${d.message}`), ["1:4: expected an expression, found '{'"]);
			assert.deepEqual(r.program.body.map(s => s.kind), ['assign']);
		});
		it('reports unknown statements and trailing junk', () => {
			assert.deepEqual(errors('frobnicate X\n42\nprint 1 2'), ["1:1: unknown statement 'frobnicate'",
				"2:1: expected a statement, found number '42'", "3:9: expected end of statement, found number '2'"]);
		});
		it('deduplicates identical diagnostics', () => {
			assert.equal(errors('x = 1 ' + '\u0000'.repeat(3)).length, 1);
		});
		it('reports an unclosed brace at the opening brace', () => {
			assert.deepEqual(errors('a = 1\nif a {\n  b = 2\n'), ["2:6: unclosed '{'"]);
			assert.deepEqual(errors('kernel gpu {\n read X\nrepeat 2 {\n}'), ["1:12: unclosed '{'"]);
		});
		it('reports an unmatched closing brace at the brace', () => {
			assert.deepEqual(errors('a = 1\n}\nb = 2'), ["2:1: unmatched '}'"]);
			const r = parse('if a { b = 1 } }\nc = 2', 't.hmmw');
			assert.deepEqual(r.diagnostics.map(d => `${d.line}:${d.col}: ${d.message}`), ["1:16: unmatched '}'"]);
			assert.deepEqual(r.program.body.map(s => s.kind), ['if', 'assign']);
		});
		it('reports garbage characters and parses around them', () => {
			const r = parse('a = 1 \u0000\nb = \uFFFD 2\n😀\nc = 3', 't.hmmw');
			assert.deepEqual(r.diagnostics.map(d => `${d.line}:${d.col}`), ['1:7', '2:5', '3:1']);
			assert.ok(r.diagnostics.every(d => d.message.startsWith('unexpected character')));
			assert.deepEqual(r.program.body.map(s => s.kind === 'assign' ? s.target : ''), ['a', 'b', 'c']);
		});
		it('reports a huge number and keeps going', () => {
			assert.deepEqual(errors('x = 99999999999999999999 GiB\ny = 1 +'),
				['1:5: integer literal is too large (above 2^53)', '2:8: expected an expression, found end of file']);
		});
	});

	describe('limits', () => {
		const N = 5000;
		it(`rejects ${N}-deep parentheses with a located diagnostic`, () => {
			const ds = timed(2000, () => errors(`x = ${'('.repeat(N)}1${')'.repeat(N)}\ny = 1 +`));
			// The 201st parenthesis is the first one too many.
			assert.deepEqual(ds, ['1:205: nesting too deep (more than 200 levels)', '2:8: expected an expression, found end of file']);
		});
		it(`rejects ${N}-deep if nesting once, and keeps parsing after it`, () => {
			const src = 'if 1 {\n'.repeat(N) + '}\n'.repeat(N) + 'z = (';
			const r = timed(2000, () => parse(src, 't.hmmw'));
			assert.deepEqual(r.diagnostics.map(d => `${d.line}:${d.col}: ${d.message}`),
				['201:4: nesting too deep (more than 200 levels)', `${2 * N + 1}:6: expected an expression, found end of file`]);
			assert.equal(r.program.body.length, 1);
		});
		it(`survives ${N}-deep braces, balanced or not`, () => {
			assert.deepEqual(timed(2000, () => errors('{'.repeat(N) + '}'.repeat(N))), ["1:1: expected a statement, found '{'"]);
			const open = timed(2000, () => errors('a = 1\n' + '{'.repeat(N)));
			assert.equal(open.length, N + 1);
			assert.deepEqual(open.slice(0, 3), ["2:1: unclosed '{'", "2:1: expected a statement, found '{'", "2:2: unclosed '{'"]);
			assert.equal(timed(2000, () => errors('}'.repeat(N))).length, N);
		});
		it(`rejects ${N}-deep unary, not, index, call and else-if chains`, () => {
			for (const src of [`x = ${'-'.repeat(N)}1`, `x = ${'not '.repeat(N)}a`, `x = a${'[0'.repeat(N)}${']'.repeat(N)}`,
				`x = ${'f('.repeat(N)}${')'.repeat(N)}`, 'if a { }' + ' else if a { }'.repeat(N),
				`kernel gpu {\n${'repeat 2 {\n'.repeat(N)}${'}\n'.repeat(N)}}`]) {
				const ds = timed(2000, () => errors(src));
				assert.equal(ds.length, 1, src.slice(0, 30));
				assert.match(ds[0], /nesting too deep/);
			}
		});
		it('rejects a very long operator chain instead of building a tree too deep to walk', () => {
			assert.deepEqual(ok(`x = ${Array(900).fill('1').join(' + ')}`).length, 1);
			assert.deepEqual(timed(2000, () => errors(`x = ${Array(N).fill('1').join(' + ')}`)),
				['1:5: expression too long (more than 1000 operators deep)']);
		});
		it('handles 100k-character identifiers quickly', () => {
			const name = 'p'.repeat(100000);
			const body = timed(2000, () => ok(`process ${name}\n${name} = ${name} + 1\ngpu mirror ${name}`));
			assert.equal(body.length, 3);
			assert.equal(body[0].kind === 'process' && body[0].name, name);
			const ds = timed(2000, () => errors(`${name} ${name}`));
			assert.equal(ds.length, 1);
			assert.ok(ds[0].length < 200, 'messages quote a prefix of long names');
		});
		it('handles 100k statements in linear time', () => {
			assert.equal(timed(3000, () => ok('a = 1\n'.repeat(100000))).length, 100000);
		});
	});

	it('never throws, whatever the input', () => {
		const alphabet = ['a', 'X', '1', '0x', 'KiB', ' pages', '(', ')', '[', ']', '{', '}', '=', '==', '-', '->', '..', ':',
			',', '.', ';', '\n', '"', '\\', '#', 'mmap', 'anon', 'rw', 'gpu', 'read', 'write', 'if', 'else', 'for', 'in',
			'kernel', 'expect', 'error', 'not', 'and', '\u0000', '😀', ' '];
		fc.assert(fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 60 }), parts => {
			const r = compileSource(parts.join(''), 'f.hmmw');
			for (const d of r.diagnostics) { assert.ok(d.line >= 1 && d.col >= 1 && !d.message.startsWith('internal')); }
		}), { numRuns: 3000 });
		fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), s => {
			const r = parse(s, 'f.hmmw');
			assert.ok(r.diagnostics.every(d => !d.message.startsWith('internal')));
		}), { numRuns: 1000 });
	});
});
