// The engine's front door: one method per workload statement, in byte addresses and names, over
// the kernel-shaped internals. The interpreter, the debugger and the tests all go through here.
import { DEFAULT_SYSTEM, Kernel, type KernelFrame, type SystemConfig } from './kernel';
import { type EventFilter, type EventKind, type K, NO_EVENTS } from './sim/events';
import { loadClone, saveClone } from './sim/clone';
import { canRun, locked, lockOf } from './sim/sched';
import { StepFootprints } from './sim/schedFootprint';
import { type ErrorCode, fail, SimError } from './sim/errors';
import { PAGE_SIZE } from './mm/content';
import type { Mm } from './mm/mm';
import { PROT_FLAGS } from './mm/vma';
import { type Advice, do_madvise, do_mmap, do_munmap } from './mm/mmap';
import { do_mprotect } from './mm/mprotect';
import { do_truncate } from './mm/truncate';
import { emergency_restart, lost_bytes } from './mm/crash';
import { file_read, file_sync, file_write } from './mm/file_migration';
import { do_mremap } from './mm/mremap';
import { do_exit, do_fork } from './mm/fork';
import { set_oom_score_adj } from './mm/oom_kill';
import { hstate_pages } from './mm/hugetlb';
import { cpu_access, type RangeFill } from './mm/access';
import type { Fill } from './mm/fill';
import { type Device, type DeviceConfig, dmirror_device_init } from './device/device';
import { Mirror } from './device/mirror';
import { dmirror_open_named, findHandle, mirrorTarget, type MirrorTarget } from './device/mirror_handles';
import { dmirror_rw, type DevOpResult } from './device/dmirror_rw';
import {
	dmirror_migrate_to_system, dmirror_release, dmirror_set_fail_alloc, dmirror_unmirror,
} from './device/dmirror_migrate';
import { dmirror_check_exclusive, dmirror_exclusive, dmirror_snapshot, migrate_device_coherent_folio } from './device/dmirror_misc';
import { pin_user_pages, unpin_user_pages } from './mm/gup';
import { device_pin_pages } from './mm/device_pin';
import * as Q from './query';
import { checkInvariants, contentChecksum } from './sim/invariants';
import { mapped, perm } from './view_mirror';
import { MachineView, type PageCountField } from './view';
import { After } from './sim/after';
import { countDmirrorMoves, dmirrorMovesAfter, dmirrorMovesBefore, UvmSpace, uvm_device_init } from './device/uvm/space';
import { uvm_launch_kernel } from './device/uvm/kernel_exec';
import { uvm_migrate_to_device, uvm_migrate_to_ram, uvm_unregister } from './device/uvm/api';
import { UvmMirror } from './device/uvm/migrate';
import type { KernelAccess, KernelReport, MigrationCause } from './device/uvm/types';
import { try_to_free_pages } from './mm/vmscan';
import { read_copies, uvm_collapse_read_duplicates } from './device/uvm/read_dup';
import { uvm_map_accessed_by } from './device/uvm/accessed_by';
import { emptyBreakdown, totalNs } from './device/cost';
import { cpu_coherent_access_ns } from './device/coherent_access';
import { dmirror_migrate_counted, migrate_range_to_ram } from './device/migrate_range';
import { count as Q_count } from './view_location';

/** A process, as `current`, `proc()` and `process()` hand it out. */
export type { Mm } from './mm/mm';

/** A byte range of the current process (page-granular for memory operations). */
export interface ByteRange { addr: number; len: number }

/** What the last device operation reported; `moved` = pages that actually moved (UVM paths). */
export interface LastOp { cpages: number; faults: number; moved: number; retries: number; error: ErrorCode | 'none' }

/** What switchThread saves and restores per script thread. */
export interface ThreadContext { id: number; current: Mm | undefined; stack: KernelFrame[]; last: LastOp }

export interface MachineSnapshot { k: Kernel; current: Mm | undefined; last: LastOp; configured: boolean; uvm: UvmSpace }

