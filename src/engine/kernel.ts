// The simulated machine: RAM frames and their contents, processes, files, devices, the clock and
// the simulated kernel call stack. Kernel paths take it as their first argument, the way kernel
// functions reach global state.
import { Frames, PG, RAM_POOL } from './mm/frames';
import { POOL_MIXED } from './mm/frames_chunks';
import { ContentStore, PAGE_SIZE } from './mm/content';
import { SimFile } from './mm/pagecache';
import type { Fill } from './mm/fill';
import { Mm } from './mm/mm';
import { type EventFilter, type EventKind, type K, NO_EVENTS, type SimEvent } from './sim/events';
import { fail } from './sim/errors';
import type { Device } from './device/device';
import type { DevPagemap } from './mm/memremap';
import { CostModel } from './sim/cost';
import { SwapInfo } from './mm/swapfile';
import { DevicePins, type PinDeviceMode } from './mm/device_pin';
import { FileMigrationStats } from './mm/file_migration_stats';
import { PersistenceStats } from './mm/persistence_stats';

/** One simulated kernel function on the call stack, with what it was called for. */
export interface KernelFrame { fn: string; addr?: number; npages?: number; process?: string; device?: string }

/** An offer to pause, made by long loops every TICK_PAGES pages. */
export const TICK_PAGES = 8192;
/** The finer interval of loops whose pages are expensive (a stored-bytes fill, a migration back
 * from a device, a zap, a fork copy): one page-table leaf, so that pause stops within a few ms. */
export const TICK_LEAF = 512;

export type ThpMode = 'always' | 'madvise' | 'never';

/** Kernel designs HMM's proposal left open (docs/proposals.md). Each is off by default: mainline
 * behaviour is the reference, and a mode changes only what its own doc names. */
export const EXPERIMENTAL_MODES = ['pin_device', 'file_migration', 'dax_migration', 'parallel_invalidate', 'no_devpriv_struct_page'] as const;
export type ExperimentalMode = typeof EXPERIMENTAL_MODES[number];

export interface SystemConfig {
	ramBytes: number;
	swapBytes: number;
	thp: ThpMode;
	/** the experimental modes switched on (`system experimental=a,b`) */
	experimental: readonly ExperimentalMode[];
	/** experimental=pin_device: what a CPU touching a page pinned in device memory gets */
	pinDevice: PinDeviceMode;
	/** experimental=file_migration: how `sync` writes back a dirty device-resident cache page (default cpu) */
	fileWriteback?: FileWritebackMode;
}

export type FileWritebackMode = 'cpu' | 'device';

export const DEFAULT_SYSTEM: SystemConfig = { ramBytes: 16 * 2 ** 30, swapBytes: 0, thp: 'madvise', experimental: [], pinDevice: 'stall' };

/** Top of the mmap area (mmap_base); mappings are placed top-down below it. */
export const MMAP_TOP_VPN = 0x7f0000000000 / PAGE_SIZE;

export class Kernel {
	readonly frames: Frames;
	/** the swap area (swap=), or undefined without one: anonymous memory then never leaves RAM */
	readonly swap: SwapInfo | undefined;
	readonly content = new ContentStore();
	readonly procs = new Map<string, Mm>();
	readonly mms: Mm[] = [];
	readonly files = new Map<string, SimFile>();
	readonly fileById: SimFile[] = [];
	readonly devices: Device[] = [];
	/** device memory as core mm sees it, indexed by Frames.owner (page->pgmap) */
	readonly pgmaps: DevPagemap[] = [];
	/** anon rmap: fork family -> the mms that may map its pages */
	readonly families = new Map<number, Set<Mm>>();
	readonly costs = new CostModel();
	events: EventFilter = NO_EVENTS;
	/** simulated kernel call stack, innermost last */
	readonly stack: KernelFrame[] = [];
	/** simulated time, ns */
	clock = 0;
	pmemPages = 0;
	/** CPU page-table updates that reached mirroring devices (mmu_notifier_invalidate_range_start
	 * calls with at least one callback), the device flushes they started, and their latency: as
	 * charged, and as one flush after another would have cost (mainline's order, so the two are
	 * equal unless experimental=parallel_invalidate overlaps the flushes) */
	readonly invalidation = { updates: 0, flushes: 0, chargedNs: 0, serialNs: 0 };
	/** pages pinned in device memory (experimental=pin_device) */
	readonly pins = new DevicePins();
	/** experimental=file_migration: page-cache pages brought back and written back */
	readonly fileMigration = new FileMigrationStats();
	/** experimental=dax_migration's write-backs, and what `crash` lost */
	readonly persistence = new PersistenceStats();
	/** the OOM killer's kills, oldest first: the line __oom_kill_process prints for each */
	readonly oomKills: string[] = [];
	/** the script started a thread (src/lang/threads.ts): locks are taken (sim/sched.ts) */
	threaded = false;
	/** the script thread running now (0 = main), the owner of the locks it takes */
	thread = 0;
	private nextPid = 1000;
	private nextFamily = 0;

