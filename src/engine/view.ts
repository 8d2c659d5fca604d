// The machine seen read-only: what the debugger, the CLI report and the language's queries know
// of the engine, as plain records (view_types.ts). Nothing here changes state or takes a fault,
// and no engine object is handed out. Processes are named by ProcessKey, page ranges by page
// numbers [start, end), memory by byte address. Reached as `machine.view`.
import type { Kernel, KernelFrame } from './kernel';
import type { Machine } from './machine';
import type { Mm } from './mm/mm';
import { PAGE_SIZE } from './mm/content';
import { readBytes } from './query';
import * as L from './view_location';
import * as R from './view_residency';
import { mirrorTable } from './view_mirror';
import { copyCells, copyCounts } from './view_copies';
import { deviceRecord, deviceSummary, pageCount, pageRecord, processRecord, processSummary, systemRecord, vmaRecord } from './view_records';
import type {
	DeviceRecord, DeviceSummary, Location, MemoryRead, MirrorTableEntry, PageCountField, PageRecord, ProcessKey, ProcessRecord, ProcessSummary, ResidencyCells,
	ResidencyLayers, ResidencyRecord, StackFrameRecord, SystemRecord, VmaRecord,
} from './view_types';

export type * from './view_types';
export { PAGE_SIZE } from './mm/content';

/** Why the process cannot CPU-write every page of [addr, addr+len), or undefined if it can. */
export function writeProblem(mm: Mm, addr: number, len: number): string | undefined {
	if (!mm.alive) { return `process ${mm.name} has exited`; }
	for (let vpn = Math.floor(addr / PAGE_SIZE); vpn < Math.ceil((addr + len) / PAGE_SIZE); vpn++) {
		const v = mm.vmas.find(vpn);
		if (!v) { return `0x${(vpn * PAGE_SIZE).toString(16)} is not mapped in ${mm.name}`; }
		if (!v.writable) { return `0x${(vpn * PAGE_SIZE).toString(16)} is mapped ${v.protString()} in ${mm.name}: not writable`; }
	}
	return undefined;
}

/** A page range the walks can take: whole, non-negative, in order. */
function span(start: number, end: number): [number, number] | undefined {
	if (!Number.isFinite(start) || !Number.isFinite(end)) { return undefined; }
	const s = Math.max(0, Math.floor(start));
	return [s, Math.max(s, Math.ceil(end))];
}

export class MachineView {
	/** stack frame ids: a frame object keeps its id for as long as it is on the stack */
	private frameIds = new WeakMap<KernelFrame, number>();
	private nextFrameId = 1;

	constructor(private readonly machine: Machine) { }

	private get kernel(): Kernel { return this.machine.k; }

	private mm(key: ProcessKey): Mm | undefined {
		const k = this.kernel;
		if (typeof key === 'number') { return Number.isInteger(key) && key >= 0 ? k.mms[key] : undefined; }
		return k.procs.get(key) ?? k.mms.find(m => m.name === key);
	}

	// ------------------------------------------------------------ system and processes

	system(): SystemRecord { return systemRecord(this.kernel); }

	/** The process statements run as, while it is alive. */
	current(): ProcessSummary | undefined {
		const mm = this.machine.current;
		return mm?.alive ? processSummary(mm, mm) : undefined;
	}

	/** Every process ever created, exited ones included, in creation order. */
	processes(): ProcessSummary[] { return this.kernel.mms.map(mm => processSummary(mm, this.machine.current)); }

	/** CPU page faults taken by every process so far (the debugger's timeline reads this at every
	 * step: no records are built for it). */
	cpuFaultCount(): number {
		let n = 0;
		for (const mm of this.kernel.mms) { n += mm.faults; }
		return n;
	}

	/** The cheap fields of one process (no page-table walk). */
	processSummary(key: ProcessKey): ProcessSummary | undefined {
		const mm = this.mm(key);
		return mm && processSummary(mm, this.machine.current);
	}

