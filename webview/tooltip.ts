// The residency panel's tooltip text and placement: what the page knows of a cell at once, and
// the adapter's details (`residencyPage`) appended when they arrive.
import { hex } from './grid';
import type { PageDetail } from './protocol';

/** Puts a floating element next to the mouse, inside the panel, flipping near the edges. */
export function place(el: HTMLElement, x: number, y: number): void {
	// Keep it inside the panel, flipping to the left/top near the edges.
	const left = x + 14 + el.offsetWidth > window.innerWidth ? x - 10 - el.offsetWidth : x + 14;
	const top = y + 16 + el.offsetHeight > window.innerHeight ? y - 10 - el.offsetHeight : y + 16;
	el.style.left = `${Math.max(0, left)}px`;
	el.style.top = `${Math.max(0, top)}px`;
}

/** The bits (or code) of a cell in (value, cells) runs; 0 past the end. */
export function cellBits(runs: readonly number[], cell: number): number {
	let at = 0;
	for (let k = 0; k + 1 < runs.length; k += 2) {
		if (cell < at + runs[k + 1]) { return runs[k]; }
		at += runs[k + 1];
	}
	return 0;
}

/** The adapter's details: the cell's first page, and the cell's breakdown when it holds several. */
export function detailText(d: PageDetail): string {
	const lines = [`page #${d.vpn.toLocaleString('en-US')} at ${hex(d.address)}: ${d.location}`,
		`PTE ${d.pte.type}${d.pte.flags.length ? ' ' + d.pte.flags.join(' ') : ''}${d.pte.pfn >= 0 ? ` pfn ${hex(d.pte.pfn)}` : ''}`];
	if (d.refcount !== undefined) { lines.push(`refcount ${d.refcount}, mapcount ${d.mapcount}, pincount ${d.pincount}`); }
	lines.push(d.mappedBy.length ? `mapped by ${d.mappedBy.map(m => `${m.device} (${m.perm}, ${m.how})`).join(', ')}` : 'mapped by no device');
	const parts = Object.entries(d.breakdown);
	if (d.pages > 1 && parts.length > 1) { lines.push(`cell: ${parts.map(([loc, n]) => `${loc} ${n.toLocaleString('en-US')}`).join(', ')}`); }
	return lines.join('\n');
}
