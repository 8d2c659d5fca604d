// The residency map's layers beyond "where is each page": per cell, which marks its pages carry
// in the CPU page table (read-only, device-exclusive, pinned) and, for every device, what that
// device's mirror table maps there (its own memory, memory elsewhere mapped in place, a
// read-duplicated copy, read-only, atomic). Cells are the same equal-sized bins as
// view_location.cells(). Only populated page-table leaves are visited, so an untouched terabyte
// costs nothing; per-cell bits are OR-ed into one Uint8Array and then run-length encoded.
import type { Kernel } from './kernel';
import type { Mm } from './mm/mm';
import { PTE, PTRS_PER_PMD, type PageTable } from './mm/pagetable';
import type { Device } from './device/device';
import { device_file_page_unwritten } from './mm/dax_migration';
import type { DeviceLayerRecord, ResidencyLayers } from './view_types';

/** Bits of a cell's marks. CPU layer: READONLY, EXCLUSIVE, PINNED, and REMOTE when some device
 * maps a page of the cell in place. Device layers: all of them. */
export const MARK = {
	/** the device maps its own memory (the page is resident there) */
	RESIDENT: 1,
	/** the device maps memory that is not its own: RAM or a peer's (mapped in place, remote) */
	REMOTE: 2,
	/** the device maps its read-duplicated copy (uvm_va_block read duplication, PTE.COPY) */
	COPY: 4,
	/** mapped without write access */
	READONLY: 8,
	/** device-exclusive (make_device_exclusive) in the CPU table; atomic access in a mirror */
	EXCLUSIVE: 16,
	/** the frame has a FOLL_PIN pin (pin_user_pages) */
	PINNED: 32,
	/** CPU layer: file data in device memory not yet written back: a dirty page-cache page
	 * (experimental=file_migration) or a DAX copy not persisted (experimental=dax_migration); a
	 * crash now loses it */
	UNPERSISTED: 64,
} as const;

/** Populated leaves of `pt` overlapping pages [start, end), in address order. */
function leafKeys(pt: PageTable, start: number, end: number): number[] {
	const first = Math.floor(start / PTRS_PER_PMD);
	const last = Math.floor((end - 1) / PTRS_PER_PMD);
	if (last - first + 1 <= 4 * pt.leaves.size) {
		const keys: number[] = [];
		for (let key = first; key <= last; key++) { if (pt.leaves.has(key)) { keys.push(key); } }
		return keys;
	}
	return [...pt.leaves.keys()].filter(key => key >= first && key <= last).sort((a, b) => a - b);
}

/** (bits, cells) runs of a per-cell array. */
function encode(bits: Uint8Array): number[] {
	const out: number[] = [];
	for (let i = 0; i < bits.length; i++) {
		const l = out.length;
		if (l > 0 && out[l - 2] === bits[i]) { out[l - 1]++; } else { out.push(bits[i], 1); }
	}
	return out;
}

/** CPU-table marks of the pages of [start, end) OR-ed per cell of `ppc` pages. */
function cpuMarks(k: Kernel, mm: Mm, start: number, end: number, ppc: number, cells: Uint8Array): void {
	const pin = k.frames.pincount;
	const head = k.frames.head;
	for (const key of leafKeys(mm.pt, start, end)) {
		const leaf = mm.pt.leaves.get(key)!;
		const base = key * PTRS_PER_PMD;
		const lo = Math.max(start, base);
		const hi = Math.min(end, base + PTRS_PER_PMD);
		const pte = leaf.pte;
		// four empty entries at a time, as view_location.walk does: sparse leaves are mostly zeroes
		const quad = !leaf.huge && pte.byteOffset % 4 === 0 ? new Uint32Array(pte.buffer, pte.byteOffset, pte.length >> 2) : undefined;
		for (let vpn = lo; vpn < hi; vpn++) {
			const i = vpn - base;
			if (quad && (i & 3) === 0 && vpn + 4 <= hi && quad[i >> 2] === 0) { vpn += 3; continue; }
			const e = pte[leaf.huge ? 0 : i];
			const t = e & PTE.TYPE_MASK;
			if (t === PTE.NONE || t === PTE.SWAP) { continue; }
			let m = 0;
			if (t === PTE.EXCL) { m |= MARK.EXCLUSIVE; }
			if (t === PTE.PRESENT && !(e & PTE.WRITE)) { m |= MARK.READONLY; }
			const pfn = leaf.pfn[leaf.huge ? 0 : i];
			const h = pfn >= 0 ? head[pfn >> 12][pfn & 4095] : -1;
			const hp = h >= 0 ? h : pfn;
			if (pfn >= 0 && pin[hp >> 12][hp & 4095] > 0) { m |= MARK.PINNED; }
			// a device-private page, or one in coherent device memory the CPU maps in place
			if ((t === PTE.DEVPRIV || t === PTE.PRESENT) && pfn >= 0 && device_file_page_unwritten(k, pfn)) { m |= MARK.UNPERSISTED; }
			if (m) { cells[Math.floor((vpn - start) / ppc)] |= m; }
		}
	}
}

