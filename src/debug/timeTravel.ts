// Time travel by checkpoints plus deterministic replay. The simulator is deterministic (same
// script, same states), so any earlier statement boundary is reached by restoring the nearest
// checkpoint at or before it and re-running instructions up to its step count. Checkpoints are
// taken every so often while running (by execution time or by steps) and thinned when there
// are too many or they hold more than the byte budget, which bounds memory while keeping any
// replay short. What a checkpoint holds is measured, not guessed (snapshotHoldings): every
// typed array it reaches (struct-page arrays, page-table leaves, content slabs), each buffer
// counted once however many checkpoints share it copy-on-write, plus an estimate per object.
//
// A checkpoint costs what changed since the last one. Its machine is one of three things:
//   - shared: no engine instruction ran since the last machine snapshot (interp.machineOps is
//     unchanged), so the checkpoint points at that snapshot and copies nothing but variables;
//   - full: a machine snapshot whose typed arrays are blocks shared with the previous snapshot
//     wherever they did not change (engine/sim/snapshot.ts). Taking one reads the whole machine,
//     so these are spaced by what they cost: at least ten times their cost in execution apart;
//   - none (light): between full ones, the interpreter alone; usable only while the live machine
//     is the one it saw (same machineOps, at a boundary), which is the common case of stepping
//     back over statements that do not touch the machine.
// Restoring a checkpoint whose machineOps is the live one's skips the machine altogether.
//
// Memory writes and console statements made from the debugger are inputs the script does not
// contain, so they are recorded as edits at their step and re-applied whenever a replay passes
// that step (stepping back to before it undoes it).
import type { Interpreter, InterpSnapshot } from '../lang/interp';
import type { Instr } from '../lang/program';
import type { EventKind, SimEvent } from '../engine/sim/events';
import type { Driver, DriverHooks } from '../lang/driver';
import { before, reachedSeq, type Target } from './threadReplay';

/** lastPc: the instruction executed just before this boundary (-1 at the start), so a replay
 * from here judges "new line" exactly as the run did */
export interface Checkpoint { step: number; snap: InterpSnapshot; held: Holdings; lastPc: number; ops: number }

type MachineSnap = NonNullable<InterpSnapshot['machine']>;

/** What a checkpoint keeps alive: its buffers, and its objects' estimated bytes. */
interface Holdings { buffers: Set<ArrayBufferLike>; objectBytes: number }

/** Rough size of one object, array or map entry besides its typed arrays (V8 headers, slots). */
const OBJECT_BYTES = 48;

/** Walks a snapshot's object graph (each object once) for its buffers and object count. */
export function snapshotHoldings(root: unknown): Holdings {
	const buffers = new Set<ArrayBufferLike>();
	const seen = new Set<object>();
	let objects = 0;
	const stack: unknown[] = [root];
	while (stack.length > 0) {
		const v = stack.pop();
		if (v === null || typeof v !== 'object' || seen.has(v)) { continue; }
		seen.add(v);
		if (ArrayBuffer.isView(v)) { buffers.add(v.buffer); continue; }
		objects++;
		if (v instanceof Map) {
			objects += v.size;
			for (const [k, x] of v) { stack.push(k, x); }
		} else if (v instanceof Set) {
			objects += v.size;
			for (const x of v) { stack.push(x); }
		} else if (Array.isArray(v)) {
			objects += v.length >> 2;
			for (const x of v) { if (x !== null && typeof x === 'object') { stack.push(x); } }
		} else {
			for (const x of Object.values(v)) { if (x !== null && typeof x === 'object') { stack.push(x); } }
		}
	}
	return { buffers, objectBytes: objects * OBJECT_BYTES };
}

export type Edit = { step: number; process: string; addr: number; bytes: Uint8Array } | { step: number; statement: string };

