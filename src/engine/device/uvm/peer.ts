// Peer mappings: one GPU mapping pages resident in another GPU's memory (uvm_va_block_add_mappings
// -> block_map_remote / map_remote: the PTE's aperture is the peer's memory). UVM owns both GPUs'
// page tables, so a device-private page of one policy=migrate device can be mapped by another
// without moving; the CPU cannot map it, and hmm_range_fault would migrate it home, so these
// mappings are made by the driver directly. Accessed-by advice asks for them (after a migration,
// when the advice is set, and on the accessed-by GPU's own fault). Accesses through them cross
// the peer link, charged at `peer_bw` (DeviceCostModel.peer) and counted in DEV.peer_bytes.
// Coherence is the notifier's: when the owner migrates or evicts the page, migrate_vma_setup's
// MIGRATE invalidation names the owner, so every other mirror drops its entry.
import type { Kernel } from '../../kernel';
import type { Mm } from '../../mm/mm';
import { PTE, PTRS_PER_PMD } from '../../mm/pagetable';
import type { Device } from '../device';
import type { Mirror } from '../mirror';
import { ACCESS } from './fault_buffer';

/** Peer access between two GPUs (enable_peers, uvm_va_space.c, sets accessible_from both ways):
 * two policy=migrate devices with device-private memory, neither declared `peer=off` (GPUs the
 * platform cannot connect peer to peer, e.g. behind different PCIe root complexes). */
export function peerAccess(a: Device, b: Device): boolean {
	return a !== b && a.uvm !== undefined && b.uvm !== undefined && !a.coherent && !b.coherent && a.cfg.peer !== 'off' && b.cfg.peer !== 'off';
}

/** The range's preferred location `name` when it is another GPU that dev reaches over the peer link
 * (block_select_processor_residency: accessible_from[preferred] holds the faulting GPU). */
export function preferredPeer(k: Kernel, dev: Device, name: string): Device | undefined {
	const p = k.devices.find(d => d.name === name);
	return p && peerAccess(dev, p) ? p : undefined;
}

/** The policy=migrate device (not `dev`) whose device-private page backs vpn, if dev can map it
 * over the peer link; undefined for RAM, swap, coherent memory, dmirror devices and GPUs without
 * peer access to dev. */
export function peerOwner(k: Kernel, dev: Device, mm: Mm, vpn: number): Device | undefined {
	const pte = mm.pt.pte(vpn);
	if ((pte & PTE.TYPE_MASK) !== PTE.DEVPRIV || !dev.uvm) { return undefined; }
	const owner = k.devices[k.frames.owner[(mm.pt.pfn(vpn)) >> 12][(mm.pt.pfn(vpn)) & 4095]];
	return owner && peerAccess(dev, owner) ? owner : undefined;
}

/** block_map_remote on `dev` for the pages of [lo, hi) whose `want` is set (an ACCESS) and that a
 * peer holds: the entry maps the peer's page, writable if the CPU's device-private entry is and
 * the access or the caller asks for it. Returns the pages mapped; the caller charges `map`. */
export function uvm_map_peer(k: Kernel, dev: Device, m: Mirror, mm: Mm, lo: number, hi: number, want: Uint8Array): number {
	let n = 0;
	for (let vpn = lo; vpn < hi; vpn++) {
		const a = want[vpn - lo];
		if (!a || !peerOwner(k, dev, mm, vpn)) { continue; }
		const pte = mm.pt.pte(vpn);
		if (a >= ACCESS.WRITE && !(pte & PTE.WRITE)) { continue; }
		m.map(vpn, mm.pt.pfn(vpn), (pte & PTE.WRITE) !== 0);
		n++;
	}
	return n;
}

/** Pages of [lo, hi) that a peer holds and dev has no entry for (accessed-by mappings to add). */
export function peerUnmapped(k: Kernel, dev: Device, m: Mirror, mm: Mm, lo: number, hi: number): Uint8Array | undefined {
	let want: Uint8Array | undefined;
	for (let vpn = lo; vpn < hi; vpn++) {
		const leaf = mm.pt.leaf(vpn);
		if (!leaf) { vpn += PTRS_PER_PMD - 1 - (vpn & (PTRS_PER_PMD - 1)); continue; }
		if ((leaf.pte[vpn & (PTRS_PER_PMD - 1)] & PTE.TYPE_MASK) !== PTE.DEVPRIV || m.pt.pte(vpn) !== 0) { continue; }
		if (!peerOwner(k, dev, mm, vpn)) { continue; }
		want ??= new Uint8Array(hi - lo);
		want[vpn - lo] = ACCESS.READ;
	}
	return want;
}