/** What device `dev` maps of [start, end), per cell; counts pages by kind into `n`. */
function deviceMarks(k: Kernel, dev: Device, mm: Mm, start: number, end: number, ppc: number, cells: Uint8Array, n: DeviceLayerRecord['pages']): void {
	const m = dev.mirrors.get(mm);
	if (!m) { return; }
	const owner = k.frames.owner;
	for (const key of leafKeys(m.pt, start, end)) {
		const leaf = m.pt.leaves.get(key)!;
		const base = key * PTRS_PER_PMD;
		const lo = Math.max(start, base);
		const hi = Math.min(end, base + PTRS_PER_PMD);
		const pte = leaf.pte;
		const quad = pte.byteOffset % 4 === 0 ? new Uint32Array(pte.buffer, pte.byteOffset, pte.length >> 2) : undefined;
		for (let vpn = lo; vpn < hi; vpn++) {
			const i = vpn - base;
			if (quad && (i & 3) === 0 && vpn + 4 <= hi && quad[i >> 2] === 0) { vpn += 3; continue; }
			const e = pte[i];
			if ((e & PTE.TYPE_MASK) === PTE.NONE) { continue; }
			let bits: number;
			if (e & PTE.COPY) { bits = MARK.COPY; n.copy++; } else if (owner[leaf.pfn[i] >> 12][leaf.pfn[i] & 4095] === dev.index) { bits = MARK.RESIDENT; n.resident++; } else { bits = MARK.REMOTE; n.remote++; }
			// an atomic entry grants write access whatever its WRITE bit says
			if (!(e & (PTE.WRITE | PTE.ATOMIC))) { bits |= MARK.READONLY; n.readonly++; }
			if (e & PTE.ATOMIC) { bits |= MARK.EXCLUSIVE; n.atomic++; }
			cells[Math.floor((vpn - start) / ppc)] |= bits;
		}
	}
}

/** The marks layers over pages [start, end) in cells of `ppc` pages. */
export function layers(k: Kernel, mm: Mm, start: number, end: number, ppc: number): ResidencyLayers {
	const ncells = Math.max(0, Math.ceil((end - start) / Math.max(1, ppc)));
	const cpu = new Uint8Array(ncells);
	if (end > start) { cpuMarks(k, mm, start, end, ppc, cpu); }
	const devices: DeviceLayerRecord[] = [];
	for (const dev of k.devices) {
		if (!dev.mirrors.has(mm)) { continue; }
		const cells = new Uint8Array(ncells);
		const pages = { resident: 0, remote: 0, copy: 0, readonly: 0, atomic: 0 };
		if (end > start) { deviceMarks(k, dev, mm, start, end, ppc, cells, pages); }
		// the CPU layer shows that some device maps memory in place (REMOTE) or a copy of it
		for (let i = 0; i < ncells; i++) { cpu[i] |= cells[i] & (MARK.REMOTE | MARK.COPY); }
		devices.push({ device: dev.name, runs: encode(cells), pages });
	}
	return { cpu: encode(cpu), devices };
}
