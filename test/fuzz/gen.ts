// Arbitraries for script fuzzing: token soups from the language's own vocabulary (so the parser
// gets past its first token and the checker and interpreter see plausible programs), byte-level
// mutations of real scripts, and the pathological shapes a hand-written fuzzer would miss: deep
// nesting, huge literals, long names, unterminated strings and raw garbage.
import * as fc from 'fast-check';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './config';
import { program } from './programs';

const KEYWORDS = ['system', 'device', 'process', 'use', 'file', 'mirror', 'unmirror', 'mmap', 'munmap', 'mprotect',
	'madvise', 'fork', 'exit', 'cpu', 'read', 'write', 'kernel', 'atomic', 'migrate', 'prefetch', 'advise', 'exclusive',
	'release', 'pin', 'unpin', 'snapshot', 'for', 'in', 'step', 'repeat', 'if', 'else', 'print', 'expect', 'error',
	'anon', 'dax', 'shared', 'private', 'huge', 'nohuge', 'offset', 'ram', 'swap', 'thp', 'memory', 'kind', 'link',
	'policy', 'prefetch', 'evict', 'fault_batch', 'fault_latency', 'link_bw', 'local_bw', 'always', 'madvise', 'never',
	'coherent', 'pcie3', 'pcie4', 'pcie5', 'c2c', 'density', 'lru', 'fifo', 'on', 'off', 'none', 'r', 'rw', 'rx', 'rwx',
	'dontneed', 'free', 'hugepage', 'nohugepage', 'collapse', 'preferred', 'accessed_by', 'read_mostly', 'true', 'false',
	'and', 'or', 'not', 'i', 'time', 'last', 'cpages', 'faults', 'where', 'count', 'mapped', 'perm', 'matches', 'word',
	'len', 'npages', 'addr', 'page', 'pages', 'at', 'pid', 'rss', 'event', 'EFAULT', 'EPERM', 'EINVAL', 'ENOENT', 'ENOMEM',
	'EBUSY', 'SIGSEGV', 'SIGBUS', 'gpu', 'cxl', 'p', 'child', 'X', 'Y', 'B', 'S', 'f',
	// names that are also Object.prototype members: a lookup in a plain object finds them
	'toString', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty', 'prototype'];
const OPERATORS = ['<<', '>>', '==', '!=', '<=', '>=', '..', '->', '+', '-', '*', '/', '%', '|', '&', '^', '<', '>', '=',
	'(', ')', '[', ']', '{', '}', ',', ':', '.', ';', '\n', '\n', '\n', '#', '"', '\\'];
const SUFFIXES = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'page', 'pages', 'ns', 'us', 'ms', 's', 'GB/s', 'MB/s', 'GB', 'kib', 'x'];

const number = fc.oneof(
	fc.nat({ max: 64 }).map(String),
	fc.nat().map(n => '0x' + n.toString(16)),
	fc.bigInt({ min: 0n, max: 2n ** 80n }).map(String),
	fc.constantFrom('0', '1_000', '0x', '1__2', '00', '9007199254740993', '0x1fffffffffffff', '1.5', '4_096'),
);
const numberWithSuffix = fc.tuple(number, fc.constantFrom('', ' '), fc.constantFrom(...SUFFIXES)).map(([n, sp, s]) => n + sp + s);
const stringLit = fc.string({ maxLength: 12 }).map(s => '"' + s + '"');
const ident = fc.oneof(fc.constantFrom(...KEYWORDS), fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,8}$/));

const token = fc.oneof(
	{ arbitrary: fc.constantFrom(...KEYWORDS), weight: 6 },
	{ arbitrary: fc.constantFrom(...OPERATORS), weight: 4 },
	{ arbitrary: number, weight: 2 },
	{ arbitrary: numberWithSuffix, weight: 2 },
	{ arbitrary: stringLit, weight: 1 },
	{ arbitrary: ident, weight: 2 },
);

/** Tokens joined with blanks (and sometimes without, to glue suffixes and operators). */
export const tokenSoup: fc.Arbitrary<string> = fc.array(fc.tuple(token, fc.constantFrom(' ', ' ', ' ', '', '\t')), { maxLength: 60 })
	.map(ts => ts.map(([t, sep]) => t + sep).join(''));

