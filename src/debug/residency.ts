// The `residency` custom request: the residency panel's data for a process and a byte range, as
// cells of equal size built by the machine view (which also gives where() and the Variables
// view's location counts, so the three always agree).
import type { MachineView, ProcessSummary } from '../engine/view';
import { PAGE } from './describe';

export interface ResidencyArgs { process?: string; start?: number; end?: number; maxCells?: number }
/** The request's arguments, keeping only well-typed fields (anything else means "default"). */
export function residencyArgs(args: unknown): ResidencyArgs {
	const a = (args ?? {}) as Record<string, unknown>;
	const n = (k: string) => (typeof a[k] === 'number' ? a[k] as number : undefined);
	return { process: typeof a.process === 'string' ? a.process : undefined, start: n('start'), end: n('end'), maxCells: n('maxCells') };
}

export interface ResidencyBody {
	process: string; pid: number; start: number; end: number; pagesPerCell: number;
	legend: string[]; runs: number[]; vmas: { start: number; end: number; prot: string; kind: string; name?: string }[]; time: number;
}

/** The request: the named live process, else the current one, else the first alive (or the first
 * ever). `varName` gives a script variable name for a VMA start, if any. */
export function residency(view: MachineView, a: ResidencyArgs, varName: (addr: number) => string | undefined): ResidencyBody | string {
	let p: ProcessSummary | undefined = view.current();
	if (a.process !== undefined) {
		p = view.processes().find(x => x.alive && x.name === a.process);
		if (!p) { return `no process '${a.process}'`; }
	}
	if (!p) {
		const all = view.processes();
		p = all.find(x => x.alive) ?? all[0];
	}
	if (!p) { return 'no process yet: the workload has not created one'; }
	const list = view.vmas(p.id);
	const startB = a.start ?? (list.length ? list[0].start : 0);
	const endB = a.end ?? (list.length ? list[list.length - 1].end : startB);
	if (!Number.isFinite(startB) || !Number.isFinite(endB) || startB < 0 || endB < startB) { return `bad range [${startB}, ${endB})`; }
	const start = Math.floor(startB / PAGE);
	const end = Math.ceil(endB / PAGE);
	const cells = view.residencyCells(p.id, start, end, a.maxCells ?? 1 << 18);
	if (!cells) { return `no process '${p.name}'`; }
	const vmas = list.filter(v => v.endVpn > start && v.startVpn < end).map(v => {
		const name = varName(v.start) ?? v.file;
		return { start: v.start, end: v.end, prot: v.prot, kind: v.backing + (v.shared ? ' shared' : ''), ...(name ? { name } : {}) };
	});
	return { process: p.name, pid: p.pid, start: start * PAGE, end: end * PAGE, pagesPerCell: cells.pagesPerCell, legend: cells.legend, runs: cells.runs, vmas, time: view.system().time };
}
