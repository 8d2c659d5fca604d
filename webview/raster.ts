// The residency grid drawn pixel by pixel, for small cells (under 6 CSS px, which is what 4M
// pages come to): cell colors, mark strips and change outlines are written into one RGBA buffer
// and put on the canvas at once. A canvas call per run (a fillStyle and a fillRect for each of
// 65536 alternating runs) costs hundreds of milliseconds; this costs a few per million pixels.
import type { GridLayout } from './grid';
import type { MarkColors } from './render';

const probe = new Map<string, number>();

/** A CSS color as the little-endian RGBA word ImageData holds, parsed by the browser once. */
export function colorWord(css: string): number {
	let w = probe.get(css);
	if (w === undefined) {
		const c = document.createElement('canvas');
		c.width = c.height = 1;
		const ctx = c.getContext('2d', { willReadFrequently: true })!;
		ctx.fillStyle = css;
		ctx.fillRect(0, 0, 1, 1);
		const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
		w = ((255 << 24) | (b << 16) | (g << 8) | r) >>> 0;
		probe.set(css, w);
	}
	return w;
}

/** Per-cell values of (value, cells) runs, mapped through f. */
function expand<T extends Uint32Array | Uint8Array>(out: T, runs: readonly number[], f: (v: number) => number): T {
	let at = 0;
	for (let k = 0; k + 1 < runs.length && at < out.length; k += 2) {
		const n = Math.min(runs[k + 1], out.length - at);
		if (n > 0) { out.fill(f(runs[k]), at, at + n); }
		at += Math.max(0, n);
	}
	return out;
}

export interface RasterInput {
	runs: readonly number[];
	cells: number;
	colors: readonly string[];
	background: string;
	/** (bits, cells) marks runs and which bits draw a strip */
	marks?: readonly number[];
	glyph: (bits: number) => number;
	/** (0|1, cells) runs of cells to outline */
	changed?: readonly number[];
	markColors: MarkColors;
}

export function rasterGrid(canvas: HTMLCanvasElement, layout: GridLayout, p: RasterInput): void {
	const px = layout.cell;
	const W = layout.cols * px;
	const H = layout.rows * px;
	canvas.style.width = `${W}px`;
	canvas.style.height = `${H}px`;
	const dpr = window.devicePixelRatio || 1;
	canvas.width = Math.max(1, Math.round(W * dpr));
	canvas.height = Math.max(1, Math.round(H * dpr));
	const ctx = canvas.getContext('2d', { alpha: false });
	if (ctx === null || W === 0 || H === 0) { return; }
	const words = p.colors.map(colorWord);
	const magenta = colorWord('#ff00ff');
	const bg = colorWord(p.background);
	const color = expand(new Uint32Array(p.cells), p.runs, c => words[c] ?? magenta);
	const marked = expand(new Uint8Array(p.cells), p.marks ?? [], b => (p.glyph(b) !== 0 ? 1 : 0));
	const changed = expand(new Uint8Array(p.cells), p.changed ?? [], v => (v !== 0 ? 1 : 0));
	const mark = colorWord(p.markColors.mark);
	const chg = colorWord(p.markColors.changed);
	const strip = Math.max(1, Math.floor(px / 2));
	const img = new ImageData(W, H);
	const buf = new Uint32Array(img.data.buffer);
	buf.fill(bg);
	let i = 0;
	for (let r = 0; r < layout.rows; r++) {
		for (let y = 0; y < px; y++) {
			const edgeY = y === 0 || y === px - 1;
			for (let c = 0; c < layout.cols; c++) {
				const cell = r * layout.cols + c;
				if (cell >= p.cells) { i += (layout.cols - c) * px; break; }
				const base = marked[cell] && y < strip ? mark : color[cell];
				if (changed[cell]) {
					buf[i] = chg;
					const inner = edgeY ? chg : base;
					for (let x = 1; x < px - 1; x++) { buf[i + x] = inner; }
					if (px > 1) { buf[i + px - 1] = chg; }
				} else {
					buf.fill(base, i, i + px);
				}
				i += px;
			}
		}
	}
	if (dpr === 1) {
		ctx.putImageData(img, 0, 0);
		return;
	}
	// a high-DPI screen: scale the CSS-pixel image up without smoothing, keeping cells crisp
	const off = document.createElement('canvas');
	off.width = W;
	off.height = H;
	off.getContext('2d')!.putImageData(img, 0, 0);
	ctx.imageSmoothingEnabled = false;
	ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
}
