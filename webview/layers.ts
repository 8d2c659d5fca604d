// The marks layers of the residency map: which layer the grid shows (the CPU's view, where each
// page's data is, or one device's view, what its page table maps), and the glyphs drawn over
// cells for marks. Pure functions over runs, no DOM, so they are unit-tested in Node.
import { MARK, type DeviceLayer, type ResidencyBody } from './protocol';

/** Codes of a device layer's cells, by what the device maps there. */
export const DEVICE_CODES = ['not mapped', 'resident', 'mapped in place', 'read-duplicated copy', 'mixed'] as const;
const KINDS = MARK.RESIDENT | MARK.REMOTE | MARK.COPY;

/** The device-layer code of a cell's MARK bits. */
export function deviceCode(bits: number): number {
	switch (bits & KINDS) {
		case 0: return 0;
		case MARK.RESIDENT: return 1;
		case MARK.REMOTE: return 2;
		case MARK.COPY: return 3;
		default: return 4;
	}
}

/** (code, cells) runs of a device layer, consecutive equal codes merged. */
export function deviceRuns(layer: DeviceLayer): number[] {
	const out: number[] = [];
	for (let k = 0; k + 1 < layer.runs.length; k += 2) {
		const c = deviceCode(layer.runs[k]);
		const l = out.length;
		if (l > 0 && out[l - 2] === c) { out[l - 1] += layer.runs[k + 1]; } else { out.push(c, layer.runs[k + 1]); }
	}
	return out;
}

/** Pages per device-layer code, exact except 'mixed', which the adapter does not split. */
export function deviceCounts(layer: DeviceLayer): number[] {
	const p = layer.pages;
	return [-1, p.resident, p.remote, p.copy, -1];
}

/** Which marks a cell carries, as words for the tooltip. */
export function markWords(bits: number, cpu: boolean): string[] {
	const out: string[] = [];
	if (cpu && bits & (MARK.REMOTE | MARK.COPY)) { out.push('mapped in place by a device'); }
	if (!cpu && bits & MARK.RESIDENT) { out.push('device memory'); }
	if (!cpu && bits & MARK.REMOTE) { out.push('mapped in place'); }
	if (!cpu && bits & MARK.COPY) { out.push('read-duplicated copy'); }
	if (bits & MARK.READONLY) { out.push('read-only'); }
	if (bits & MARK.EXCLUSIVE) { out.push(cpu ? 'device-exclusive' : 'atomic'); }
	if (bits & MARK.PINNED) { out.push('pinned'); }
	if (bits & MARK.UNPERSISTED) { out.push('file data on a device, not written back (dirty page cache, or a DAX copy not persisted)'); }
	return out;
}

/** The marks a layer draws as glyphs: in the CPU view, a device mapping in place is a mark; in a
 * device view it is the cell's color already. */
export function glyphBits(bits: number, cpu: boolean): number {
	return cpu ? bits : bits & ~KINDS;
}

/** The (bits, cells) marks runs of the layer shown: 'cpu' or a device name. */
export function marksOf(body: ResidencyBody, layer: string): number[] {
	if (layer === 'cpu') { return body.marks ?? []; }
	return body.devices?.find(d => d.device === layer)?.runs ?? [];
}
