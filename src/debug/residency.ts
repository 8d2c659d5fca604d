// The `residency` custom request: the residency panel's data for a process and a byte range, as
// cells of equal size built by the machine view (which also gives where() and the Variables
// view's location counts, so the three always agree), with exact page counts per location, the
// marks layers (CPU marks and what every device maps), the devices' memory gauges, and which
// cells hold pages whose location changed since the previous stop.
import type { MachineView, ProcessSummary } from '../engine/view';
import { PAGE } from './describe';

export interface ResidencyArgs { process?: string; start?: number; end?: number; maxCells?: number }
/** The request's arguments, keeping only well-typed fields (anything else means "default"). */
export function residencyArgs(args: unknown): ResidencyArgs {
	const a = (args ?? {}) as Record<string, unknown>;
	const n = (k: string) => (typeof a[k] === 'number' ? a[k] as number : undefined);
	return { process: typeof a.process === 'string' ? a.process : undefined, start: n('start'), end: n('end'), maxCells: n('maxCells') };
}

/** The cells a request gets when it does not say: what the panel asks for at most. */
export const DEFAULT_CELLS = 1 << 16;

export interface DeviceGauge {
	name: string;
	usedPages: number;
	capacityPages: number;
	/** root chunks of a policy=migrate device: in use and in all */
	chunks?: { used: number; total: number };
}

export interface ResidencyBody {
	process: string; pid: number; start: number; end: number; pagesPerCell: number;
	legend: string[]; runs: number[]; vmas: { start: number; end: number; prot: string; kind: string; name?: string }[]; time: number;
	/** exact pages per legend code ('mixed' gets 0: its pages are counted where they are) */
	counts: number[];
	/** CPU-table marks per cell as (MARK bits, cells) runs */
	marks: number[];
	/** what each device mirroring the process maps, per cell, and its pages by kind */
	devices: { device: string; runs: number[]; pages: Record<string, number> }[];
	gauges: DeviceGauge[];
	/** pages whose location changed since the previous stop, and the cells holding them as
	 * (0|1, cells) runs; absent on the first picture of a process or for a huge range */
	changed?: { pages: number; runs: number[] };
}

/** The page locations of the last range shown, as (code, pages) runs, kept per stop, so the
 * next stop's picture can outline what moved (comparing runs costs O(runs), not O(pages)). */
export interface PageRuns { start: number; runs: ArrayLike<number> }

export class ResidencyHistory {
	private cur?: PageRuns & { stop: number; pid: number };
	private prev?: PageRuns & { stop: number; pid: number };

	/** Records this stop's runs and returns the previous stop's (same process), if any. */
	exchange(stop: number, pid: number, now: PageRuns): PageRuns | undefined {
		if (this.cur && this.cur.stop !== stop) { this.prev = this.cur; }
		this.cur = { stop, pid, ...now };
		return this.prev && this.prev.pid === pid ? this.prev : undefined;
	}

	clear(): void { this.cur = this.prev = undefined; }
}

/** Pages of `now` whose location differs in `before`, and the cells (of `ppc` pages from
 * now.start) holding them, as (0|1, cells) runs. Pages `before` does not cover are not compared. */
export function diffRuns(now: PageRuns, before: PageRuns, ppc: number): { pages: number; runs: number[] } {
	let total = 0;
	for (let k = 1; k < now.runs.length; k += 2) { total += now.runs[k]; }
	const flag = new Uint8Array(Math.ceil(total / ppc));
	let pages = 0;
	// two cursors over the runs, segment by segment where neither changes
	let i = 0, j = 0;
	let a = now.start, aEnd = now.start + (now.runs[1] ?? 0);
	let b = before.start, bEnd = before.start + (before.runs[1] ?? 0);
	while (i < now.runs.length && j < before.runs.length) {
		const lo = Math.max(a, b);
		const hi = Math.min(aEnd, bEnd);
		if (hi > lo && now.runs[i] !== before.runs[j]) {
			pages += hi - lo;
			flag.fill(1, Math.floor((lo - now.start) / ppc), Math.floor((hi - 1 - now.start) / ppc) + 1);
		}
		if (aEnd <= bEnd) { i += 2; a = aEnd; aEnd += now.runs[i + 1] ?? 0; } else { j += 2; b = bEnd; bEnd += before.runs[j + 1] ?? 0; }
	}
	const runs: number[] = [];
	for (let c = 0; c < flag.length; c++) {
		const l = runs.length;
		if (l > 0 && runs[l - 2] === flag[c]) { runs[l - 1]++; } else { runs.push(flag[c], 1); }
	}
	return { pages, runs };
}

export function gauges(view: MachineView): DeviceGauge[] {
	return view.deviceNames().map(n => view.deviceSummary(n)!).map(d => ({
		name: d.name, usedPages: d.usedPages, capacityPages: d.capacityPages, ...(d.rootChunks ? { chunks: d.rootChunks } : {}),
	}));
}

/** The process a request means: the named live one, else the current one, else the first alive
 * (or the first ever). */
export function pickProcess(view: MachineView, name: string | undefined): ProcessSummary | string {
	let p: ProcessSummary | undefined = view.current();
	if (name !== undefined) {
		p = view.processes().find(x => x.alive && x.name === name);
		if (!p) { return `no process '${name}'`; }
	}
	if (!p) {
		const all = view.processes();
		p = all.find(x => x.alive) ?? all[0];
	}
	return p ?? 'no process yet: the workload has not created one';
}

/** The request. `varName` gives a script variable name for a VMA start, if any; with `history`
 * and the stop's number, cells whose pages moved since the previous stop are flagged. */
export function residency(view: MachineView, a: ResidencyArgs, varName: (addr: number) => string | undefined,
	history?: ResidencyHistory, stop = 0): ResidencyBody | string {
	const p = pickProcess(view, a.process);
	if (typeof p === 'string') { return p; }
	const list = view.vmas(p.id);
	const startB = a.start ?? (list.length ? list[0].start : 0);
	const endB = a.end ?? (list.length ? list[list.length - 1].end : startB);
	if (!Number.isFinite(startB) || !Number.isFinite(endB) || startB < 0 || endB < startB) { return `bad range [${startB}, ${endB})`; }
	const start = Math.floor(startB / PAGE);
	const end = Math.ceil(endB / PAGE);
	const cells = view.residencyCells(p.id, start, end, a.maxCells ?? DEFAULT_CELLS, history !== undefined);
	const layers = view.residencyLayers(p.id, start, end, cells?.pagesPerCell ?? 1);
	if (!cells || !layers) { return `no process '${p.name}'`; }
	const vmas = list.filter(v => v.endVpn > start && v.startVpn < end).map(v => {
		const name = varName(v.start) ?? v.file;
		return { start: v.start, end: v.end, prot: v.prot, kind: v.backing + (v.shared ? ' shared' : ''), ...(name ? { name } : {}) };
	});
	let changed: ResidencyBody['changed'];
	if (history && cells.pageRuns) {
		const now = { start, runs: cells.pageRuns };
		const before = history.exchange(stop, p.pid, now);
		if (before) { changed = diffRuns(now, before, cells.pagesPerCell); }
	}
	return {
		process: p.name, pid: p.pid, start: start * PAGE, end: end * PAGE, pagesPerCell: cells.pagesPerCell, legend: cells.legend, runs: cells.runs,
		vmas, time: view.system().time, counts: [...cells.counts, 0], marks: layers.cpu, devices: layers.devices, gauges: gauges(view), ...(changed ? { changed } : {}),
	};
}
