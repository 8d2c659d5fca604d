// Canvas drawing of the residency grid. Colors come from CSS custom properties that default to
// VS Code's theme variables (residency.css), so the map follows the user's theme; they are
// re-read on every draw, which is cheap and catches theme switches. Marks and outlines are drawn
// over the cells afterwards, on the same canvas.

import { type GridLayout, spanRects } from './grid';
import { MARK } from './protocol';

/** CSS variable per fixed code (0 none, 1 zero, 2 ram, 3 swap); devices use --hmm-dev0..3. */
const FIXED = ['--hmm-none', '--hmm-zero', '--hmm-ram', '--hmm-swap'];
const DEVICES = ['--hmm-dev0', '--hmm-dev1', '--hmm-dev2', '--hmm-dev3'];

/** Colors by code for this legend; a trailing 'mixed' gets its own variable. */
export function themeColors(legend: readonly string[], root: Element = document.documentElement): string[] {
	const style = getComputedStyle(root);
	const read = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
	return legend.map((label, code) => {
		if (code < FIXED.length) {
			return read(FIXED[code], '#808080');
		}
		if (label === 'mixed' && code === legend.length - 1) {
			return read('--hmm-mixed', '#f14c4c');
		}
		const dev = code - FIXED.length;
		if (dev < DEVICES.length) {
			return read(DEVICES[dev], '#89d185');
		}
		// More devices than named colors: spread the rest around the hue circle.
		return `hsl(${(dev * 137) % 360} 55% 55%)`;
	});
}

/** Colors by code of the layer shown: locations (the CPU view) or, for a device, DEVICE_CODES
 * (not mapped, resident in the device's color, mapped in place, copy, mixed). */
export function layerColors(b: { legend: readonly string[] }, layer: string): string[] {
	const loc = themeColors(b.legend);
	if (layer === 'cpu') { return loc; }
	const style = getComputedStyle(document.documentElement);
	const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
	return [read('--hmm-none', '#454545'), loc[b.legend.indexOf(layer)] ?? '#89d185', read('--hmm-remote', '#bc3fbc'), read('--hmm-copy', '#29b8db'), read('--hmm-mixed', '#f14c4c')];
}

/** Draws the runs: at most three fillRects per run, then gutters, so cost grows with runs and
 * rows/cols, never with pages. */
export function drawGrid(canvas: HTMLCanvasElement, runs: readonly number[], cells: number, layout: GridLayout,
	colors: readonly string[], background: string): void {
	const dpr = window.devicePixelRatio || 1;
	const cssW = layout.cols * layout.cell;
	const cssH = layout.rows * layout.cell;
	canvas.style.width = `${cssW}px`;
	canvas.style.height = `${cssH}px`;
	canvas.width = Math.max(1, Math.round(cssW * dpr));
	canvas.height = Math.max(1, Math.round(cssH * dpr));
	const ctx = canvas.getContext('2d', { alpha: false });
	if (ctx === null) {
		return;
	}
	ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
	ctx.fillStyle = background;
	ctx.fillRect(0, 0, cssW, cssH);
	const px = layout.cell;
	let first = 0;
	for (let k = 0; k + 1 < runs.length; k += 2) {
		const count = Math.min(runs[k + 1], cells - first);
		ctx.fillStyle = colors[runs[k]] ?? '#ff00ff';
		for (const [c, r, w, h] of spanRects(first, count, layout.cols)) {
			ctx.fillRect(c * px, r * px, w * px, h * px);
		}
		first += Math.max(0, count);
	}
	if (layout.gap) {
		ctx.fillStyle = background;
		for (let c = 1; c <= layout.cols; c++) {
			ctx.fillRect(c * px - 1, 0, 1, cssH);
		}
		for (let r = 1; r <= layout.rows; r++) {
			ctx.fillRect(0, r * px - 1, cssW, 1);
		}
	}
}

/** Colors of the marks glyphs and outlines, from the theme. */
export interface MarkColors { mark: string; changed: string; selection: string }

