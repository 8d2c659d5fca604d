// A fill expression evaluated a page at a time: each operator of the expression runs as one tight
// loop over the page's 1024 words into a Float64Array register (operands that are i or constants
// are read in place; the last operator stores straight into the page), so the per-word cost is a
// few machine instructions per operator instead of a call per operator. Before each page, the range
// of every operator's values over that page's word indices is worked out; where it proves an
// operand pair safe (int32 operands, a non-negative int32 mask, a divisor that is never zero, a
// shift that stays within 0..63) the operator runs natively, elsewhere through the exact helpers
// of intOps.ts. Any exception inside the vector pass drops the page and recomputes it word by
// word with the scalar closure, so errors, their order and the words written before them are
// exactly those of the interpreter.
import type { Loc } from './ast';
import { bitAnd, bitOr, bitXor, divide, I32, modulo, POW2, shiftLeft, shiftRight } from './intOps';

export type ArithOp = '+' | '-' | '*' | '/' | '%' | '&' | '|' | '^' | '<<' | '>>';

/** An integer expression of the word index i; everything else in it is already a constant. */
export type FillNode =
	| { kind: 'i' }
	| { kind: 'c'; v: number }
	| { kind: 'neg'; a: FillNode }
	| { kind: 'bin'; op: ArithOp; a: FillNode; b: FillNode; loc: Loc };

export type PageFill = (w: Int32Array, o: number, base: number, from: number, to: number) => void;

type V = Float64Array;
const N = 1024;
/** beyond this every operation on integer-valued doubles still gives an integer-valued double */
const BOUND = 2 ** 1000;
const TWO53 = 2 ** 53;

// ---------------------------------------------------------------- kernels

/** Operators as the kernels apply them: native forms, then the exact checked helper forms. */
export const enum Op { NEG, ADD, SUB, MUL, DIV, MOD, AND, OR, XOR, SHL, SHR, DIV_H, MOD_H, AND_H, OR_H, XOR_H, SHL_H, SHR_H }

