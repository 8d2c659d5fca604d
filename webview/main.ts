// The page-residency webview: a process and layer picker, device memory gauges, the VMAs as
// labelled bands, a canvas grid of cells colored by where their pages live (or by what one
// device maps) with marks and change outlines, an address axis, drag-to-zoom with history, a
// legend with exact counts, a tooltip that asks for page details, and the event timeline.
// The extension host fetches the data from the debug adapter; this page only draws and asks.

import './residency.css';
import { RunIndex, cellRange, describeCell, hex, layoutGrid, type GridLayout } from './grid';
import { deviceRuns, glyphBits, marksOf, markWords } from './layers';
import { processOptions, renderAxes, renderBands, renderDeviceLegend, renderGauges, renderKey, renderLegend, renderOptions } from './panels';
import { PAGE_SIZE, type FromWebview, type PageAction, type ResidencyBody, type ResidencyView, type TimelineBody, type ToWebview } from './protocol';
import { rasterGrid } from './raster';
import { drawChanged, drawGrid, drawMarks, layerColors, markColors, themeColors } from './render';
import { formatNs, timelineHit } from './timeline';
import { drawTimeline } from './timelineDraw';
import { cellBits, detailText, place } from './tooltip';
import { drawWatches, renderWatchList, watchCells, watchesAt, watchText } from './watches';
import { ZoomHistory, cellSpan } from './zoom';

