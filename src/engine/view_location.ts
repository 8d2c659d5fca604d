// Where a process's pages are: one page, or runs over a range. The range walk goes over
// page-table leaves, not pages: an absent leaf is 512 pages of 'none' in one step, so a 4M-page
// mapping costs a typed-array scan of its populated leaves only. where(), count(), the residency
// map and the Variables view all count through walk(), so they cannot disagree.
import type { Kernel } from './kernel';
import type { Mm } from './mm/mm';
import { PTE, PTRS_PER_PMD, type PtLeaf } from './mm/pagetable';
import { PG } from './mm/frames';
import type { Location, ResidencyCells, ResidencyRun } from './view_types';

/** Location codes: 0 none, 1 zero, 2 ram, 3 swap, 4 + device index. */
export const LOC_NONE = 0;
export const LOC_ZERO = 1;
export const LOC_RAM = 2;
export const LOC_SWAP = 3;
export const LOC_DEVICE = 4;

const FIXED = ['none', 'zero', 'ram', 'swap'];

/** Location names by code. */
export function legend(k: Kernel): string[] { return [...FIXED, ...k.devices.map(d => d.name)]; }

/** The location code of a frame a non-swap entry maps: the zero page, RAM or a device's memory. */
function frameCode(k: Kernel, pfn: number): number {
	if (k.frames.flags[pfn >> 12][pfn & 4095] & PG.ZERO) { return LOC_ZERO; }
	const owner = k.frames.owner[pfn >> 12][pfn & 4095];
	return owner >= 0 ? LOC_DEVICE + owner : LOC_RAM;
}

/** The location code of entry i of a leaf. */
function entryCode(k: Kernel, leaf: PtLeaf, i: number): number {
	const t = leaf.pte[i] & PTE.TYPE_MASK;
	if (t === PTE.NONE) { return LOC_NONE; }
	if (t === PTE.SWAP) { return LOC_SWAP; }
	return frameCode(k, leaf.pfn[i]);
}

/** The location code of one page of a process. */
export function pageCode(k: Kernel, mm: Mm, vpn: number): number {
	const leaf = mm.pt.leaf(vpn);
	return leaf ? entryCode(k, leaf, vpn & (PTRS_PER_PMD - 1)) : LOC_NONE;
}

/** The name of a location code. */
export function locationName(k: Kernel, code: number): Location { return code < LOC_DEVICE ? FIXED[code] : k.devices[code - LOC_DEVICE].name; }

export function pageLocation(k: Kernel, mm: Mm, vpn: number): Location { return locationName(k, pageCode(k, mm, vpn)); }

/** Calls emit(code, n) for consecutive runs of equal location over pages [start, end). emit may
 * return true to end the walk early (checked once per leaf). */
export function walk(k: Kernel, mm: Mm, start: number, end: number, emit: (code: number, n: number) => boolean | void): void {
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
	let stopped = false;
	const flush = (c: number, n: number) => { if (!stopped && emit(c, n) === true) { stopped = true; } };
	const flags = k.frames.flags;
	const owner = k.frames.owner;
	// the current run, flushed when the location changes (inlined: this loop sees every page)
	let code = -1;
	let run = 0;
	let at = start;
	for (const key of keys) {
		if (stopped) { return; }
		const base = key * PTRS_PER_PMD;
		const lo = Math.max(start, base);
		const hi = Math.min(end, base + PTRS_PER_PMD);
		if (lo > at) {
			if (code === LOC_NONE) { run += lo - at; } else { if (run > 0) { flush(code, run); } code = LOC_NONE; run = lo - at; }
		}
		const leaf = leaves.get(key)!;
		if (leaf.huge) {
			// a PMD mapping: one folio, one location for all its pages
			const c = entryCode(k, leaf, 0);
			if (c === code) { run += hi - lo; } else { if (run > 0) { flush(code, run); } code = c; run = hi - lo; }
		} else {
			const pte = leaf.pte;
			const pfns = leaf.pfn;
			// four empty entries at a time: sparse leaves are mostly zero bytes
			const quad = pte.byteOffset % 4 === 0 ? new Uint32Array(pte.buffer, pte.byteOffset, pte.length >> 2) : undefined;
			for (let i = lo - base, n = hi - base; i < n; i++) {
				if (quad && (i & 3) === 0 && i + 4 <= n && quad[i >> 2] === 0) {
					if (code === LOC_NONE) { run += 4; } else { if (run > 0) { flush(code, run); } code = LOC_NONE; run = 4; }
					i += 3;
					continue;
				}
				const t = pte[i] & PTE.TYPE_MASK;
				let c: number;
				if (t === PTE.NONE) { c = LOC_NONE; } else if (t === PTE.SWAP) { c = LOC_SWAP; } else {
					const pfn = pfns[i];
					const o = owner[pfn >> 12][pfn & 4095];
					c = flags[pfn >> 12][pfn & 4095] & PG.ZERO ? LOC_ZERO : o >= 0 ? LOC_DEVICE + o : LOC_RAM;
				}
				if (c === code) { run++; } else { if (run > 0) { flush(code, run); } code = c; run = 1; }
			}
		}
		at = hi;
	}
	if (stopped) { return; }
	if (end > at) {
		if (code === LOC_NONE) { run += end - at; } else { if (run > 0) { flush(code, run); } code = LOC_NONE; run = end - at; }
	}
	if (run > 0) { flush(code, run); }
}

