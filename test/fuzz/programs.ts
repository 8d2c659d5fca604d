// Random programs that pass the checker: a prelude declaring two devices (one of each kind), a
// process, mappings and a file, then statements drawn from the whole language with operands that
// are usually valid. These reach deep into the engine, where token soups stop at the parser.
import * as fc from 'fast-check';

const PRELUDES = [
	`device gpu memory=64MiB kind=private huge=on
device cxl memory=64MiB kind=coherent
file f size=5 pages = i + 1
process p
gpu mirror p
cxl mirror p
X = mmap 16 pages anon rw
Y = mmap 8 pages anon rw shared
F = mmap 4 pages file f rw shared
G = mmap 4 pages file f rw private
H = mmap 2MiB anon rw huge`,
	`system ram=64MiB thp=always
device gpu memory=1MiB kind=private
device cxl memory=2MiB kind=coherent huge=on
file f size=3 pages
process p
gpu mirror p
cxl mirror p
X = mmap 4MiB anon rw
Y = mmap 4 pages anon r shared
F = mmap 6 pages file f rw shared
G = mmap 4 pages file f r private
H = mmap 4 pages dax f rw shared`,
	// RAM and device memory both run out; huge pages everywhere
	`system ram=8MiB thp=always
device gpu memory=4MiB kind=private huge=on
device cxl memory=2MiB kind=coherent huge=on
file f size=600 pages = i
process p
gpu mirror p
cxl mirror p
X = mmap 6MiB anon rw
Y = mmap 2MiB anon rw shared huge
F = mmap 600 pages file f rw shared
G = mmap 600 pages file f rw private
H = mmap 4MiB anon rw huge`,
];

const RANGE_VARS = ['X', 'Y', 'F', 'G', 'H'];
const small = fc.nat({ max: 20 });
const rangeVar = fc.constantFrom(...RANGE_VARS);

/** A range expression, usually inside a mapping, sometimes across or outside it. */
const range: fc.Arbitrary<string> = fc.oneof(
	{ arbitrary: rangeVar, weight: 3 },
	{ arbitrary: fc.tuple(rangeVar, small).map(([v, k]) => `page(${v}, ${k % 4})`), weight: 3 },
	{ arbitrary: fc.tuple(rangeVar, small, fc.integer({ min: 1, max: 2 })).map(([v, k, n]) => `pages(${v}, ${k % 3}, ${n})`), weight: 2 },
	{ arbitrary: fc.tuple(rangeVar, fc.nat({ max: 16383 }), fc.nat({ max: 16383 })).map(([v, a, b]) => `${v}[${Math.min(a, b)}:${Math.max(a, b) + 1}]`), weight: 2 },
	// out of the mapping's bounds: a script error, which ends the run
	{ arbitrary: fc.tuple(rangeVar, fc.nat({ max: 70000 })).map(([v, a]) => `${v}[${a}:${a + 4097}]`), weight: 1 },
	{ arbitrary: fc.tuple(rangeVar, fc.integer({ min: -3, max: 40 })).map(([v, d]) => `at(addr(${v}) + ${d} * 4096, ${1 + (d & 7)} * 4096)`), weight: 1 },
	{ arbitrary: fc.tuple(rangeVar, small).map(([v, k]) => `${v}[${(k % 4) * 4096}:]`), weight: 1 },
);

const fill = fc.oneof(
	fc.constantFrom('i', '-i', '0', '7', 'i + 3', '5 - i', 'i * 3 ^ 5', 'i % 7', 'i / 2', '-2147483648', '2147483647 + i',
		'i * i', '9007199254740991', 'i << 40', 'i >> 1', '-i - 9007199254740991', 'time', 'k', 'n * i'),
	fc.integer().map(String),
);
const dev = fc.constantFrom('gpu', 'cxl');
const loc = fc.constantFrom('gpu', 'cxl', 'ram');
const prot = fc.constantFrom('none', 'r', 'rw', 'rx', 'rwx');
const proc = fc.constantFrom('p', 'c1', 'c2');
const code = fc.constantFrom('EFAULT', 'EPERM', 'EINVAL', 'ENOENT', 'ENOMEM', 'EBUSY', 'SIGSEGV', 'SIGBUS');
const query = fc.oneof(
	range.map(r => `where(${r})`), fc.tuple(range, loc).map(([r, l]) => `count(${r}, ${l})`),
	fc.tuple(dev, range).map(([d, r]) => `mapped(${d}, ${r})`), fc.tuple(dev, range).map(([d, r]) => `perm(${d}, ${r})`),
	fc.tuple(dev, range).map(([d, r]) => `exclusive(${d}, ${r})`), fc.tuple(range, fill).map(([r, f]) => `matches(${r}, ${f})`),
	fc.tuple(range, fc.integer({ min: -2, max: 2000 })).map(([r, k]) => `word(${r}, ${k})`), range.map(r => `npages(${r})`),
	fc.constantFrom('last.cpages', 'last.faults', 'last.error', 'gpu.faults', 'cxl.used', 'p.rss', 'p.pid', 'time', 'len(B)', 'B[3]', 'S[0]', 'word(B, 1)'),
);