// One loop per operator and operand shape, each seeing only Float64Array operands (a shared
// switch, or operand-kind branches inside the loop, cost V8 its typing and 2-4x the time).
// K: register op register -> register; KC: register op constant -> register; S and SC: the same
// storing the int32 into the page (native operators only: they cannot throw halfway).
type K = (x: V, y: V, o: V, n: number) => void;
type KC = (x: V, c: number, o: V, n: number) => void;
type S = (x: V, y: V, w: Int32Array, at: number, n: number) => void;
type SC = (x: V, c: number, w: Int32Array, at: number, n: number) => void;
const K_NEG: K = (x, _y, o, n) => { for (let k = 0; k < n; k++) { o[k] = -x[k]; } };
const K_ADD: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] + y[k]; } };
const K_SUB: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] - y[k]; } };
const K_MUL: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] * y[k]; } };
const K_DIV: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = Math.trunc(x[k] / y[k]); } };
const K_MOD: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] % y[k]; } };
const K_AND: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] & y[k]; } };
const K_OR: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] | y[k]; } };
const K_XOR: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] ^ y[k]; } };
const K_SHL: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] * POW2[y[k]]; } };
const K_SHR: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = Math.floor(x[k] / POW2[y[k]]); } };
const K_DIV_H: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = divide(x[k], y[k], undefined); } };
const K_MOD_H: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = modulo(x[k], y[k], undefined); } };
const K_AND_H: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = bitAnd(x[k], y[k]); } };
const K_OR_H: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = bitOr(x[k], y[k]); } };
const K_XOR_H: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = bitXor(x[k], y[k]); } };
const K_SHL_H: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = shiftLeft(x[k], y[k], undefined); } };
const K_SHR_H: K = (x, y, o, n) => { for (let k = 0; k < n; k++) { o[k] = shiftRight(x[k], y[k], undefined); } };
const KC_ADD: KC = (x, c, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] + c; } };
const KC_SUB: KC = (x, c, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] - c; } };
const KC_MUL: KC = (x, c, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] * c; } };
const KC_DIV: KC = (x, c, o, n) => { for (let k = 0; k < n; k++) { o[k] = Math.trunc(x[k] / c); } };
const KC_MOD: KC = (x, c, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] % c; } };
const KC_AND: KC = (x, c, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] & c; } };
const KC_OR: KC = (x, c, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] | c; } };
const KC_XOR: KC = (x, c, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] ^ c; } };
const KC_SHL: KC = (x, c, o, n) => { for (let k = 0; k < n; k++) { o[k] = x[k] * POW2[c]; } };
const KC_SHR: KC = (x, c, o, n) => { for (let k = 0; k < n; k++) { o[k] = Math.floor(x[k] / POW2[c]); } };
const S_NEG: S = (x, _y, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (-x[k]) | 0; } };
const S_ADD: S = (x, y, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] + y[k]) | 0; } };
const S_SUB: S = (x, y, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] - y[k]) | 0; } };
const S_MUL: S = (x, y, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] * y[k]) | 0; } };
const S_DIV: S = (x, y, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (Math.trunc(x[k] / y[k])) | 0; } };
const S_MOD: S = (x, y, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] % y[k]) | 0; } };
const S_AND: S = (x, y, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] & y[k]) | 0; } };
const S_OR: S = (x, y, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] | y[k]) | 0; } };
const S_XOR: S = (x, y, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] ^ y[k]) | 0; } };
const S_SHL: S = (x, y, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] * POW2[y[k]]) | 0; } };
const S_SHR: S = (x, y, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (Math.floor(x[k] / POW2[y[k]])) | 0; } };
const SC_ADD: SC = (x, c, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] + c) | 0; } };
const SC_SUB: SC = (x, c, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] - c) | 0; } };
const SC_MUL: SC = (x, c, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] * c) | 0; } };
const SC_DIV: SC = (x, c, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (Math.trunc(x[k] / c)) | 0; } };
const SC_MOD: SC = (x, c, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] % c) | 0; } };
const SC_AND: SC = (x, c, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] & c) | 0; } };
const SC_OR: SC = (x, c, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] | c) | 0; } };
const SC_XOR: SC = (x, c, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] ^ c) | 0; } };
const SC_SHL: SC = (x, c, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (x[k] * POW2[c]) | 0; } };
const SC_SHR: SC = (x, c, w, at, n) => { for (let k = 0; k < n; k++) { w[at + k] = (Math.floor(x[k] / POW2[c])) | 0; } };
/** indexed by Op (the C forms from ADD on: index op - 1) */
const KS: K[] = [K_NEG, K_ADD, K_SUB, K_MUL, K_DIV, K_MOD, K_AND, K_OR, K_XOR, K_SHL, K_SHR, K_DIV_H, K_MOD_H, K_AND_H, K_OR_H, K_XOR_H, K_SHL_H, K_SHR_H];
const KCS: KC[] = [KC_ADD, KC_SUB, KC_MUL, KC_DIV, KC_MOD, KC_AND, KC_OR, KC_XOR, KC_SHL, KC_SHR];
const SS: S[] = [S_NEG, S_ADD, S_SUB, S_MUL, S_DIV, S_MOD, S_AND, S_OR, S_XOR, S_SHL, S_SHR];
const SCS: SC[] = [SC_ADD, SC_SUB, SC_MUL, SC_DIV, SC_MOD, SC_AND, SC_OR, SC_XOR, SC_SHL, SC_SHR];
function iota(o: V, first: number, n: number): void { for (let k = 0; k < n; k++) { o[k] = first + k; } }

// ---------------------------------------------------------------- the program

const inI32 = (lo: number, hi: number) => lo >= -I32 && hi < I32;
const bounded = (lo: number, hi: number) => lo >= -BOUND && hi <= BOUND;

/** where an operand comes from: an earlier instruction's register, the word index i, or a constant */
export const enum M { REG, I, CONST }
interface Operand { m: M; r: number; c: number }

/** Operators in evaluation order (postorder). Instruction j writes register reg[j] (the last one
 * writes the page). i has a register filled once per page; constants have registers filled once,
 * and a constant right operand of a native operator is passed as a number instead. */
export class Program {
	readonly op: Op[] = [];
	readonly xm: M[] = [];
	readonly xr: number[] = [];
	readonly xc: number[] = [];
	readonly ym: M[] = [];
	readonly yr: number[] = [];
	readonly yc: number[] = [];
	private readonly reg: number[] = [];
	/** register of each operand (x then y per instruction), resolved on first use */
	private xreg: V[] = [];
	private yreg: V[] = [];
	/** value range of each instruction's result over the current page */
	readonly lo: Float64Array;
	readonly hi: Float64Array;
	/** the operator each instruction runs on the current page (native where proven safe) */
	private readonly form: Op[];
	private readonly iReg = new Float64Array(N);
	private usesI = false;
	private nregs = 1;

