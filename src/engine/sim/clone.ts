// Deep copies of the machine for time travel. Identity is preserved (an object reachable twice is
// copied once), typed arrays are copied, functions are shared, and page contents are not copied
// at all: the ContentStore shares its slabs copy-on-write (see ContentStore.cowClone).
import { ContentStore } from '../mm/content';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

export function deepClone<T>(root: T): T {
	const memo = new Map<object, unknown>();
	const clone = (v: Any): Any => {
		if (v === null || typeof v !== 'object') { return v; }
		const seen = memo.get(v);
		if (seen !== undefined) { return seen; }
		let c: Any;
		if (ArrayBuffer.isView(v)) {
			c = (v as Any).slice();
		} else if (v instanceof ContentStore) {
			c = v.cowClone();
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
