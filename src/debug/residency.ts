// Where a process's pages live, fast: the `residency` custom request (the residency panel's
// data) and the location summaries of VMA, range and page variables. Walks page-table leaves,
// not pages: an absent leaf is 512 pages of 'none' in one step, so a 4M-page mapping costs a
// typed-array scan of its populated leaves only.
import type { Kernel } from '../engine/kernel';
import type { Mm } from '../engine/mm/mm';
import { PTE, PTRS_PER_PMD, type PtLeaf } from '../engine/mm/pagetable';
import { PG } from '../engine/mm/frames';
import { PAGE } from './describe';

/** Location codes: 0 none, 1 zero, 2 ram, 3 swap, 4 + device index. */
export function legend(k: Kernel): string[] { return ['none', 'zero', 'ram', 'swap', ...k.devices.map(d => d.name)]; }

/** The location code of entry i of a leaf (as query.pageLocation decides it). */
export function entryCode(k: Kernel, leaf: PtLeaf, i: number): number {
	const t = leaf.pte[i] & PTE.TYPE_MASK;
	if (t === PTE.NONE) { return 0; }
	if (t === PTE.SWAP) { return 3; }
	const pfn = leaf.pfn[i];
	if (k.frames.isZero(pfn)) { return 1; }
	const owner = k.frames.owner[pfn];
	return owner >= 0 ? 4 + owner : 2;
}

/** Calls emit(code, n) for consecutive runs of equal location over pages [start, end). */
export function walk(k: Kernel, mm: Mm, start: number, end: number, emit: (code: number, n: number) => void): void {
	if (end <= start) { return; }
	const leaves = mm.pt.leaves;
	const first = Math.floor(start / PTRS_PER_PMD);
	const last = Math.floor((end - 1) / PTRS_PER_PMD);
	// Populated leaves in range, in order: by direct probing when the span is small compared to
	// the number of leaves, else by sorting the keys (a sparse terabyte span has few leaves).
	let keys: number[];
	if (last - first + 1 <= 4 * leaves.size) {
		keys = [];
		for (let key = first; key <= last; key++) { if (leaves.has(key)) { keys.push(key); } }
	} else {
		keys = [...leaves.keys()].filter(key => key >= first && key <= last).sort((a, b) => a - b);
	}
	const flags = k.frames.flags;
	const owner = k.frames.owner;
	// the current run, flushed when the location changes (inlined: this loop sees every page)
	let code = -1;
	let run = 0;
	let at = start;
	for (const key of keys) {
		const base = key * PTRS_PER_PMD;
		const lo = Math.max(start, base);
		const hi = Math.min(end, base + PTRS_PER_PMD);
		if (lo > at) {
			if (code === 0) { run += lo - at; } else { if (run > 0) { emit(code, run); } code = 0; run = lo - at; }
		}
		const leaf = leaves.get(key)!;
		if (leaf.huge) {
			// a PMD mapping: one folio, one location for all its pages
			const c = entryCode(k, leaf, 0);
			if (c === code) { run += hi - lo; } else { if (run > 0) { emit(code, run); } code = c; run = hi - lo; }
		} else {
			const pte = leaf.pte;
			const pfns = leaf.pfn;
			// four empty entries at a time: sparse leaves are mostly zero bytes
			const quad = pte.byteOffset % 4 === 0 ? new Uint32Array(pte.buffer, pte.byteOffset, pte.length >> 2) : undefined;
			for (let i = lo - base, n = hi - base; i < n; i++) {
				if (quad && (i & 3) === 0 && i + 4 <= n && quad[i >> 2] === 0) {
					if (code === 0) { run += 4; } else { if (run > 0) { emit(code, run); } code = 0; run = 4; }
					i += 3;
					continue;
				}
				const t = pte[i] & PTE.TYPE_MASK;
				let c: number;
				if (t === PTE.NONE) { c = 0; } else if (t === PTE.SWAP) { c = 3; } else {
					const pfn = pfns[i];
					c = flags[pfn] & PG.ZERO ? 1 : owner[pfn] >= 0 ? 4 + owner[pfn] : 2;
				}
				if (c === code) { run++; } else { if (run > 0) { emit(code, run); } code = c; run = 1; }
			}
		}
		at = hi;
	}
	if (end > at) {
		if (code === 0) { run += end - at; } else { if (run > 0) { emit(code, run); } code = 0; run = end - at; }
	}
	if (run > 0) { emit(code, run); }
}