export interface MmapArgs {
	len: number;
	prot: string;
	backing: 'anon' | 'file' | 'dax';
	file?: string;
	shared: boolean;
	huge?: 'huge' | 'nohuge';
	offset?: number;
	/** MAP_HUGETLB with this huge page size in bytes (2 MiB or 1 GiB); backing must be anon */
	hugetlb?: number;
}

export class Machine {
	k: Kernel = new Kernel(DEFAULT_SYSTEM);
	current: Mm | undefined;
	readonly last: LastOp = { cpages: 0, faults: 0, moved: 0, retries: 0, error: 'none' };
	/** machine-wide device-model state: advice per process, kernels launched */
	uvm = new UvmSpace();
	private configured = false;
	private filter: EventFilter = NO_EVENTS;
	/** The machine read-only, as plain records (the debugger's and the CLI report's window). */
	readonly view: MachineView = new MachineView(this);

	/** Who watches engine events; survives `system` replacing the kernel and snapshot restores. */
	setEvents(f: EventFilter): void {
		this.filter = f;
		this.k.events = f;
	}

	/** Does whoever drives the machine watch this kind of event? */
	watches(kind: EventKind): boolean { return this.filter.wants(kind); }

	/** A deep copy of the whole machine (page contents shared copy-on-write; typed arrays as blocks
	 * shared with their previous snapshot, sim/snapshot.ts). */
	saveState(): MachineSnapshot {
		return saveClone({ k: this.k, current: this.current, last: { ...this.last }, configured: this.configured, uvm: this.uvm });
	}

	/** Returns to a snapshot this machine took; the snapshot itself stays untouched and can be
	 * restored again. The arrays of the state it replaces are reused (sim/snapshot.ts), so
	 * nothing may keep using that state. */
	loadState(s: MachineSnapshot): void {
		const c = loadClone(s);
		this.k = c.k;
		this.current = c.current;
		Object.assign(this.last, c.last);
		this.configured = c.configured;
		this.uvm = c.uvm;
		this.k.events = this.filter;
		this.k.stack.length = 0;
	}

	// ------------------------------------------------------------ setup

	configure(cfg: Partial<SystemConfig>): void {
		if (this.configured) { fail('EINVAL', '`system` may appear only once'); }
		if (this.k.mms.length > 0 || this.k.devices.length > 0 || this.k.files.size > 0) { fail('EINVAL', '`system` must come before any process, device or file'); }
		const prev = this.k;
		this.k = new Kernel({ ...DEFAULT_SYSTEM, ...cfg });
		this.k.events = this.filter;
		// a script thread started before `system` keeps running on the new kernel: locks and
		// switch points stay on (sim/sched.ts)
		this.k.threaded = prev.threaded;
		this.k.thread = prev.thread;
		this.configured = true;
	}

	addDevice(cfg: DeviceConfig): Device {
		if (this.k.devices.some(d => d.name === cfg.name)) { fail('EINVAL', `device '${cfg.name}' already exists`); }
		// memory=0 is a device without memory (a mirror-only device such as an RDMA NIC with
		// on-demand paging); anything else must hold at least one page
		if (cfg.memoryBytes !== 0 && cfg.memoryBytes < PAGE_SIZE) { fail('EINVAL', 'device memory must be 0 or hold at least one page'); }
		return cfg.policy === 'migrate' ? uvm_device_init(this.k, cfg, this.uvm) : dmirror_device_init(this.k, cfg);
	}

	process(name: string): Mm {
		this.current = this.k.createProcess(name);
		return this.current;
	}

	use(name: string): void { this.current = this.k.proc(name); }

	createFile(name: string, size: number, init?: Fill): void {
		if (size <= 0) { fail('EINVAL', 'a file needs a positive size'); }
		this.k.createFile(name, size, init);
	}

	/** A write of /proc/PID/oom_score_adj (oom_score_adj_write). */
	setOomScoreAdj(name: string, adj: number): void { set_oom_score_adj(this.k.proc(name), adj); }