interface VsCodeApi {
	postMessage(msg: FromWebview): void;
	getState(): unknown;
	setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

// acquireVsCodeApi may be called only once per page, and must not leak into globals.
const vscode = acquireVsCodeApi();

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const processSelect = $<HTMLSelectElement>('process');
const layerSelect = $<HTMLSelectElement>('layer');
const backButton = $<HTMLButtonElement>('back');
const forwardButton = $<HTMLButtonElement>('forward');
const resetButton = $<HTMLButtonElement>('reset');
const rangeText = $('range');
const statusText = $('status');
const gaugesBox = $('gauges');
const bands = $('bands');
const axis = $('axis');
const topAxis = $('top-axis');
const wrap = $('grid-wrap');
const canvas = $<HTMLCanvasElement>('grid');
const selection = $('selection');
const legendList = $('legend');
const key = $('key');
const timelineBox = $('timeline-box');
const timelineCanvas = $<HTMLCanvasElement>('timeline');
const timelineRange = $('timeline-range');
const tooltip = $('tooltip');
const menu = $('menu');
const watchList = $('watches');
const unwatchItem = $<HTMLButtonElement>('unwatch');

/** What survives a hide/show (retainContextWhenHidden is off): only the view, the data is refetched. */
interface SavedState {
	view: ResidencyView;
	layer?: string;
}

const saved = vscode.getState() as SavedState | undefined;
let view: ResidencyView = saved?.view ?? { maxCells: 0 };
let layer = saved?.layer ?? 'cpu';
let body: ResidencyBody | undefined;
let timeline: TimelineBody | undefined;
let session: string | undefined;
let index: RunIndex | undefined;
let layout: GridLayout | undefined;
const zoom = new ZoomHistory();

function saveView(next: ResidencyView): void {
	view = next;
	vscode.setState({ view, layer } satisfies SavedState);
}

/** Cells worth asking for: about one per 4x4 CSS pixels of the visible area, within bounds the
 * adapter and the canvas handle quickly. */
function wantedCells(): number {
	const width = Math.max(200, wrap.clientWidth || window.innerWidth - 200);
	const height = Math.max(160, window.innerHeight - wrap.getBoundingClientRect().top - 160);
	return Math.min(65536, Math.max(1024, Math.floor(width / 4) * Math.floor(height / 4)));
}

function post(msg: FromWebview): void {
	vscode.postMessage(msg);
}

/** Runs of the layer shown: location codes (CPU) or device-layer codes. */
function shownRuns(b: ResidencyBody): number[] {
	const dev = layer === 'cpu' ? undefined : b.devices?.find(d => d.device === layer);
	return dev ? deviceRuns(dev) : b.runs;
}

function render(): void {
	if (body === undefined || index === undefined) {
		return;
	}
	const t0 = performance.now();
	const height = Math.max(120, window.innerHeight - wrap.getBoundingClientRect().top - legendList.offsetHeight - key.offsetHeight - watchList.offsetHeight - timelineBox.offsetHeight - 40);
	layout = layoutGrid(index.cells, Math.max(100, wrap.clientWidth || window.innerWidth - 200), height);
	const colors = layerColors(body, layer);
	const background = getComputedStyle(document.body).backgroundColor || '#1e1e1e';
	const marks = markColors();
	const cpu = layer === 'cpu';
	const glyph = (bits: number) => glyphBits(bits, cpu);
	const changed = body.changed !== undefined && body.changed.pages > 0 ? body.changed.runs : undefined;
	if (layout.cell < 6) {
		// small cells (a big range): one pixel buffer, whatever the number of runs
		rasterGrid(canvas, layout, { runs: shownRuns(body), cells: index.cells, colors, background, marks: marksOf(body, layer), glyph, changed, markColors: marks });
	} else {
		drawGrid(canvas, shownRuns(body), index.cells, layout, colors, background);
		drawMarks(canvas, layout, marksOf(body, layer), glyph, marks);
		if (changed !== undefined) { drawChanged(canvas, layout, changed, marks); }
	}
	// Exposed for tests and for screen readers' sake; the canvas itself carries no text.
	const watched = (body.watches ?? []).map(w => watchCells(body!, index!.cells, w)).filter((c): c is [number, number] => c !== undefined);
	drawWatches(canvas, layout, watched, getComputedStyle(document.documentElement).getPropertyValue('--hmm-watch').trim() || '#007fd4');
	canvas.dataset.watched = String(watched.length);
	canvas.dataset.cols = String(layout.cols);
	canvas.dataset.cell = String(layout.cell);
	canvas.dataset.cells = String(index.cells);
	canvas.dataset.layer = layer;
	canvas.setAttribute('aria-label', `Residency of ${index.cells} cells, ${body.pagesPerCell} page(s) per cell`);
	renderAxes(axis, topAxis, body, layout);
	canvas.dataset.drawMs = (performance.now() - t0).toFixed(1);
	renderTimeline();
}

/** The legend and the marks key: on new data, a layer switch or a theme change, not on every
 * resize (and before the grid, whose height depends on theirs). */
function renderPanels(): void {
	if (body === undefined) { return; }
	const colors = layerColors(body, layer);
	if (layer === 'cpu') {
		let mixed = 0;
		const code = body.legend.length - 1;
		for (let k = 0; k + 1 < body.runs.length; k += 2) { if (body.runs[k] === code) { mixed += body.runs[k + 1]; } }
		renderLegend(legendList, body, colors, mixed);
	} else {
		renderDeviceLegend(legendList, body, layer, colors);
	}
	renderKey(key, body, layer === 'cpu');
	renderWatchList(watchList, body.watches ?? [], id => post({ type: 'unwatch', id }));
}

function renderTimeline(): void {
	timelineBox.hidden = timeline === undefined || timeline.lanes.length === 0;
	if (timeline === undefined || timelineBox.hidden) { return; }
	timelineRange.textContent = `${formatNs(timeline.start)}–${formatNs(timeline.end)}, now ${formatNs(timeline.now)}${timeline.dropped ? ` (${timeline.dropped} events not kept)` : ''}`;
	drawTimeline(timelineCanvas, timeline, Math.max(300, timelineBox.clientWidth || window.innerWidth - 24));
}

function updateToolbar(): void {
	resetButton.disabled = view.start === undefined && view.end === undefined;
	backButton.disabled = !zoom.canBack;
	forwardButton.disabled = !zoom.canForward;
}

function onResidency(msg: Extract<ToWebview, { type: 'residency' }>): void {
	const id = msg.sessionId ?? msg.session;
	if (session !== undefined && id !== session) { zoom.clear(); }
	session = id;
	body = msg.body;
	timeline = msg.timeline;
	index = new RunIndex(body.runs);
	tooltip.hidden = true; // it described a cell of the old picture
	menu.hidden = true;
	saveView({ ...msg.view, process: body.process });
	renderOptions(processSelect, processOptions(msg.processes), body.process);
	const devices = (body.devices ?? []).map(d => d.device);
	if (layer !== 'cpu' && !devices.includes(layer)) { layer = 'cpu'; }
	renderOptions(layerSelect, [{ value: 'cpu', label: 'CPU: where pages are' }, ...devices.map(d => ({ value: d, label: `${d}: what it maps` }))], layer);
	updateToolbar();
	rangeText.textContent = `${hex(body.start)}–${hex(body.end - 1)} · ${body.pagesPerCell} page${body.pagesPerCell === 1 ? '' : 's'}/cell · t=${body.time}`;
	statusText.textContent = msg.ended === true ? `${msg.session}: session ended; showing its last stop.` : msg.notice ?? '';
	const colors = themeColors(body.legend);
	renderGauges(gaugesBox, body.gauges ?? [], name => colors[body!.legend.indexOf(name)] ?? '#89d185');
	renderBands(bands, body, view, address => post({ type: 'cellClicked', address, view: zoomFrom() }));
	renderPanels();
	render();
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
	const msg = event.data;
	if (msg.type === 'residency') {
		onResidency(msg);
	} else if (msg.type === 'page') {
		onPage(msg);
	} else if (msg.type === 'status') {
		statusText.textContent = msg.text;
		if (msg.keep !== true) {
			body = undefined;
			index = undefined;
			timeline = undefined;
			for (const e of [bands, legendList, key, gaugesBox, axis, topAxis, watchList]) { e.replaceChildren(); }
			watchList.hidden = true;
			timelineBox.hidden = true;
			canvas.width = 0;
			canvas.style.height = '0px';
			rangeText.textContent = '';
		}
	}
});

