// The residency panel's timeline: what happened over simulated time while the workload ran
// forward in the debugger, by lane (CPU faults, device faults, fault batches, migrations by
// cause, evictions, invalidations, prefetches). Events are kept in growable typed arrays in the
// order they happened (time and step never go down), so a reverse trip truncates from the end,
// and a query bins them into columns: the answer's size grows with lanes x bins, never events.
//
// Each event keeps the step of the statement that raised it and its place among that statement's
// events (`nth`): clicking it time-travels to the start of the statement, then runs the statement
// forward to that very event (timelineGoto.ts). The CPU-fault lane counts faults per statement,
// so a click on it lands at the statement's start.
import type { EventKind, SimEvent } from '../engine/sim/events';
import type { MachineView } from '../engine/view';

/** The engine events the timeline watches: one per fault round, batch, migration call, evicted
 * chunk, notifier callback or prefetch decision, never one per page. CPU faults are not among
 * them: watching 'page-fault' or 'cpu-fault' takes cpu_access and hmm_range_fault off their bulk
 * paths, so every CPU fault is counted per statement instead (the 'page-fault' lane). */
export const TIMELINE_KINDS: readonly EventKind[] = ['device-fault', 'fault-batch', 'migration', 'eviction', 'invalidation', 'prefetch'];

/** At most this many events are kept; later ones are only counted (`dropped`). */
const LIMIT = 1 << 19;

export interface TimelineArgs { start?: number; end?: number; bins?: number }

export interface TimelineBody {
	/** ns range the bins cover, [start, end) */
	start: number;
	end: number;
	/** simulated time at the current stop */
	now: number;
	bins: number;
	lanes: string[];
	/** one entry per non-empty (lane, bin): [lane, bin, events, pages, first event's step, its time] */
	cells: number[];
	/** one per cell (cells / 6): which of its statement's timeline events the cell's first event
	 * is (0-based; timelineGoto's `nth`), or -1 for the per-statement CPU-fault count */
	nth: number[];
	/** events per lane over the whole run so far */
	totals: number[];
	/** events past the limit, not kept */
	dropped: number;
}

export class Timeline {
	private time = new Float64Array(1024);
	private step = new Float64Array(1024);
	private pages = new Float64Array(1024);
	private lane = new Uint8Array(1024);
	private n = 0;
	private laneNames: string[] = [];
	private laneIds = new Map<string, number>();
	dropped = 0;
	/** CPU page faults of every process when last counted */
	private faultsSeen = 0;
	/** a statement whose CPU-fault entry was kept while resuming inside it (truncateInside): its
	 * end adds no second entry */
	private faultsKeptAt = -1;

	get length(): number { return this.n; }

	private laneId(name: string): number {
		let id = this.laneIds.get(name);
		if (id === undefined) {
			id = this.laneNames.length;
			this.laneNames.push(name);
			this.laneIds.set(name, id);
		}
		return id;
	}

	/** The lane an engine event goes to, or undefined when the timeline does not show it. */
	static laneOf(ev: SimEvent): string | undefined {
		if (!TIMELINE_KINDS.includes(ev.kind)) { return undefined; }
		return ev.kind === 'migration' ? `migration: ${ev.cause ?? 'migrate'}` : ev.kind;
	}

	private grow(): void {
		const cap = this.time.length * 2;
		const t = new Float64Array(cap); t.set(this.time); this.time = t;
		const s = new Float64Array(cap); s.set(this.step); this.step = s;
		const p = new Float64Array(cap); p.set(this.pages); this.pages = p;
		const l = new Uint8Array(cap); l.set(this.lane); this.lane = l;
	}

	add(laneName: string, step: number, timeNs: number, npages: number): void {
		if (this.n >= LIMIT) { this.dropped++; return; }
		if (this.n === this.time.length) { this.grow(); }
		const i = this.n++;
		this.time[i] = timeNs;
		this.step[i] = step;
		this.pages[i] = npages;
		this.lane[i] = this.laneId(laneName);
	}

	/** An engine event raised by the statement that started at `step`. */
	event(ev: SimEvent, step: number, timeNs: number): void {
		const lane = Timeline.laneOf(ev);
		if (lane !== undefined) { this.add(lane, step, timeNs, ev.npages); }
	}