/** Statements that are nearly right: real statement shapes with random operands. */
const operand = fc.oneof(number, numberWithSuffix, ident, fc.constantFrom('X', 'X[0:4096]', 'page(X, 1)', 'pages(X, 0, 2)', 'at(0, 1)', 'X[:]'));
const prot = fc.constantFrom('none', 'r', 'rw', 'rx', 'rwx', 'w', '');
const statement = fc.oneof(
	fc.tuple(operand, fc.constantFrom('private', 'coherent', 'bogus')).map(([m, k]) => `device gpu memory=${m} kind=${k}`),
	ident.map(n => `process ${n}`),
	fc.tuple(operand, prot, fc.constantFrom('', 'shared', 'huge', 'nohuge', 'private')).map(([s, p, m]) => `X = mmap ${s} anon ${p} ${m}`),
	fc.tuple(operand, operand).map(([r, e]) => `cpu write ${r} = ${e}`),
	operand.map(r => `cpu read ${r}`),
	fc.tuple(operand, fc.constantFrom('gpu', 'ram', 'cxl', 'nope')).map(([r, d]) => `migrate ${r} -> ${d}`),
	fc.tuple(operand, prot).map(([r, p]) => `mprotect ${r} ${p}`),
	operand.map(r => `munmap ${r}`),
	fc.tuple(operand, operand).map(([a, b]) => `expect ${a} == ${b}`),
	fc.tuple(fc.constantFrom('EFAULT', 'EINVAL', 'EPERM', 'ENOENT', 'SIGSEGV', 'NOPE'), operand).map(([c, r]) => `expect error ${c} { cpu write ${r} = 1 }`),
	fc.tuple(ident, operand, operand).map(([v, a, b]) => `for ${v} in ${a}..${b} { print ${v} }`),
	fc.tuple(operand).map(([n]) => `repeat ${n} { cpu read X }`),
	fc.constantFrom('gpu mirror p', 'gpu unmirror p', 'fork child', 'use child', 'exit child', 'gpu release', 'B = gpu read X',
		'gpu write X = i', 'S = gpu snapshot X', 'print len(B), S[0], word(B, 1)', 'exclusive X -> gpu', 'pin X', 'unpin X',
		'madvise X dontneed', 'file f size=2 pages = i', 'F = mmap 2 pages file f rw shared', 'system ram=1GiB thp=always',
		'kernel gpu { read X }', 'prefetch X -> gpu', 'advise X preferred=gpu'),
);
export const statementSoup: fc.Arbitrary<string> = fc.array(statement, { maxLength: 25 }).map(ss => ss.join('\n'));

// -------------------------------------------------------------- pathological shapes

