// Runtime values of workload scripts, and the errors a script (rather than the simulated
// kernel) can make at run time.
import type { Loc } from './ast';

export interface RangeValue { kind: 'range'; addr: number; len: number }
/** `B = DEV read R` gives int32 elements; `S = DEV snapshot R` gives byte elements. */
export interface BufferValue { kind: 'buffer'; bytes: Uint8Array; elem: 1 | 4 }

export type Value = number | boolean | string | RangeValue | BufferValue;

/** A mistake in the script found while running it (wrong type, unknown name, division by zero).
 * Unlike a SimError it is not something `expect error` can catch: it always ends the run. */
export class ScriptError extends Error {
	constructor(message: string, readonly loc?: Loc) {
		super(message);
	}
}

export function typeName(v: Value): string {
	if (typeof v === 'object') { return v.kind; }
	return typeof v === 'number' ? 'integer' : typeof v;
}

export function bufferLength(b: BufferValue): number { return Math.floor(b.bytes.length / b.elem); }

export function bufferElement(b: BufferValue, k: number, loc?: Loc): number {
	if (!Number.isInteger(k) || k < 0 || k >= bufferLength(b)) {
		throw new ScriptError(`index ${k} is outside the buffer (${bufferLength(b)} elements)`, loc);
	}
	if (b.elem === 1) { return b.bytes[k]; }
	return new DataView(b.bytes.buffer, b.bytes.byteOffset + k * 4, 4).getInt32(0, true);
}

export function formatValue(v: Value, hex = false): string {
	if (typeof v === 'number') { return hex && Number.isInteger(v) ? (v < 0 ? '-0x' + (-v).toString(16) : '0x' + v.toString(16)) : String(v); }
	if (typeof v === 'boolean' || typeof v === 'string') { return String(v); }
	if (v.kind === 'range') { return `[0x${v.addr.toString(16)}, 0x${(v.addr + v.len).toString(16)}) ${v.len} bytes`; }
	return `buffer of ${bufferLength(v)} ${v.elem === 1 ? 'bytes' : 'words'}`;
}