	/** truncate(2) of a declared file to `size` bytes. */
	truncate(name: string, size: number): K { return do_truncate(this.k, this.k.file(name), size); }
	/** read(2) of bytes [lo, hi) of a declared file, through the page cache. */
	fileRead(name: string, lo: number, hi?: number): K { const f = this.k.file(name); return file_read(this.k, f, lo, hi ?? f.size); }
	/** write(2) of bytes [lo, hi): word i (from lo) is fill(i); without a fill the bytes stay. */
	fileWrite(name: string, lo: number, hi: number | undefined, fill?: Fill): K { const f = this.k.file(name); return file_write(this.k, f, lo, hi ?? f.size, fill); }
	/** fsync(2): the file's dirty cache pages are written back; returns how many. */
	sync(name: string): K<number> { return file_sync(this.k, this.k.file(name), this.k.config.fileWriteback === 'device'); }

	cur(): Mm {
		if (this.current?.oomKilled) { fail('SIGKILL', `process '${this.current.name}' was killed by the OOM killer (${this.current.oomKilled})`); }
		if (!this.current || !this.current.alive) { fail('EINVAL', 'no current process (start with `process NAME`)'); }
		return this.current;
	}

	/** [start, end) page numbers of a byte range, rounded out to whole pages. */
	pages(r: ByteRange): [number, number] {
		if (r.len <= 0) { fail('EINVAL', 'empty range'); }
		return [Math.floor(r.addr / PAGE_SIZE), Math.ceil((r.addr + r.len) / PAGE_SIZE)];
	}

	// ------------------------------------------------------------ address space

	mmap(a: MmapArgs): ByteRange {
		const mm = this.cur();
		if (a.len <= 0) { fail('EINVAL', 'mmap of zero length'); }
		const npages = Math.ceil(a.len / PAGE_SIZE);
		const offset = a.offset ?? 0;
		if (offset % PAGE_SIZE !== 0) { fail('EINVAL', 'mmap offset must be page aligned'); }
		const file = a.file !== undefined ? this.k.file(a.file) : undefined;
		// MAP_HUGETLB: the length is rounded up to whole huge pages
		const hnr = a.hugetlb === undefined ? 1 : hstate_pages(a.hugetlb);
		const mapped = Math.ceil(npages / hnr) * hnr;
		const start = do_mmap(this.k, mm, {
			npages: mapped, prot: PROT_FLAGS[a.prot], backing: a.backing, shared: a.shared, file, pgoff: offset / PAGE_SIZE, huge: a.huge,
			hugetlb: hnr > 1 ? hnr : undefined,
		});
		return { addr: start * PAGE_SIZE, len: mapped * PAGE_SIZE };
	}

	/** mremap(2) of R to `len` bytes; returns the range the mapping now has. */
	*mremap(r: ByteRange, len: number, o: { maymove: boolean; fixed?: number; dontunmap: boolean }): K<ByteRange> {
		if (r.addr % PAGE_SIZE !== 0) { fail('EINVAL', 'mremap needs a page-aligned address'); }
		if (len <= 0) { fail('EINVAL', 'mremap to zero length'); }
		if (o.fixed !== undefined && (o.fixed % PAGE_SIZE !== 0 || o.fixed < 0)) { fail('EINVAL', 'fixed= must be a page-aligned address'); }
		const [s, e] = this.pages(r);
		const newPages = Math.ceil(len / PAGE_SIZE);
		// SYSCALL mremap: mmap_write_lock_killable
		const to = yield* this.mmapLocked(true, do_mremap(this.k, this.cur(), {
			start: s, oldPages: e - s, newPages, maymove: o.maymove, dontunmap: o.dontunmap,
			fixed: o.fixed === undefined ? undefined : o.fixed / PAGE_SIZE,
		}));
		return { addr: to * PAGE_SIZE, len: newPages * PAGE_SIZE };
	}

	munmap(r: ByteRange): K { const [s, e] = this.pages(r); return this.mmapLocked(true, do_munmap(this.k, this.cur(), s, e)); }
	mprotect(r: ByteRange, prot: string): K { const [s, e] = this.pages(r); return this.mmapLocked(true, do_mprotect(this.k, this.cur(), s, e, PROT_FLAGS[prot])); }
	madvise(r: ByteRange, advice: Advice): K { const [s, e] = this.pages(r); return do_madvise(this.k, this.cur(), s, e, advice); }