const depth = fc.integer({ min: 1, max: 20000 });
export const pathological: fc.Arbitrary<string> = fc.oneof(
	depth.map(d => `x = ${'('.repeat(d)}1${')'.repeat(d)}`),
	depth.map(d => `x = ${'('.repeat(d)}1`),
	depth.map(d => `x = ${'-'.repeat(d)}1`),
	depth.map(d => `x = ${'not '.repeat(d)}true`),
	depth.map(d => `x = 1${' + 1'.repeat(d)}`),
	depth.map(d => `x = ${Array.from({ length: Math.min(d, 5000) }, (_, k) => `f${k}(`).join('')}1`),
	fc.integer({ min: 1, max: 3000 }).map(d => `${'if true {\n'.repeat(d)}print 1\n${'}\n'.repeat(d)}`),
	fc.integer({ min: 1, max: 3000 }).map(d => `${'repeat 1 {\n'.repeat(d)}x = 1\n${'}\n'.repeat(d)}`),
	fc.integer({ min: 1, max: 3000 }).map(d => `${'{'.repeat(d)}`),
	fc.integer({ min: 1, max: 3000 }).map(d => `${'}'.repeat(d)}`),
	fc.integer({ min: 1, max: 200_000 }).map(n => `x = ${'9'.repeat(n)}`),
	fc.integer({ min: 1, max: 200_000 }).map(n => `x = 0x${'f'.repeat(n)}TiB`),
	fc.integer({ min: 1, max: 200_000 }).map(n => `${'a'.repeat(n)} = 1\nprint ${'a'.repeat(n)}`),
	fc.integer({ min: 1, max: 200_000 }).map(n => `process ${'p'.repeat(n)}\nuse ${'q'.repeat(n)}`),
	fc.integer({ min: 0, max: 100_000 }).map(n => `print "${'x'.repeat(n)}`),
	fc.integer({ min: 0, max: 1000 }).map(n => `print "${'\\'.repeat(n)}`),
	fc.integer({ min: 1, max: 100_000 }).map(n => '\n'.repeat(n) + 'x = "'),
	fc.integer({ min: 1, max: 50_000 }).map(n => 'x = 1;'.repeat(n)),
	fc.constantFrom('x = 9007199254740992 + 9007199254740992', 'x = 1 << 63', 'x = -9007199254740992 * 9007199254740992',
		'x = 1 / 0', 'x = 1 % 0', 'x = 1 << -1', 'x = 1 >> 64', 'x = 0x1fffffffffffff | 1', 'print 1 < "a"', 'print "a" + X',
		'X = mmap 1TiB anon rw\ncpu write X = i', 'X = mmap 0 anon rw', 'X = mmap 9007199254740991 anon rw',
		'process p\nX = mmap 1 page anon rw\ncpu write X = i * i * i * i * i * i * i * i', 'for k in 0..9007199254740991 { }',
		'repeat 9007199254740991 { }', 'for k in 0..10 step 0 { }', 'for k in 10..0 step -1 { print k }',
		'process p\nX = mmap 1 page anon rw\nprint X[5:2]', 'process p\nX = mmap 1 page anon rw\nprint word(X, -1), word(X, 1024)',
		'process p\nX = mmap 4 pages anon rw\nprint page(X, 4), pages(X, 3, 2), pages(X, -1, 1)', 'print at(-1, 1)',
		'print at(9007199254740991, 9007199254740991)', '\uFEFFprint 1', '\r\r\r\n\n\r', 'print "\\q"'),
);

/** Huge inputs (issue "Reliability II", item 7): scripts of megabytes, in many short lines or one
 * long one, and the long words and dotted names that made regexes quadratic. */
const HUGE_LINES = ['x = 1 + 2 * 3', 'print "v", x', 'cpu write page(X, 1) = i', 'expect x == 7', 'if x > 3 { y = x } else { y = 0 }', 'for k in 0..2 { z = k }'];
export const huge: fc.Arbitrary<string> = fc.oneof(
	fc.integer({ min: 10_000, max: 150_000 }).map(n => `process p\nX = mmap 8 pages anon rw\n${Array.from({ length: n }, (_, k) => HUGE_LINES[k % HUGE_LINES.length]).join('\n')}\n`),
	fc.integer({ min: 100_000, max: 2_000_000 }).map(n => `x = ${'1 + '.repeat(n >> 2)}1`),
	fc.integer({ min: 100_000, max: 2_000_000 }).map(n => `print "${'y'.repeat(n)}"`),
	fc.integer({ min: 10_000, max: 80_000 }).map(n => `print ${'a'.repeat(n)}.${'b'.repeat(n)}`),
	fc.integer({ min: 10_000, max: 80_000 }).map(n => `print ${'a.'.repeat(n >> 1)}b`),
	fc.integer({ min: 10_000, max: 200_000 }).map(n => `# ${'#'.repeat(n)}\n`.repeat(8)),
	fc.integer({ min: 10_000, max: 400_000 }).map(n => ' \t'.repeat(n) + 'x = 1'),
	fc.integer({ min: 10_000, max: 300_000 }).map(n => '\r\n'.repeat(n) + 'print 1'),
);

/** Any UTF-16 code units, lone surrogates and NULs included: what a corrupted file decodes to. */
export const garbage: fc.Arbitrary<string> = fc.oneof(
	fc.string({ unit: 'binary', maxLength: 200 }),
	fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 200 }).map(cs => String.fromCharCode(...cs)),
	fc.uint8Array({ maxLength: 400 }).map(b => Buffer.from(b).toString('utf8')),
	fc.uint8Array({ maxLength: 400 }).map(b => Buffer.from(b).toString('latin1')),
);

