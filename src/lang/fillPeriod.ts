// Periodic fills. A page stores the low 32 bits of each word, and for most operators the low m bits
// of a result depend only on the low bits of the operands: + - * and unary - are ring operations
// (x mod 2^m is a homomorphism), & | ^ act bit by bit, `x << c` needs m - c bits of x,
// `x >> c` needs m + c, and `& M` with 0 <= M < 2^k needs only k. So when the word index i reaches
// the stored bits only through such operators, the words repeat with a period of 2^P words, P being
// the bits of i the root's 32 bits demand (`(i * i) & 0xFFFF`: 16, one period per 64 pages).
// Exactness is kept: `+ - *` (and bitwise results beyond 2^53, which come back from BigInt) round
// to a multiple of 2^s when the result lies in [2^e, 2^(e+1)), s = e - 52: the rounded value's
// low m bits are zero when m <= s, and otherwise depend on the exact one's low m bits only (which
// way it rounds depends on its bits 0..s), but only while e and the sign stay the same. The bound analysis of fillVector.ts proves that over an interval of word indices
// (strict bounds: a rounded bound above 2^e puts the exact value above it too), so the words of a
// band of indices repeat, and a page inside a band is copied from one period computed by the vector
// pass (the interpreter's semantics, as test/lang/fillCompile.test.ts checks) instead of evaluated.
// Operators that can fail (/, %, shifts by non-constants) keep a page on the vector path, except
// `/` and `%` by a constant power of two on an operand of one sign, which cannot fail.
import { type FillNode, M, Op, type PageFill, Program } from './fillVector';

const TWO53 = 2 ** 53;
/** the longest period kept: 2^18 words, a cache of 1 MiB per statement */
const MAX_BITS = 18;
/** pages evaluated in a band before a period is computed: a short write never pays for one */
const BUILD_AFTER = 16 * 1024;
const PAGE_WORDS = 1024;

/** e with 2^e <= v < 2^(e+1), for finite v > 0 */
function binade(v: number): number {
	let e = Math.floor(Math.log2(v));
	if (2 ** e > v) { e--; } else if (2 ** (e + 1) <= v) { e++; }
	return e;
}

/** 0 when every value in [l, h] is exact (below 2^53 in magnitude), s when all of them were
 * rounded to a multiple of 2^s within one binade of one sign, -1 otherwise */
function rounding(l: number, h: number): number {
	if (l > -TWO53 && h < TWO53) { return 0; }
	if (!(l > 0 || h < 0)) { return -1; }
	const a = l > 0 ? l : -h, b = l > 0 ? h : -l;
	const e = binade(a);
	return a > 2 ** e && b < 2 ** (e + 1) ? e - 52 : -1;
}

/** bits of c: the k with c < 2^k, for an integer c >= 0 */
function bitLength(c: number): number { return c === 0 ? 0 : binade(c) + 1; }

/** k when c is 2^k, else -1 */
function log2Exact(c: number): number {
	if (!(c >= 1) || !Number.isFinite(c)) { return -1; }
	const k = binade(c);
	return 2 ** k === c ? k : -1;
}

/** P such that the words of `p` at i and i + 2^P are the same for all i, i + 2^P in [ilo, ihi]
 * (integers), or -1 when that cannot be shown. */
export function periodBits(p: Program, dem: Float64Array, ilo: number, ihi: number): number {
	if (!(ilo > -TWO53 && ihi < TWO53 && ilo <= ihi)) { return -1; }
	p.choose(ilo, ihi);
	const { op, xm, xr, xc, ym, yr, yc, lo, hi } = p;
	const n = op.length;
	for (let j = 0; j < n; j++) {
		if (!Number.isFinite(lo[j]) || !Number.isFinite(hi[j])) { return -1; }
		if (xm[j] === M.CONST && !Number.isInteger(xc[j])) { return -1; }
		if (ym[j] === M.CONST && !Number.isInteger(yc[j])) { return -1; }
	}
	dem.fill(0, 0, n);
	dem[n - 1] = 32;
	let iBits = 0;
	const give = (m: M, r: number, d: number) => {
		if (m === M.REG) { dem[r] = Math.max(dem[r], d); } else if (m === M.I) { iBits = Math.max(iBits, d); }
	};
	for (let j = n - 1; j >= 0; j--) {
		let m = dem[j];
		if (m === 0) { continue; }
		const o = op[j];
		if (o !== Op.NEG && o !== Op.SHL && o !== Op.SHR && o !== Op.DIV && o !== Op.MOD) {
			const s = rounding(lo[j], hi[j]);
			if (s < 0) { return -1; }
			// a multiple of 2^s: its low m <= s bits are zero whatever the operands
			if (m <= s) { m = 0; }
		}
		const cy = ym[j] === M.CONST ? yc[j] : NaN;
		const xl = xm[j] === M.I ? ilo : xm[j] === M.REG ? lo[xr[j]] : xc[j];
		const xh = xm[j] === M.I ? ihi : xm[j] === M.REG ? hi[xr[j]] : xc[j];
		let dx = m, dy = m;
		switch (o) {
			case Op.AND:
				if (cy >= 0) { dx = Math.min(m, bitLength(cy)); }
				if (xm[j] === M.CONST && xc[j] >= 0) { dy = Math.min(m, bitLength(xc[j])); }
				break;
			case Op.SHL: case Op.SHR:
				// a constant shift within 0..63 cannot fail; one that depends on i is not periodic
				if (!(cy >= 0 && cy <= 63)) { return -1; }
				dx = o === Op.SHL ? Math.max(0, m - cy) : m + cy;
				break;
			case Op.DIV: case Op.MOD: {
				// by 2^k, on an operand of one sign: bits of x shifted (/) or its low k bits (%)
				const k = log2Exact(Math.abs(cy));
				if (k < 0 || !(xl >= 0 || xh <= 0)) { return -1; }
				dx = o === Op.DIV ? m + k : Math.min(m, k);
				break;
			}
			default: break;
		}
		give(xm[j], xr[j], dx);
		give(ym[j], yr[j], dy);
	}
	return iBits;
}