/** What replay needs from the runtime. */
export interface ReplayHost {
	/** the driver of the current interpreter (a restart replaces both) */
	readonly driver: Driver;
	/** prints, failures and trace records are muted while replaying */
	quiet: boolean;
	/** true when the user paused or the session ended: replay stops at the next boundary */
	interrupted(): boolean;
	applyEdit(interp: Interpreter, e: Edit): void;
	/** a checkpoint was restored into `interp` (threadReplay.ts: the thread runtime to make again) */
	restored?(interp: Interpreter): void;
}

/** Watches a replay: a boundary or an event that is a candidate stop (a reverse target). */
export interface Observer {
	kinds?: EventKind[];
	/** where a candidate is in history (default: its step; threadReplay.ts gives threads' seq) */
	at?(interp: Interpreter, event: boolean): Target | undefined;
	boundary?(interp: Interpreter, lastPc: number): boolean;
	event?(ev: SimEvent, interp: Interpreter): boolean;
}

const SLICE_MS = 20;
const yieldToLoop = () => new Promise<void>(resolve => setImmediate(resolve));

/** A boundary a debugger stops at: not a jump, nor a thread's end (its loc is the `thread` line,
 * which would show a finished thread back at its header). */
export function stoppable(ins: Instr | undefined): boolean { return ins !== undefined && ins.op !== 'jump' && ins.op !== 'try-end' && ins.op !== 'thread-end'; }

export class TimeMachine {
	private cps: Checkpoint[] = [];
	/** every buffer the checkpoints hold, with how many hold it, and the bytes they come to */
	private bufferRefs = new Map<ArrayBufferLike, number>();
	/** machine snapshots with how many checkpoints share each, and what each holds */
	private machineRefs = new Map<MachineSnap, number>();
	private machineHeld = new WeakMap<MachineSnap, Holdings>();
	private heldBytes = 0;
	/** the most bytes the checkpoints kept held at once, measured after thinning (a new one is
	 * over the budget only until the thinning it triggers) */
	peakBytes = 0;
	private edits: Edit[] = [];
	private execMs = 0;
	private stepsSince = 0;
	private snapCostMs = 0;
	/** machineOps at the last boundary, and the checkpoint taken at the first boundary with it */
	private epochOps = -1;
	private epochCp?: Checkpoint;
	/** the latest machine snapshot and the machineOps it was taken at: a checkpoint at the same
	 * machineOps shares it */
	private machineSnap?: { ops: number; snap: NonNullable<InterpSnapshot['machine']> };
	/** execution time since the last machine snapshot, and the most bytes a machine snapshot
	 * came to (all its buffers, shared or not: the machine's own size) */
	private execSinceFull = 0;
	private machineBytes = 0;
	/** stoppable boundaries seen by the last stepBack scan, to answer the next one without a scan */
	private known?: { lo: number; hi: number; steps: number[] };

	constructor(private readonly host: ReplayHost, readonly opts = { maxCheckpoints: 48, intervalMs: 2, intervalSteps: 2_000, budgetBytes: 512 * 2 ** 20, minBudgetBytes: 64 * 2 ** 20 }) { }

	/** The byte budget in effect: one and a half times the machine's own size (one full snapshot
	 * and what changed after it; page contents in it are shared with the live machine until it
	 * rewrites them), at least opts.minBudgetBytes, never over opts.budgetBytes. */
	get budget(): number { return Math.min(this.opts.budgetBytes, Math.max(this.opts.minBudgetBytes, 1.5 * this.machineBytes)); }

	get checkpoints(): number { return this.cps.length; }

	/** Distinct machine snapshots the checkpoints hold (the rest share one or hold none). */
	get machineSnapshots(): number { return this.machineRefs.size; }

	/** Bytes the checkpoints hold now (shared buffers once). */
	get bytes(): number { return this.heldBytes; }

	/** Counts a checkpoint in or out: its interpreter state, and its machine snapshot once however
	 * many checkpoints share it. */
	private hold(cp: Checkpoint, sign: 1 | -1): void {
		this.holdParts(cp.held, sign);
		const m = cp.snap.machine;
		if (!m) { return; }
		const n = (this.machineRefs.get(m) ?? 0) + sign;
		if (n === 0) { this.machineRefs.delete(m); } else { this.machineRefs.set(m, n); }
		if ((n === 0 && sign === -1) || (n === 1 && sign === 1)) { this.holdParts(this.machineHoldings(m), sign); }
	}

