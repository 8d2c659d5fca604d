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
/** Ranges longer than this are not compared between stops (one byte a page is kept). */
const DIFF_PAGES = 1 << 24;

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

/** The location of every page of the last range shown, kept per stop, so the next stop's
 * picture can outline what moved. */
export class ResidencyHistory {
	private cur?: { stop: number; pid: number; start: number; codes: Uint8Array };
	private prev?: { stop: number; pid: number; start: number; codes: Uint8Array };

	/** Records this stop's codes and returns the previous stop's (same process), if any. */
	exchange(stop: number, pid: number, start: number, codes: Uint8Array): { start: number; codes: Uint8Array } | undefined {
		if (this.cur && this.cur.stop !== stop) { this.prev = this.cur; }
		this.cur = { stop, pid, start, codes };
		return this.prev && this.prev.pid === pid ? this.prev : undefined;
	}

	clear(): void { this.cur = this.prev = undefined; }
}

/** Pages of [start, start+codes.length) whose code differs in `before`, and the cells (of `ppc`
 * pages) holding them. Pages `before` does not cover are not compared. */
export function diffCells(start: number, codes: Uint8Array, before: { start: number; codes: Uint8Array }, ppc: number): { pages: number; runs: number[] } {
	const ncells = Math.ceil(codes.length / ppc);
	const flag = new Uint8Array(ncells);
	const lo = Math.max(start, before.start);
	const hi = Math.min(start + codes.length, before.start + before.codes.length);
	let pages = 0;
	for (let vpn = lo; vpn < hi; vpn++) {
		if (codes[vpn - start] !== before.codes[vpn - before.start]) { pages++; flag[Math.floor((vpn - start) / ppc)] = 1; }
	}
	const runs: number[] = [];
	for (let i = 0; i < ncells; i++) {
		const l = runs.length;
		if (l > 0 && runs[l - 2] === flag[i]) { runs[l - 1]++; } else { runs.push(flag[i], 1); }
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
	const cells = view.residencyCells(p.id, start, end, a.maxCells ?? DEFAULT_CELLS);
	const layers = view.residencyLayers(p.id, start, end, cells?.pagesPerCell ?? 1);
	if (!cells || !layers) { return `no process '${p.name}'`; }
	const vmas = list.filter(v => v.endVpn > start && v.startVpn < end).map(v => {
		const name = varName(v.start) ?? v.file;
		return { start: v.start, end: v.end, prot: v.prot, kind: v.backing + (v.shared ? ' shared' : ''), ...(name ? { name } : {}) };
	});
	let changed: ResidencyBody['changed'];
	if (history && end - start <= DIFF_PAGES) {
		const codes = view.residencyPageCodes(p.id, start, end)!;
		const before = history.exchange(stop, p.pid, start, codes);
		if (before) { changed = diffCells(start, codes, before, cells.pagesPerCell); }
	}
	return {
		process: p.name, pid: p.pid, start: start * PAGE, end: end * PAGE, pagesPerCell: cells.pagesPerCell, legend: cells.legend, runs: cells.runs,
		vmas, time: view.system().time, counts: [...cells.counts, 0], marks: layers.cpu, devices: layers.devices, gauges: gauges(view), ...(changed ? { changed } : {}),
	};
}
