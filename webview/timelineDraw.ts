// Paints the timeline strip (layout and hit-testing are in timeline.ts).
import type { TimelineBody } from './protocol';
import { LABEL_WIDTH, LANE_HEIGHT, laneOrder, laneVariable } from './timeline';

/** Draws the strip: labels with totals, bins as bars, a line at the current stop. */
export function drawTimeline(canvas: HTMLCanvasElement, body: TimelineBody, width: number): void {
	const order = laneOrder(body);
	const height = Math.max(LANE_HEIGHT, order.length * LANE_HEIGHT);
	const dpr = window.devicePixelRatio || 1;
	canvas.style.width = `${width}px`;
	canvas.style.height = `${height}px`;
	canvas.width = Math.max(1, Math.round(width * dpr));
	canvas.height = Math.max(1, Math.round(height * dpr));
	const ctx = canvas.getContext('2d');
	if (ctx === null) { return; }
	ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
	const style = getComputedStyle(document.documentElement);
	const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
	const fg = read('--hmm-fg', '#cccccc');
	const plot = Math.max(1, width - LABEL_WIDTH);
	const binW = plot / body.bins;
	ctx.font = `11px ${read('--vscode-font-family', 'sans-serif')}`;
	ctx.textBaseline = 'middle';
	let max = 1;
	for (let j = 2; j < body.cells.length; j += 6) { max = Math.max(max, body.cells[j]); }
	order.forEach((lane, row) => {
		const y = row * LANE_HEIGHT;
		ctx.fillStyle = read('--hmm-none', '#454545');
		ctx.fillRect(LABEL_WIDTH, y + LANE_HEIGHT - 1, plot, 1);
		ctx.fillStyle = fg;
		ctx.fillText(`${body.lanes[lane]} (${(body.totals[lane] ?? 0).toLocaleString('en-US')})`, 2, y + LANE_HEIGHT / 2, LABEL_WIDTH - 6);
	});
	for (let j = 0; j + 5 < body.cells.length + 1; j += 6) {
		const row = order.indexOf(body.cells[j]);
		ctx.fillStyle = read(laneVariable(body.lanes[body.cells[j]]), '#3794ff');
		// brightness by count on a log scale, never invisible
		ctx.globalAlpha = 0.35 + 0.65 * (Math.log1p(body.cells[j + 2]) / Math.log1p(max));
		ctx.fillRect(LABEL_WIDTH + body.cells[j + 1] * binW, row * LANE_HEIGHT + 1, Math.max(2, binW), LANE_HEIGHT - 3);
	}
	ctx.globalAlpha = 1;
	const nowX = LABEL_WIDTH + ((body.now - body.start) / Math.max(1, body.end - body.start)) * plot;
	ctx.fillStyle = read('--hmm-changed', '#cca700');
	ctx.fillRect(Math.min(width - 2, nowX), 0, 2, height);
	canvas.dataset.lanes = String(order.length);
	// for tests and screen readers: the lanes top to bottom, and where the stop marker is
	canvas.dataset.laneNames = order.map(l => body.lanes[l]).join('|');
	canvas.dataset.nowX = (Math.min(width - 2, nowX)).toFixed(1);
	canvas.setAttribute('aria-label', `Timeline of events over simulated time: ${order.map(l => `${body.lanes[l]} ${body.totals[l] ?? 0}`).join(', ')}`);
}
