// The engine's front door: one method per workload statement, in byte addresses and names, over
// the kernel-shaped internals. The interpreter, the debugger and the tests all go through here.
import { DEFAULT_SYSTEM, Kernel, type SystemConfig } from './kernel';
import { type EventFilter, type K, NO_EVENTS } from './sim/events';
import { deepClone } from './sim/clone';
import { type ErrorCode, fail, SimError } from './sim/errors';
import { PAGE_SIZE } from './mm/content';
import type { Mm } from './mm/mm';
import { PROT_FLAGS } from './mm/vma';
import { type Advice, do_madvise, do_mmap, do_mprotect, do_munmap } from './mm/mmap';
import { do_exit, do_fork } from './mm/fork';
import { cpu_access, type RangeFill } from './mm/access';
import type { Fill } from './mm/fill';
import { type Device, type DeviceConfig, dmirror_device_init } from './device/device';
import { Mirror } from './device/mirror';
import { dmirror_rw, type DevOpResult } from './device/dmirror_rw';
import { dmirror_migrate_to_device, dmirror_migrate_to_system, dmirror_release, dmirror_unmirror } from './device/dmirror_migrate';
import { dmirror_check_exclusive, dmirror_exclusive, dmirror_snapshot, pin_user_pages, unpin_user_pages } from './device/dmirror_misc';
import * as Q from './query';
import { checkInvariants, contentChecksum } from './sim/invariants';
import { mapped, perm } from './view_mirror';
import { MachineView } from './view';
import { countDmirrorMoves, UvmSpace, uvm_device_init } from './device/uvm/space';
import { uvm_launch_kernel } from './device/uvm/kernel_exec';
import { uvm_migrate_to_device, uvm_migrate_to_ram, uvm_unregister } from './device/uvm/api';
import { UvmMirror } from './device/uvm/migrate';
import type { KernelAccess, KernelReport, MigrationCause } from './device/uvm/types';

/** A process, as `current`, `proc()` and `process()` hand it out. */
export type { Mm } from './mm/mm';

/** A byte range of the current process (page-granular for memory operations). */
export interface ByteRange { addr: number; len: number }

/** What the last device operation reported; `moved` = pages that actually moved (UVM paths). */
export interface LastOp { cpages: number; faults: number; moved: number; error: ErrorCode | 'none' }

export interface MachineSnapshot { k: Kernel; current: Mm | undefined; last: LastOp; configured: boolean; uvm: UvmSpace }

export interface MmapArgs {
	len: number;
	prot: string;
	backing: 'anon' | 'file' | 'dax';
	file?: string;
	shared: boolean;
	huge?: 'huge' | 'nohuge';
	offset?: number;
}

export class Machine {
	k: Kernel = new Kernel(DEFAULT_SYSTEM);
	current: Mm | undefined;
	readonly last: LastOp = { cpages: 0, faults: 0, moved: 0, error: 'none' };
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

	/** A deep copy of the whole machine (page contents shared copy-on-write). */
	saveState(): MachineSnapshot {
		return deepClone({ k: this.k, current: this.current, last: { ...this.last }, configured: this.configured, uvm: this.uvm });
	}

	/** Returns to a snapshot; the snapshot itself stays untouched and can be restored again. */
	loadState(s: MachineSnapshot): void {
		const c = deepClone(s);
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
		this.k = new Kernel({ ...DEFAULT_SYSTEM, ...cfg });
		this.k.events = this.filter;
		this.configured = true;
	}

