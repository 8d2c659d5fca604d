// Builtins that may scan gigabytes run ahead of the rest of their expression, as generators with
// pause points, so that pause and --timeout reach inside `expect matches(X, i)` over 8 GiB.
// Expressions are pure, so computing such a call first and putting its value in its place gives
// the result evaluation would have given. A call whose operands or scan fail is left in place:
// evaluation then raises the same error it always did, and only if it reaches the call (`and`
// and `or` may never reach it).
import type { Expr, Stmt } from './ast';
import type { K } from '../engine/sim/events';
import { compileFill, type EvalContext, evaluate, toByteRange } from './eval';

/** Does `e` hold a scanning call? A walk of the tree, no bigger than evaluating it: no cache, as
 * a table keyed by millions of expressions costs the garbage collector more than the walks. */
export function hasScan(e: Expr): boolean {
	switch (e.kind) {
		case 'call': return e.callee === 'matches' || e.args.some(hasScan);
		case 'unary': return hasScan(e.arg);
		case 'binary': return hasScan(e.left) || hasScan(e.right);
		case 'slice': return hasScan(e.object) || (e.lo !== undefined && hasScan(e.lo)) || (e.hi !== undefined && hasScan(e.hi));
		case 'index': return hasScan(e.object) || hasScan(e.index);
		default: return false;
	}
}

/** `e` with every `matches(RANGE, EXPR)` it can compute replaced by its value (the scan offers
 * the driver a tick every leaf of pages); `e` itself when it holds none. */
export function* resolveScans(e: Expr, ctx: EvalContext): K<Expr> {
	if (!hasScan(e)) { return e; }
	switch (e.kind) {
		case 'call': {
			if (e.callee === 'matches' && e.args.length === 2) {
				const value = yield* scanMatches(e.args, ctx);
				// the per-word expression is evaluated per word (with `i`): nothing to resolve in it
				return value === undefined ? e : { kind: 'bool', value, loc: e.loc };
			}
			const args: Expr[] = [];
			for (const a of e.args) { args.push(yield* resolveScans(a, ctx)); }
			return { ...e, args };
		}
		case 'unary': return { ...e, arg: yield* resolveScans(e.arg, ctx) };
		case 'binary': return { ...e, left: yield* resolveScans(e.left, ctx), right: yield* resolveScans(e.right, ctx) };
		case 'slice': return {
			...e, object: yield* resolveScans(e.object, ctx),
			lo: e.lo && (yield* resolveScans(e.lo, ctx)), hi: e.hi && (yield* resolveScans(e.hi, ctx)),
		};
		case 'index': return { ...e, object: yield* resolveScans(e.object, ctx), index: yield* resolveScans(e.index, ctx) };
		default: return e;
	}
}

/** matches() over a range, or undefined when evaluation should decide (a buffer, or an error). */
function* scanMatches(args: Expr[], ctx: EvalContext): K<boolean | undefined> {
	let o;
	let expect;
	try {
		o = evaluate(args[0], ctx);
		if (typeof o !== 'object' || o.kind !== 'range') { return undefined; }
		expect = compileFill(args[1], ctx);
	} catch {
		return undefined;
	}
	try {
		return yield* ctx.machine.scanMatches(toByteRange(o), expect);
	} catch {
		return undefined;
	}
}

/** An assignment, print or expect with its scans computed (scans first, in the order the
 * statement evaluates them); the statement itself when it holds none. The expect message is
 * evaluated as written: it is text, not a memory scan. */
export function* resolveStmtScans(s: Stmt, ctx: EvalContext): K<Stmt> {
	switch (s.kind) {
		case 'assign': return hasScan(s.value) ? { ...s, value: yield* resolveScans(s.value, ctx) } : s;
		case 'print': {
			if (!s.args.some(hasScan)) { return s; }
			const args: Expr[] = [];
			for (const a of s.args) { args.push(yield* resolveScans(a, ctx)); }
			return { ...s, args };
		}
		case 'expect': return hasScan(s.cond) ? { ...s, cond: yield* resolveScans(s.cond, ctx) } : s;
		default: return s;
	}
}