	/** dup_mmap holds the parent's mmap_lock for writing while it copies the address space. */
	*fork(name: string): K { yield* this.mmapLocked(true, do_fork(this.k, this.cur(), name)); }

	*exit(name: string): K {
		const mm = this.k.proc(name);
		yield* do_exit(this.k, mm);
		if (this.current === mm) { this.current = undefined; }
	}

	/** A CPU store of arbitrary bytes (the debugger's writeMemory): write faults, then the bytes. */
	*writeBytes(addr: number, data: Uint8Array): K {
		if (data.length === 0) { return; }
		const [s, e] = this.pages({ addr, len: data.length });
		const mm = this.cur();
		yield* this.because('cpu-fault', cpu_access(this.k, mm, s, e, true));
		for (let at = 0; at < data.length;) {
			const a = addr + at;
			const vpn = Math.floor(a / PAGE_SIZE);
			const off = a % PAGE_SIZE;
			const n = Math.min(PAGE_SIZE - off, data.length - at);
			const pfn = mm.pt.pfn(vpn);
			const f = this.k.frames;
			f.slot[pfn >> 12][pfn & 4095] = this.k.content.write(f.slot[pfn >> 12][pfn & 4095], off, data.subarray(at, at + n));
			at += n;
		}
	}

	/** writeBytes as process `name` (the debugger's writeMemory on any live process's memory). */
	*writeBytesAs(name: string, addr: number, data: Uint8Array): K {
		const mm = this.k.proc(name);
		const saved = this.current;
		this.current = mm;
		try {
			yield* this.writeBytes(addr, data);
		} finally {
			this.current = saved;
		}
	}

	cpuRead(r: ByteRange): K { const [s, e] = this.pages(r); return this.coherentCharge(r, this.mmapLocked(false, this.because('cpu-fault', cpu_access(this.k, this.cur(), s, e, false)))); }
	/** With a fill, word i of the range (counted from its first byte) is fill(i); the rest of its
	 * first and last pages keeps its bytes. Without one, the pages are written but unchanged. */
	cpuWrite(r: ByteRange, fill?: Fill): K {
		const [s, e] = this.pages(r);
		return this.coherentCharge(r, this.mmapLocked(false, this.because('cpu-fault', cpu_access(this.k, this.cur(), s, e, true, fill && this.rangeFill(r, fill)))));
	}

	/** Runs a path under the current process's mmap_lock (read: faults; write: munmap, mprotect),
	 * which orders them when script threads run concurrently (sim/sched.ts; free without threads). */
	private mmapLocked<T>(write: boolean, body: K<T>): K<T> {
		return this.k.threaded ? locked(this.k, lockOf(this.cur(), 'mmap_lock'), write, body, write ? 'mmap_write_lock' : 'mmap_read_lock') : body;
	}

	/** The part of the machine one script thread owns (src/lang/threads.ts): its current process,
	 * its simulated kernel call stack and its `last`. Saves the running thread's into `from` and
	 * loads `to`'s; from then on locks are taken (sim/sched.ts). */
	switchThread(from: ThreadContext, to: ThreadContext): void {
		from.current = this.current;
		from.stack = this.k.stack.splice(0);
		from.last = { ...this.last };
		this.current = to.current;
		this.k.stack.push(...to.stack);
		Object.assign(this.last, to.last);
		this.k.threaded = true;
		this.k.thread = to.id;
	}

	/** Script thread `id` is not asleep on a lock or migration entry that is still taken. */
	threadCanRun(id: number): boolean { return canRun(this.k, id); }

	/** `hmmw explore`'s partial-order reduction: what each step of a threaded run touches. */
	stepFootprints(): StepFootprints { return new StepFootprints(() => this.k); }

	/** A CPU access, then the time its bytes on coherent device memory took over the link. */
	private *coherentCharge(r: ByteRange, body: K): K {
		yield* body;
		this.k.advance(cpu_coherent_access_ns(this.k, this.cur(), r.addr, r.len));
	}

