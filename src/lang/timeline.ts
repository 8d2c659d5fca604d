// A run's timeline for `hmmw run --json --timeline` and `hmmw report`: the longest statement spans
// (with their line) and samples of where pages live over simulated time: each device's memory in
// use, and per 2 MiB VA block of every mapping (bigger chunks for big address spaces) the
// fraction of its pages each device holds (the report's heatmap rows).
// Samples thin themselves: past MAX_SAMPLES every other one is dropped and the spacing doubles,
// so a run of any length costs at most a few hundred residency walks.
import type { Machine } from '../engine/machine';
import type { Span } from './driver';

const MAX_SAMPLES = 240;
const MAX_SPANS = 2000;
const MAX_ROWS = 64;
const PAGE = 4096;
const VA_BLOCK_PAGES = 512;

export interface TimelineSpan { line: number; what: string; start_ns: number; end_ns: number }
export interface TimelineRow { process: string; start: number; npages: number; label: string }
export interface TimelineSample {
	t_ns: number;
	/** device memory in use, pages */
	used: Record<string, number>;
	/** per device, per row: the fraction of the row's pages on the device (-1: nothing mapped there) */
	resident: Record<string, number[]>;
}
export interface Timeline { spans: TimelineSpan[]; spans_dropped: number; rows: TimelineRow[]; samples: TimelineSample[] }

export class TimelineRecorder {
	private spans: TimelineSpan[] = [];
	private dropped = 0;
	private readonly rows = new Map<string, TimelineRow>();
	private samples: { t: number; used: Record<string, number>; res: Map<string, Record<string, number>> }[] = [];
	private gapNs = 0;

	constructor(private readonly machine: Machine) {}

	statement(span: Span): void {
		const ins = span.ins;
		if (ins?.op === 'exec' && span.endNs > span.startNs) {
			const what = ins.stmt.kind === 'kernel' ? `kernel ${ins.stmt.name ?? ins.stmt.device}` : ins.stmt.kind;
			this.spans.push({ line: ins.loc.line, what, start_ns: span.startNs, end_ns: span.endNs });
			if (this.spans.length > 2 * MAX_SPANS) { this.keepLongest(); }
		}
		this.tick();
	}

	/** A long engine operation offered to pause: a chance to sample inside one statement. */
	tick(): void {
		const t = this.machine.time;
		const last = this.samples[this.samples.length - 1];
		if (last === undefined || (t > last.t && t - last.t >= this.gapNs)) { this.sample(t); }
	}

	private keepLongest(): void {
		const before = this.spans.length;
		this.spans = this.spans.sort((a, b) => (b.end_ns - b.start_ns) - (a.end_ns - a.start_ns)).slice(0, MAX_SPANS).sort((a, b) => a.start_ns - b.start_ns);
		this.dropped += before - this.spans.length;
	}

	private sample(t: number): void {
		const v = this.machine.view;
		const devices = v.deviceNames();
		const used: Record<string, number> = {};
		for (const d of devices) { used[d] = v.deviceSummary(d)?.usedPages ?? 0; }
		const res = new Map<string, Record<string, number>>();
		const vmas = v.processes().filter(p => p.alive).flatMap(p => v.vmas(p.id).map(vma => ({ p, vma })));
		// rows are 2 MiB VA blocks, or bigger power-of-two chunks so that at most MAX_ROWS cover everything
		const total = vmas.reduce((n, x) => n + x.vma.npages, 0);
		let chunk = VA_BLOCK_PAGES;
		while (total / chunk > MAX_ROWS) { chunk *= 2; }
		for (const { p, vma } of vmas) {
			for (let lo = vma.startVpn - (vma.startVpn % chunk); lo < vma.endVpn; lo += chunk) {
				const a = Math.max(lo, vma.startVpn);
				const b = Math.min(lo + chunk, vma.endVpn);
				const key = `${p.name}:${lo}:${chunk}`;
				if (!this.rows.has(key)) {
					this.rows.set(key, { process: p.name, start: lo * PAGE, npages: chunk, label: `${p.name} 0x${(lo * PAGE).toString(16)} +${chunk * PAGE / 2 ** 20} MiB` });
				}
				const counts = v.residencyCounts(p.id, a, b);
				const acc = res.get(key) ?? { mapped: 0 };
				acc.mapped += b - a;
				for (const d of devices) { acc[d] = (acc[d] ?? 0) + (counts[d] ?? 0); }
				res.set(key, acc);
			}
		}
		for (const acc of res.values()) { for (const d of devices) { acc[d] = (acc[d] ?? 0) / acc.mapped; } }
		this.samples.push({ t, used, res });
		if (this.samples.length > MAX_SAMPLES) {
			this.samples = this.samples.filter((_, i) => i % 2 === 0);
			this.gapNs = Math.max(1, this.gapNs * 2 || (t - this.samples[0].t) / MAX_SAMPLES);
		}
	}

	/** Call at the end of the run: the last state is always a sample. */
	result(): Timeline {
		const last = this.samples[this.samples.length - 1];
		if (last === undefined || this.machine.time > last.t) { this.sample(this.machine.time); }
		this.keepLongest();
		const keys = [...this.rows.keys()].sort((a, b) => { const [pa, sa] = a.split(':'); const [pb, sb] = b.split(':'); return pa.localeCompare(pb) || Number(sa) - Number(sb); });
		const devices = this.machine.view.deviceNames();
		const samples = this.samples.map(s => ({
			t_ns: s.t, used: s.used,
			resident: Object.fromEntries(devices.map(d => [d, keys.map(k => { const f = s.res.get(k); return f ? Math.round((f[d] ?? 0) * 1000) / 1000 : -1; })])),
		}));
		return { spans: this.spans, spans_dropped: this.dropped, rows: keys.map(k => this.rows.get(k)!), samples };
	}
}