/** The view before a zoom: remembered so back returns to it. */
function zoomFrom(): ResidencyView {
	zoom.push(view);
	return view;
}

function setRange(range: { start?: number; end?: number }): void {
	saveView({ process: view.process, maxCells: wantedCells(), start: range.start, end: range.end });
	updateToolbar();
	post({ type: 'setView', view });
}

// ------------------------------------------------------------ grid: hover, drag-to-zoom, click, menu

function cellAt(event: MouseEvent): number {
	if (layout === undefined || index === undefined) {
		return -1;
	}
	const rect = canvas.getBoundingClientRect();
	const col = Math.floor((event.clientX - rect.left) / layout.cell);
	const row = Math.floor((event.clientY - rect.top) / layout.cell);
	if (col < 0 || col >= layout.cols || row < 0) {
		return -1;
	}
	const cell = row * layout.cols + col;
	return cell < index.cells ? cell : -1;
}

let hoverSeq = 0;
let hoverCell = -1;
let hoverTimer: ReturnType<typeof setTimeout> | undefined;
let hoverAt = { x: 0, y: 0 };

function showCell(cell: number, x: number, y: number): void {
	if (body === undefined || index === undefined) { return; }
	const text = describeCell(body, index, cell);
	if (text === undefined) { tooltip.hidden = true; return; }
	const words = markWords(cellBits(marksOf(body, layer), cell), layer === 'cpu');
	const moved = body.changed !== undefined && cellBits(body.changed.runs, cell) !== 0 ? '\nchanged location since the last stop' : '';
	const watches = watchesAt(body, index.cells, cell).map(w => `\npage watch ${watchText(w)}`).join('');
	tooltip.textContent = `${text}${words.length ? '\n' + words.join(', ') : ''}${moved}${watches}`;
	tooltip.hidden = false;
	place(tooltip, x, y);
	if (cell !== hoverCell) {
		hoverCell = cell;
		clearTimeout(hoverTimer);
		const [start, end] = cellRange(body, cell);
		const seq = ++hoverSeq;
		const process = body.process;
		hoverTimer = setTimeout(() => post({ type: 'hover', seq, process, address: start, pages: Math.ceil((end - start) / PAGE_SIZE) }), 120);
	}
}

function onPage(msg: Extract<ToWebview, { type: 'page' }>): void {
	if (msg.seq !== hoverSeq || tooltip.hidden || msg.detail === undefined) { return; }
	tooltip.textContent += '\n' + detailText(msg.detail);
	place(tooltip, hoverAt.x, hoverAt.y);
}

let dragFrom = -1;
let dragTo = -1;

function showSelection(): void {
	if (layout === undefined || dragFrom < 0 || dragTo < 0 || dragFrom === dragTo) { selection.hidden = true; return; }
	const lo = Math.min(dragFrom, dragTo);
	const hi = Math.max(dragFrom, dragTo);
	const r0 = Math.floor(lo / layout.cols);
	const r1 = Math.floor(hi / layout.cols);
	const one = r0 === r1;
	selection.style.left = `${one ? (lo % layout.cols) * layout.cell : 0}px`;
	selection.style.width = `${one ? (hi - lo + 1) * layout.cell : layout.cols * layout.cell}px`;
	selection.style.top = `${r0 * layout.cell}px`;
	selection.style.height = `${(r1 - r0 + 1) * layout.cell}px`;
	selection.hidden = false;
}

canvas.addEventListener('mousedown', event => {
	if (event.button !== 0) { return; }
	dragFrom = dragTo = cellAt(event);
	menu.hidden = true;
});
canvas.addEventListener('mousemove', event => {
	hoverAt = { x: event.clientX, y: event.clientY };
	const cell = cellAt(event);
	if (dragFrom >= 0 && (event.buttons & 1) !== 0) {
		if (cell >= 0) { dragTo = cell; showSelection(); }
		tooltip.hidden = true;
		return;
	}
	if (cell < 0) { tooltip.hidden = true; hoverCell = -1; return; }
	showCell(cell, event.clientX, event.clientY);
});
canvas.addEventListener('mouseleave', () => {
	tooltip.hidden = true;
	hoverCell = -1;
});
window.addEventListener('mouseup', event => {
	if (dragFrom < 0 || body === undefined) { return; }
	const from = dragFrom;
	const to = cellAt(event) >= 0 ? cellAt(event) : dragTo;
	dragFrom = dragTo = -1;
	selection.hidden = true;
	if (to < 0) { return; }
	if (to !== from) {
		zoomFrom();
		setRange(cellSpan(from, to, body.start, body.pagesPerCell * PAGE_SIZE, body.end));
	} else if (event.target === canvas) {
		pageAction('reveal', from);
	}
});

