// The run's trace as Chrome trace-event JSON (Perfetto, chrome://tracing, DevTools' Performance
// panel). `hmmw run --trace` and the debugger's launch `trace` both record through this class, so
// the format lives in one place; where records go is a TraceSink's business (the CLI streams them to
// a file as they come, the debugger keeps them so that going back in time can drop a future).
//
// Tracks (src/lang/traceTracks.ts): the script's statements; per device its kernels, fault batches
// and device faults, migrations and evictions, prefetch, thrashing, invalidations; per process its
// CPU faults, migrations and invalidations; counters for device memory used, process RSS and faults
// per batch. Every engine event of a traced kind becomes exactly one record of category `engine`
// whose args.kind is the event's kind (a span or an instant), so a trace can be counted against
// the engine. Flow arrows share that category: DevTools binds a flow's ends to records of the same
// category at the same timestamp and thread, and Perfetto and chrome://tracing to the enclosing span.
//
// Simulated time does not advance inside one engine operation (a fault batch is charged when it is
// done), so an engine span lasts from its event to the next event on its track, or to the end of
// the statement that raised it: spans on one track never overlap, and every span lies inside its
// statement. A statement that took no simulated time is an instant, so it cannot overlap the next.
import type { EventKind, SimEvent } from '../engine/sim/events';
import type { Machine } from '../engine/machine';
import type { Instr } from './program';
import { TrackTable, type Track } from './traceTracks';

export interface TraceEvent {
	name: string; cat: string; ph: 'X' | 'i' | 'M' | 'C' | 's' | 'f'; ts: number; dur?: number; pid: number; tid?: number;
	s?: 't' | 'p' | 'g'; id?: number; bp?: 'e'; args?: Record<string, unknown>;
}

/** Where records go, each with the statement step it belongs to (-1: metadata, kept always). */
export interface TraceSink {
	write(ev: TraceEvent, step: number): void;
	/** time went back to the boundary at `step`: drop what came after it (sinks that can) */
	truncate?(step: number): void;
}

/** The engine event kinds a trace records (the driver watches them while tracing). */
export const TRACED: readonly EventKind[] = [
	'page-fault', 'cpu-fault', 'device-fault', 'fault-batch', 'migration', 'eviction', 'prefetch', 'thrashing', 'invalidation',
];
const TRACED_SET: ReadonlySet<EventKind> = new Set(TRACED);
/** the category of every record made from an engine event, and of the flow arrows between them */
export const ENGINE_CAT = 'engine';
const PAGE = 4096;
/** RSS is a page-table walk: sample a process again only after this many of its events per
 * 64 resident pages, so sampling costs O(64 PTEs) per event however large the process is */
const RSS_PAGES_PER_EVENT = 64;
/** statements that change RSS or device memory without raising a traced event */
const SILENT_MEMORY = new Set(['munmap', 'mremap', 'madvise', 'exit', 'fork', 'truncate', 'file-read', 'file-write', 'sync', 'unmirror', 'release', 'unpin', 'pin', 'mmap', 'file', 'device', 'system']);
const us = (ns: number) => ns / 1000;

interface Open { ev: TraceEvent; startNs: number; step: number }
interface FlowSource { track: Track; ts: number }

export class TraceRecorder {
	private readonly tracks: TrackTable;
	/** per track key, the span waiting for its end */
	private readonly open = new Map<number, Open>();
	/** the last fault on a device or of a process in the current statement, for flow arrows */
	private readonly devSources = new Map<string, FlowSource>();
	private readonly procSources = new Map<string, FlowSource>();
	private readonly counters = new Map<string, number>();
	/** per process: events left before its RSS may be sampled again, and whether it changed */
	private readonly procs = new Map<string, { due: number; dirty: boolean }>();
	/** devices something happened on since the last sample */
	private readonly dirty = new Set<string>();
	private flows = 0;
	private kernelsSeen = 0;
	/** after time went back: the kernels launched before the next statement are already recorded */
	private resyncKernels = false;
	/** the machine of the last statement (counters sampled between statements read it) */
	private machine?: Machine;
	private curStep = -1;
	/** engine events recorded, each as exactly one record */
	engineEvents = 0;

	constructor(private readonly sink: TraceSink = new MemoryTraceSink(), scriptName = 'workload') {
		this.tracks = new TrackTable(ev => this.sink.write(ev, -1), scriptName);
	}

