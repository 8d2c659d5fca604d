// The DOM parts of the residency panel around the canvas: legend with exact page counts (for the
// CPU view or a device's), marks key, change count, device memory gauges, the VMA bands and the
// process and layer pickers. Each function rebuilds its element from a response.
import { hex, legendCounts, vmaLabel, type GridLayout } from './grid';
import { DEVICE_CODES, deviceCounts } from './layers';
import { PAGE_SIZE, type DeviceGauge, type ProcessInfo, type ResidencyBody, type ResidencyView } from './protocol';

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
	const e = document.createElement(tag);
	if (cls !== undefined) { e.className = cls; }
	if (text !== undefined) { e.textContent = text; }
	return e;
};

const fmt = (n: number): string => n.toLocaleString('en-US');

function legendItem(code: number, label: string, color: string, pages: number | undefined): HTMLLIElement {
	const li = el('li');
	li.dataset.code = String(code);
	li.dataset.location = label;
	const swatch = el('span', 'swatch');
	swatch.style.background = color;
	li.append(swatch, el('span', 'label', label));
	if (pages !== undefined) {
		li.dataset.pages = String(pages);
		li.append(el('span', 'count', fmt(pages)));
	}
	return li;
}

/** Legend of the CPU view: every location with its exact page count ('mixed' counts cells). */
export function renderLegend(list: HTMLElement, body: ResidencyBody, colors: string[], mixedCells: number): void {
	const counts = legendCounts(body);
	const exact = body.counts !== undefined;
	const approx = !exact && body.pagesPerCell > 1 ? '≈' : '';
	list.replaceChildren(...body.legend.map((label, code) => {
		const mixed = exact && label === 'mixed' && code === body.legend.length - 1;
		const li = legendItem(code, label, colors[code], mixed ? undefined : counts[code]);
		if (mixed) {
			li.dataset.cells = String(mixedCells);
			li.append(el('span', 'count', `${fmt(mixedCells)} cell${mixedCells === 1 ? '' : 's'}`));
			li.title = 'cells holding pages of several locations: hover one for its breakdown';
		} else if (approx) {
			li.querySelector('.count')!.textContent = `${approx}${fmt(counts[code])}`;
		}
		return li;
	}));
}

/** Legend of a device's view: what its page table maps, pages by kind. */
export function renderDeviceLegend(list: HTMLElement, body: ResidencyBody, device: string, colors: string[]): void {
	const layer = body.devices?.find(d => d.device === device);
	const counts = layer ? deviceCounts(layer) : [];
	list.replaceChildren(...DEVICE_CODES.map((label, code) => legendItem(code, label, colors[code], counts[code] !== undefined && counts[code] >= 0 ? counts[code] : undefined)));
	if (layer) {
		list.append(el('li', 'note', `${fmt(layer.pages.readonly)} read-only, ${fmt(layer.pages.atomic)} atomic`));
	}
}

/** Key of the glyphs and the outline, and how many pages changed since the previous stop. */
export function renderKey(key: HTMLElement, body: ResidencyBody, cpu: boolean): void {
	const items: HTMLElement[] = [];
	const glyph = (cls: string, text: string) => { const s = el('span', 'key'); s.append(el('i', `glyph ${cls}`), text); items.push(s); };
	if (cpu) { glyph('g-remote', 'mapped in place by a device'); }
	glyph('g-ro', 'read-only');
	glyph('g-excl', cpu ? 'device-exclusive' : 'atomic');
	if (cpu) { glyph('g-pin', 'pinned'); }
	const changed = el('span', 'key changed-count');
	changed.append(el('i', 'glyph g-changed'));
	if (body.changed !== undefined) {
		changed.append(`${fmt(body.changed.pages)} page${body.changed.pages === 1 ? '' : 's'} changed location since the last stop`);
		changed.dataset.pages = String(body.changed.pages);
	} else {
		changed.append('changes since the last stop show from the next stop');
	}
	items.push(changed);
	key.replaceChildren(...items);
}