	/** What a machine snapshot holds, walked once. */
	private machineHoldings(m: MachineSnap): Holdings {
		let h = this.machineHeld.get(m);
		if (!h) { h = snapshotHoldings(m); this.machineHeld.set(m, h); }
		return h;
	}

	private holdParts(held: Holdings, sign: 1 | -1): void {
		this.heldBytes += sign * held.objectBytes;
		for (const b of held.buffers) {
			const n = (this.bufferRefs.get(b) ?? 0) + sign;
			if (n === 0) { this.bufferRefs.delete(b); this.heldBytes -= b.byteLength; } else {
				if (n === 1 && sign === 1) { this.heldBytes += b.byteLength; }
				this.bufferRefs.set(b, n);
			}
		}
	}

	private checkpoint(step: number, snap: InterpSnapshot, lastPc: number): Checkpoint {
		const cp = { step, snap, held: snapshotHoldings(snap.state), lastPc, ops: snap.state.machineOps };
		this.hold(cp, 1);
		return cp;
	}

	/** A snapshot of `interp` for a checkpoint: sharing the last machine snapshot when nothing
	 * changed the machine since, a full one when `full`, else without the machine. */
	private snapshot(interp: Interpreter, full: boolean): InterpSnapshot {
		const m = this.machineSnap;
		if (m && m.ops === interp.machineOps) { return interp.snapshot(m.snap); }
		if (!full) { return interp.snapshot(null); }
		const snap = interp.snapshot();
		this.machineSnap = { ops: interp.machineOps, snap: snap.machine! };
		this.execSinceFull = 0;
		let bytes = 0;
		for (const b of this.machineHoldings(snap.machine!).buffers) { bytes += b.byteLength; }
		this.machineBytes = Math.max(this.machineBytes, bytes);
		return snap;
	}

	/** Can `cp` be restored now: it holds a machine, or the live machine is the one it saw. */
	private usable(cp: Checkpoint): boolean {
		if (cp.snap.machine) { return true; }
		const d = this.host.driver;
		return !d.midStatement && d.interp.machineOps === cp.ops && !d.interp.threads;
	}

	/** Keeps the checkpoints for which keep() is true, releasing the others' holdings. */
	private keepOnly(keep: (cp: Checkpoint, i: number) => boolean): void {
		const out: Checkpoint[] = [];
		this.cps.forEach((cp, i) => { if (keep(cp, i)) { out.push(cp); } else { this.hold(cp, -1); } });
		this.cps = out;
	}

	reset(interp: Interpreter): void {
		for (const cp of this.cps) { this.hold(cp, -1); }
		this.machineSnap = undefined;
		this.machineBytes = 0;
		this.epochOps = interp.machineOps;
		this.epochCp = undefined;
		this.cps = [this.checkpoint(interp.steps, this.snapshot(interp, true), -1)];
		this.edits = [];
		this.known = undefined;
		this.execMs = 0;
		this.stepsSince = 0;
	}

	/** Execution time spent since the last checkpoint (the runtime reports it as it runs). */
	ran(ms: number): void { this.execMs += ms; this.execSinceFull += ms; }

	/** At a statement boundary: take a checkpoint if enough has run since the last one, then
	 * re-apply the edits recorded at this step. */
	arrive(interp: Interpreter, lastPc = -1): void {
		this.stepsSince++;
		if (interp.machineOps !== this.epochOps && !interp.done) {
			// the first boundary after an engine instruction: from here until the next one, stepping
			// back needs no machine (the previous such checkpoint is of no use to the live run now)
			this.epochOps = interp.machineOps;
			const old = this.epochCp;
			this.epochCp = this.take(interp, lastPc);
			if (old && old !== this.epochCp && !old.snap.machine) { this.keepOnly(c => c !== old); }
		} else if ((this.execMs >= this.opts.intervalMs || this.stepsSince >= this.opts.intervalSteps) && !interp.done) {
			this.take(interp, lastPc);
		}
		this.applyEdits(interp);
	}