export function markColors(root: Element = document.documentElement): MarkColors {
	const style = getComputedStyle(root);
	const read = (name: string, fallback: string): string => style.getPropertyValue(name).trim() || fallback;
	return { mark: read('--hmm-mark', '#ffffff'), changed: read('--hmm-changed', '#cca700'), selection: read('--hmm-selection', 'rgba(0,127,212,0.35)') };
}

/** The drawing context of a grid drawGrid drew, in CSS pixels. */
function context(canvas: HTMLCanvasElement): CanvasRenderingContext2D | null {
	const ctx = canvas.getContext('2d', { alpha: false });
	const dpr = window.devicePixelRatio || 1;
	ctx?.setTransform(dpr, 0, 0, dpr, 0, 0);
	return ctx;
}

/** Glyphs for marks over the grid: mapped in place (top-right triangle), read-only (top-left),
 * exclusive/atomic (bottom-right), pinned (bottom-left), file data on a device not written back (centre). Cells under 6 px get a strip along their
 * top edge instead, so a device mapping pages still shows at 4M pages. */
export function drawMarks(canvas: HTMLCanvasElement, layout: GridLayout, runs: readonly number[], glyph: (bits: number) => number, colors: MarkColors): void {
	const ctx = context(canvas);
	if (ctx === null) { return; }
	const px = layout.cell;
	ctx.fillStyle = colors.mark;
	let cell = 0;
	for (let k = 0; k + 1 < runs.length; k += 2) {
		const bits = glyph(runs[k]);
		const count = runs[k + 1];
		if (bits !== 0) {
			if (px < 6) {
				const strip = Math.max(1, Math.floor(px / 2));
				for (const [c, r, w, h] of spanRects(cell, count, layout.cols)) {
					for (let row = r; row < r + h; row++) { ctx.fillRect(c * px, row * px, w * px, strip); }
				}
			} else {
				const g = Math.max(2, Math.floor(px / 3));
				for (let i = cell; i < cell + count; i++) {
					const x = (i % layout.cols) * px;
					const y = Math.floor(i / layout.cols) * px;
					if (bits & (MARK.REMOTE | MARK.COPY)) {
						ctx.beginPath();
						ctx.moveTo(x + px - 1 - g - 1, y);
						ctx.lineTo(x + px - 1, y);
						ctx.lineTo(x + px - 1, y + g + 1);
						ctx.fill();
					}
					if (bits & MARK.READONLY) { ctx.fillRect(x, y, g, 2); }
					if (bits & MARK.EXCLUSIVE) { ctx.fillRect(x + px - 1 - g, y + px - 1 - g, g, g); }
					if (bits & MARK.PINNED) { ctx.fillRect(x, y + px - 1 - g, g, g); }
					if (bits & MARK.UNPERSISTED) { ctx.fillRect(x + Math.floor((px - g) / 2), y + Math.floor((px - g) / 2), g, g); }
				}
			}
		}
		cell += count;
	}
}

/** Outlines the cells flagged in (0|1, cells) runs: what changed since the previous stop. */
export function drawChanged(canvas: HTMLCanvasElement, layout: GridLayout, runs: readonly number[], colors: MarkColors): void {
	const ctx = context(canvas);
	if (ctx === null) { return; }
	const px = layout.cell;
	ctx.strokeStyle = colors.changed;
	ctx.lineWidth = px >= 6 ? 2 : 1;
	const inset = ctx.lineWidth / 2;
	let cell = 0;
	for (let k = 0; k + 1 < runs.length; k += 2) {
		if (runs[k] !== 0) {
			for (const [c, r, w, h] of spanRects(cell, runs[k + 1], layout.cols)) {
				ctx.strokeRect(c * px + inset, r * px + inset, w * px - (layout.gap ? 1 : 0) - 2 * inset, h * px - (layout.gap ? 1 : 0) - 2 * inset);
			}
		}
		cell += runs[k + 1];
	}
}