/** Pages per location name over [start, end). */
export function summarize(k: Kernel, mm: Mm, start: number, end: number): Map<string, number> {
	const names = legend(k);
	const out = new Map<string, number>();
	walk(k, mm, start, end, (c, n) => out.set(names[c], (out.get(names[c]) ?? 0) + n));
	return out;
}

/** where(): the single location of [start, end), or 'mixed'. */
export function whereOf(k: Kernel, mm: Mm, start: number, end: number): string {
	const s = summarize(k, mm, start, end);
	return s.size === 1 ? [...s.keys()][0] : s.size === 0 ? 'none' : 'mixed';
}

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

/** The `residency` custom request. `names` gives a script variable name for a VMA start, if any. */
export function residency(k: Kernel, current: Mm | undefined, a: ResidencyArgs, varName: (addr: number) => string | undefined): ResidencyBody | string {
	let mm = current;
	if (a.process !== undefined) {
		mm = k.procs.get(a.process);
		if (!mm) { return `no process '${a.process}'`; }
	}
	mm ??= k.mms.find(m => m.alive) ?? k.mms[0];
	if (!mm) { return 'no process yet: the workload has not created one'; }
	const list = mm.vmas.list;
	const startB = a.start ?? (list.length ? list[0].start * PAGE : 0);
	const endB = a.end ?? (list.length ? list[list.length - 1].end * PAGE : startB);
	if (!Number.isFinite(startB) || !Number.isFinite(endB) || startB < 0 || endB < startB) { return `bad range [${startB}, ${endB})`; }
	const maxCells = Math.max(1, Math.floor(a.maxCells ?? 1 << 18));
	const start = Math.floor(startB / PAGE);
	const end = Math.ceil(endB / PAGE);
	const npages = end - start;
	const ppc = Math.max(1, Math.ceil(npages / maxCells));
	const names = legend(k);
	const MIXED = names.length;
	const runs: number[] = [];
	const cell = (c: number, n: number) => {
		const l = runs.length;
		if (l > 0 && runs[l - 2] === c) { runs[l - 1] += n; } else { runs.push(c, n); }
	};
	// cells of ppc pages: whole cells of one code in O(1), partial ones merged into 'mixed'
	let partCode = -1;
	let partFill = 0;
	walk(k, mm, start, end, (c, n) => {
		while (n > 0) {
			if (partFill > 0) {
				const take = Math.min(n, ppc - partFill);
				if (partCode !== c) { partCode = MIXED; }
				partFill += take;
				n -= take;
				if (partFill === ppc) { cell(partCode, 1); partFill = 0; }
				continue;
			}
			const whole = Math.floor(n / ppc);
			if (whole > 0) { cell(c, whole); n -= whole * ppc; }
			if (n > 0) { partCode = c; partFill = n; n = 0; }
		}
	});
	if (partFill > 0) { cell(partCode, 1); }
	const vmas = list.filter(v => v.end > start && v.start < end).map(v => ({
		start: v.start * PAGE, end: v.end * PAGE, prot: v.protString(), kind: v.backing + (v.shared ? ' shared' : ''),
		...(varName(v.start * PAGE) ?? v.file?.name ? { name: varName(v.start * PAGE) ?? v.file?.name } : {}),
	}));
	return { process: mm.name, pid: mm.pid, start: start * PAGE, end: end * PAGE, pagesPerCell: ppc, legend: [...names, 'mixed'], runs, vmas, time: k.clock };
}
