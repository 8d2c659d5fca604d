// The page-residency webview: a process picker, the VMAs as labelled bands, a canvas grid of
// cells colored by where their pages live, a legend with page counts and a hover tooltip.
// The extension host fetches the data from the debug adapter; this page only draws and asks.

import './residency.css';
import { RunIndex, cellRange, describeCell, hex, layoutGrid, legendCounts, vmaAt, vmaLabel, type GridLayout } from './grid';
import type { FromWebview, ProcessInfo, ResidencyBody, ResidencyView, ToWebview } from './protocol';
import { drawGrid, themeColors } from './render';

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
const resetButton = $<HTMLButtonElement>('reset');
const rangeText = $('range');
const statusText = $('status');
const bands = $('bands');
const wrap = $('grid-wrap');
const canvas = $<HTMLCanvasElement>('grid');
const legendList = $('legend');
const tooltip = $('tooltip');

/** What survives a hide/show (retainContextWhenHidden is off): only the view, the data is refetched. */
interface SavedState {
	view: ResidencyView;
}

let view: ResidencyView = (vscode.getState() as SavedState | undefined)?.view ?? { maxCells: 0 };
let body: ResidencyBody | undefined;
let index: RunIndex | undefined;
let layout: GridLayout | undefined;

function saveView(next: ResidencyView): void {
	view = next;
	vscode.setState({ view } satisfies SavedState);
}

/** Cells worth asking for: about one per 4x4 CSS pixels of the visible area, within bounds the
 * adapter and the canvas handle quickly. */
function wantedCells(): number {
	const width = Math.max(200, wrap.clientWidth || window.innerWidth - 24);
	const height = Math.max(160, window.innerHeight - wrap.getBoundingClientRect().top - 60);
	return Math.min(65536, Math.max(1024, Math.floor(width / 4) * Math.floor(height / 4)));
}

function post(msg: FromWebview): void {
	vscode.postMessage(msg);
}

function render(): void {
	if (body === undefined || index === undefined) {
		return;
	}
	const height = Math.max(120, window.innerHeight - wrap.getBoundingClientRect().top - legendList.offsetHeight - 24);
	layout = layoutGrid(index.cells, Math.max(100, wrap.clientWidth || window.innerWidth - 24), height);
	const colors = themeColors(body.legend);
	const background = getComputedStyle(document.body).backgroundColor || '#1e1e1e';
	drawGrid(canvas, body.runs, index.cells, layout, colors, background);
	// Exposed for tests and for screen readers' sake; the canvas itself carries no text.
	canvas.dataset.cols = String(layout.cols);
	canvas.dataset.cell = String(layout.cell);
	canvas.dataset.cells = String(index.cells);
	canvas.setAttribute('aria-label', `Residency of ${index.cells} cells, ${body.pagesPerCell} page(s) per cell`);
	renderLegend(colors);
}

function renderLegend(colors: string[]): void {
	if (body === undefined) {
		return;
	}
	const counts = legendCounts(body);
	const approx = body.pagesPerCell > 1 ? '≈' : '';
	legendList.replaceChildren(...body.legend.map((label, code) => {
		const li = document.createElement('li');
		li.dataset.code = String(code);
		li.dataset.location = label;
		li.dataset.pages = String(counts[code]);
		const swatch = document.createElement('span');
		swatch.className = 'swatch';
		swatch.style.background = colors[code];
		const name = document.createElement('span');
		name.className = 'label';
		name.textContent = label;
		const count = document.createElement('span');
		count.className = 'count';
		count.textContent = `${approx}${counts[code].toLocaleString('en-US')}`;
		li.append(swatch, name, count);
		return li;
	}));
}

