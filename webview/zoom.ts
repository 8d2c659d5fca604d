// Zoom history of the residency map: every zoom (a drag over cells, a VMA band, "whole span")
// pushes the view it leaves, so back and forward walk through them like a browser's history.
import type { ResidencyView } from './protocol';

type Range = Pick<ResidencyView, 'start' | 'end'>;

export class ZoomHistory {
	private back: Range[] = [];
	private forward: Range[] = [];

	get canBack(): boolean { return this.back.length > 0; }
	get canForward(): boolean { return this.forward.length > 0; }

	/** Going from `from` to a new range: `from` becomes the way back, the way forward is gone. */
	push(from: Range): void {
		this.back.push({ start: from.start, end: from.end });
		if (this.back.length > 100) { this.back.shift(); }
		this.forward = [];
	}

	/** The range to show going back from `current`, if any. */
	goBack(current: Range): Range | undefined {
		const r = this.back.pop();
		if (r) { this.forward.push({ start: current.start, end: current.end }); }
		return r;
	}

	goForward(current: Range): Range | undefined {
		const r = this.forward.pop();
		if (r) { this.back.push({ start: current.start, end: current.end }); }
		return r;
	}

	clear(): void { this.back = []; this.forward = []; }
}

/** The byte range [start, end) covering cells a..b (either order) of a grid starting at `base`
 * with `bytesPerCell`, clipped to `limit`. */
export function cellSpan(a: number, b: number, base: number, bytesPerCell: number, limit: number): { start: number; end: number } {
	const lo = Math.min(a, b);
	const hi = Math.max(a, b);
	return { start: base + lo * bytesPerCell, end: Math.min(limit, base + (hi + 1) * bytesPerCell) };
}