	private rangeFill(r: ByteRange, fill: Fill): RangeFill {
		if (r.addr % 4 !== 0) { fail('EINVAL', 'a written value needs a range that starts on a 4-byte boundary'); }
		return { fill, addr: r.addr, len: r.len };
	}

	// ------------------------------------------------------------ devices

	/** `DEV mirror PROC [as NAME]` (dmirror_fops_open). The unnamed mirror is one per device and
	 * process, as the language addresses it by the device; further open files carry a name. */
	*mirror(dev: string, proc: string, handle?: string): K {
		const d = this.k.device(dev);
		const mm = this.k.proc(proc);
		if (handle !== undefined) { dmirror_open_named(this.k, d, mm, handle); return; }
		if (d.mirrors.has(mm)) { fail('EINVAL', `device '${dev}' already has its unnamed mirror of '${proc}' (open another file with '${dev} mirror ${proc} as NAME')`); }
		d.mirrors.set(mm, d.uvm ? new UvmMirror(d, mm, this.k) : new Mirror(d, mm, this.k));
	}

	/** The open file a device statement addresses: NAME, or DEV's unnamed mirror of the current process. */
	private target(name: string): MirrorTarget { return mirrorTarget(this.k, name, () => this.cur()); }

	/** `DEV unmirror PROC`, or `NAME unmirror` (the named file's dmirror_fops_release). */
	*unmirror(dev: string, proc?: string): K {
		const h = findHandle(this.k, dev);
		if (h) {
			yield* this.because('unmirror', dmirror_unmirror(this.k, h.dev, h.mm, this.current?.alive ? this.current : undefined, h));
			return;
		}
		if (proc === undefined) { fail('EINVAL', `'${dev}' is not an open file: write '${dev} unmirror PROC'`); }
		const d = this.k.device(dev);
		const mm = this.k.proc(proc);
		if (d.uvm) {
			yield* try_to_free_pages(this.k, Q_count(this.k, mm, 0, Number.MAX_SAFE_INTEGER, d.name));
			yield* uvm_unregister(this.k, d, mm);
			return;
		}
		// dmirror_fops_release makes room itself (reclaim, then the OOM killer)
		yield* this.because('unmirror', dmirror_unmirror(this.k, d, mm, this.current?.alive ? this.current : undefined));
	}

	/** Runs a path, counting what dmirror devices moved under `cause` (uvm/space.ts). */
	private because<T>(cause: MigrationCause, body: K<T>): K<T> { return countDmirrorMoves(this.k, cause, body); }

	/** Runs a device operation, recording last.cpages/faults/error as the ioctl reports them. */
	private *op<T extends (DevOpResult & { moved?: number }) | void>(body: K<T>): K<T> {
		try {
			const r = yield* body;
			this.opDone(r);
			return r;
		} catch (e) {
			this.opFailed(e);
			throw e;
		}
	}

	private opDone(r: (DevOpResult & { moved?: number }) | void): void {
		if (r) { this.last.cpages = r.cpages; this.last.faults = r.faults; this.last.moved = r.moved ?? 0; this.last.retries = r.retries ?? 0; }
		this.last.error = 'none';
	}

	/** as with the ioctl, cpages/faults are not copied out on error */
	private opFailed(e: unknown): void {
		if (e instanceof SimError) { this.last.error = e.code; }
	}

	devRead(dev: string, r: ByteRange, keep: boolean): K<Uint8Array | undefined> {
		const [s, e] = this.pages(r);
		if (keep && (e - s) * PAGE_SIZE > 1 << 30) { fail('ENOMEM', 'a read buffer is limited to 1 GiB; discard the result (`DEV read R`) to read more'); }
		const out = keep ? new Uint8Array((e - s) * PAGE_SIZE) : undefined;
		// op(because(...)) without their generators: a watched read's page-fault events reach
		// the caller through no generator of the machine's (sim/after.ts)
		const t = this.target(dev);
		const body = dmirror_rw(this.k, t.dev, t.mm, s, e, false, out, undefined, t.via);
		const before = dmirrorMovesBefore(this.k);
		return new After(body, res => { this.opDone(res); return out; }, err => this.opFailed(err), () => dmirrorMovesAfter('device-fault', before));
	}