function pageAction(action: PageAction, cell: number): void {
	if (body === undefined) { return; }
	const [start, end] = cellRange(body, cell);
	post({ type: 'pageAction', action, process: body.process, address: start, pages: Math.ceil((end - start) / PAGE_SIZE) });
}

let menuCell = -1;
canvas.addEventListener('contextmenu', event => {
	event.preventDefault();
	menuCell = cellAt(event);
	if (menuCell < 0) { return; }
	tooltip.hidden = true;
	// a watched cell offers to remove its (first) watch
	const on = body !== undefined && index !== undefined ? watchesAt(body, index.cells, menuCell)[0] : undefined;
	unwatchItem.hidden = on === undefined;
	unwatchItem.dataset.id = on === undefined ? '' : String(on.id);
	menu.hidden = false;
	place(menu, event.clientX - 14, event.clientY - 16);
	menu.querySelector('button')?.focus();
});
menu.addEventListener('click', event => {
	const action = (event.target as HTMLElement).dataset.action as PageAction | 'unwatch' | undefined;
	if (action === 'unwatch') {
		post({ type: 'unwatch', id: Number(unwatchItem.dataset.id) });
	} else if (action !== undefined && menuCell >= 0) { pageAction(action, menuCell); }
	menu.hidden = true;
});
window.addEventListener('mousedown', event => {
	if (!menu.contains(event.target as Node)) { menu.hidden = true; }
});

// ------------------------------------------------------------ timeline

timelineCanvas.addEventListener('mousemove', event => {
	const r = timelineCanvas.getBoundingClientRect();
	const hit = timeline && timelineHit(timeline, r.width, event.clientX - r.left, event.clientY - r.top);
	if (!hit) { tooltip.hidden = true; return; }
	tooltip.textContent = `${hit.lane}: ${hit.events.toLocaleString('en-US')} event${hit.events === 1 ? '' : 's'}, ${hit.pages.toLocaleString('en-US')} pages\n${formatNs(hit.from)}–${formatNs(hit.to)}\nfirst at ${formatNs(hit.time)} (step ${hit.step}): click to travel there`;
	tooltip.hidden = false;
	place(tooltip, event.clientX, event.clientY);
});
timelineCanvas.addEventListener('mouseleave', () => { tooltip.hidden = true; });
timelineCanvas.addEventListener('click', event => {
	const r = timelineCanvas.getBoundingClientRect();
	const hit = timeline && timelineHit(timeline, r.width, event.clientX - r.left, event.clientY - r.top);
	if (hit) { post({ type: 'timelineClicked', step: hit.step, nth: hit.nth, label: `${hit.lane} at ${formatNs(hit.time)}` }); }
});

// ------------------------------------------------------------ toolbar

processSelect.addEventListener('change', () => {
	zoom.clear();
	saveView({ process: processSelect.value, maxCells: wantedCells() });
	updateToolbar();
	post({ type: 'setView', view });
});
layerSelect.addEventListener('change', () => {
	layer = layerSelect.value;
	saveView(view);
	renderPanels();
	render();
});
resetButton.addEventListener('click', () => {
	zoomFrom();
	setRange({});
});
const back = () => { const r = zoom.goBack(view); if (r) { setRange(r); } };
const forward = () => { const r = zoom.goForward(view); if (r) { setRange(r); } };
backButton.addEventListener('click', back);
forwardButton.addEventListener('click', forward);
window.addEventListener('keydown', event => {
	if (event.key === 'Escape') { menu.hidden = true; }
	if (event.altKey && event.key === 'ArrowLeft') { back(); }
	if (event.altKey && event.key === 'ArrowRight') { forward(); }
});

// Redraw on resize; ask for a finer or coarser grid only when the area changed a lot.
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
new ResizeObserver(() => {
	clearTimeout(resizeTimer);
	resizeTimer = setTimeout(() => {
		render();
		const want = wantedCells();
		if (body !== undefined && (want > view.maxCells * 2 || want * 2 < view.maxCells)) {
			saveView({ ...view, maxCells: want });
			post({ type: 'setView', view });
		}
	}, 100);
}).observe(wrap);
// VS Code switches themes by changing the body class: the canvas must pick up the new colors.
new MutationObserver(() => { renderPanels(); render(); }).observe(document.body, { attributes: true, attributeFilter: ['class'] });

saveView({ ...view, maxCells: wantedCells() });
post({ type: 'ready', view });