function renderBands(): void {
	if (body === undefined) {
		return;
	}
	const span = Math.max(1, body.end - body.start);
	const current = body;
	bands.replaceChildren(...body.vmas
		.filter(v => v.end > current.start && v.start < current.end)
		.map(v => {
			const band = document.createElement('div');
			band.className = 'band';
			const from = Math.max(v.start, current.start);
			const to = Math.min(v.end, current.end);
			band.style.left = `${((from - current.start) / span) * 100}%`;
			band.style.width = `${((to - from) / span) * 100}%`;
			band.textContent = `${vmaLabel(v)} ${v.prot}`;
			band.title = `${vmaLabel(v)} ${v.prot}\n${hex(v.start)}–${hex(v.end - 1)}\nclick to zoom`;
			band.dataset.start = String(v.start);
			if (view.start === v.start && view.end === v.end) {
				band.classList.add('current');
			}
			band.addEventListener('click', () => post({ type: 'cellClicked', address: v.start, view }));
			return band;
		}));
}

function renderProcesses(processes: ProcessInfo[], selected: string): void {
	processSelect.replaceChildren(...processes.map(p => {
		const option = document.createElement('option');
		option.value = p.name;
		option.textContent = `${p.name} (pid ${p.pid})`;
		option.selected = p.name === selected;
		return option;
	}));
}

function onResidency(msg: Extract<ToWebview, { type: 'residency' }>): void {
	body = msg.body;
	index = new RunIndex(body.runs);
	tooltip.hidden = true; // it described a cell of the old picture
	saveView({ ...msg.view, process: body.process });
	renderProcesses(msg.processes, body.process);
	resetButton.disabled = view.start === undefined && view.end === undefined;
	rangeText.textContent = `${hex(body.start)}–${hex(body.end - 1)} · ${body.pagesPerCell} page${body.pagesPerCell === 1 ? '' : 's'}/cell · t=${body.time}`;
	statusText.textContent = msg.ended === true ? `${msg.session}: session ended; showing its last stop.` : msg.notice ?? '';
	renderBands();
	render();
}

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
	const msg = event.data;
	if (msg.type === 'residency') {
		onResidency(msg);
	} else if (msg.type === 'status') {
		statusText.textContent = msg.text;
		if (msg.keep !== true) {
			body = undefined;
			index = undefined;
			bands.replaceChildren();
			legendList.replaceChildren();
			canvas.width = 0;
			canvas.style.height = '0px';
			rangeText.textContent = '';
		}
	}
});

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

canvas.addEventListener('mousemove', event => {
	const cell = cellAt(event);
	const text = body !== undefined && index !== undefined && cell >= 0 ? describeCell(body, index, cell) : undefined;
	if (text === undefined) {
		tooltip.hidden = true;
		return;
	}
	tooltip.textContent = text;
	tooltip.hidden = false;
	// Keep the tooltip inside the panel, flipping to the left/top near the edges.
	const x = event.clientX + 14 + tooltip.offsetWidth > window.innerWidth ? event.clientX - 10 - tooltip.offsetWidth : event.clientX + 14;
	const y = event.clientY + 16 + tooltip.offsetHeight > window.innerHeight ? event.clientY - 10 - tooltip.offsetHeight : event.clientY + 16;
	tooltip.style.left = `${Math.max(0, x)}px`;
	tooltip.style.top = `${Math.max(0, y)}px`;
});
canvas.addEventListener('mouseleave', () => {
	tooltip.hidden = true;
});
canvas.addEventListener('click', event => {
	const cell = cellAt(event);
	if (body === undefined || cell < 0) {
		return;
	}
	const [start] = cellRange(body, cell);
	// Clicking where nothing is mapped has no VMA to zoom to.
	if (vmaAt(body.vmas, start) !== undefined) {
		post({ type: 'cellClicked', address: start, view });
	}
});
processSelect.addEventListener('change', () => {
	saveView({ process: processSelect.value, maxCells: wantedCells() });
	post({ type: 'setView', view });
});
resetButton.addEventListener('click', () => {
	saveView({ process: view.process, maxCells: wantedCells() });
	post({ type: 'setView', view });
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
new MutationObserver(() => render()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

saveView({ ...view, maxCells: wantedCells() });
post({ type: 'ready', view });
