// Accessed-by mappings (cudaMemAdviseSetAccessedBy). A processor in a range's accessed-by set keeps
// a mapping of each page wherever the page lives, as far as it can map that memory: the driver adds
// the mappings when the advice is set (uvm_va_block_set_accessed_by) and again after every
// migration (uvm_va_block_add_mappings_after_migration, from uvm_va_block_service_finish and the
// eviction and CPU-fault paths), so the processor reaches the page without faulting. Under HMM on
// PCIe a device maps system memory, and coherent device memory the CPU maps, through
// hmm_range_fault; a page in another policy=migrate GPU's memory it maps over the peer link
// (peer.ts); a page in a dmirror device's memory is left unmapped until it comes back.
import type { Kernel } from '../../kernel';
import type { K } from '../../sim/events';
import type { Mm } from '../../mm/mm';
import { PTE, PTRS_PER_PMD } from '../../mm/pagetable';
import type { Device } from '../device';
import type { CostBreakdown } from '../cost';
import { ACCESS } from './fault_buffer';
import { uvm_hmm_map_in_place } from './remote';
import { uvmMirror } from './migrate';
import { peerUnmapped, uvm_map_peer } from './peer';
import type { UvmSpace } from './space';

/** Maps the CPU-present pages of [start, end) of mm on every device of their accessed-by set that
 * has no entry for them yet; returns the mappings added. A mapping costs the mapping device's
 * `map` term, charged to `acc` when given. Nothing is faulted: pages that are not present in the
 * CPU's table (swapped, device-private, never touched) are left for a later fault. */
export function* uvm_map_accessed_by(k: Kernel, space: UvmSpace, mm: Mm, start: number, end: number, acc?: CostBreakdown): K<number> {
	const tree = space.advice.get(mm.id);
	if (!tree || tree.size === 0 || !mm.alive) { return 0; }
	let added = 0;
	for (const run of tree.runs(start, end)) {
		for (const name of run.advice.accessedBy) {
			const dev = k.devices.find(d => d.name === name);
			if (!dev) { continue; }
			added += yield* mapOn(k, dev, mm, run.start, run.end, acc);
		}
	}
	return added;
}

/** The pages of [start, end) dev may map and does not yet, mapped one VMA run at a time. */
function* mapOn(k: Kernel, dev: Device, mm: Mm, start: number, end: number, acc?: CostBreakdown): K<number> {
	const m = dev.uvm ? uvmMirror(k, dev, mm) : dev.mirror(mm);
	if (!m) { return 0; }
	let added = 0;
	for (const vma of mm.vmas.overlapping(start, end)) {
		const lo = Math.max(start, vma.start), hi = Math.min(end, vma.end);
		let want: Uint8Array | undefined;
		for (let vpn = lo; vpn < hi; vpn++) {
			const leaf = mm.pt.leaf(vpn);
			if (!leaf) { vpn += PTRS_PER_PMD - 1 - (vpn & (PTRS_PER_PMD - 1)); continue; }
			const i = vpn & (PTRS_PER_PMD - 1);
			if ((leaf.pte[i] & PTE.TYPE_MASK) !== PTE.PRESENT || m.pt.pte(vpn) !== 0) { continue; }
			want ??= new Uint8Array(hi - lo);
			want[vpn - lo] = ACCESS.READ;
		}
		// pages a peer GPU holds: mapped over the peer link (block_map_remote), not faulted home
		const peer = dev.uvm ? peerUnmapped(k, dev, m, mm, lo, hi) : undefined;
		if (peer) {
			const n = uvm_map_peer(k, dev, m, mm, lo, hi, peer);
			added += n;
			if (acc && n > 0) { acc.map += dev.uvm!.costs.map(n, 1); }
		}
		if (!want) { continue; }
		for (let o = 0; o < want.length;) {
			if (!want[o]) { o++; continue; }
			let e = o;
			while (e < want.length && want[e]) { e++; }
			const n = yield* uvm_hmm_map_in_place(k, dev, m, lo + o, lo + e, want.subarray(o, e));
			added += n;
			if (acc && n > 0 && dev.uvm) { acc.map += dev.uvm.costs.map(n, 1); }
			o = e;
		}
	}
	return added;
}
