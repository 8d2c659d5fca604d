// Canvas drawing of the residency grid. Colors come from CSS custom properties that default to
// VS Code's theme variables (residency.css), so the map follows the user's theme; they are
// re-read on every draw, which is cheap and catches theme switches.

import { type GridLayout, spanRects } from './grid';

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
