// Pure layout and lookup for the residency grid (no DOM, so it is unit-tested in Node).
// Everything works on the run-length `runs` array: the panel may show 4M pages, and neither
// memory nor drawing time may grow with pages, only with runs and cells.

import { PAGE_SIZE, type ResidencyBody, type VmaInfo } from './protocol';

/** Prefix index over the runs: cell -> code by binary search. */
export class RunIndex {
	/** First cell of run k. */
	readonly starts: Float64Array;
	readonly codes: Int32Array;
	readonly cells: number;

	constructor(runs: readonly number[]) {
		const n = Math.floor(runs.length / 2);
		this.starts = new Float64Array(n);
		this.codes = new Int32Array(n);
		let cell = 0;
		for (let k = 0; k < n; k++) {
			this.starts[k] = cell;
			this.codes[k] = runs[2 * k];
			cell += Math.max(0, runs[2 * k + 1]);
		}
		this.cells = cell;
	}

	/** Code of a cell, or -1 outside the grid. */
	codeAt(cell: number): number {
		if (cell < 0 || cell >= this.cells || this.starts.length === 0) {
			return -1;
		}
		let lo = 0;
		let hi = this.starts.length - 1;
		while (lo < hi) {
			const mid = (lo + hi + 1) >> 1;
			if (this.starts[mid] <= cell) {
				lo = mid;
			} else {
				hi = mid - 1;
			}
		}
		return this.codes[lo];
	}
}

export interface GridLayout {
	cols: number;
	rows: number;
	/** Cell edge in CSS pixels. */
	cell: number;
	/** Whether a 1px gutter separates cells (only when cells are big enough to spare it). */
	gap: boolean;
}

/** Square cells filling `width`, sized so the grid fits about `height` when it can. */
export function layoutGrid(cells: number, width: number, height: number): GridLayout {
	const w = Math.max(1, Math.floor(width));
	const h = Math.max(1, Math.floor(height));
	const n = Math.max(1, cells);
	let cell = Math.floor(Math.sqrt((w * h) / n));
	cell = Math.min(24, Math.max(2, cell));
	// sqrt ignores rounding to whole columns; shrink until the rows really fit (or cells hit 2px).
	while (cell > 2 && Math.ceil(n / Math.floor(w / cell)) * cell > h) {
		cell--;
	}
	const cols = Math.max(1, Math.floor(w / cell));
	return { cols, rows: Math.ceil(n / cols), cell, gap: cell >= 6 };
}

/** Rectangles (in cells) covering cells [first, first+count) of a row-major grid: at most 3. */
export function spanRects(first: number, count: number, cols: number): [number, number, number, number][] {
	if (count <= 0) {
		return [];
	}
	const last = first + count - 1;
	const r0 = Math.floor(first / cols);
	const c0 = first - r0 * cols;
	const r1 = Math.floor(last / cols);
	const c1 = last - r1 * cols;
	if (r0 === r1) {
		return [[c0, r0, c1 - c0 + 1, 1]];
	}
	const rects: [number, number, number, number][] = [[c0, r0, cols - c0, 1]];
	if (r1 > r0 + 1) {
		rects.push([0, r0 + 1, cols, r1 - r0 - 1]);
	}
	rects.push([0, r1, c1 + 1, 1]);
	return rects;
}

/** Byte range [start, end) of a cell. */
export function cellRange(body: ResidencyBody, cell: number): [number, number] {
	const bytes = body.pagesPerCell * PAGE_SIZE;
	const start = body.start + cell * bytes;
	return [start, Math.min(start + bytes, body.end)];
}

export function vmaAt(vmas: readonly VmaInfo[], address: number): VmaInfo | undefined {
	return vmas.find(v => v.start <= address && address < v.end);
}

/** Pages per location code: the adapter's exact counts; without them (an older adapter), exact
 * when pagesPerCell is 1, else cells x pagesPerCell (a mixed cell's pages all count as 'mixed'). */
export function legendCounts(body: ResidencyBody): number[] {
	if (body.counts !== undefined && body.counts.length === body.legend.length) {
		return [...body.counts];
	}
	const counts = new Array<number>(body.legend.length).fill(0);
	const totalPages = Math.max(0, Math.ceil((body.end - body.start) / PAGE_SIZE));
	let pages = 0;
	for (let k = 0; k + 1 < body.runs.length; k += 2) {
		const code = body.runs[k];
		const add = Math.max(0, Math.min(body.runs[k + 1] * body.pagesPerCell, totalPages - pages));
		pages += add;
		if (code >= 0 && code < counts.length) {
			counts[code] += add;
		}
	}
	return counts;
}

export function hex(n: number): string {
	return '0x' + Math.max(0, n).toString(16);
}

/** Tooltip text for a cell: inclusive address range, page count, location and VMA. */
export function describeCell(body: ResidencyBody, index: RunIndex, cell: number): string | undefined {
	const code = index.codeAt(cell);
	if (code < 0) {
		return undefined;
	}
	const [start, end] = cellRange(body, cell);
	const pages = Math.ceil((end - start) / PAGE_SIZE);
	const where = body.legend[code] ?? `code ${code}`;
	const vma = vmaAt(body.vmas, start);
	const vmaText = vma !== undefined ? `\n${vmaLabel(vma)} ${vma.prot}` : '\nunmapped';
	return `${hex(start)}–${hex(end - 1)} (${pages} page${pages === 1 ? '' : 's'})\n${where}${vmaText}`;
}

export function vmaLabel(v: VmaInfo): string {
	return v.name !== undefined && v.name !== '' ? `${v.name} (${v.kind})` : v.kind;
}