const simple: fc.Arbitrary<string> = fc.oneof(
	{ arbitrary: range.map(r => `cpu read ${r}`), weight: 3 },
	{ arbitrary: fc.tuple(range, fill).map(([r, f]) => `cpu write ${r} = ${f}`), weight: 4 },
	{ arbitrary: range.map(r => `cpu write ${r}`), weight: 1 },
	{ arbitrary: fc.tuple(dev, range).map(([d, r]) => `B = ${d} read ${r}`), weight: 2 },
	{ arbitrary: fc.tuple(dev, range, fill).map(([d, r, f]) => `${d} write ${r} = ${f}`), weight: 3 },
	{ arbitrary: fc.tuple(range, loc).map(([r, l]) => `migrate ${r} -> ${l}`), weight: 4 },
	{ arbitrary: fc.tuple(range, dev).map(([r, d]) => `exclusive ${r} -> ${d}`), weight: 2 },
	{ arbitrary: fc.tuple(dev, range).map(([d, r]) => `S = ${d} snapshot ${r}`), weight: 1 },
	{ arbitrary: range.map(r => `pin ${r}`), weight: 1 },
	{ arbitrary: range.map(r => `unpin ${r}`), weight: 1 },
	{ arbitrary: dev.map(d => `${d} release`), weight: 1 },
	{ arbitrary: fc.tuple(range, prot).map(([r, p]) => `mprotect ${r} ${p}`), weight: 2 },
	{ arbitrary: range.map(r => `munmap ${r}`), weight: 1 },
	{ arbitrary: fc.tuple(range, fc.constantFrom('dontneed', 'free', 'hugepage', 'nohugepage', 'collapse')).map(([r, a]) => `madvise ${r} ${a}`), weight: 2 },
	{ arbitrary: fc.tuple(fc.constantFrom(...RANGE_VARS), fc.integer({ min: 1, max: 600 }), fc.constantFrom('anon rw', 'anon r', 'anon rw shared', 'anon rw huge', 'file f rw shared', 'file f rw private offset=4096', 'dax f rw shared'))
		.map(([v, n, k]) => `${v} = mmap ${n} pages ${k}`), weight: 1 },
	{ arbitrary: fc.constant('fork NEW'), weight: 1 },
	{ arbitrary: proc.map(c => `use ${c}`), weight: 1 },
	{ arbitrary: proc.map(c => `exit ${c}`), weight: 1 },
	{ arbitrary: fc.tuple(dev, proc).map(([d, c]) => `${d} mirror ${c}`), weight: 1 },
	{ arbitrary: fc.tuple(dev, proc).map(([d, c]) => `${d} unmirror ${c}`), weight: 1 },
	{ arbitrary: query.map(q => `print ${q}`), weight: 2 },
	{ arbitrary: query.map(q => `expect ${q} == ${q}`), weight: 1 },
);

/** Statements, some wrapped in blocks (loops, conditionals, `expect error`). A failing statement
 * ends the run, so most are wrapped in `expect error`: whatever happens, the run goes on. */
const statement: fc.Arbitrary<string> = fc.oneof(
	{ arbitrary: simple, weight: 2 },
	{ arbitrary: fc.tuple(code, simple).map(([c, s]) => `expect error ${c} { ${s} }`), weight: 8 },
	{ arbitrary: fc.tuple(code, fc.array(simple, { minLength: 1, maxLength: 3 })).map(([c, ss]) => `expect error ${c} {\n${ss.join('\n')}\n}`), weight: 3 },
	{ arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.array(simple, { minLength: 1, maxLength: 3 })).map(([n, ss]) => `for k in 0..${n} {\n${ss.join('\n')}\n}`), weight: 1 },
	{ arbitrary: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.array(simple, { minLength: 1, maxLength: 3 })).map(([n, ss]) => `repeat ${n} {\n${ss.join('\n')}\n}`), weight: 1 },
	{ arbitrary: fc.tuple(query, fc.array(simple, { minLength: 1, maxLength: 2 }), fc.array(simple, { maxLength: 2 })).map(([q, a, b]) => `if ${q} == ${q} {\n${a.join('\n')}\n} else {\n${b.join('\n')}\n}`), weight: 1 },
);

/** A program that usually checks: a prelude, process names declared, then random statements. */
export const program: fc.Arbitrary<string> = fc.tuple(fc.constantFrom(...PRELUDES), fc.array(statement, { maxLength: 30 }))
	// k and n are read by some fills; c1 and c2 exist for use/exit/mirror; every later fork makes a
	// process of its own, since the checker rejects a name declared twice
	.map(([pre, body]) => {
		let n = 0;
		const text = body.join('\n').replace(/fork NEW/g, () => `fork d${++n}`);
		return `${pre}\nk = 2\nn = 3\nB = gpu read page(X, 0)\nS = gpu snapshot page(X, 0)\nfork c1\nfork c2\n${text}`;
	});