	addDevice(cfg: DeviceConfig): Device {
		if (this.k.devices.some(d => d.name === cfg.name)) { fail('EINVAL', `device '${cfg.name}' already exists`); }
		if (cfg.memoryBytes < PAGE_SIZE) { fail('EINVAL', 'device memory must hold at least one page'); }
		return cfg.policy === 'migrate' ? uvm_device_init(this.k, cfg) : dmirror_device_init(this.k, cfg);
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

	cur(): Mm {
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
		const start = do_mmap(this.k, mm, {
			npages, prot: PROT_FLAGS[a.prot], backing: a.backing, shared: a.shared, file, pgoff: offset / PAGE_SIZE, huge: a.huge,
		});
		return { addr: start * PAGE_SIZE, len: npages * PAGE_SIZE };
	}

	munmap(r: ByteRange): K { const [s, e] = this.pages(r); return do_munmap(this.k, this.cur(), s, e); }
	mprotect(r: ByteRange, prot: string): K { const [s, e] = this.pages(r); return do_mprotect(this.k, this.cur(), s, e, PROT_FLAGS[prot]); }
	madvise(r: ByteRange, advice: Advice): K { const [s, e] = this.pages(r); return do_madvise(this.k, this.cur(), s, e, advice); }

	*fork(name: string): K { yield* do_fork(this.k, this.cur(), name); }

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
			f.slot[pfn] = this.k.content.write(f.slot[pfn], off, data.subarray(at, at + n));
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

	cpuRead(r: ByteRange): K { const [s, e] = this.pages(r); return this.because('cpu-fault', cpu_access(this.k, this.cur(), s, e, false)); }
	/** With a fill, word i of the range (counted from its first byte) is fill(i); the rest of its
	 * first and last pages keeps its bytes. Without one, the pages are written but unchanged. */
	cpuWrite(r: ByteRange, fill?: Fill): K {
		const [s, e] = this.pages(r);
		return this.because('cpu-fault', cpu_access(this.k, this.cur(), s, e, true, fill && this.rangeFill(r, fill)));
	}

	private rangeFill(r: ByteRange, fill: Fill): RangeFill {
		if (r.addr % 4 !== 0) { fail('EINVAL', 'a written value needs a range that starts on a 4-byte boundary'); }
		return { fill, addr: r.addr, len: r.len };
	}

	// ------------------------------------------------------------ devices

	*mirror(dev: string, proc: string): K {
		const d = this.k.device(dev);
		const mm = this.k.proc(proc);
		if (d.mirrors.has(mm)) { fail('EINVAL', `device '${dev}' already mirrors '${proc}'`); }
		d.mirrors.set(mm, d.uvm ? new UvmMirror(d, mm, this.k) : new Mirror(d, mm));
	}

	unmirror(dev: string, proc: string): K {
		const d = this.k.device(dev);
		const mm = this.k.proc(proc);
		return d.uvm ? uvm_unregister(this.k, d, mm) : this.because('unmirror', dmirror_unmirror(this.k, d, mm));
	}

	/** Runs a path, counting what dmirror devices moved under `cause` (uvm/space.ts). */
	private because<T>(cause: MigrationCause, body: K<T>): K<T> { return countDmirrorMoves(this.k, cause, body); }

	/** Runs a device operation, recording last.cpages/faults/error as the ioctl reports them. */
	private *op<T extends (DevOpResult & { moved?: number }) | void>(body: K<T>): K<T> {
		try {
			const r = yield* body;
			if (r) { this.last.cpages = r.cpages; this.last.faults = r.faults; this.last.moved = r.moved ?? 0; }
			this.last.error = 'none';
			return r;
		} catch (e) {
			// as with the ioctl, cpages/faults are not copied out on error
			if (e instanceof SimError) { this.last.error = e.code; }
			throw e;
		}
	}

	*devRead(dev: string, r: ByteRange, keep: boolean): K<Uint8Array | undefined> {
		const [s, e] = this.pages(r);
		if (keep && (e - s) * PAGE_SIZE > 1 << 30) { fail('ENOMEM', 'a read buffer is limited to 1 GiB; discard the result (`DEV read R`) to read more'); }
		const out = keep ? new Uint8Array((e - s) * PAGE_SIZE) : undefined;
		yield* this.op(this.because('device-fault', dmirror_rw(this.k, this.k.device(dev), this.cur(), s, e, false, out, undefined)));
		return out;
	}

	devWrite(dev: string, r: ByteRange, fill: Fill): K<DevOpResult> {
		const [s, e] = this.pages(r);
		return this.op(this.because('device-fault', dmirror_rw(this.k, this.k.device(dev), this.cur(), s, e, true, undefined, this.rangeFill(r, fill))));
	}

	migrate(r: ByteRange, to: string): K<DevOpResult> {
		const [s, e] = this.pages(r);
		const mm = this.cur();
		if (to === 'ram') {
			// MIGRATE_TO_SYS from every device holding pages of the range (dmirror is per device)
			const k = this.k;
			return this.op((function* (): K<DevOpResult & { moved: number }> {
				let cpages = 0;
				let moved = 0;
				let any = false;
				for (const d of k.devices) {
					if (!d.mirrors.has(mm)) { continue; }
					any = true;
					if (d.uvm) {
						const n = yield* uvm_migrate_to_ram(k, d, mm, s, e, 'migrate');
						cpages += n;
						moved += n;
						continue;
					}
					const out0 = d.stats.migrated_out;
					try {
						cpages += (yield* dmirror_migrate_to_system(k, d, mm, s, e)).cpages;
					} finally {
						d.byCause.migrate.out += d.stats.migrated_out - out0;
					}
					moved += d.stats.migrated_out - out0;
				}
				if (!any) { fail('EINVAL', `no device mirrors '${mm.name}'`); }
				return { cpages, faults: 0, moved };
			})());
		}
		const d = this.k.device(to);
		if (d.uvm) { return this.op(this.uvmMove(d.name, mm, s, e, 'migrate')); }
		const k = this.k;
		return this.op((function* (): K<DevOpResult & { moved: number }> {
			const in0 = d.stats.migrated_in;
			try {
				const r = yield* dmirror_migrate_to_device(k, d, mm, s, e);
				return { ...r, moved: d.stats.migrated_in - in0 };
			} finally {
				d.byCause.migrate.in += d.stats.migrated_in - in0;
			}
		})());
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

	/** cudaMemAdvise: preferred location, accessed-by, read-mostly over the range. */
	advise(r: ByteRange, a: { preferred?: string | null; accessedBy?: string; readMostly?: boolean }): void {
		const [s, e] = this.pages(r);
		if (a.preferred && a.preferred !== 'ram') { this.k.device(a.preferred); }
		if (a.accessedBy) { this.k.device(a.accessedBy); }
		this.uvm.adviceOf(this.cur().id).set(s, e, a);
	}

	/** Pages of the range with a copy at `loc` (without read duplication: the pages resident there). */
	copies(r: ByteRange, loc: string): number { return this.count(r, loc); }

	exclusive(r: ByteRange, dev: string): K<DevOpResult> {
		const [s, e] = this.pages(r);
		return this.op(dmirror_exclusive(this.k, this.k.device(dev), this.cur(), s, e));
	}

	release(dev: string): K { return this.op(this.because('release', dmirror_release(this.k, this.k.device(dev)))); }

	*snapshot(dev: string, r: ByteRange): K<Uint8Array> {
		const [s, e] = this.pages(r);
		const out = yield* this.op((function* (k: Kernel, mm: Mm): K<DevOpResult & { bytes: Uint8Array }> {
			const bytes = yield* dmirror_snapshot(k, k.device(dev), mm, s, e);
			return { cpages: e - s, faults: 0, bytes };
		})(this.k, this.cur()));
		return out.bytes;
	}

	*pin(r: ByteRange): K { const [s, e] = this.pages(r); yield* this.because('gup-pin', pin_user_pages(this.k, this.cur(), s, e)); }
	*unpin(r: ByteRange): K { const [s, e] = this.pages(r); unpin_user_pages(this.k, this.cur(), s, e); }

	// ------------------------------------------------------------ queries (no side effects)

	where(r: ByteRange): string { const [s, e] = this.pages(r); return this.view.where(this.cur().id, s, e); }
	count(r: ByteRange, loc: string): number {
		const [s, e] = this.pages(r);
		if (loc !== 'ram' && loc !== 'none' && loc !== 'zero' && loc !== 'swap') { this.k.device(loc); }
		return this.view.count(this.cur().id, s, e, loc);
	}
	mapped(dev: string, r: ByteRange): number { const [s, e] = this.pages(r); return mapped(this.k.device(dev), this.cur(), s, e); }
	perm(dev: string, r: ByteRange): string { const [s, e] = this.pages(r); return perm(this.k.device(dev), this.cur(), s, e); }
	isExclusive(dev: string, r: ByteRange): boolean {
		const [s, e] = this.pages(r);
		const d = this.k.device(dev);
		return d.mirrors.has(this.cur()) ? dmirror_check_exclusive(d, this.cur(), s, e) : false;
	}

	/** int32 word `w` of a range (counted from its first byte), as the process would read it. */
	word(r: ByteRange, w: number): number {
		if (w < 0 || w * 4 + 4 > r.len) { fail('EINVAL', `word ${w} is outside the range (${Math.floor(r.len / 4)} words)`); }
		const b = Q.readBytes(this.k, this.cur(), r.addr + w * 4, 4);
		if (b.unreadable) { fail('EFAULT', `address 0x${(r.addr + w * 4).toString(16)} is not mapped`); }
		return new DataView(b.data.buffer, b.data.byteOffset, 4).getInt32(0, true);
	}

	/** Does every int32 word of the range equal fill(i)? Reads without faulting. */
	matches(r: ByteRange, expect: (i: number) => number): boolean {
		const mm = this.cur();
		const words = Math.floor(r.len / 4);
		if (r.addr % PAGE_SIZE === 0) {
			for (let vpn = r.addr / PAGE_SIZE, w = 0; w < words; vpn++) {
				const p = Q.peek(this.k, mm, vpn);
				if (!p) { fail('EFAULT', `address 0x${(vpn * PAGE_SIZE).toString(16)} is not mapped`); }
				const n = Math.min(1024, words - w);
				for (let j = 0; j < n; j++, w++) {
					if (Q.peekWord(this.k, p, j) !== (expect(w) | 0)) { return false; }
				}
			}
			return true;
		}
		for (let w = 0; w < words; w++) { if (this.word(r, w) !== (expect(w) | 0)) { return false; } }
		return true;
	}

	proc(name: string): Mm { return this.k.proc(name); }

	/** The whole machine's consistency checks (sim/invariants.ts), in words; empty when sane. */
	checkInvariants(): string[] { return checkInvariants(this.k); }
	/** A checksum of every byte every live process can read. */
	contentChecksum(): number { return contentChecksum(this.k); }
	device(name: string): Device { return this.k.device(name); }
	get time(): number { return this.k.clock; }
}
