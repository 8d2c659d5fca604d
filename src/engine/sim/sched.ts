// Sleeping locks of the simulated kernel, for scripts with threads (src/lang/threads.ts). A thread
// switch happens only where a kernel path offers one: at a simulated function entry (k.enter's
// 'call') and while a lock is contended. A contended acquire yields a 'call' event with detail
// 'wait' until the holder lets go; the scheduler never resumes the waiter into the critical section.
// Without threads (k.threaded false) nothing here takes a lock or yields: single-threaded runs pay
// one boolean test per acquire.
import type { Kernel } from '../kernel';
import type { K, SimEvent } from './events';

/** A reader-writer semaphore (mmap_lock) or, with only writers, a mutex (dmirror->mutex). The
 * owner is the kernel's current thread id; the same thread may nest (the simulator's paths call
 * each other where the kernel would pass "locked" flags). */
export class SimLock {
	writer = -1;
	depth = 0;
	/** thread id -> read holds */
	readonly readers = new Map<number, number>();
	constructor(readonly name: string) { }

	canRead(t: number): boolean { return this.writer === -1 || this.writer === t; }
	canWrite(t: number): boolean {
		if (this.writer !== -1 && this.writer !== t) { return false; }
		for (const r of this.readers.keys()) { if (r !== t) { return false; } }
		return true;
	}
}

const LOCKS = new WeakMap<object, SimLock>();

/** Who wants to hear of every lock taken or released on a kernel (hmmw explore's step footprints,
 * sim/schedFootprint.ts), and the names of lock waits' frames (their code is the lock operation). */
export const lockObservers = new WeakMap<Kernel, (l: SimLock) => void>();
export const lockFns = new Set<string>();

/** The lock that belongs to `owner` (an mm's mmap_lock, a mirror's mutex), made on first use. */
export function lockOf(owner: object, name: string): SimLock {
	let l = LOCKS.get(owner);
	if (!l) { l = new SimLock(name); LOCKS.set(owner, l); }
	return l;
}

/** What each sleeping thread waits for: thread id -> whether it can go on now. A sleeper whose
 * condition still fails is not runnable (src/lang/threads.ts asks canRun): picking it would only
 * repeat the failed check, a turn that changes nothing, and `hmmw explore` would count every
 * such turn as one more interleaving of the same run. */
const SLEEPERS = new WeakMap<Kernel, Map<number, () => boolean>>();

/** Sleeps (yielding `ev`, a 'wait' call event, to let other threads run) until `ok` holds. */
function* sleepUntil(k: Kernel, ok: () => boolean, ev: SimEvent): K {
	if (ok()) { return; }
	let m = SLEEPERS.get(k);
	if (!m) { m = new Map(); SLEEPERS.set(k, m); }
	const t = k.thread;
	m.set(t, ok);
	try {
		while (!ok()) { yield ev; }
	} finally { m.delete(t); }
}

/** Could script thread `t` make progress if it ran now: it is not asleep on a lock or a
 * migration entry, or what it waits for has happened. */
export function canRun(k: Kernel, t: number): boolean {
	const ok = SLEEPERS.get(k)?.get(t);
	return ok === undefined || ok();
}

/** Takes a lock: a switch point (another thread may run first), then waits (yielding to other
 * threads) until `ok` holds. */
function* wait(k: Kernel, fn: string, ok: () => boolean): K {
	lockFns.add(fn);
	yield* k.enter(fn);
	try {
		yield* sleepUntil(k, ok, { kind: 'call', fn, detail: 'wait', addr: 0, npages: 0 });
	} finally { k.leave(); }
}

/** down_read / mmap_read_lock */
export function* down_read(k: Kernel, l: SimLock, fn = 'mmap_read_lock'): K {
	if (!k.threaded) { return; }
	const t = k.thread;
	yield* wait(k, fn, () => l.canRead(t));
	l.readers.set(t, (l.readers.get(t) ?? 0) + 1);
	lockObservers.get(k)?.(l);
}

export function up_read(k: Kernel, l: SimLock): void {
	if (!k.threaded) { return; }
	const n = (l.readers.get(k.thread) ?? 0) - 1;
	if (n > 0) { l.readers.set(k.thread, n); } else { l.readers.delete(k.thread); }
	lockObservers.get(k)?.(l);
}

/** down_write / mmap_write_lock / mutex_lock */
export function* down_write(k: Kernel, l: SimLock, fn = 'mmap_write_lock'): K {
	if (!k.threaded) { return; }
	const t = k.thread;
	yield* wait(k, fn, () => l.canWrite(t));
	l.writer = t;
	l.depth++;
	lockObservers.get(k)?.(l);
}

export function up_write(k: Kernel, l: SimLock): void {
	if (!k.threaded) { return; }
	if (--l.depth === 0) { l.writer = -1; }
	lockObservers.get(k)?.(l);
}

/** Runs `body` holding `l` for reading (write: for writing), releasing it however body ends. */
export function* locked<T>(k: Kernel, l: SimLock, write: boolean, body: K<T>, fn?: string): K<T> {
	if (!k.threaded) { return yield* body; }
	yield* (write ? down_write(k, l, fn) : down_read(k, l, fn));
	try { return yield* body; } finally { if (write) { up_write(k, l); } else { up_read(k, l); } }
}

/** migration_entry_wait (mm/migrate.c): a CPU fault found a migration entry, the page is being
 * migrated by another thread (between migrate_vma_setup and migrate_vma_finalize); it sleeps on
 * the folio until the entry is replaced, then the access is retried. Only a thread can meet one:
 * a migration runs whole otherwise. */
export function* migration_entry_wait(k: Kernel, stillMigrating: () => boolean, ev: { addr: number; process: string }): K {
	yield* k.enter('migration_entry_wait', { addr: ev.addr, npages: 1, process: ev.process });
	try {
		yield* sleepUntil(k, () => !stillMigrating(), { kind: 'call', fn: 'migration_entry_wait', detail: 'wait', addr: ev.addr, npages: 1 });
	} finally { k.leave(); }
}

/** Folio locks held by script threads: pfn -> the thread. Only threads hold one across a switch
 * point; without threads nothing is recorded and every folio_trylock succeeds. */
const FOLIO_LOCKS = new WeakMap<Kernel, Map<number, number>>();

/** folio_lock for as long as the current thread is inside a kernel function (handle_mm_fault
 * holds the folio of the faulting address while it resolves the fault: do_wp_page, do_swap_page,
 * migrate_to_ram). Returns the pfn to give folio_unlock, or -1 when nothing was taken. */
export function folio_lock_held(k: Kernel, pfn: number): number {
	if (!k.threaded || pfn < 0) { return -1; }
	let m = FOLIO_LOCKS.get(k);
	if (!m) { m = new Map(); FOLIO_LOCKS.set(k, m); }
	if (m.has(pfn)) { return -1; }
	m.set(pfn, k.thread);
	return pfn;
}

export function folio_unlock(k: Kernel, pfn: number): void {
	if (pfn >= 0) { FOLIO_LOCKS.get(k)?.delete(pfn); }
}

/** folio_trylock (migrate_vma_collect_pmd): fails when another script thread holds the folio. */
export function folio_trylock(k: Kernel, pfn: number): boolean {
	if (!k.threaded) { return true; }
	const owner = FOLIO_LOCKS.get(k)?.get(pfn);
	return owner === undefined || owner === k.thread;
}
