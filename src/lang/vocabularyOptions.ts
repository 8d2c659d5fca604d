// The `key=value` options of `system` and `device`, the unit suffixes, and what is not simulated
// yet. The checker and the executor both read this file, so `hmmw check` and `hmmw run` give the
// same verdict, with the same words, for an option the engine would otherwise ignore.

import type { Option } from './ast';
import { shortText } from './diagnostics';

/** What a quantity option takes; a number literal carries one of the first three. */
export type ValueKind = 'bytes' | 'ns' | 'bps' | 'count';

export interface OptionSpec {
	/** a quantity, or the words allowed */
	value: ValueKind | readonly string[];
	/** the value when the option is left out */
	default?: string;
	doc: string;
	/** not simulated yet: every value (`true`) or only these words; `needs` says what is missing */
	pending?: { values: true | readonly string[]; needs: string };
}

const DEVICE_MODEL = 'the device model (fault batching, policies, prefetch, eviction)';

export const SYSTEM_OPTIONS: Readonly<Record<string, OptionSpec>> = {
	ram: { value: 'bytes', default: '16GiB', doc: 'size of system RAM' },
	swap: { value: 'bytes', default: '0', doc: 'size of the swap device: reclaim swaps cold anonymous pages out to it' },
	thp: { value: ['always', 'madvise', 'never'], default: 'madvise', doc: 'transparent huge pages policy' },
};

export const DEVICE_OPTIONS: Readonly<Record<string, OptionSpec>> = {
	memory: { value: 'bytes', doc: 'device memory size (required)' },
	kind: { value: ['private', 'coherent'], default: 'private', doc: 'device-private memory (CPU cannot map it) or coherent memory (CPU maps it in place)' },
	link: { value: ['pcie3', 'pcie4', 'pcie5', 'c2c'], default: 'pcie4', doc: 'the CPU-device link; sets the default link_bw' },
	policy: {
		value: ['mirror', 'migrate'], default: 'mirror', doc: 'on a device fault: map pages where they are, or migrate them to the device',
		pending: { values: ['migrate'], needs: DEVICE_MODEL },
	},
	prefetch: {
		value: ['none', 'density'], default: 'none', doc: 'pages migrated along with a faulting one',
		pending: { values: ['density'], needs: DEVICE_MODEL },
	},
	evict: { value: ['lru', 'fifo'], default: 'lru', doc: 'which pages leave a full device', pending: { values: true, needs: DEVICE_MODEL } },
	fault_batch: { value: 'count', default: '256', doc: 'device faults serviced per round', pending: { values: true, needs: DEVICE_MODEL } },
	fault_latency: { value: 'ns', default: '45us', doc: 'time to service one round of device faults' },
	link_bw: { value: 'bps', doc: 'peak link bandwidth per direction (default: the link\'s peak)' },
	local_bw: { value: 'bps', default: '2000GB/s', doc: 'device memory bandwidth for kernel accesses', pending: { values: true, needs: DEVICE_MODEL } },
	huge: { value: ['on', 'off'], default: 'off', doc: 'migrate whole 2 MiB folios when a range allows it' },
};

export const VALUE_NAMES: Readonly<Record<ValueKind, string>> = {
	bytes: 'a size (B, KiB, MiB, GiB, TiB, pages)', ns: 'a duration (ns, us, ms, s)',
	bps: 'a bandwidth (GB/s, MB/s)', count: 'a plain number',
};

/** Number suffixes: the unit family each belongs to and its multiplier (to bytes, ns, bytes/s). */
export const UNITS: Readonly<Record<string, { kind: Exclude<ValueKind, 'count'>; scale: number }>> = {
	B: { kind: 'bytes', scale: 1 }, KiB: { kind: 'bytes', scale: 2 ** 10 }, MiB: { kind: 'bytes', scale: 2 ** 20 },
	GiB: { kind: 'bytes', scale: 2 ** 30 }, TiB: { kind: 'bytes', scale: 2 ** 40 },
	page: { kind: 'bytes', scale: 4096 }, pages: { kind: 'bytes', scale: 4096 },
	ns: { kind: 'ns', scale: 1 }, us: { kind: 'ns', scale: 1e3 }, ms: { kind: 'ns', scale: 1e6 }, s: { kind: 'ns', scale: 1e9 },
	'GB/s': { kind: 'bps', scale: 1e9 }, 'MB/s': { kind: 'bps', scale: 1e6 },
};

/** The one wording of "this is not simulated yet", at check time and at run time alike. */
export function notImplementedMessage(what: string, needs: string): string {
	return `not implemented yet: ${what} needs ${needs}`;
}

/** The message for an option the engine would not honour, or undefined. Word values are judged
 * as written; a pending option is pending whatever its value. */
export function pendingOption(specs: Readonly<Record<string, OptionSpec>>, o: Option): string | undefined {
	const spec = Object.prototype.hasOwnProperty.call(specs, o.key) ? specs[o.key] : undefined;
	const p = spec?.pending;
	if (!p) { return undefined; }
	if (p.values === true) { return notImplementedMessage(`${o.key}=`, p.needs); }
	if (o.value.kind === 'ident' && p.values.includes(o.value.name)) { return notImplementedMessage(`${o.key}=${o.value.name}`, p.needs); }
	return undefined;
}

export function unknownOptionMessage(what: 'system' | 'device', key: string, specs: Readonly<Record<string, OptionSpec>>): string {
	return `unknown ${what} option '${shortText(key)}' (expected one of ${Object.keys(specs).join(', ')})`;
}

/** `system ram=SIZE [...]`: the syntax line of a statement made of options. */
export function optionSyntax(specs: Readonly<Record<string, OptionSpec>>, required: readonly string[]): string {
	return Object.entries(specs).map(([key, s]) => {
		const v = typeof s.value === 'string' ? { bytes: 'SIZE', ns: 'DUR', bps: 'BW', count: 'N' }[s.value] : s.value.join('|');
		return required.includes(key) ? `${key}=${v}` : `[${key}=${v}]`;
	}).join(' ');
}