	constructor(readonly config: SystemConfig = DEFAULT_SYSTEM) {
		this.frames = new Frames(Math.floor(config.ramBytes / PAGE_SIZE));
		this.swap = config.swapBytes >= PAGE_SIZE ? new SwapInfo(config.swapBytes) : undefined;
	}

	get thp(): ThpMode { return this.config.thp; }

	/** Is this experimental kernel design switched on? */
	experimental(mode: ExperimentalMode): boolean { return this.config.experimental.includes(mode); }

	// ------------------------------------------------------------ events and call stack

	/** With script threads, 'call' is always wanted: function entries are the switch points. */
	wants(kind: EventKind): boolean { return this.events.wants(kind) || (this.threaded && kind === 'call'); }

	/** Enters a simulated kernel function: pushes it on the call stack and offers a 'call' stop. */
	*enter(fn: string, ev?: Partial<SimEvent>): K {
		this.stack.push({ fn, addr: ev?.addr, npages: ev?.npages, process: ev?.process, device: ev?.device });
		if (this.wants('call')) {
			yield { kind: 'call', fn, addr: ev?.addr ?? 0, npages: ev?.npages ?? 0, ...ev };
		}
	}

	leave(): void { this.stack.pop(); }

	/** Simulated time moves in whole nanoseconds, so `time` prints as an integer. */
	advance(ns: number): void { this.clock += Math.round(ns); }

	/** Lets a driver interrupt a long loop (pause, Ctrl-C, time slices). */
	*tick(addr: number): K {
		if (this.events.wants('tick')) { yield { kind: 'tick', addr, npages: 0 }; }
	}

	// ------------------------------------------------------------ processes

	createProcess(name: string): Mm {
		if (this.procs.has(name)) { fail('EINVAL', `process '${name}' already exists`); }
		const family = this.nextFamily++;
		const mm = new Mm(this.mms.length, this.nextPid++, name, family);
		this.mms.push(mm);
		this.procs.set(name, mm);
		this.families.set(family, new Set([mm]));
		return mm;
	}

	/** The child of fork: same anon family, so anon rmap walks find both. */
	createChild(parent: Mm, name: string): Mm {
		if (this.procs.has(name)) { fail('EINVAL', `process '${name}' already exists`); }
		const mm = new Mm(this.mms.length, this.nextPid++, name, parent.family);
		this.mms.push(mm);
		this.procs.set(name, mm);
		this.families.get(parent.family)!.add(mm);
		return mm;
	}

	proc(name: string): Mm {
		const mm = this.procs.get(name);
		const killed = mm ? undefined : [...this.mms].reverse().find(m => m.name === name && m.oomKilled !== '');
		if (killed) { fail('SIGKILL', `process '${name}' was killed by the OOM killer (${killed.oomKilled})`); }
		if (!mm || !mm.alive) { fail('EINVAL', `no process '${name}'`); }
		return mm;
	}

	// ------------------------------------------------------------ files

	createFile(name: string, size: number, init: Fill | undefined): SimFile {
		if (this.files.has(name)) { fail('EINVAL', `file '${name}' already exists`); }
		const f = new SimFile(this.fileById.length, name, size, init, false);
		this.fileById.push(f);
		this.files.set(name, f);
		return f;
	}

	/** The shmem object behind one shared anonymous mapping. */
	createShmem(size: number): SimFile {
		const f = new SimFile(this.fileById.length, `[shmem ${this.fileById.length}]`, size, undefined, true);
		this.fileById.push(f);
		return f;
	}

	file(name: string): SimFile {
		const f = this.files.get(name);
		if (!f) { fail('EINVAL', `no file '${name}'`); }
		return f;
	}

	/** A page of persistent memory for a DAX file (not RAM: it is not counted against ram=). */
	allocPmem(): number {
		const pfn = this.frames.reserve(1, POOL_MIXED);
		this.frames.initDevice(pfn, RAM_POOL, PG.DAX);
		this.frames.refcount[pfn >> 12][pfn & 4095] = 1;
		this.pmemPages++;
		return pfn;
	}

	// ------------------------------------------------------------ devices

	device(name: string): Device {
		const d = this.devices.find(x => x.name === name);
		if (!d) { fail('EINVAL', `no device '${name}'`); }
		return d;
	}

	/** rmap encoding of an anon family in Frames.mapping (file ids are >= 0). */
	static anonMapping(family: number): number { return -2 - family; }
}
