// The language's integer operators on JS numbers, shared by the interpreter (eval.ts) and the
// compiled fills (fillCompile.ts, fillVector.ts) so that both give the same bits. Integers are
// doubles: + - * round beyond 2^53 as doubles do, / truncates, % is fmod, shifts multiply or
// floor-divide by a power of two, and bitwise operators act on the two's complement of the whole
// integer (as BigInt would), not only on its low 32 bits.
import type { Loc } from './ast';
import { ScriptError } from './values';

export const I32 = 2 ** 31;
const TWO32 = 2 ** 32;
const TWO53 = 2 ** 53;

/** 2^y for y = 0..63, exactly as `2 ** y` */
export const POW2 = Float64Array.from({ length: 64 }, (_, y) => 2 ** y);

export function checkShift(y: number, loc: Loc | undefined): number {
	if (y < 0 || y > 63) { throw new ScriptError(`shift by ${y}: shifts take 0 to 63`, loc); }
	return y;
}

export function divide(x: number, y: number, loc: Loc | undefined): number {
	if (y === 0) { throw new ScriptError('division by zero', loc); }
	return Math.trunc(x / y);
}

export function modulo(x: number, y: number, loc: Loc | undefined): number {
	if (y === 0) { throw new ScriptError('division by zero', loc); }
	return x % y;
}

export function shiftLeft(x: number, y: number, loc: Loc | undefined): number { return x * 2 ** checkShift(y, loc); }
export function shiftRight(x: number, y: number, loc: Loc | undefined): number { return Math.floor(x / 2 ** checkShift(y, loc)); }

// Bitwise operators. int32 operands take the native operator. Beyond int32, exact answers without
// BigInt where they are cheap: `x & m` with 0 <= m < 2^31 keeps only bits of x below 31, which
// ToInt32 (x mod 2^32) keeps exactly for any integer x; and operands below 2^53 in magnitude split
// into a signed high part and an unsigned low 32-bit part, each combined natively. Anything else
// (non-integers, infinities, 2^53 and beyond) goes through BigInt, which is the definition.

export function bitAnd(x: number, y: number): number {
	if (x >= -I32 && x < I32 && y >= -I32 && y < I32) { return x & y; }
	return wide(0, x, y);
}

export function bitOr(x: number, y: number): number {
	if (x >= -I32 && x < I32 && y >= -I32 && y < I32) { return x | y; }
	return wide(1, x, y);
}

export function bitXor(x: number, y: number): number {
	if (x >= -I32 && x < I32 && y >= -I32 && y < I32) { return x ^ y; }
	return wide(2, x, y);
}

/** op 0 is &, 1 is |, 2 is ^ */
function wide(op: number, x: number, y: number): number {
	if (Number.isInteger(x) && Number.isInteger(y)) {
		if (op === 0 && ((y >= 0 && y < I32) || (x >= 0 && x < I32))) { return x & y; }
		if (x > -TWO53 && x < TWO53 && y > -TWO53 && y < TWO53) {
			const hx = Math.floor(x / TWO32), hy = Math.floor(y / TWO32);
			const lx = x - hx * TWO32, ly = y - hy * TWO32;
			const h = op === 0 ? hx & hy : op === 1 ? hx | hy : hx ^ hy;
			const l = op === 0 ? lx & ly : op === 1 ? lx | ly : lx ^ ly;
			return h * TWO32 + (l >>> 0);
		}
	}
	const a = BigInt(x), b = BigInt(y);
	return Number(op === 0 ? a & b : op === 1 ? a | b : a ^ b);
}

export function bitwise(op: '&' | '|' | '^', x: number, y: number): number {
	return op === '&' ? bitAnd(x, y) : op === '|' ? bitOr(x, y) : bitXor(x, y);
}
