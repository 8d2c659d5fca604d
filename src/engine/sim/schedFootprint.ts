// What one step of a threaded run touched, for partial-order reduction in `hmmw explore`
// (src/lang/explore.ts). A step is what the scheduler ran between two switch points with a choice.
// Two steps of different threads are independent when their footprints do not meet; the explorer
// then does not try both orders (sleep sets). The footprint is taken from the simulated kernel
// call stack, not from the data each function touches, so it is coarse and errs on the side of
// "dependent":
// - every frame whose code ran in the step counts, with what it was called for: the process and
//   its page range (rounded out to whole 2 MiB page-table leaves: THP splits, page-table pages),
//   the device, and for device and notifier paths the process's interval notifiers (whole mm);
// - a function not in the table below, a frame with no process, code that ran outside any kernel
//   function (script statements, machine glue), a switch forced by a join, a finished thread or a
//   contended lock: the step depends on every other step;
// - a lock taken or released (sim/sched.ts) is a key of its own;
// - a step that changed how much RAM or device memory is in use depends on every other such step
//   (allocation order decides pfns, LRU order and who meets memory pressure);
// - steps in processes of one fork family (they may share anon pages), or with any file or shared
//   mapping on the machine, do not get
//   per-range keys: pages may be shared, so they compare as the whole process (or the machine).
// Allocation while more than half of RAM (or of a device's memory) is free, with no swap, counts
// as commutative too: its order then decides only which pfn a page gets, never whether it gets
// one or what is reclaimed (no reclaim runs that far from the watermarks). The clock counts as
// commutative: equivalent schedules may differ in when events were stamped.
import type { Kernel, KernelFrame } from '../kernel';
import { lockFns, lockObservers, type SimLock } from './sched';

/** 512 pages: one page-table leaf, the unit a THP split or a leaf allocation touches */
const LEAF = 512;

/** Functions whose footprint the table knows. 'pt': the CPU page table of the range; 'dev': a
 * device path (mirror table, device memory, the notifier sequence of the whole mm); 'notify': an
 * invalidation (the range, every mirror of it, the notifier sequence). Anything else: everything. */
const KNOWN: Record<string, 'pt' | 'dev' | 'notify'> = {
	handle_mm_fault: 'pt', pin_user_pages: 'pt', migration_entry_wait: 'pt', make_device_exclusive: 'dev',
	invalidate_range_start: 'notify',
	hmm_range_fault: 'dev', dmirror_fault: 'dev', dmirror_read: 'dev', dmirror_write: 'dev',
	dmirror_migrate_to_device: 'dev', dmirror_migrate_to_system: 'dev', migrate_to_ram: 'dev',
	migrate_vma_setup: 'dev', migrate_vma_pages: 'dev', migrate_vma_finalize: 'dev',
};

/** One thing a step touched: a key, and for page ranges the pages [lo, hi). */
export interface Touch { key: string; lo: number; hi: number }
/** `all`: the step is dependent on every other step. */
export interface Footprint { all: boolean; touches: Touch[] }

export const EVERYTHING: Footprint = { all: true, touches: [] };

/** Do two steps (of different threads) fail to commute? */
export function dependent(a: Footprint, b: Footprint): boolean {
	if (a.all || b.all) { return true; }
	for (const x of a.touches) {
		for (const y of b.touches) {
			if (x.key === y.key && x.lo < y.hi && y.lo < x.hi) { return true; }
			if ((x.key === 'dev:*' && y.key.startsWith('dev:')) || (y.key === 'dev:*' && x.key.startsWith('dev:'))) { return true; }
		}
	}
	return false;
}

let nextLockId = 0;
const lockIds = new WeakMap<SimLock, number>();

/** Collects the footprint of the running step; the explorer cuts it at each switch point. */
export class StepFootprints {
	private cur: Footprint = { all: false, touches: [] };
	/** each thread's kernel stack when it was last seen (frames compared by identity) */
	private readonly seen = new Map<number, KernelFrame[]>();
	private mem = '';
	private bound?: Kernel;
	private readonly onLock = (l: SimLock): void => {
		let id = lockIds.get(l);
		if (id === undefined) { id = nextLockId++; lockIds.set(l, id); }
		this.touch(`lock:${id}`, 0, Infinity);
	};