/** One bar per device: pages used of its capacity, and root chunks in use for policy=migrate. */
export function renderGauges(box: HTMLElement, gauges: readonly DeviceGauge[], colors: (name: string) => string): void {
	box.replaceChildren(...gauges.map(g => {
		const row = el('div', 'gauge');
		row.dataset.device = g.name;
		const bar = el('div', 'bar');
		const fill = el('div', 'fill');
		const used = g.capacityPages > 0 ? g.usedPages / g.capacityPages : 0;
		fill.style.width = `${Math.min(100, used * 100)}%`;
		fill.style.background = colors(g.name);
		bar.append(fill);
		bar.setAttribute('role', 'meter');
		bar.setAttribute('aria-valuenow', String(g.usedPages));
		bar.setAttribute('aria-valuemax', String(g.capacityPages));
		bar.setAttribute('aria-label', `${g.name} memory`);
		const chunks = g.chunks ? ` · root chunks ${g.chunks.used}/${g.chunks.total}` : '';
		const text = el('span', 'gauge-text', `${fmt(g.usedPages)} / ${fmt(g.capacityPages)} pages (${(used * 100).toFixed(1)}%)${chunks}`);
		row.append(el('span', 'gauge-name', g.name), bar, text);
		if (g.chunks && g.chunks.total > 0) {
			// one tick per root chunk: occupied chunks filled
			const ticks = el('div', 'chunks');
			for (let i = 0; i < Math.min(g.chunks.total, 256); i++) { ticks.append(el('span', i < g.chunks.used ? 'chunk used' : 'chunk')); }
			row.append(ticks);
		}
		return row;
	}));
}

export function renderBands(bands: HTMLElement, body: ResidencyBody, view: ResidencyView, onClick: (address: number) => void): void {
	const span = Math.max(1, body.end - body.start);
	bands.replaceChildren(...body.vmas
		.filter(v => v.end > body.start && v.start < body.end)
		.map(v => {
			const band = el('div', 'band', `${vmaLabel(v)} ${v.prot}`);
			const from = Math.max(v.start, body.start);
			const to = Math.min(v.end, body.end);
			band.style.left = `${((from - body.start) / span) * 100}%`;
			band.style.width = `${((to - from) / span) * 100}%`;
			band.title = `${vmaLabel(v)} ${v.prot}\n${hex(v.start)}–${hex(v.end - 1)}\nclick to zoom`;
			band.dataset.start = String(v.start);
			if (view.start === v.start && view.end === v.end) { band.classList.add('current'); }
			band.addEventListener('click', () => onClick(v.start));
			return band;
		}));
}

export function renderOptions(select: HTMLSelectElement, options: { value: string; label: string }[], selected: string): void {
	select.replaceChildren(...options.map(o => {
		const option = el('option', undefined, o.label);
		option.value = o.value;
		option.selected = o.value === selected;
		return option;
	}));
}

export function processOptions(processes: ProcessInfo[]): { value: string; label: string }[] {
	return processes.map(p => ({ value: p.name, label: `${p.name} (pid ${p.pid})` }));
}

/** Row labels (address and page index) every few rows, column offsets along the top. */
export function renderAxes(axis: HTMLElement, topAxis: HTMLElement, b: ResidencyBody, l: GridLayout): void {
	const every = Math.max(1, Math.ceil(18 / l.cell));
	const rowPages = l.cols * b.pagesPerCell;
	const labels: HTMLElement[] = [];
	for (let r = 0; r < l.rows; r += every) {
		const d = document.createElement('div');
		d.className = 'tick';
		d.style.top = `${r * l.cell}px`;
		d.textContent = `${hex(b.start + r * rowPages * PAGE_SIZE)}  #${(r * rowPages).toLocaleString('en-US')}`;
		labels.push(d);
	}
	axis.replaceChildren(...labels);
	axis.style.height = `${l.rows * l.cell}px`;
	const colEvery = Math.max(1, Math.ceil(90 / l.cell));
	const top: HTMLElement[] = [];
	for (let c = 0; c < l.cols; c += colEvery) {
		const d = document.createElement('div');
		d.className = 'tick';
		d.style.left = `${c * l.cell}px`;
		d.textContent = `+${(c * b.pagesPerCell).toLocaleString('en-US')}`;
		top.push(d);
	}
	topAxis.replaceChildren(...top);
}