	/** An engine event raised by the statement numbered `step` on script line `line`, at simulated time `timeNs`. */
	event(ev: SimEvent, step: number, timeNs: number, line?: number): void {
		if (!TRACED_SET.has(ev.kind)) { return; }
		if (step !== this.curStep) { this.curStep = step; this.clearSources(); }
		this.engineEvents++;
		const ts = us(timeNs);
		// one args object per record, built once: this runs for every page fault of a run
		const args: Record<string, unknown> = { kind: ev.kind, line, addr: '0x' + ev.addr.toString(16), pages: ev.npages, fn: ev.fn };
		const dev = ev.device, proc = ev.process;
		if (proc !== undefined) { args.process = proc; this.touch(proc); }
		if (dev !== undefined) { args.device = dev; }
		if (ev.write !== undefined) { args.write = ev.write; }
		if (ev.detail !== undefined) { args.detail = ev.detail; }
		switch (ev.kind) {
			case 'page-fault': case 'cpu-fault': {
				const t = this.tracks.process(proc ?? '?', 'faults');
				this.span(t, ev.kind, args, timeNs, step);
				const src = { track: t, ts };
				if (proc !== undefined) { this.procSources.set(proc, src); }
				if (dev !== undefined) { this.devSources.set(dev, src); }
				return;
			}
			case 'device-fault': case 'fault-batch': {
				const t = this.tracks.device(dev ?? '?', 'faults');
				if (ev.kind === 'fault-batch') {
					// a new batch ends the previous batch's migrations
					this.close(this.tracks.device(dev ?? '?', 'migrations'), timeNs);
					args.entries = Number(ev.detail);
					this.write({ name: 'faults per batch', cat: 'counter', ph: 'C', ts, pid: t.pid, args: { faults: ev.npages, entries: Number(ev.detail) } }, step);
					// device memory as the kernel goes: what the batches before this one left resident
					const used = dev !== undefined ? this.machine?.view.deviceSummary(dev)?.usedPages : undefined;
					if (used !== undefined) { this.counter(`d:${dev}`, 'memory used', t.pid, ts, used * PAGE, step); }
				}
				this.span(t, ev.kind === 'fault-batch' ? 'fault batch' : 'device-fault', args, timeNs, step);
				const src = { track: t, ts };
				if (dev !== undefined) { this.devSources.set(dev, src); }
				if (proc !== undefined) { this.procSources.set(proc, src); }
				return;
			}
			case 'migration': case 'eviction': {
				const t = dev ? this.tracks.device(dev, 'migrations') : this.tracks.process(proc ?? '?', 'migrations');
				const cause = ev.cause ?? (ev.kind === 'eviction' ? 'eviction' : 'migrate');
				const name = `${ev.kind} (${cause})`;
				args.cause = cause;
				args.bytes = ev.npages * PAGE;
				this.span(t, name, args, timeNs, step);
				if (dev) { this.dirty.add(dev); }
				const src = (dev !== undefined ? this.devSources.get(dev) : undefined) ?? (proc !== undefined ? this.procSources.get(proc) : undefined);
				if (src) { this.flow(src, t, ts, step); }
				return;
			}
			case 'invalidation': {
				const t = dev ? this.tracks.device(dev, 'invalidations') : this.tracks.process(proc ?? '?', 'invalidations');
				this.write({ name: `invalidation (${ev.detail ?? '?'})`, cat: ENGINE_CAT, ph: 'i', s: 't', ts, pid: t.pid, tid: t.tid, args: Object.assign(args, { event: ev.detail, notifier: dev }) }, step);
				return;
			}
			default: {
				const t = this.tracks.device(dev ?? '?', ev.kind === 'prefetch' ? 'prefetch' : 'thrashing');
				this.write({ name: ev.kind === 'thrashing' ? `thrashing (${ev.detail})` : 'prefetch', cat: ENGINE_CAT, ph: 'i', s: 't', ts, pid: t.pid, tid: t.tid, args }, step);
			}
		}
	}

	/** A finished statement: its span (control flow leaves none), the spans it left open, the
	 * kernels it launched, and counters that changed. `m` is the machine it ran on. */
	statement(ins: Instr | undefined, step: number, startNs: number, endNs: number, m?: Machine): void {
		for (const o of [...this.open.values()]) { this.end(o, endNs); }
		this.open.clear();
		this.clearSources();
		if (m) { this.machine = m; this.kernels(m, step, startNs); }
		if (!ins || ins.op !== 'exec') { return; }
		const name = `${ins.stmt.kind} (line ${ins.loc.line})`;
		const args = { line: ins.loc.line, step };
		const s = this.tracks.script;
		if (endNs > startNs) {
			this.write({ name, cat: 'statement', ph: 'X', ts: us(startNs), dur: us(endNs - startNs), ...s, args }, step);
		} else {
			this.write({ name, cat: 'statement', ph: 'i', s: 't', ts: us(startNs), ...s, args }, step);
		}
		if (m) { this.sample(m, step, endNs, SILENT_MEMORY.has(ins.stmt.kind)); }
	}

	/** Time went back to the boundary at `step`: forget what happened after it. */
	truncate(step: number): void {
		this.sink.truncate?.(step);
		this.open.clear();
		this.clearSources();
		this.counters.clear();
		this.resyncKernels = true;
		this.machine = undefined;
		this.curStep = -1;
	}

	/** The file's content, when the sink keeps records. */
	json(): string {
		if (!(this.sink instanceof MemoryTraceSink)) { throw new Error('this trace is streamed, not kept'); }
		return this.sink.json({ engineEvents: this.engineEvents });
	}