	private static faultTotal(view: MachineView): number { return view.cpuFaultCount(); }

	/** After a statement that took simulated time and started at `step`: the CPU page faults it
	 * took, as one entry. */
	cpuFaults(view: MachineView, step: number, startNs: number): void {
		const n = Timeline.faultTotal(view);
		if (n > this.faultsSeen && step !== this.faultsKeptAt) { this.add('page-fault', step, startNs, n - this.faultsSeen); }
		this.faultsSeen = n;
		this.faultsKeptAt = -1;
	}

	/** Forgets events of statements at or after `step`: the run is about to redo them, or a change
	 * made at that step (a console statement, a memory write) gave them a different future. With
	 * `view`, fault counting resumes from the machine's current counts. */
	truncate(step: number, view?: MachineView): void {
		while (this.n > 0 && this.step[this.n - 1] >= step) { this.n--; }
		this.dropped = 0;
		this.faultsKeptAt = -1;
		if (view) { this.faultsSeen = Timeline.faultTotal(view); }
	}

	/** Resuming inside the statement at `step` after its first `kept` timeline events (a timeline
	 * click landed there): forgets later statements and the statement's later events, which the
	 * run is about to raise again. Its CPU-fault entry, counted over the whole statement, stays
	 * (the replay is deterministic), and the statement's end adds none. */
	truncateInside(step: number, kept: number, view: MachineView): void {
		this.truncate(step + 1, view);
		const pf = this.laneIds.get('page-fault');
		let first = this.n;
		while (first > 0 && this.step[first - 1] === step) { first--; }
		let w = first;
		let seen = 0;
		let faults = false;
		for (let i = first; i < this.n; i++) {
			const isFault = this.lane[i] === pf;
			if (!isFault && seen++ >= kept) { continue; }
			faults ||= isFault;
			this.time[w] = this.time[i]; this.step[w] = this.step[i]; this.pages[w] = this.pages[i]; this.lane[w] = this.lane[i];
			w++;
		}
		this.n = w;
		if (faults) { this.faultsKeptAt = step; }
	}

	clear(): void { this.n = 0; this.dropped = 0; this.faultsSeen = 0; this.faultsKeptAt = -1; }

	query(a: TimelineArgs, now: number): TimelineBody {
		const start = Math.max(0, a.start ?? 0);
		const end = Math.max(start + 1, a.end ?? Math.max(now, this.n > 0 ? this.time[this.n - 1] : 0) + 1);
		const bins = Math.min(4096, Math.max(1, Math.floor(a.bins ?? 800)));
		const lanes = this.laneNames.length;
		const count = new Float64Array(lanes * bins);
		const pages = new Float64Array(lanes * bins);
		const first = new Float64Array(lanes * bins).fill(-1);
		const firstNth = new Float64Array(lanes * bins);
		const totals = new Array<number>(lanes).fill(0);
		const width = (end - start) / bins;
		const pf = this.laneIds.get('page-fault');
		// events are in step order: the ordinal restarts with each statement
		let ord = 0;
		for (let i = 0; i < this.n; i++) {
			const l = this.lane[i];
			if (i > 0 && this.step[i] !== this.step[i - 1]) { ord = 0; }
			const nth = l === pf ? -1 : ord++;
			totals[l]++;
			const t = this.time[i];
			if (t < start || t >= end) { continue; }
			const j = l * bins + Math.min(bins - 1, Math.floor((t - start) / width));
			if (count[j] === 0) { first[j] = i; firstNth[j] = nth; }
			count[j]++;
			pages[j] += this.pages[i];
		}
		const cells: number[] = [];
		const nth: number[] = [];
		for (let j = 0; j < count.length; j++) {
			if (count[j] > 0) {
				const i = first[j];
				cells.push(Math.floor(j / bins), j % bins, count[j], pages[j], this.step[i], this.time[i]);
				nth.push(firstNth[j]);
			}
		}
		return { start, end, now, bins, lanes: [...this.laneNames], cells, nth, totals, dropped: this.dropped };
	}
}
