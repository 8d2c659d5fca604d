// Arbitraries for the integrity test: abstract operations whose operands are fractions, resolved
// against the model when they run (see ops.ts).
import * as fc from 'fast-check';
import type { Loc, Prot } from './model';
import type { FillSel, Op, RangeSel } from './ops';

const frac = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const range: fc.Arbitrary<RangeSel> = fc.record({
	region: frac,
	shape: fc.constantFrom('whole', 'page', 'pages', 'pages', 'slice', 'at'),
	a: frac, b: frac, spill: fc.integer({ min: -2, max: 2 }),
});
const fill: fc.Arbitrary<FillSel> = fc.option(fc.record({
	shape: fc.nat({ max: 9 }),
	c: fc.oneof(fc.integer({ min: -5, max: 100 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
}), { freq: 8 });
const dev = fc.constantFrom<Loc>('gpu', 'cxl');
const prot = fc.constantFrom<Prot>('rw', 'rw', 'rw', 'r', 'none');

export const op: fc.Arbitrary<Op> = fc.oneof(
	{ weight: 3, arbitrary: fc.record({ t: fc.constant('mmap' as const), npages: fc.integer({ min: 1, max: 12 }), prot: fc.constantFrom<Prot>('rw', 'rw', 'rw', 'r'), shared: fc.boolean(), huge: fc.nat({ max: 19 }).map(n => n === 0), reuse: frac }) },
	{ weight: 8, arbitrary: fc.record({ t: fc.constant('cpu-write' as const), r: range, fill }) },
	{ weight: 2, arbitrary: fc.record({ t: fc.constant('cpu-read' as const), r: range }) },
	{ weight: 6, arbitrary: fc.record({ t: fc.constant('dev-write' as const), dev, r: range, fill }) },
	{ weight: 3, arbitrary: fc.record({ t: fc.constant('dev-read' as const), dev, r: range }) },
	{ weight: 8, arbitrary: fc.record({ t: fc.constant('migrate' as const), to: fc.constantFrom<Loc | 'ram'>('gpu', 'cxl', 'ram'), r: range }) },
	{ weight: 3, arbitrary: fc.record({ t: fc.constant('exclusive' as const), dev, r: range }) },
	{ weight: 2, arbitrary: fc.record({ t: fc.constant('mprotect' as const), prot, r: range }) },
	{ weight: 2, arbitrary: fc.record({ t: fc.constant('munmap' as const), r: range }) },
	{ weight: 2, arbitrary: fc.record({ t: fc.constant('dontneed' as const), r: range }) },
	{ weight: 1, arbitrary: fc.record({ t: fc.constant('pin' as const), r: range }) },
	{ weight: 1, arbitrary: fc.record({ t: fc.constant('unpin' as const), r: range }) },
	{ weight: 1, arbitrary: fc.record({ t: fc.constant('release' as const), dev }) },
	{ weight: 1, arbitrary: fc.record({ t: fc.constant('mirror' as const), dev, on: fc.boolean() }) },
	{ weight: 2, arbitrary: fc.record({ t: fc.constant('fork' as const), mirror: fc.nat({ max: 3 }).map(n => n > 0) }) },
	{ weight: 2, arbitrary: fc.record({ t: fc.constant('use' as const), pick: frac }) },
	{ weight: 1, arbitrary: fc.record({ t: fc.constant('exit' as const), pick: frac }) },
);