	constructor(root: FillNode) {
		// a bare leaf (i or a constant) is i + 0 or c + 0, which stores the same int32
		this.emit(root.kind === 'i' || root.kind === 'c' ? { kind: 'bin', op: '+', a: root, b: { kind: 'c', v: 0 }, loc: { line: 0, col: 0 } } : root, 0);
		this.lo = new Float64Array(this.op.length);
		this.hi = new Float64Array(this.op.length);
		this.form = this.op.slice();
	}

	/** Registers are a stack: an operator at depth d writes register d. */
	private emit(n: FillNode, depth: number): Operand {
		if (n.kind === 'i') { this.usesI = true; return { m: M.I, r: -1, c: 0 }; }
		if (n.kind === 'c') { return { m: M.CONST, r: -1, c: n.v }; }
		const x = this.emit(n.a, depth);
		const y = n.kind === 'bin' ? this.emit(n.b, depth + 1) : { m: M.CONST, r: -1, c: 0 };
		this.op.push(n.kind === 'neg' ? Op.NEG : OPS[n.op]);
		this.xm.push(x.m); this.xr.push(x.r); this.xc.push(x.c);
		this.ym.push(y.m); this.yr.push(y.r); this.yc.push(y.c);
		this.reg.push(depth);
		this.nregs = Math.max(this.nregs, depth + 1);
		return { m: M.REG, r: this.op.length - 1, c: 0 };
	}

	private setup(): void {
		const stack = Array.from({ length: this.nregs }, () => new Float64Array(N));
		const operand = (m: M, r: number, c: number): V => m === M.REG ? stack[this.reg[r]] : m === M.I ? this.iReg : new Float64Array(N).fill(c);
		for (let j = 0; j < this.op.length; j++) {
			this.xreg.push(operand(this.xm[j], this.xr[j], this.xc[j]));
			this.yreg.push(operand(this.ym[j], this.yr[j], this.yc[j]));
		}
		this.out = this.reg.map(d => stack[d]);
	}

	private out: V[] = [];

	/** Fills words [from, to) of a page; false if some word threw (nothing is written then). */
	run(w: Int32Array, o: number, base: number, from: number, to: number): boolean {
		if (this.out.length === 0) { this.setup(); }
		const n = to - from, first = base + from;
		this.choose(first, first + n - 1);
		const { form, ym, yc, xreg, yreg, out } = this;
		const last = form.length - 1;
		try {
			if (this.usesI) { iota(this.iReg, first, n); }
			for (let j = 0; j < last; j++) {
				const f = form[j];
				if (f !== Op.NEG && f < Op.DIV_H && ym[j] === M.CONST) { KCS[f - 1](xreg[j], yc[j], out[j], n); } else { KS[f](xreg[j], yreg[j], out[j], n); }
			}
			const f = form[last];
			// a checked operator may throw halfway through the page: it goes through a register
			if (f >= Op.DIV_H) {
				KS[f](xreg[last], yreg[last], out[last], n);
				SCS[Op.ADD - 1](out[last], 0, w, o + from, n);
			} else if (f !== Op.NEG && ym[last] === M.CONST) {
				SCS[f - 1](xreg[last], yc[last], w, o + from, n);
			} else {
				SS[f](xreg[last], yreg[last], w, o + from, n);
			}
		} catch {
			return false;
		}
		return true;
	}

	/** Bounds of every result over word indices [ilo, ihi] (integers), and from them the form each
	 * operator runs in. Conservative, and exact enough to prove the common operand pairs safe:
	 * doubles round monotonically, so bounds computed with the same operation as the values bound them. */
	choose(ilo: number, ihi: number): void {
		const { op, xm, xr, xc, ym, yr, yc, lo, hi, form } = this;
		for (let j = 0; j < op.length; j++) {
			const al = xm[j] === M.I ? ilo : xm[j] === M.CONST ? xc[j] : lo[xr[j]];
			const ah = xm[j] === M.I ? ihi : xm[j] === M.CONST ? xc[j] : hi[xr[j]];
			const bl = ym[j] === M.I ? ilo : ym[j] === M.CONST ? yc[j] : lo[yr[j]];
			const bh = ym[j] === M.I ? ihi : ym[j] === M.CONST ? yc[j] : hi[yr[j]];
			form[j] = formOf(op[j], al, ah, bl, bh);
			let [l, h] = op[j] === Op.NEG ? [-ah, -al] : binaryRange(op[j], al, ah, bl, bh);
			if (!bounded(l, h)) { l = -Infinity; h = Infinity; }
			lo[j] = l; hi[j] = h;
		}
	}
}