	/** `kernel` gives the machine's kernel (a `system` statement replaces it). */
	constructor(private readonly kernel: () => Kernel) { }

	private get k(): Kernel {
		const k = this.kernel();
		if (k !== this.bound) {
			if (this.bound) { lockObservers.delete(this.bound); }
			lockObservers.set(k, this.onLock);
			this.bound = k;
			this.mem = this.memory();
		}
		return k;
	}

	/** The step depends on everything (script code, a forced switch). */
	everything(): void { this.cur.all = true; }

	/** The current thread reached a kernel function entry: the frames whose code ran since it was
	 * last seen are added. */
	reached(thread: number): void {
		const now = this.k.stack;
		const before = this.seen.get(thread) ?? [];
		let c = 0;
		while (c < before.length && c < now.length && before[c] === now[c]) { c++; }
		// no frame in common: code ran with no kernel function on the stack (a statement's glue)
		if (c === 0) { this.cur.all = true; }
		for (let i = c; i < before.length; i++) { this.frame(before[i]); }
		if (c > 0) { this.frame(now[c - 1]); }
		// the innermost frame was entered just now: its code runs in the next step
		for (let i = c; i < now.length - 1; i++) { this.frame(now[i]); }
		this.seen.set(thread, now.slice());
		const mem = this.memory();
		if (mem !== this.mem && this.underPressure()) { this.touch('memory', 0, Infinity); }
		this.mem = mem;
	}

	/** The footprint of the step that ends here; the next one starts empty. */
	cut(): Footprint {
		const f = this.cur;
		this.cur = { all: false, touches: [] };
		return f;
	}

	detach(): void { if (this.bound) { lockObservers.delete(this.bound); } }

	private memory(): string {
		const k = this.kernel();
		let s = String(k.frames.ramUsed);
		for (const d of k.devices) { s += ',' + d.usedPages; }
		return s;
	}

	/** Could the order of allocations matter for more than pfn numbers? */
	private underPressure(): boolean {
		const k = this.kernel();
		if (k.swap || k.frames.ramUsed * 2 > k.frames.ramPages) { return true; }
		return k.devices.some(d => d.usedPages * 2 > d.capacityPages);
	}

	private touch(key: string, lo: number, hi: number): void {
		if (!this.cur.all) { this.cur.touches.push({ key, lo, hi }); }
	}

	private frame(f: KernelFrame): void {
		// a lock wait's frame (no process): its code is the lock operation, a key of its own
		if (!f.process && lockFns.has(f.fn)) { return; }
		const kind = KNOWN[f.fn];
		if (!kind || !f.process) { this.cur.all = true; return; }
		const k = this.k;
		const proc = k.procs.get(f.process);
		// processes of one fork family may map the same anon pages: one key for the family
		const mm = proc ? `mm:family${proc.family}` : 'mm:?';
		const shared = k.fileById.length > 0;
		if (f.npages && f.npages > 0 && !shared) {
			const s = Math.floor((f.addr ?? 0) / 4096);
			this.touch(mm, Math.floor(s / LEAF) * LEAF, Math.ceil((s + f.npages) / LEAF) * LEAF);
		} else { this.touch(mm, 0, Infinity); }
		if (kind === 'pt') { return; }
		this.touch(`notifier:${f.process}`, 0, Infinity);
		if (kind === 'notify' && proc) {
			// an invalidation reaches every device that mirrors the process
			for (const d of k.devices) { if (d.mirrors.has(proc) || d.uvm) { this.touch(`dev:${d.name}`, 0, Infinity); } }
			return;
		}
		// a device path its own device; a frame that names none may reach any (migrate_vma_pages)
		this.touch(f.device ? `dev:${f.device}` : 'dev:*', 0, Infinity);
	}
}