	/** Re-applies the edits recorded at this step; each changes the machine as it did live. */
	private applyEdits(interp: Interpreter): void {
		for (const e of this.edits) {
			if (e.step === interp.steps) { interp.noteMachineChange(); this.host.applyEdit(interp, e); }
		}
	}

	/** Takes a checkpoint here (or finds the one already here). */
	private take(interp: Interpreter, lastPc: number): Checkpoint | undefined {
		const step = interp.steps;
		this.execMs = 0;
		this.stepsSince = 0;
		// with a thread runtime, a thread may be suspended in a kernel path, which no snapshot
		// holds: travel replays from a checkpoint taken before it (threadReplay.ts)
		if (interp.threads) { return undefined; }
		const i = this.cps.findIndex(c => c.step >= step);
		if (i >= 0 && this.cps[i].step === step) { return this.cps[i]; }
		// what a machine snapshot costs in time spaces them out; what it holds counts to the budget
		const full = this.execSinceFull >= Math.max(this.opts.intervalMs, 10 * this.snapCostMs);
		const t0 = performance.now();
		const snap = this.snapshot(interp, full);
		if (full) { this.snapCostMs = performance.now() - t0; }
		const cp = this.checkpoint(step, snap, lastPc);
		if (i < 0) { this.cps.push(cp); } else { this.cps.splice(i, 0, cp); }
		while (this.cps.length > 1 && (this.cps.length > this.opts.maxCheckpoints || this.heldBytes > this.budget)) { this.thin(); }
		this.peakBytes = Math.max(this.peakBytes, this.heldBytes);
		return this.cps.includes(cp) ? cp : undefined;
	}

	/** Drops every other checkpoint of the older part; the first (the start, which every replay
	 * can begin from) always stays, the newest while it fits. */
	private thin(): void {
		// checkpoints without a machine that the live run cannot use go first
		const newest = this.cps.length - 8;
		const useless = (cp: Checkpoint, i: number) => i > 0 && i < newest && !this.usable(cp);
		if (this.cps.some(useless)) { this.keepOnly((cp, i) => !useless(cp, i)); return; }
		const n = this.cps.length;
		if (n === 2) { this.keepOnly((_, i) => i === 0); return; }
		const keepNewest = Math.min(8, Math.max(1, Math.floor(n / 4)));
		const older = n - keepNewest;
		const keep = (i: number) => i === 0 || i >= older || i % 2 === 0;
		let drop = 0;
		for (let i = 0; i < n; i++) { if (!keep(i)) { drop++; } }
		// nothing older to thin: drop the oldest after the start
		this.keepOnly((_, i) => (drop === 0 ? i !== 1 : keep(i)));
	}

	/** A memory write from the debugger at `step`: the recorded future no longer holds. */
	addEdit(e: Edit): void {
		this.edits.push(e);
		this.keepOnly(c => c.step <= e.step);
		this.known = undefined;
		// the live machine changed: the machine snapshot no longer is the live machine
		this.host.driver.interp.noteMachineChange();
		this.machineSnap = undefined;
	}

	private latestBefore(step: number, inclusive: boolean): number {
		for (let i = this.cps.length - 1; i >= 0; i--) {
			const cp = this.cps[i];
			if ((inclusive ? cp.step <= step : cp.step < step) && this.usable(cp)) { return i; }
		}
		return 0;
	}

	private restore(d: Driver, cp: Checkpoint): void {
		// the same machineOps at a boundary of this run: the live machine is the checkpoint's
		// (not once threads ran: the machine then holds their locks and kernel stacks)
		d.interp.restore(cp.snap, !(!d.midStatement && d.interp.machineOps === cp.ops && !d.interp.threads));
		this.host.restored?.(d.interp);
		d.reset(false);
		this.execMs = 0;
		this.stepsSince = 0;
	}

