// Deep copies of the machine for time travel. Identity is preserved (an object reachable twice is
// copied once) and functions are shared. Page contents are not copied at all: the ContentStore
// shares its slabs copy-on-write (see ContentStore.cowClone). Typed arrays are copied by
// deepClone; a snapshot (saveClone) keeps them as blocks shared with the previous snapshot of the
// same array and loadClone turns them back into arrays (see snapshot.ts).
import { ContentStore } from '../mm/content';
import { ArrayBlocks, loadArray, saveArray, type TypedArray } from './snapshot';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** How a copy treats typed arrays (and the pattern arrays inside a ContentStore). */
type ArrayCopy = (a: Any) => Any;

function cloneWith<T>(root: T, array: ArrayCopy): T {
	const memo = new Map<object, unknown>();
	const clone = (v: Any): Any => {
		if (v === null || typeof v !== 'object') { return v; }
		const seen = memo.get(v);
		if (seen !== undefined) { return seen; }
		let c: Any;
		if (ArrayBuffer.isView(v) || v instanceof ArrayBlocks) {
			c = array(v);
		} else if (v instanceof ContentStore) {
			c = v.cowClone(array);
		} else if (Array.isArray(v)) {
			if (v.length > 0 && typeof v[0] !== 'object') {
				c = v.slice();
			} else {
				c = new Array(v.length);
				memo.set(v, c);
				for (let i = 0; i < v.length; i++) { c[i] = clone(v[i]); }
				return c;
			}
		} else if (v instanceof Map) {
			c = new Map();
			memo.set(v, c);
			for (const [key, x] of v) { c.set(clone(key), clone(x)); }
			return c;
		} else if (v instanceof Set) {
			c = new Set();
			memo.set(v, c);
			for (const x of v) { c.add(clone(x)); }
			return c;
		} else {
			c = Object.create(Object.getPrototypeOf(v));
			memo.set(v, c);
			for (const key of Object.keys(v)) { c[key] = clone(v[key]); }
			return c;
		}
		memo.set(v, c);
		return c;
	};
	return clone(root);
}

const plainCopy: ArrayCopy = a => (a instanceof ArrayBlocks ? loadArray(a) : (a as TypedArray).slice());

/** A deep copy with typed arrays copied whole. */
export function deepClone<T>(root: T): T { return cloneWith(root, plainCopy); }

/** A snapshot: typed arrays become blocks shared with the same arrays' previous snapshot. Only
 * loadClone reads it back. */
export function saveClone<T>(root: T): T {
	return cloneWith(root, a => (a instanceof ArrayBlocks ? a : saveArray(a as TypedArray)));
}

/** The live copy of a saveClone snapshot (which stays untouched and can be loaded again). */
export function loadClone<T>(snap: T): T { return cloneWith(snap, plainCopy); }
