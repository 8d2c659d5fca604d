// The panel's page watches (data breakpoints the adapter keeps for the panel, src/debug/
// pageWatch.ts): which cells a watch covers, the watches on a cell, the list under the legend
// with a remove button each, and the dashed outline drawn around watched cells.
import { type GridLayout, spanRects } from './grid';
import type { PageWatch, ResidencyBody } from './protocol';
import { PAGE_SIZE } from './protocol';

/** The cells [first, last] a watch covers in this picture, or undefined if it is out of view. */
export function watchCells(body: ResidencyBody, cells: number, w: PageWatch): [number, number] | undefined {
	if (w.end <= body.start || w.start >= body.end || cells <= 0) { return undefined; }
	const span = body.pagesPerCell * PAGE_SIZE;
	const first = Math.max(0, Math.floor((w.start - body.start) / span));
	const last = Math.min(cells - 1, Math.floor((Math.min(w.end, body.end) - 1 - body.start) / span));
	return last >= first ? [first, last] : undefined;
}

/** The watches covering a cell. */
export function watchesAt(body: ResidencyBody, cells: number, cell: number): PageWatch[] {
	return (body.watches ?? []).filter(w => { const c = watchCells(body, cells, w); return c !== undefined && c[0] <= cell && cell <= c[1]; });
}

const ACCESS_WORDS = { write: 'write', read: 'read', readWrite: 'any access' } as const;

export function watchText(w: PageWatch): string {
	const pages = (w.end - w.start) / PAGE_SIZE;
	return `#${w.id} ${ACCESS_WORDS[w.access]}: 0x${w.start.toString(16)}–0x${(w.end - 1).toString(16)} (${pages} page${pages === 1 ? '' : 's'}), ${w.hits} hit${w.hits === 1 ? '' : 's'}`;
}

/** The list of watches with a remove button each; hidden when there is none. */
export function renderWatchList(box: HTMLElement, watches: readonly PageWatch[], remove: (id: number) => void): void {
	box.replaceChildren();
	box.hidden = watches.length === 0;
	if (box.hidden) { return; }
	const caption = document.createElement('span');
	caption.className = 'caption';
	caption.textContent = 'Page watches (the run stops on them):';
	box.append(caption);
	for (const w of watches) {
		const item = document.createElement('span');
		item.className = 'watch';
		item.dataset.id = String(w.id);
		item.textContent = watchText(w);
		const x = document.createElement('button');
		x.textContent = '✕';
		x.title = `Remove page watch #${w.id}`;
		x.setAttribute('aria-label', `Remove page watch #${w.id}`);
		x.addEventListener('click', () => remove(w.id));
		item.append(x);
		box.append(item);
	}
}

/** Dashed outlines around watched cells, in the theme's focus color. */
export function drawWatches(canvas: HTMLCanvasElement, layout: GridLayout, spans: readonly [number, number][], color: string): void {
	if (spans.length === 0) { return; }
	const ctx = canvas.getContext('2d', { alpha: false });
	if (ctx === null) { return; }
	const dpr = window.devicePixelRatio || 1;
	ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
	const px = layout.cell;
	ctx.strokeStyle = color;
	ctx.lineWidth = px >= 6 ? 2 : 1;
	ctx.setLineDash(px >= 6 ? [3, 2] : [2, 1]);
	const inset = ctx.lineWidth / 2;
	for (const [first, last] of spans) {
		for (const [c, r, w, h] of spanRects(first, last - first + 1, layout.cols)) {
			ctx.strokeRect(c * px + inset, r * px + inset, w * px - 2 * inset, h * px - 2 * inset);
		}
	}
	ctx.setLineDash([]);
}