	/** Replays from checkpoint `from` (default: the latest at or before target) to the boundary at
	 * `target` steps. Returns false if interrupted (the state is then some earlier boundary). */
	async replay(to: number | Target, obs?: Observer, from?: number): Promise<boolean> {
		const { step: target, seq } = typeof to === 'number' ? { step: to, seq: undefined } : to;
		const h = this.host;
		// a restart or terminate may have come while a previous segment was replaying
		if (h.interrupted()) { return false; }
		const d = h.driver;
		const it = d.interp;
		h.quiet = true;
		d.watch(obs?.kinds ?? []);
		try {
			const cp = this.cps[from ?? this.latestBefore(target, true)];
			this.restore(d, cp);
			this.applyEdits(it);
			obs?.boundary?.(it, cp.lastPc);
			const hooks: DriverHooks<true> = {
				boundary: span => { this.arrive(it, span?.pc ?? -1); obs?.boundary?.(it, span?.pc ?? -1); return undefined; },
				before: () => (seq === undefined ? it.steps >= target : it.steps > target || reachedSeq(it, seq)) || undefined,
				event: ev => { obs?.event?.(ev, it); return undefined; },
			};
			for (;;) {
				const t0 = performance.now();
				const r = d.run(hooks, SLICE_MS);
				if (r.kind !== 'slice') { return true; }
				this.ran(performance.now() - t0);
				await yieldToLoop();
				// a pause waits for the boundary; a restart abandons this interpreter at once
				if (h.driver !== d || (!d.midStatement && h.interrupted())) { return false; }
			}
		} finally {
			h.quiet = false;
		}
	}

	/** The latest position before cur where `obs` sees a candidate, scanning checkpoint segments
	 * backwards. Boundaries count at their own position; events at the start of the statement
	 * raising them. */
	async scanBack(cur: number | Target, obs: Observer): Promise<Target | undefined> {
		let end: Target = typeof cur === 'number' ? { step: cur } : cur;
		const at = (it: Interpreter, event: boolean): Target | undefined => (obs.at ? obs.at(it, event) : { step: event ? it.steps - 1 : it.steps });
		while (end.step > 0) {
			const limit = end;
			const i = this.latestBefore(limit.step, false);
			let best: Target | undefined;
			const seen = (p: Target | undefined, hit: () => boolean | undefined) => {
				if (p && before(p, limit) && hit() && (!best || !before(p, best))) { best = p; }
			};
			const seg: Observer = {
				kinds: obs.kinds,
				boundary: (it, lastPc) => { seen(at(it, false), () => obs.boundary?.(it, lastPc)); return false; },
				event: (ev, it) => { seen(at(it, true), () => obs.event?.(ev, it)); return false; },
			};
			if (!await this.replay(limit, seg, i)) { return undefined; }
			if (best) { return best; }
			if (this.cps[i].step >= limit.step) { break; }
			end = { step: this.cps[i].step };
		}
		return undefined;
	}

	/** The previous boundary before `cur` that `accept` takes (by default any stoppable one), cached
	 * from the last scan when possible. stepBack passes the test `next` stops on, so each stepBack
	 * retraces exactly one `next`. */
	async previousBoundary(cur: number, accept: (it: Interpreter, lastPc: number) => boolean = it => stoppable(it.instr) && !it.done): Promise<number | undefined> {
		const k = this.known;
		if (k && cur > k.lo && cur <= k.hi) {
			const before = k.steps.filter(s => s < cur);
			if (before.length > 0) { return before[before.length - 1]; }
		}
		const steps: number[] = [];
		const found = await this.scanBack(cur, {
			boundary: (it, lastPc) => { if (accept(it, lastPc)) { steps.push(it.steps); return true; } return false; },
		});
		if (found !== undefined) {
			const lo = this.cps[this.latestBefore(found.step, true)].step;
			this.known = { lo, hi: cur, steps: steps.filter(s => s >= lo && s < cur).sort((a, b) => a - b) };
		}
		return found?.step;
	}
}
