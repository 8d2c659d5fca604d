// The `key=value` options of `system` and `device`, the unit suffixes, and what is not simulated
// yet. The checker and the executor both read this file, so `hmmw check` and `hmmw run` give the
// same verdict, with the same words, for an option the engine would otherwise ignore.

import type { Option } from './ast';
import { shortText } from './diagnostics';
import type { DeviceConfig } from '../engine/device/device';
import { EXPERIMENTAL_MODES } from '../engine/kernel';
import { COST_OPTIONS, DEFAULT_DEVICE_COSTS, type DeviceCosts, THRASHING_OPTIONS } from '../engine/device/cost';
import { THRASHING_DEFAULTS } from '../engine/device/uvm/perf_thrashing';

/** What a quantity option takes; a number literal carries one of the first three. */
export type ValueKind = 'bytes' | 'ns' | 'bps' | 'count';

export interface OptionSpec {
	/** a quantity, or the words allowed */
	value: ValueKind | readonly string[];
	/** the value when the option is left out */
	default?: string;
	doc: string;
	/** the largest value a count may take */
	max?: number;
	/** the option takes a comma-separated list of its words (`experimental=a,b`) */
	list?: true;
	/** not simulated yet: every value (`true`) or only these words; `needs` says what is missing */
	pending?: { values: true | readonly string[]; needs: string };
}

export const SYSTEM_OPTIONS: Readonly<Record<string, OptionSpec>> = {
	ram: { value: 'bytes', default: '16GiB', doc: 'size of system RAM' },
	swap: { value: 'bytes', default: '0', doc: 'size of the swap device: reclaim swaps cold anonymous pages out to it' },
	thp: { value: ['always', 'madvise', 'never'], default: 'madvise', doc: 'transparent huge pages policy' },
	experimental: {
		value: EXPERIMENTAL_MODES, list: true, default: 'none (mainline)',
		doc: 'kernel designs HMM\'s proposal left open, each off by default (docs/proposals.md)',
	},
	pin_device: { value: ['stall', 'sigbus'], default: 'stall', doc: 'with experimental=pin_device: a CPU touching a page pinned in device memory waits for the pin to end, or gets SIGBUS' },
	file_writeback: { value: ['cpu', 'device'], default: 'cpu', doc: 'with experimental=file_migration: `sync` brings a dirty device-resident file page back to RAM and writes it from there, or writes it straight from the device' },
};

/** The engine's cost terms (device/cost.ts COST_OPTIONS, DEFAULT_DEVICE_COSTS) and thrashing
 * parameters (THRASHING_OPTIONS, THRASHING_DEFAULTS) as options: one list, owned by the engine. */
function engineOptions(): Record<string, OptionSpec> {
	const out: Record<string, OptionSpec> = {};
	const fmt = (unit: 'duration' | 'bandwidth' | 'count', v: number): string =>
		unit === 'count' ? String(v) : unit === 'bandwidth' ? (v === 0 ? 'the link' : `${v / 1e9}GB/s`) : `${v}ns`;
	for (const [name, o] of Object.entries(COST_OPTIONS)) {
		out[name] = { value: o.unit === 'bandwidth' ? 'bps' : 'ns', default: fmt(o.unit, DEFAULT_DEVICE_COSTS[o.key]), doc: COST_DOCS[o.key] };
	}
	for (const [name, o] of Object.entries(THRASHING_OPTIONS)) {
		out[name] = { value: o.unit === 'count' ? 'count' : 'ns', default: fmt(o.unit, THRASHING_DEFAULTS[o.key]), doc: `uvm_perf_${name} (thrashing detection)` };
	}
	return out;
}

const COST_DOCS: Readonly<Record<keyof DeviceCosts, string>> = {
	faultEntryNs: 'cost per fault-buffer entry fetched, sorted and coalesced',
	blockServiceNs: 'cost of servicing one VA block of a fault batch',
	zeroFillNs: 'fixed cost of zero-filling a newly allocated root chunk',
	dmaSetupNs: 'setup cost of one VA block\'s copy (DMA mapping, block GPU state)',
	transferLatencyNs: 'fixed latency of one transfer on the link',
	mapPageNs: 'device page-table update per 4 KiB page',
	mapPmdNs: 'device page-table update per PMD',
	unmapPageNs: 'device unmap per 4 KiB page',
	unmapPmdNs: 'device unmap per PMD',
	invalidateNs: 'one mirror invalidation (TLB shootdown) per notifier call',
	launchNs: 'fixed cost of launching a kernel',
	remoteBw: 'bandwidth of device accesses to pages mapped remotely (default: the link)',
	cpuCoherentBw: 'bandwidth of CPU accesses to coherent device memory (default: the link)',
	peerBw: 'bandwidth of accesses to another GPU\'s memory through peer mappings (accessed_by; default: PCIe peer-to-peer through the slower link)',
};