	private touch(proc: string): void {
		const p = this.procs.get(proc);
		if (p) { p.due--; p.dirty = true; } else { this.procs.set(proc, { due: -1, dirty: true }); }
	}

	private clearSources(): void {
		if (this.devSources.size) { this.devSources.clear(); }
		if (this.procSources.size) { this.procSources.clear(); }
	}

	private write(ev: TraceEvent, step: number): void { this.sink.write(ev, step); }

	private key(t: Track): number { return t.pid * 64 + t.tid; }

	private span(t: Track, name: string, args: Record<string, unknown>, startNs: number, step: number): void {
		this.close(t, startNs);
		this.open.set(this.key(t), { ev: { name, cat: ENGINE_CAT, ph: 'X', ts: us(startNs), dur: 0, pid: t.pid, tid: t.tid, args }, startNs, step });
	}

	private close(t: Track, endNs: number): void {
		const k = this.key(t);
		const o = this.open.get(k);
		if (o) { this.open.delete(k); this.end(o, endNs); }
	}

	private end(o: Open, endNs: number): void {
		o.ev.dur = us(Math.max(0, endNs - o.startNs));
		this.write(o.ev, o.step);
	}

	/** A flow arrow from a fault (bound to its span) to the migration it led to. */
	private flow(src: FlowSource, to: Track, ts: number, step: number): void {
		const id = ++this.flows;
		this.write({ name: 'fault → migration', cat: ENGINE_CAT, ph: 's', ts: src.ts, ...src.track, id }, step);
		this.write({ name: 'fault → migration', cat: ENGINE_CAT, ph: 'f', bp: 'e', ts, ...to, id }, step);
	}

	/** Kernel spans, from the machine's launch records (they are known once the kernel is done). */
	private kernels(m: Machine, step: number, startNs: number): void {
		const ks = m.kernels;
		if (this.resyncKernels) {
			this.resyncKernels = false;
			this.kernelsSeen = ks.filter(k => k.startNs < startNs).length;
		}
		if (ks.length < this.kernelsSeen) { this.kernelsSeen = ks.length; }
		for (; this.kernelsSeen < ks.length; this.kernelsSeen++) {
			const k = ks[this.kernelsSeen];
			this.write({
				name: `kernel ${k.name}`, cat: 'kernel', ph: 'X', ts: us(k.startNs), dur: us(k.timeNs), ...this.tracks.device(k.device, 'kernels'),
				args: { faults: k.faults, fault_entries: k.faultEntries, batches: k.batches, migrated: k.migrated, prefetched: k.prefetched, evicted: k.evicted, remote_bytes: k.remoteBytes, throttled: k.throttled },
			}, step);
			this.dirty.add(k.device);
		}
	}

	/** Counter samples at the end of a statement: device memory of devices something happened on
	 * (all of them after a statement that frees memory silently), RSS of processes as RSS_PAGES_PER_EVENT allows. */
	private sample(m: Machine, step: number, endNs: number, all: boolean): void {
		const ts = us(endNs);
		const view = m.view;
		for (const name of view.deviceNames()) {
			if (!all && !this.dirty.has(name)) { continue; }
			const d = view.deviceSummary(name)!;
			this.counter(`d:${name}`, 'memory used', this.tracks.devicePid(name), ts, d.usedPages * PAGE, step);
		}
		this.dirty.clear();
		for (const p of view.processes()) {
			const st = this.procs.get(p.name);
			if (!(all || (st && st.dirty && st.due <= 0))) { continue; }
			const rss = view.process(p.id)?.rss ?? 0;
			this.procs.set(p.name, { due: Math.floor(rss / RSS_PAGES_PER_EVENT), dirty: false });
			this.counter(`p:${p.name}`, 'rss', this.tracks.processPid(p.name), ts, rss * PAGE, step);
		}
	}

	private counter(key: string, name: string, pid: number, ts: number, bytes: number, step: number): void {
		if (this.counters.get(key) === bytes) { return; }
		this.counters.set(key, bytes);
		this.write({ name, cat: 'counter', ph: 'C', ts, pid, args: { bytes } }, step);
	}
}

/** Keeps every record in memory, for a debug session (time travel drops a future), up to a cap. */
export class MemoryTraceSink implements TraceSink {
	private events: { ev: TraceEvent; step: number }[] = [];
	private dropped = 0;

	constructor(private readonly limit = 1_000_000) {}

	get length(): number { return this.events.length; }

	write(ev: TraceEvent, step: number): void {
		if (this.events.length >= this.limit && step >= 0) { this.dropped++; return; }
		this.events.push({ ev, step });
	}

	truncate(step: number): void { this.events = this.events.filter(e => e.step <= step); }

	json(other: object = {}): string {
		return JSON.stringify({ traceEvents: this.events.map(e => e.ev), displayTimeUnit: 'ns', otherData: { ...other, dropped: this.dropped } });
	}
}