/** Runs of one location over [start, end), in address order. */
export function runs(k: Kernel, mm: Mm, start: number, end: number): ResidencyRun[] {
	const names = legend(k);
	const out: ResidencyRun[] = [];
	walk(k, mm, start, end, (c, n) => { out.push({ loc: names[c], npages: n }); });
	return out;
}

/** Pages per location over [start, end), in order of first appearance. */
export function counts(k: Kernel, mm: Mm, start: number, end: number): Record<Location, number> {
	const names = legend(k);
	const out: Record<Location, number> = {};
	walk(k, mm, start, end, (c, n) => { out[names[c]] = (out[names[c]] ?? 0) + n; });
	return out;
}

/** Ranges up to this many pages are looked at page by page: no walk set-up for where(page(X, k)). */
const SHORT = 16;

/** where(): the one location of [start, end), 'mixed' when there are several, 'none' when empty. */
export function where(k: Kernel, mm: Mm, start: number, end: number): string {
	let code = -1;
	if (end - start <= SHORT) {
		for (let vpn = start; vpn < end; vpn++) {
			const c = pageCode(k, mm, vpn);
			if (code === -1) { code = c; } else if (c !== code) { return 'mixed'; }
		}
		return code === -1 ? 'none' : locationName(k, code);
	}
	let mixed = false;
	walk(k, mm, start, end, c => {
		if (code === -1) { code = c; return false; }
		mixed = c !== code;
		return mixed;
	});
	return mixed ? 'mixed' : code === -1 ? 'none' : locationName(k, code);
}

/** count(): pages of [start, end) at `loc`; 'ram' counts zero pages too (their data is in RAM). */
export function count(k: Kernel, mm: Mm, start: number, end: number, loc: Location): number {
	const want = legend(k).indexOf(loc);
	if (want < 0) { return 0; }
	let n = 0;
	if (end - start <= SHORT) {
		for (let vpn = start; vpn < end; vpn++) {
			const c = pageCode(k, mm, vpn);
			if (c === want || (want === LOC_RAM && c === LOC_ZERO)) { n++; }
		}
		return n;
	}
	walk(k, mm, start, end, (c, pages) => {
		if (c === want || (want === LOC_RAM && c === LOC_ZERO)) { n += pages; }
	});
	return n;
}

/** (code, pages) pairs in a growing typed buffer: pushing 2^19 numbers onto an array costs more
 * than the walk that produces them. */
class RunSink {
	private buf = new Float64Array(4096);
	private n = 0;
	push(c: number, pages: number): void {
		if (this.n + 2 > this.buf.length) {
			const g = new Float64Array(this.buf.length * 4);
			g.set(this.buf);
			this.buf = g;
		}
		this.buf[this.n] = c;
		this.buf[this.n + 1] = pages;
		this.n += 2;
	}
	done(): Float64Array { return this.buf.subarray(0, this.n); }
}

/** Residency in cells of ceil(npages / maxCells) pages: whole cells of one location in O(1),
 * a cell holding more than one location is 'mixed' (the last legend entry). With `pageRuns`,
 * the walk's (code, pages) runs are kept too (for a diff between stops, in O(runs)). */
export function cells(k: Kernel, mm: Mm, start: number, end: number, maxCells: number, keepRuns = false): ResidencyCells {
	const npages = Math.max(0, end - start);
	// NaN or less than one cell means one cell
	const ppc = Math.max(1, Math.ceil(npages / (maxCells >= 1 ? Math.floor(maxCells) : 1)));
	const names = legend(k);
	const MIXED = names.length;
	const out: number[] = [];
	const counts = new Array<number>(names.length).fill(0);
	const pageRuns = keepRuns ? new RunSink() : undefined;
	const cell = (c: number, n: number) => {
		const l = out.length;
		if (l > 0 && out[l - 2] === c) { out[l - 1] += n; } else { out.push(c, n); }
	};
	let partCode = -1;
	let partFill = 0;
	walk(k, mm, start, end, (c, n) => {
		counts[c] += n;
		if (pageRuns) { pageRuns.push(c, n); }
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
	return { legend: [...names, 'mixed'], pagesPerCell: ppc, runs: out, counts, ...(pageRuns ? { pageRuns: pageRuns.done() } : {}) };
}
