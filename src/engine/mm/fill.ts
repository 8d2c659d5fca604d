// What `cpu write R = EXPR` and `file ... = EXPR` store: an int32 per word, as a function of the
// word index i counted from the start of the range. Linear forms a*i + b (i, -i, i+c, 3*i-1, c)
// are recognised by the interpreter and stored as patterns or filled with tight typed-array loops;
// anything else calls back per word. All arithmetic is int32, wrapping as the stored words do.
import type { ContentStore } from './content';

export type Fill =
	/** a is an int32, b any integer: word i = (a*i + b) mod 2^32 */
	| { kind: 'linear'; a: number; b: number }
	/** `page`, when given, writes words [from, to) of a page (word k is fn(base + k)) into w[o + k],
	 * exactly as calling fn per word would, only faster */
	| {
		kind: 'fn'; fn: (i: number) => number; page?: (w: Int32Array, o: number, base: number, from: number, to: number) => void;
		/** for a whole page (word 0 has index `base`) that `page` would write exactly as it wrote
		 * an earlier page under the same key, that key (>= 0); else -1. Such pages share one slot. */
		pageKey?: (base: number) => number;
	};

/** Evaluates a fill at word index i, as the int32 it stores. */
export function fillWord(f: Fill, i: number): number {
	return f.kind === 'linear' ? (Math.imul(f.a, i | 0) + f.b) | 0 : f.fn(i) | 0;
}

/** Writes words [from, to) of a page (word 0 of the page has index `base`) and returns the
 * page's slot, which may be new: a whole page of a linear fill becomes a pattern slot, anything
 * else is written into bytes with a typed-array loop. */
export function fillPage(store: ContentStore, slot: number, f: Fill, base: number, from = 0, to = 1024): number {
	const whole = from === 0 && to === 1024;
	if (whole && f.kind === 'linear') {
		if (slot >= 0) { store.release(slot); }
		const c = (Math.imul(f.a, base | 0) + f.b) | 0;
		return f.a === 0 && c === 0 ? -1 : store.pattern(f.a, c);
	}
	const owner = f.kind === 'fn' ? f.pageKey : undefined;
	const key = whole && owner ? owner(base) : -1;
	if (key >= 0) {
		// a page equal to one this fill stored already: a reference to it, copied on write
		const same = store.sameAs(owner, key);
		if (same >= 0) {
			if (slot >= 0) { store.release(slot); }
			return same;
		}
	}
	const dst = whole ? store.blank(slot) : store.writable(slot);
	try {
		writeWords(store, dst, f, base, from, to);
	} catch (e) {
		// a failing fill (a division by zero in the expression) leaves the page as it was
		if (dst !== slot) { store.release(dst); }
		throw e;
	}
	if (key >= 0) { store.remember(owner, key, dst); }
	if (dst !== slot && slot >= 0) { store.release(slot); }
	return dst;
}

/** Words [from, to) of a private byte slot, with a typed-array loop. */
function writeWords(store: ContentStore, slot: number, f: Fill, base: number, from: number, to: number): void {
	const w = store.words(slot);
	const o = store.wordOffset(slot);
	if (f.kind === 'linear') {
		// int32 arithmetic throughout: the stored words wrap exactly as the int32 results do
		let v = (Math.imul(f.a, (base + from) | 0) + f.b) | 0;
		const end = o + to;
		for (let k = o + from; k < end; k++) { w[k] = v; v = (v + f.a) | 0; }
	} else if (f.page) {
		f.page(w, o, base, from, to);
	} else {
		for (let k = from; k < to; k++) { w[o + k] = f.fn(base + k) | 0; }
	}
}

/** True when the fill writes only zero words, so a page needs no content slot. */
export function isZeroFill(f: Fill): boolean {
	return f.kind === 'linear' && f.a === 0 && (f.b | 0) === 0;
}