	process(key: ProcessKey): ProcessRecord | undefined {
		const mm = this.mm(key);
		return mm && processRecord(this.kernel, mm, this.machine.current);
	}

	/** VMAs of a process in address order; `count` of them from the `first`. */
	vmas(key: ProcessKey, first = 0, count = Infinity): VmaRecord[] {
		const mm = this.mm(key);
		if (!mm) { return []; }
		const s = Math.max(0, Math.floor(first));
		return mm.vmas.list.slice(s, s + Math.max(0, count)).map(v => vmaRecord(mm, v));
	}

	/** The VMA holding byte address `addr`. */
	vmaAt(key: ProcessKey, addr: number): VmaRecord | undefined {
		const mm = this.mm(key);
		const v = mm?.vmas.find(Math.floor(addr / PAGE_SIZE));
		return mm && v && vmaRecord(mm, v);
	}

	page(key: ProcessKey, vpn: number): PageRecord | undefined {
		const mm = this.mm(key);
		if (!mm || !Number.isInteger(vpn) || vpn < 0) { return undefined; }
		return pageRecord(this.kernel, mm, vpn);
	}

	/** refcount() / mapcount() / pincount(): one struct page count for [start, end), or 'mixed'. */
	pageCount(key: ProcessKey, start: number, end: number, field: PageCountField): number | 'mixed' {
		const mm = this.mm(key);
		const r = span(start, end);
		if (!mm || !r) { return 0; }
		return pageCount(this.kernel, mm, r[0], r[1], field);
	}

	// ------------------------------------------------------------ residency

	/** Location names by code (codes are what residencyCells' runs hold), without 'mixed'. */
	legend(): string[] { return L.legend(this.kernel); }

	/** where(): the one location of the pages, 'mixed', or 'none' for no pages. */
	where(key: ProcessKey, start: number, end: number): Location | 'mixed' {
		const mm = this.mm(key);
		// checked inline, not through span(): scripts call where() in their inner loops
		if (!mm || !Number.isFinite(start) || !Number.isFinite(end)) { return 'none'; }
		return L.where(this.kernel, mm, Math.max(0, Math.floor(start)), Math.ceil(end));
	}

	/** count(): pages at `loc` ('ram' includes zero pages). */
	count(key: ProcessKey, start: number, end: number, loc: Location): number {
		const mm = this.mm(key);
		if (!mm || !Number.isFinite(start) || !Number.isFinite(end)) { return 0; }
		return L.count(this.kernel, mm, Math.max(0, Math.floor(start)), Math.ceil(end), loc);
	}

	residency(key: ProcessKey, start: number, end: number): ResidencyRecord | undefined {
		const mm = this.mm(key);
		const r = span(start, end);
		if (!mm || !r) { return undefined; }
		const runs = L.runs(this.kernel, mm, r[0], r[1]);
		const counts: Record<Location, number> = {};
		for (const { loc, npages } of runs) { counts[loc] = (counts[loc] ?? 0) + npages; }
		const copies = copyCounts(this.kernel, mm, r[0], r[1]);
		return { process: mm.name, startVpn: r[0], endVpn: r[1], runs, counts, ...(Object.keys(copies).length > 0 ? { copies } : {}) };
	}

	/** Pages per location only (no runs): what a summary needs, for a walk's cost. */
	residencyCounts(key: ProcessKey, start: number, end: number): Record<Location, number> {
		const mm = this.mm(key);
		const r = span(start, end);
		return mm && r ? L.counts(this.kernel, mm, r[0], r[1]) : {};
	}