// -------------------------------------------------------------- mutations of real scripts

function hmmwFiles(dir: string): string[] {
	const out: string[] = [];
	for (const name of readdirSync(dir).sort()) {
		const p = path.join(dir, name);
		if (statSync(p).isDirectory()) { out.push(...hmmwFiles(p)); } else if (name.endsWith('.hmmw')) { out.push(p); }
	}
	return out;
}

/** The conformance scripts, the examples and the debugger fixtures: real programs to mutate. */
export const corpus: { file: string; text: string }[] = ['test/conformance', 'examples', 'test/debug/fixtures']
	.flatMap(d => hmmwFiles(path.join(ROOT, d)))
	.map(file => ({ file: path.relative(ROOT, file), text: readFileSync(file, 'utf8') }));

type Mutation = (s: string) => string;
const at = (s: string, f: number) => Math.floor(f * (s.length + 1));
const fraction = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
	fc.tuple(fraction, fc.integer({ min: 1, max: 40 })).map(([f, n]): Mutation => s => s.slice(0, at(s, f)) + s.slice(at(s, f) + n)),
	fc.tuple(fraction, fc.oneof(token, garbage)).map(([f, t]): Mutation => s => s.slice(0, at(s, f)) + t + s.slice(at(s, f))),
	fc.tuple(fraction, fc.integer({ min: 0, max: 0xffff })).map(([f, c]): Mutation => s => { const k = at(s, f); return s.slice(0, k) + String.fromCharCode(c) + s.slice(k + 1); }),
	fc.tuple(fraction, fc.integer({ min: 0, max: 7 })).map(([f, bit]): Mutation => s => {
		// a bit flip in the UTF-8 bytes, decoded again as the CLI would
		const b = Buffer.from(s, 'utf8');
		if (b.length === 0) { return s; }
		b[Math.floor(f * b.length)] ^= 1 << bit;
		return b.toString('utf8');
	}),
	fraction.map((f): Mutation => s => s.slice(0, at(s, f))),
	fc.tuple(fraction, fraction).map(([f, g]): Mutation => s => {
		// swap two lines, or duplicate one
		const ls = s.split('\n');
		const a = Math.floor(f * ls.length), b = Math.floor(g * ls.length);
		if (a === b) { ls.splice(a, 0, ls[a]); } else { [ls[a], ls[b]] = [ls[b], ls[a]]; }
		return ls.join('\n');
	}),
	fc.tuple(fraction, fc.constantFrom('{', '}', '"', '(', ')', '[', ']', '->', '..', '=', ',', '\n', ';', '0', '-', 'i')).map(([f, t]): Mutation => s => s.slice(0, at(s, f)) + t + s.slice(at(s, f))),
	fc.tuple(fraction, number).map(([f, n]): Mutation => s => {
		// replace a number with another: sizes and counts are where the engine is tested hardest
		const m = [...s.matchAll(/\b\d[\d_]*\b/g)];
		if (m.length === 0) { return s; }
		const x = m[Math.floor(f * m.length)];
		return s.slice(0, x.index!) + n + s.slice(x.index! + x[0].length);
	}),
);

export const mutated: fc.Arbitrary<string> = fc.tuple(fc.constantFrom(...corpus), fc.array(mutation, { minLength: 1, maxLength: 6 }))
	.map(([c, ms]) => ms.reduce((s, m) => m(s), c.text));

/** Everything, weighted towards the inputs that reach the interpreter. */
export const anyScript: fc.Arbitrary<string> = fc.oneof(
	{ arbitrary: mutated, weight: 5 },
	{ arbitrary: program, weight: 4 },
	{ arbitrary: statementSoup, weight: 4 },
	{ arbitrary: tokenSoup, weight: 3 },
	{ arbitrary: pathological, weight: 1 },
	{ arbitrary: garbage, weight: 1 },
);