const OPS: Record<ArithOp, Op> = {
	'+': Op.ADD, '-': Op.SUB, '*': Op.MUL, '/': Op.DIV, '%': Op.MOD, '&': Op.AND, '|': Op.OR, '^': Op.XOR,
	'<<': Op.SHL, '>>': Op.SHR,
};

/** The native form where the operand ranges prove it exact and unable to throw, else the checked one. */
function formOf(op: Op, al: number, ah: number, bl: number, bh: number): Op {
	const nonzero = bl > 0 || bh < 0, shift = bl >= 0 && bh <= 63, i32 = inI32(al, ah) && inI32(bl, bh);
	switch (op) {
		case Op.DIV: return nonzero ? Op.DIV : Op.DIV_H;
		case Op.MOD: return nonzero ? Op.MOD : Op.MOD_H;
		case Op.AND: return nativeAnd(al, ah, bl, bh) ? Op.AND : Op.AND_H;
		case Op.OR: return i32 ? Op.OR : Op.OR_H;
		case Op.XOR: return i32 ? Op.XOR : Op.XOR_H;
		case Op.SHL: return shift ? Op.SHL : Op.SHL_H;
		case Op.SHR: return shift ? Op.SHR : Op.SHR_H;
		default: return op;
	}
}

function nativeAnd(al: number, ah: number, bl: number, bh: number): boolean {
	if (inI32(al, ah) && inI32(bl, bh)) { return true; }
	// a non-negative int32 mask keeps bits that ToInt32 of the other integer keeps exactly
	return (bl >= 0 && bh < I32 && bounded(al, ah)) || (al >= 0 && ah < I32 && bounded(bl, bh));
}

function minmax(p: number, q: number, r: number, s: number): [number, number] {
	return [Math.min(p, q, r, s), Math.max(p, q, r, s)];
}

function binaryRange(c: Op, al: number, ah: number, bl: number, bh: number): [number, number] {
	const ma = Math.max(-al, ah), mb = Math.max(-bl, bh);
	switch (c) {
		case Op.ADD: return [al + bl, ah + bh];
		case Op.SUB: return [al - bh, ah - bl];
		case Op.MUL: return minmax(al * bl, al * bh, ah * bl, ah * bh);
		case Op.DIV: return al >= 0 && bl >= 0 ? [0, ah] : [-ma, ma];
		case Op.MOD: { const m = Math.min(ma, mb); return al >= 0 ? [0, m] : [-m, m]; }
		case Op.SHL: case Op.SHR: {
			const yl = POW2[Math.max(0, Math.min(63, bl))], yh = POW2[Math.max(0, Math.min(63, bh))];
			return c === Op.SHL ? minmax(al * yl, al * yh, ah * yl, ah * yh)
				: minmax(Math.floor(al / yl), Math.floor(al / yh), Math.floor(ah / yl), Math.floor(ah / yh));
		}
		case Op.AND:
			if (bl >= 0 || al >= 0) { return [0, Math.min(bl >= 0 ? bh : Infinity, al >= 0 ? ah : Infinity)]; }
			return wideRange(al, ah, bl, bh);
		default:
			if (al >= 0 && bl >= 0 && ah < I32 && bh < I32) { return [0, I32 - 1]; }
			if (al >= 0 || bl >= 0) {
				// y >= 0: x | y = x + (y & ~x) and x ^ y = x | y - (x & y), with y & ~x and x & y in 0..y
				const [xl, xh, yl, yh] = bl >= 0 ? [al, ah, bl, bh] : [bl, bh, al, ah];
				if (c === Op.OR) { return [xl >= 0 ? Math.max(xl, yl) : xl, xh + yh]; }
				return [xl >= 0 ? Math.max(0, xl - yh, yl - xh) : xl - yh, xh + yh];
			}
			return wideRange(al, ah, bl, bh);
	}
}

function wideRange(al: number, ah: number, bl: number, bh: number): [number, number] {
	if (inI32(al, ah) && inI32(bl, bh)) { return [-I32, I32 - 1]; }
	if (al > -TWO53 && ah < TWO53 && bl > -TWO53 && bh < TWO53) { return [-TWO53, TWO53]; }
	return [-Infinity, Infinity];
}