	/** Residency in at most `maxCells` cells of equal size (the residency map); `pageRuns` adds
	 * the page-granular runs the cells were built from. */
	residencyCells(key: ProcessKey, start: number, end: number, maxCells: number, pageRuns = false): ResidencyCells | undefined {
		const mm = this.mm(key);
		const r = span(start, end);
		if (!mm || !r) { return undefined; }
		const cells = L.cells(this.kernel, mm, r[0], r[1], maxCells, pageRuns);
		const ncells = cells.runs.reduce((n, x, i) => (i % 2 === 1 ? n + x : n), 0);
		const copies = copyCells(this.kernel, mm, r[0], r[1], cells.pagesPerCell, ncells);
		return copies ? { ...cells, copies } : cells;
	}

	/** Marks over the cells of `pagesPerCell` pages from `start` (what residencyCells gave):
	 * CPU-table marks and what each device maps, as view_residency's MARK bits. */
	residencyLayers(key: ProcessKey, start: number, end: number, pagesPerCell: number): ResidencyLayers | undefined {
		const mm = this.mm(key);
		const r = span(start, end);
		return mm && r ? R.layers(this.kernel, mm, r[0], r[1], Math.max(1, Math.floor(pagesPerCell))) : undefined;
	}

	// ------------------------------------------------------------ devices

	devices(): DeviceRecord[] { return this.kernel.devices.map(d => deviceRecord(this.kernel, d)); }

	device(name: string): DeviceRecord | undefined {
		const d = this.kernel.devices.find(x => x.name === name);
		return d && deviceRecord(this.kernel, d);
	}

	/** Counters and memory use only: cheap enough for an expression evaluated in a loop. */
	deviceSummary(name: string): DeviceSummary | undefined {
		const d = this.kernel.devices.find(x => x.name === name);
		return d && deviceSummary(this.kernel, d);
	}

	deviceNames(): string[] { return this.kernel.devices.map(d => d.name); }

	/** Entries of a device's mirror table for a process, in address order, over pages
	 * [start, end) (default: everything), the first `skip` passed over, at most `limit`. */
	mirrorEntries(device: string, key: ProcessKey, o: { start?: number; end?: number; skip?: number; limit?: number; handle?: string } = {}): MirrorTableEntry[] {
		const d = this.kernel.devices.find(x => x.name === device);
		const mm = this.mm(key);
		const r = span(o.start ?? 0, o.end ?? 2 ** 47 / PAGE_SIZE);
		if (!d || !mm || !r) { return []; }
		// a named open file of the device (`DEV mirror PROC as NAME`), else its unnamed mirror
		const m = o.handle === undefined ? d.mirrors.get(mm) : d.handles.find(h => h.handle === o.handle && h.mm === mm);
		return mirrorTable(this.kernel, d, mm, r[0], r[1], o.skip ?? 0, o.limit ?? Infinity, m);
	}

	// ------------------------------------------------------------ memory and the kernel stack

	/** Bytes from `addr` as the process would read them, without faulting; the readable prefix
	 * ends at the first page outside every VMA. */
	read(key: ProcessKey, addr: number, len: number): MemoryRead | undefined {
		const mm = this.mm(key);
		if (!mm || !Number.isInteger(addr) || addr < 0 || !Number.isInteger(len) || len < 0) { return undefined; }
		return readBytes(this.kernel, mm, addr, len);
	}

	/** Why the process cannot CPU-write all of [addr, addr+len), or undefined if it can. */
	writeProblem(key: ProcessKey, addr: number, len: number): string | undefined {
		const mm = this.mm(key);
		return mm ? writeProblem(mm, addr, len) : `no process '${key}'`;
	}

	/** The simulated kernel call stack, outermost first (copies); `frames`: a script thread's saved
	 * stack (machine.ts ThreadContext), for a thread that is not running now. */
	stack(frames: readonly KernelFrame[] = this.kernel.stack): StackFrameRecord[] {
		return frames.map((f, depth) => {
			let id = this.frameIds.get(f);
			if (id === undefined) { id = this.nextFrameId++; this.frameIds.set(f, id); }
			return { ...f, id, depth };
		});
	}
}
