// Typed arrays in machine snapshots, kept as fixed-size blocks shared between snapshots (the
// time-travel checkpoints). Struct-page arrays and page-table leaves are most of a machine's
// metadata and a statement changes a few entries of them: a block equal to the same block of the
// array's previous snapshot is that earlier block, so a checkpoint holds only the blocks that
// changed since the last one (page contents are shared the same way by ContentStore.cowClone).
// Nothing is tracked while the engine runs: a snapshot compares each block with its predecessor
// (a word-by-word compare, cheaper than a copy: it writes nothing), so the engine's arrays and their
// accessors stay exactly as they are, whatever their layout.
//
// Restoring writes the blocks back into the very array the snapshot was taken from when it is
// still alive with the same length (the machine the restore replaces is garbage afterwards), so
// stepping back reuses memory the host has already mapped instead of faulting in a fresh copy.
/** bytes per block: small enough that one changed entry costs little, large enough that an
 * array of millions of entries is a few thousand blocks */
export const BLOCK_BYTES = 1 << 16;

export interface TypedArray {
	readonly length: number;
	readonly byteLength: number;
	readonly byteOffset: number;
	readonly buffer: ArrayBufferLike;
	readonly BYTES_PER_ELEMENT: number;
	subarray(begin?: number, end?: number): TypedArray;
	slice(begin?: number, end?: number): TypedArray;
	set(a: ArrayLike<number>, offset?: number): void;
}
type Ctor = new (n: number) => TypedArray;

/** One typed array in a snapshot: its blocks (each of `per` elements, the last maybe shorter). */
export class ArrayBlocks {
	constructor(
		readonly ctor: Ctor,
		readonly length: number,
		readonly per: number,
		readonly blocks: readonly TypedArray[],
		/** the live array it was taken from, restored into while it lives on unchanged in length */
		readonly source: WeakRef<TypedArray>,
	) { }
}

/** The snapshot (or restore) each live array was last synchronised with: its blocks are what a
 * new snapshot of the array compares against. */
const latest = new WeakMap<TypedArray, ArrayBlocks>();

/** Byte-for-byte equality, compared as int32 words where both are 4-byte aligned (comparing the
 * elements would not do: 0 and -0, or two NaNs, differ in their bits). */
function sameBytes(a: TypedArray, b: TypedArray): boolean {
	const n = a.byteLength;
	if (n !== b.byteLength) { return false; }
	let i = 0;
	if ((a.byteOffset & 3) === 0 && (b.byteOffset & 3) === 0) {
		const w = n >> 2;
		const x = new Int32Array(a.buffer, a.byteOffset, w), y = new Int32Array(b.buffer, b.byteOffset, w);
		for (let k = 0; k < w; k++) { if (x[k] !== y[k]) { return false; } }
		i = w << 2;
	}
	if (i === n) { return true; }
	const x = new Uint8Array(a.buffer, a.byteOffset, n), y = new Uint8Array(b.buffer, b.byteOffset, n);
	for (; i < n; i++) { if (x[i] !== y[i]) { return false; } }
	return true;
}

/** The snapshot form of a live typed array: unchanged blocks shared with its previous snapshot. */
export function saveArray(a: TypedArray): ArrayBlocks {
	const per = Math.max(1, Math.floor(BLOCK_BYTES / a.BYTES_PER_ELEMENT));
	const prev = latest.get(a);
	const usable = prev !== undefined && prev.per === per;
	const n = a.length;
	const blocks: TypedArray[] = [];
	// an empty array is one empty block
	const count = Math.max(1, Math.ceil(n / per));
	for (let i = 0; i < count; i++) {
		const part = n <= per ? a : a.subarray(i * per, Math.min(n, (i + 1) * per));
		const old = usable ? prev.blocks[i] : undefined;
		blocks.push(old !== undefined && sameBytes(old, part) ? old : part.slice());
	}
	const b = new ArrayBlocks(a.constructor as Ctor, n, per, blocks, new WeakRef(a));
	latest.set(a, b);
	return b;
}

/** A live array with the snapshot's contents: its source array when that is still alive with the
 * same length (only blocks that differ from it are written), else a new one. */
export function loadArray(b: ArrayBlocks): TypedArray {
	const src = b.source.deref();
	const reuse = src !== undefined && src.length === b.length && src.constructor === b.ctor;
	const a = reuse ? src : new b.ctor(b.length);
	for (let i = 0; i < b.blocks.length; i++) {
		const blk = b.blocks[i];
		const at = i * b.per;
		if (reuse && sameBytes(blk, b.length <= b.per ? a : a.subarray(at, at + blk.length))) { continue; }
		a.set(blk as unknown as ArrayLike<number>, at);
	}
	latest.set(a, b);
	return a;
}

/** Bytes the blocks of `b` would take if none were shared (for tests and reports). */
export function blockBytes(b: ArrayBlocks): number {
	let n = 0;
	for (const blk of b.blocks) { n += blk.byteLength; }
	return n;
}
