// Read-duplicated pages (read-mostly advice, device/uvm/read_dup.ts) as the view shows them: the
// CPU keeps the page (where() and the residency runs report that owner), and devices hold
// read-only copies, tagged COPY in their mirror tables. Walks only the mirrors' populated leaves.
import type { Kernel } from './kernel';
import type { Mm } from './mm/mm';
import { PTE } from './mm/pagetable';
import type { Location } from './view_types';

/** Copies per device in [start, end): devices without copies are left out. */
export function copyCounts(k: Kernel, mm: Mm, start: number, end: number): Record<Location, number> {
	const out: Record<Location, number> = {};
	for (const d of k.devices) {
		const m = d.mirrors.get(mm);
		if (!m) { continue; }
		let n = 0;
		m.pt.forEach(start, end, (_v, _p, pte) => { if (pte & PTE.COPY) { n++; } });
		if (n > 0) { out[d.name] = n; }
	}
	return out;
}

/** For the residency map: per cell of `ppc` pages from `start`, 1 if any page of it has a copy on
 * some device; as (0|1, cells) pairs, equal neighbours merged, covering `ncells` cells; undefined
 * when no page has a copy. */
export function copyCells(k: Kernel, mm: Mm, start: number, end: number, ppc: number, ncells: number): number[] | undefined {
	const hit = new Set<number>();
	for (const d of k.devices) {
		d.mirrors.get(mm)?.pt.forEach(start, end, (vpn, _p, pte) => { if (pte & PTE.COPY) { hit.add(Math.floor((vpn - start) / ppc)); } });
	}
	const out: number[] = [];
	if (hit.size === 0) { return undefined; }
	for (let c = 0; c < ncells; c++) {
		const v = hit.has(c) ? 1 : 0;
		const l = out.length;
		if (l > 0 && out[l - 2] === v) { out[l - 1]++; } else { out.push(v, 1); }
	}
	return out;
}