	devWrite(dev: string, r: ByteRange, fill: Fill): K<DevOpResult> {
		const [s, e] = this.pages(r);
		const t = this.target(dev);
		return this.op(this.because('device-fault', dmirror_rw(this.k, t.dev, t.mm, s, e, true, undefined, this.rangeFill(r, fill), t.via)));
	}

	/** `migrate R -> DEV`, `migrate R -> ram` (every device mirroring the process, in declaration
	 * order), or `migrate R -> ram from DEV` (HMM_DMIRROR_MIGRATE_TO_SYS on DEV's mirror alone:
	 * it selects only DEV's pages, another device's stay where they are). */
	migrate(r: ByteRange, to: string, from?: string): K<DevOpResult> { return this.mmapLocked(false, this.migrateRange(r, to, from)); }

	private migrateRange(r: ByteRange, to: string, from?: string): K<DevOpResult> {
		const [s, e] = this.pages(r);
		const mm = this.cur();
		if (to === 'ram' && from !== undefined) {
			const t = this.target(from);
			return this.op(dmirror_migrate_to_system(this.k, t.dev, t.mm, s, e, t.via));
		}
		if (to === 'ram') { return this.op(migrate_range_to_ram(this.k, mm, s, e)); }
		const t = this.target(to);
		const d = t.dev;
		if (d.uvm) { return this.op(this.uvmMove(d.name, mm, s, e, 'migrate')); }
		return this.op(dmirror_migrate_counted(this.k, d, t.mm, s, e, t.via));
	}

	/** UVM_MIGRATE on a policy=migrate device: cpages = pages of the range resident there after. */
	private *uvmMove(dev: string, mm: Mm, s: number, e: number, cause: 'migrate' | 'user-prefetch'): K<DevOpResult & { moved: number }> {
		const d = this.k.device(dev);
		const moved = yield* uvm_migrate_to_device(this.k, d, mm, s, e, cause);
		return { cpages: this.view.count(mm.id, s, e, d.name), faults: 0, moved };
	}

	// ------------------------------------------------------------ the device model

	/** Every kernel launched, in order. */
	get kernels(): KernelReport[] { return this.uvm.kernels; }

	/** `kernel DEV ["name"] { ... }`: the body's accesses (whole pages, in program order) run on
	 * the device; last.faults = pages faulted, last.moved = pages migrated. */
	launchKernel(dev: string, name: string, accesses: KernelAccess[]): K<KernelReport> {
		const d = this.k.device(dev);
		const mm = this.cur();
		const space = this.uvm;
		const k = this.k;
		return this.op((function* (): K<KernelReport & DevOpResult & { moved: number }> {
			const r = yield* uvm_launch_kernel(k, d, mm, space, name, accesses);
			return { ...r, cpages: 0, faults: r.faults, moved: r.migrated };
		})());
	}

	/** `prefetch R -> DEV|ram` (cudaMemPrefetchAsync): moves what can move, never fails for what
	 * cannot; cause 'user-prefetch'. */
	prefetch(r: ByteRange, to: string): K<DevOpResult> {
		const [s, e] = this.pages(r);
		const mm = this.cur();
		if (to === 'ram') {
			const k = this.k;
			return this.op((function* (): K<DevOpResult & { moved: number }> {
				let moved = 0;
				for (const d of k.devices) {
					if (d.uvm && d.mirrors.has(mm)) { moved += yield* uvm_migrate_to_ram(k, d, mm, s, e, 'user-prefetch'); }
				}
				return { cpages: moved, faults: 0, moved };
			})());
		}
		const d = this.k.device(to);
		if (!d.uvm) { fail('EINVAL', `prefetch needs a policy=migrate device ('${to}' is policy=${d.cfg.policy})`); }
		return this.op(this.uvmMove(to, mm, s, e, 'user-prefetch'));
	}