// Device options. Defaults follow a data-centre GPU and the UVM driver's module parameters
// (uvm_perf_fault_batch_count, uvm_perf_prefetch_threshold, uvm_perf_thrashing_*); the engine's
// defaultDeviceConfig holds the same values.
export const DEVICE_OPTIONS: Readonly<Record<string, OptionSpec>> = {
	memory: { value: 'bytes', doc: 'device memory size (required)' },
	kind: { value: ['private', 'coherent'], default: 'private', doc: 'device-private memory (CPU cannot map it) or coherent memory (CPU maps it in place)' },
	link: { value: ['pcie3', 'pcie4', 'pcie5', 'c2c'], default: 'pcie4', doc: 'the CPU-device link; sets the default link_bw' },
	policy: { value: ['mirror', 'migrate'], default: 'mirror', doc: 'on a kernel\'s device fault: map pages where they are (dmirror), or migrate them to the device (UVM)' },
	prefetch: { value: ['none', 'density'], default: 'none', doc: 'pages migrated along with faulting ones: none, or the density prefetcher\'s tree (uvm_perf_prefetch)' },
	evict: { value: ['fifo', 'lru'], default: 'fifo', doc: 'which 2 MiB root chunk leaves a full device: oldest allocation (the driver) or least recently used' },
	fault_batch: { value: 'count', default: '256', doc: 'fault buffer entries fetched and serviced per batch (uvm_perf_fault_batch_count)' },
	sms: { value: 'count', default: '108', doc: 'streaming multiprocessors of the device' },
	warps: { value: 'count', default: '64', doc: 'resident warps per SM; a kernel runs sms x warps warps at a time' },
	block_threads: { value: 'count', default: '256', doc: 'threads per thread block of a kernel (a multiple of 32; at most an SM\'s resident warps are used): blocks go to the SMs in turn, and the SMs\' faults interleave in the fault buffer' },
	fault_latency: { value: 'ns', default: '45us', doc: 'fixed time to service one batch of device faults' },
	link_bw: { value: 'bps', doc: 'peak link bandwidth per direction (default: the link\'s peak)' },
	local_bw: { value: 'bps', default: '2000GB/s', doc: 'device memory bandwidth for a kernel\'s accesses to resident pages' },
	huge: { value: ['on', 'off'], default: 'off', doc: 'migrate whole 2 MiB folios when a range allows it' },
	peer: { value: ['on', 'off'], default: 'on', doc: 'peer access to the other policy=migrate GPUs (PCIe peer-to-peer or NVLink): peer mappings, GPU-to-GPU copies, a preferred location on another GPU; off on either GPU of a pair leaves them apart (enable_peers)' },
	read_retry: { value: ['check', 'skip'], default: 'check', doc: 'skip: the driver never calls mmu_interval_read_retry after hmm_range_fault (a common driver bug: with threads it maps stale pages)' },
	// every device-side cost term and thrashing parameter, named and defaulted by the engine
	...engineOptions(),
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

/** `pin_device=` without the mode it configures: the checker and the executor say the same. */
/** Device options a policy=migrate device would ignore, and why: UVM's HMM path migrates 4 KiB
 * pages (migrate_vma_* and hmm_range_fault do not handle folios, uvm_hmm.c) and always checks
 * mmu_interval_read_retry. */
export const MIRROR_ONLY_OPTIONS: Readonly<Record<string, { value: string; why: string }>> = {
	huge: { value: 'on', why: 'UVM\'s HMM path migrates 4 KiB pages' },
	read_retry: { value: 'skip', why: 'the UVM fault service always checks mmu_interval_read_retry' },
};

/** The option of a `device` line that a policy=migrate device would ignore, with its message. */
export function mirrorOnlyOption(options: readonly Option[]): { option: Option; message: string } | undefined {
	const policy = options.find(o => o.key === 'policy');
	if (!policy || policy.value.kind !== 'ident' || policy.value.name !== 'migrate') { return undefined; }
	for (const o of options) {
		const m = Object.prototype.hasOwnProperty.call(MIRROR_ONLY_OPTIONS, o.key) ? MIRROR_ONLY_OPTIONS[o.key] : undefined;
		if (m && o.value.kind === 'ident' && o.value.name === m.value) {
			return { option: o, message: `\`${o.key}=${m.value}\` applies only to policy=mirror devices (${m.why})` };
		}
	}
	return undefined;
}

export const PIN_DEVICE_WITHOUT_MODE = '`pin_device=` applies only with `experimental=pin_device`';
/** `file_writeback=` without experimental=file_migration, in the checker and the executor alike. */
export const FILE_WRITEBACK_WITHOUT_MODE = '`file_writeback=` applies only with `experimental=file_migration`';

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

/** The DeviceConfig field each device option sets: the option's name in camelCase, durations
 * (in ns) with an `Ns` suffix. The only place the two spellings meet. */
export const DEVICE_OPTION_FIELDS = {
	memory: 'memoryBytes', kind: 'kind', link: 'link', policy: 'policy', prefetch: 'prefetch', evict: 'evict', fault_batch: 'faultBatch',
	sms: 'sms', warps: 'warps', block_threads: 'blockThreads', fault_latency: 'faultLatencyNs', link_bw: 'linkBw', local_bw: 'localBw', huge: 'huge',
	read_retry: 'readRetry', peer: 'peer',
} as const satisfies Record<string, keyof DeviceConfig>;