/** The page filler: periodic pages are copied from a cached period, the others go to `direct`
 * (the vector pass, or word by word). */
export function periodicPageFill(p: Program, direct: PageFill): PeriodicFill {
	const dem = new Float64Array(p.op.length);
	let cache: Int32Array | undefined;
	/** the cache holds words j0 .. j0 + cache.length - 1; period 2^bits; proven up to index `upTo` */
	let j0 = 0, period = 0, bits = 0, upTo = 0;
	let directWords = 0;
	/** periods built so far: a page's key names its period and its offset in it */
	let gen = 0;
	let views: (Int32Array | undefined)[] = [], viewAt: number[] = [];

	const holds = (from: number, to: number) => { const b = periodBits(p, dem, from, to); return b >= 0 && b <= bits; };

	/** Proves the band up to at least `last`, and as far beyond as twice the length proven so far
	 * (the largest end the bounds allow, by bisection), or drops the cache: the band has ended. */
	const extend = (last: number): void => {
		if (!holds(j0, last)) { cache = undefined; return; }
		let good = last, bad = Math.max(last, j0 + 2 * (upTo - j0)) + 1;
		if (holds(j0, bad - 1)) { good = bad - 1; } else {
			while (bad - good > 1) { const mid = Math.floor((good + bad) / 2); if (holds(j0, mid)) { good = mid; } else { bad = mid; } }
		}
		upTo = good;
	};

	/** a cached period starting at `first`, if the words from there on are periodic */
	const build = (first: number): boolean => {
		for (let b = MAX_BITS; b >= 10; b -= 2) {
			const end = first + 2 ** b + PAGE_WORDS - 1;
			const got = periodBits(p, dem, first, end);
			if (got < 0 || got > b) { continue; }
			const len = 2 ** got + PAGE_WORDS;
			const c = new Int32Array(len);
			for (let k = 0; k < len; k += PAGE_WORDS) {
				const n = Math.min(PAGE_WORDS, len - k);
				if (!p.run(c, k, first + k, 0, n)) { return false; }
			}
			cache = c; j0 = first; bits = got; period = 2 ** got; upTo = end; gen++;
			views = []; viewAt = [];
			return true;
		}
		return false;
	};

	const fill = (w: Int32Array, o: number, base: number, from: number, to: number): void => {
		if (to <= from) { return; }
		const first = base + from, last = base + to - 1;
		if (cache !== undefined && Number.isInteger(base) && first >= j0) {
			if (last > upTo) { extend(last); }
			if (cache !== undefined) {
				const at = (first - j0) % period, n = to - from;
				// a view per page position: page starts repeat, and a view costs an allocation
				let v = views[at >> 10];
				if (v === undefined || v.length !== n || viewAt[at >> 10] !== at) { v = views[at >> 10] = cache.subarray(at, at + n); viewAt[at >> 10] = at; }
				w.set(v, o + from);
				stats.copied++;
				return;
			}
		}
		directWords += to - from;
		if (directWords >= BUILD_AFTER && Number.isInteger(base)) {
			directWords = 0;
			if (build(first)) {
				w.set(cache!.subarray(0, to - from), o + from);
				stats.copied++;
				return;
			}
		}
		direct(w, o, base, from, to);
	};
	/** A whole page the filler would copy from its period (proving the band that far): its key,
	 * the same for every page it copies from the same words of the same period. */
	const key = (base: number): number => {
		if (cache === undefined || !Number.isInteger(base) || base < j0) { return -1; }
		if (base + PAGE_WORDS - 1 > upTo) { extend(base + PAGE_WORDS - 1); }
		if (cache === undefined) { return -1; }
		const d = base - j0;
		return gen * 2 ** MAX_BITS + (d < 2 ** 31 ? d & (period - 1) : d % period);
	};
	/** pages copied from a period (tests check the path is taken) */
	const stats = Object.assign(fill, { copied: 0, key });
	return stats;
}

/** A page filler whose periodic pages have keys: equal keys, equal pages. */
export type PeriodicFill = PageFill & { copied: number; key: (base: number) => number };

/** The page filler of an expression tree: periodic pages copied, the others by the vector pass for
 * pages of integer word indices, and the scalar closure `word` (the exact per-word semantics) for
 * anything the vector pass cannot or may not do. */
export function pageFill(root: FillNode, word: (i: number) => number): PeriodicFill {
	const p = new Program(root);
	return periodicPageFill(p, (w, o, base, from, to) => {
		if (Number.isInteger(base) && p.run(w, o, base, from, to)) { return; }
		for (let k = from; k < to; k++) { w[o + k] = word(base + k) | 0; }
	});
}
