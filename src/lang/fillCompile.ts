// Fill expressions (`cpu write R = EXPR`, `file ... = EXPR`, `matches(R, EXPR)`) compiled once
// per statement: subexpressions without `i` are evaluated once (variables cannot change within
// a statement), the rest becomes a tree of integer operators on i. A linear tree a*i + b becomes a
// pattern fill; any other tree a scalar closure with the interpreter's exact operator semantics
// (intOps.ts) plus a page filler that evaluates a page at a time (fillVector.ts).
import type { Expr } from './ast';
import type { Fill } from '../engine/mm/fill';
import type { Value } from './values';
import type { ArithOp, FillNode } from './fillVector';
import { pageFill } from './fillPeriod';
import { bitAnd, bitOr, bitXor, divide, modulo, shiftLeft, shiftRight } from './intOps';

/** evaluates a subexpression that does not use i */
export type ConstEval = (e: Expr) => Value;
type Fn = (i: number) => number;

/** beyond this size a tree keeps to the scalar closure: the vector pass needs a register per level */
const MAX_VECTOR_NODES = 256;

export function usesI(e: Expr): boolean {
	switch (e.kind) {
		case 'ident': return e.name === 'i';
		case 'unary': return usesI(e.arg);
		case 'binary': return usesI(e.left) || usesI(e.right);
		case 'call': return e.args.some(usesI);
		case 'slice': return usesI(e.object) || (e.lo ? usesI(e.lo) : false) || (e.hi ? usesI(e.hi) : false);
		case 'index': return usesI(e.object) || usesI(e.index);
		default: return false;
	}
}

const ARITH = new Set<string>(['+', '-', '*', '/', '%', '&', '|', '^', '<<', '>>']);

/** The operator tree of an integer expression of i, or undefined when some part of it is not an
 * integer operator (strings, comparisons, builtins of i): those run through the interpreter. */
export function lowerFill(e: Expr, ev: ConstEval): FillNode | undefined {
	if (!usesI(e)) {
		const v = ev(e);
		return typeof v === 'number' ? { kind: 'c', v } : undefined;
	}
	if (e.kind === 'ident') { return { kind: 'i' }; }
	if (e.kind === 'unary' && e.op === '-') { const a = lowerFill(e.arg, ev); return a && { kind: 'neg', a }; }
	if (e.kind !== 'binary' || !ARITH.has(e.op)) { return undefined; }
	const a = lowerFill(e.left, ev);
	if (!a) { return undefined; }
	const b = lowerFill(e.right, ev);
	return b && { kind: 'bin', op: e.op as ArithOp, a, b, loc: e.loc };
}

/** a*i + b for a tree linear in i, else undefined */
function linear(n: FillNode): { a: number; b: number } | undefined {
	switch (n.kind) {
		case 'c': return { a: 0, b: n.v };
		case 'i': return { a: 1, b: 0 };
		case 'neg': { const x = linear(n.a); return x && { a: -x.a, b: -x.b }; }
		case 'bin': {
			if (n.op !== '+' && n.op !== '-' && n.op !== '*') { return undefined; }
			const x = linear(n.a), y = linear(n.b);
			if (!x || !y) { return undefined; }
			if (n.op === '+') { return { a: x.a + y.a, b: x.b + y.b }; }
			if (n.op === '-') { return { a: x.a - y.a, b: x.b - y.b }; }
			if (x.a !== 0 && y.a !== 0) { return undefined; }
			return x.a === 0 ? { a: x.b * y.a, b: x.b * y.b } : { a: y.b * x.a, b: y.b * x.b };
		}
	}
}

/** The per-word closure: operands left to right, each operator exactly as the interpreter's. */
function scalar(n: FillNode): Fn {
	if (n.kind === 'i') { return i => i; }
	if (n.kind === 'c') { const v = n.v; return () => v; }
	if (n.kind === 'neg') { const a = scalar(n.a); return i => -a(i); }
	const a = scalar(n.a), b = scalar(n.b), loc = n.loc;
	switch (n.op) {
		case '+': return i => a(i) + b(i);
		case '-': return i => a(i) - b(i);
		case '*': return i => a(i) * b(i);
		case '/': return i => divide(a(i), b(i), loc);
		case '%': return i => modulo(a(i), b(i), loc);
		case '&': return i => bitAnd(a(i), b(i));
		case '|': return i => bitOr(a(i), b(i));
		case '^': return i => bitXor(a(i), b(i));
		case '<<': return i => shiftLeft(a(i), b(i), loc);
		case '>>': return i => shiftRight(a(i), b(i), loc);
	}
}

function size(n: FillNode): number {
	return n.kind === 'neg' ? 1 + size(n.a) : n.kind === 'bin' ? 1 + size(n.a) + size(n.b) : 1;
}

/** A per-word expression as a Fill. `perWord` is the interpreter's own evaluation, for trees
 * that are not integer operators throughout. */
export function fillOf(e: Expr, ev: ConstEval, perWord: Fn): Fill {
	const n = lowerFill(e, ev);
	if (!n) { return { kind: 'fn', fn: perWord }; }
	const l = linear(n);
	if (l && Number.isSafeInteger(l.a) && Number.isSafeInteger(l.b) && Math.abs(l.a) < 2 ** 31) {
		return { kind: 'linear', a: l.a, b: l.b };
	}
	const fn = scalar(n);
	if (size(n) > MAX_VECTOR_NODES) { return { kind: 'fn', fn }; }
	const page = pageFill(n, fn);
	return { kind: 'fn', fn, page, pageKey: page.key };
}