	/** cudaMemAdvise: preferred location, accessed-by, read-mostly over the range. Setting
	 * accessed-by maps the pages where they are now (uvm_va_block_set_accessed_by); unsetting
	 * read-mostly collapses the copies (uvm_va_block_unset_read_duplication). */
	*advise(r: ByteRange, a: { preferred?: string | null; accessedBy?: string; readMostly?: boolean }): K {
		const [s, e] = this.pages(r);
		if (a.preferred && a.preferred !== 'ram') { this.k.device(a.preferred); }
		if (a.accessedBy) { this.k.device(a.accessedBy); }
		const mm = this.cur();
		this.uvm.adviceOf(mm.id).set(s, e, a);
		if (a.readMostly === false) { yield* uvm_collapse_read_duplicates(this.k, mm, s, e, undefined); }
		if (a.accessedBy) {
			const acc = emptyBreakdown();
			yield* uvm_map_accessed_by(this.k, this.uvm, mm, s, e, acc);
			this.k.advance(totalNs(acc));
		}
	}

	/** `crash`: power loss and restart (mm/crash.ts). */
	*crash(): K { yield* emergency_restart(this.k); }

	/** lost(R): bytes of the range in pages whose content the last crash lost. */
	lost(r: ByteRange): number { return lost_bytes(this.k, this.cur(), r.addr, r.len); }

	/** Pages of the range with a copy at `loc`: resident there, or (on a device) a read-only
	 * read-mostly copy there. A duplicated page counts at RAM and at every device holding a copy. */
	copies(r: ByteRange, loc: string): number {
		const n = this.count(r, loc);
		if (loc === 'ram' || !this.k.devices.some(d => d.name === loc)) { return n; }
		const [s, e] = this.pages(r);
		return n + read_copies(this.k, this.cur(), s, e, loc);
	}

	exclusive(r: ByteRange, dev: string): K<DevOpResult> {
		const [s, e] = this.pages(r);
		const t = this.target(dev);
		return this.op(dmirror_exclusive(this.k, t.dev, t.mm, s, e, t.via));
	}

	*release(dev: string): K {
		const d = this.k.device(dev);
		// the driver lets go of its pins in the memory it gives up (experimental=pin_device)
		for (const pfn of [...this.k.pins.until.keys()]) { if (d.ownsPfn(this.k, pfn)) { this.k.pins.drop(this.k, pfn); } }
		yield* this.op(this.because('release', dmirror_release(this.k, d, this.current?.alive ? this.current : undefined)));
	}

	/** HMM_DMIRROR_FLAGS(FAIL_ALLOC): the flag is per open file, so per mirror (EINVAL without one). */
	failAlloc(dev: string): K<DevOpResult> {
		const t = this.target(dev);
		return this.op(dmirror_set_fail_alloc(this.k, t.dev, t.mm, t.via));
	}

	*snapshot(dev: string, r: ByteRange): K<Uint8Array> {
		const [s, e] = this.pages(r);
		const t = this.target(dev);
		const out = yield* this.op((function* (k: Kernel): K<DevOpResult & { bytes: Uint8Array }> {
			const bytes = yield* dmirror_snapshot(k, t.dev, t.mm, s, e, t.via);
			return { cpages: e - s, faults: 0, bytes };
		})(this.k));
		return out.bytes;
	}

	/** pin_user_pages(FOLL_LONGTERM), with FOLL_WRITE when the first page's mapping is writable
	 * (as registering writable memory with an RDMA NIC does), or read-only when `readOnly`. */
	*pin(r: ByteRange, readOnly = false): K {
		const [s, e] = this.pages(r);
		const mm = this.cur();
		const write = !readOnly && (mm.vmas.find(s)?.writable ?? false);
		try {
			yield* this.because('gup-pin', pin_user_pages(this.k, mm, s, e, write, migrate_device_coherent_folio));
		} catch (err) {
			// GUP turns a VM_FAULT_SIGBUS into -EFAULT (vm_fault_to_errno): no signal for a pin
			if (err instanceof SimError && err.code === 'SIGBUS') { fail('EFAULT', err.message); }
			throw err;
		}
	}
	/** `pin R -> DEV [for DUR]` (experimental=pin_device): migrates R to DEV, then pins every page
	 * there, until `unpin` or for `forNs`. Pages that could not be placed on DEV are an error
	 * (EBUSY), after the others are pinned. */
	*pinDevice(r: ByteRange, dev: string, forNs?: number): K {
		if (!this.k.experimental('pin_device')) { fail('EINVAL', '`pin R -> DEV` needs `system experimental=pin_device`'); }
		const [s, e] = this.pages(r);
		const d = this.k.device(dev);
		if (d.capacityPages === 0) { fail('EINVAL', `device '${dev}' has no memory to pin pages in`); }
		yield* this.migrate(r, dev);
		const until = forNs === undefined ? Infinity : this.k.clock + forNs;
		const missing = device_pin_pages(this.k, this.cur(), s, e, d.index, until);
		if (missing > 0) { fail('EBUSY', `${missing} of ${e - s} pages could not be placed in ${dev}'s memory to pin`); }
	}

	*unpin(r: ByteRange): K { const [s, e] = this.pages(r); unpin_user_pages(this.k, this.cur(), s, e); }

	// ------------------------------------------------------------ queries (no side effects)

	where(r: ByteRange): string { const [s, e] = this.pages(r); return this.view.where(this.cur().id, s, e); }
	count(r: ByteRange, loc: string): number {
		const [s, e] = this.pages(r);
		if (loc !== 'ram' && loc !== 'none' && loc !== 'zero' && loc !== 'swap') { this.k.device(loc); }
		return this.view.count(this.cur().id, s, e, loc);
	}
	mapped(dev: string, r: ByteRange): number {
		const [s, e] = this.pages(r);
		const t = this.target(dev);
		return mapped(t.dev, t.mm, s, e, t.via ?? t.dev.mirrors.get(t.mm));
	}
	perm(dev: string, r: ByteRange): string {
		const [s, e] = this.pages(r);
		const t = this.target(dev);
		return perm(t.dev, t.mm, s, e, t.via ?? t.dev.mirrors.get(t.mm));
	}
	isExclusive(dev: string, r: ByteRange): boolean {
		const [s, e] = this.pages(r);
		const t = this.target(dev);
		const m = t.via ?? t.dev.mirrors.get(t.mm);
		return m ? dmirror_check_exclusive(t.dev, t.mm, s, e, m) : false;
	}

	/** refcount(R) / mapcount(R) / pincount(R): the page counter of R's pages, or 'mixed'. */
	pageCount(r: ByteRange, field: PageCountField): number | 'mixed' {
		const [s, e] = this.pages(r);
		return this.view.pageCount(this.cur().id, s, e, field);
	}

	/** int32 word `w` of a range (counted from its first byte), as the process would read it. */
	word(r: ByteRange, w: number): number { return Q.readWord(this.k, this.cur(), r.addr, r.len, w); }

	/** Does every int32 word of the range equal fill(i)? Reads without faulting. */
	matches(r: ByteRange, expect: Fill | ((i: number) => number)): boolean {
		const g = this.scanMatches(r, expect);
		for (;;) {
			const n = g.next();
			if (n.done) { return n.value; }
		}
	}

	/** matches() with a pause point every leaf's worth of pages: 8 GiB hold 2G words. */
	scanMatches(r: ByteRange, expect: Fill | ((i: number) => number)): K<boolean> {
		return Q.scan_matches(this.k, this.cur(), r.addr, r.len, typeof expect === 'function' ? { kind: 'fn', fn: expect } : expect);
	}

	proc(name: string): Mm { return this.k.proc(name); }

	/** Offers the driver a chance to pause or slice time inside a long statement (kernel.tick). */
	tick(addr = 0): K { return this.k.tick(addr); }

	/** The whole machine's consistency checks (sim/invariants.ts), in words; empty when sane. */
	checkInvariants(): string[] { return checkInvariants(this.k); }
	/** A checksum of every byte every live process can read. */
	contentChecksum(): number { return contentChecksum(this.k); }
	device(name: string): Device { return this.k.device(name); }
	get time(): number { return this.k.clock; }
}
