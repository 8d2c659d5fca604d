// Servicing one fetched fault batch (uvm_gpu_replayable_faults.c: service_fault_batch) VA block by
// VA block (uvm_va_block_service_locked). policy=migrate follows UVM's HMM path: thrashing hint ->
// residency (advice; what cannot move is mapped in place and accessed over the link) -> prefetch
// hint (prefetch=density) -> uvm_va_block_service_copy (root chunk, migrate_vma_*) -> map.
// policy=mirror maps every page where it is, through hmm_range_fault, as dmirror does, but a
// batch at a time. Every term of the cost model is added to the batch's CostBreakdown.
import { file_vma_page_movable } from '../../mm/file_migration';
import type { Kernel } from '../../kernel';
import type { K } from '../../sim/events';
import { fail } from '../../sim/errors';
import type { Mm } from '../../mm/mm';
import type { Vma } from '../../mm/vma';
import { PTE } from '../../mm/pagetable';
import { PG } from '../../mm/frames';
import { PAGE_SIZE } from '../../mm/content';
import type { Device } from '../device';
import { type CostBreakdown, DeviceCostModel, emptyBreakdown, totalNs } from '../cost';
import { ACCESS, type FaultBatch } from './fault_buffer';
import { blockPages, causeCode, pageKey, pagesResidentNowhere, residentOn, uvm_block_migrate_to_ram, uvmMirror } from './migrate';
import type { BatchRecord, BlockDecision, UvmSpace } from './space';
import { uvm_perf_prefetch_get_hint } from './perf_prefetch';
import { VA_BLOCK_PAGES } from './types';
import { DUP_PREFETCH, uvm_service_collapse, uvm_service_read_duplicate } from './service_read_mostly';
import { uvm_map_accessed_by } from './accessed_by';
import { peerOwner, preferredPeer, uvm_map_peer } from './peer';
import { make_resident_cpu, mapRuns, uvm_va_block_service_copy } from './service_copy';

/** uvm_perf_prefetch_threshold */
const PREFETCH_THRESHOLD = 51;
/** pages of a batch kept in its record for the debugger */
const RECORDED_PAGES = 64;

/** Per page of one VA block: access wanted in place, cause code to migrate, access faulted, read
 * duplication wanted (read-mostly reads), copies to collapse first (read-mostly writes). */
interface BlockMasks { remote: Uint8Array; move: Uint8Array; access: Uint8Array; dup: Uint8Array; collapse: Uint8Array; peer: Uint8Array; toPref: Uint8Array }

/** migrated and prefetched count pages that moved here or got a copy by prefetch; prefetchedCopies
 * is the part of prefetched that are read-only copies (read duplication), not migrations */
export interface BatchOutcome { record: BatchRecord; napNs: number; migrated: number; prefetched: number; prefetchedCopies: number; remote: number }

/** uvm_parent_gpu_service_replayable_faults for one batch: service, charge, record. */
export function* uvm_parent_gpu_service_replayable_faults(k: Kernel, dev: Device, mm: Mm, space: UvmSpace, batch: FaultBatch): K<BatchOutcome> {
	const u = dev.uvm;
	const addr = batch.npages > 0 ? batch.vpn[0] * PAGE_SIZE : 0;
	yield* k.enter('uvm_parent_gpu_service_replayable_faults', { addr, npages: batch.npages, device: dev.name, process: mm.name });
	try {
		if (k.wants('fault-batch')) {
			yield { kind: 'fault-batch', addr, npages: batch.npages, device: dev.name, process: mm.name, fn: 'uvm_parent_gpu_service_replayable_faults', detail: String(batch.entries) };
		}
		const acc = emptyBreakdown();
		acc.service += costsOf(dev).batch(batch.entries);
		const out: BatchOutcome = {
			record: {
				seq: u ? ++u.batches : dev.stats.fault_batches + 1, entries: batch.entries, npages: batch.npages, blocks: [], cost: acc, timeNs: 0,
				pages: Array.from({ length: Math.min(RECORDED_PAGES, batch.npages) }, (_, i) => ({ vpn: batch.vpn[i], access: batch.access[i], entries: batch.dup[i] })),
			},
			napNs: 0, migrated: 0, prefetched: 0, prefetchedCopies: 0, remote: 0,
		};
		yield* service_fault_batch(k, dev, mm, space, batch, acc, out);
		dev.stats.faults += batch.npages;
		dev.stats.fault_batches++;
		out.record.timeNs = totalNs(acc);
		k.advance(out.record.timeNs + out.napNs);
		if (u) {
			u.last = out.record;
			dev.stats.throttled = u.tracker.throttled;
			dev.stats.thrash_pins = u.tracker.pins;
		}
		return out;
	} finally {
		k.leave();
	}
}

export function costsOf(dev: Device): DeviceCostModel {
	return dev.uvm?.costs ?? mirrorCosts(dev);
}

const mirrorModels = new WeakMap<Device, DeviceCostModel>();
/** A policy=mirror device has no UVM state; its cost model is built from its configuration. */
export function mirrorCosts(dev: Device): DeviceCostModel {
	let c = mirrorModels.get(dev);
	if (!c) { c = new DeviceCostModel(dev.cfg); mirrorModels.set(dev, c); }
	return c;
}

function* service_fault_batch(k: Kernel, dev: Device, mm: Mm, space: UvmSpace, batch: FaultBatch, acc: CostBreakdown, out: BatchOutcome): K {
	yield* k.enter('service_fault_batch', { addr: batch.npages > 0 ? batch.vpn[0] * PAGE_SIZE : 0, npages: batch.npages, device: dev.name, process: mm.name });
	try {
		const masks: BlockMasks = {
			remote: new Uint8Array(VA_BLOCK_PAGES), move: new Uint8Array(VA_BLOCK_PAGES), access: new Uint8Array(VA_BLOCK_PAGES),
			dup: new Uint8Array(VA_BLOCK_PAGES), collapse: new Uint8Array(VA_BLOCK_PAGES), peer: new Uint8Array(VA_BLOCK_PAGES),
			toPref: new Uint8Array(VA_BLOCK_PAGES),
		};
		for (let i = 0; i < batch.npages;) {
			const block = Math.floor(batch.vpn[i] / VA_BLOCK_PAGES);
			let j = i;
			while (j < batch.npages && Math.floor(batch.vpn[j] / VA_BLOCK_PAGES) === block) { j++; }
			yield* k.tick(batch.vpn[i] * PAGE_SIZE);
			masks.remote.fill(0);
			masks.move.fill(0);
			masks.access.fill(0);
			masks.dup.fill(0);
			masks.collapse.fill(0);
			masks.peer.fill(0);
			masks.toPref.fill(0);
			yield* uvm_va_block_service_locked(k, dev, mm, space, batch, i, j, acc, out, masks);
			i = j;
		}
	} finally {
		k.leave();
	}
}

/** The block's pages of the batch [from, to): access wanted per page of the block. */
function* uvm_va_block_service_locked(k: Kernel, dev: Device, mm: Mm, space: UvmSpace, batch: FaultBatch, from: number, to: number,
	acc: CostBreakdown, out: BatchOutcome, masks: BlockMasks): K {
	const bs = Math.floor(batch.vpn[from] / VA_BLOCK_PAGES) * VA_BLOCK_PAGES;
	yield* k.enter('uvm_va_block_service_locked', { addr: bs * PAGE_SIZE, npages: VA_BLOCK_PAGES, device: dev.name, process: mm.name });
	try {
		const costs = costsOf(dev);
		acc.service += costs.c.blockServiceNs;
		const d: BlockDecision = {
			process: mm.name, blockVpn: bs, faulted: to - from, residency: dev.name, migrated: 0, prefetched: 0, remote: 0, mapped: 0, throttled: 0,
			duplicated: 0, thrashing: 'none', prefetch: [],
		};
		out.record.blocks.push(d);
		const m = uvmMirror(k, dev, mm);
		// per page of the block: access wanted in place (remote), and cause code to migrate
		const { remote, move, access, dup, collapse, peer, toPref } = masks;
		const u = dev.uvm;
		const advice = space.adviceOf(mm.id);
		let anyMove = false, anyRemote = false, anyDup = false, anyCollapse = false;
		/** the peer holding a page mapped over the peer link, if any */
		let anyPeer = '';
		/** the preferred GPU that pages of the block migrate to on this GPU's behalf, if any */
		let anyPref: Device | undefined;
		for (let i = from; i < to; i++) {
			const vpn = batch.vpn[i];
			const a = batch.access[i];
			const o = vpn - bs;
			const vma = mm.vmas.find(vpn);
			if (!vma || !vma.readable) { fail('EFAULT', `device '${dev.name}' faulted on 0x${(vpn * PAGE_SIZE).toString(16)}, which has no readable mapping`); }
			if (a >= ACCESS.WRITE && !vma.writable) { fail('EPERM', `device '${dev.name}' wrote 0x${(vpn * PAGE_SIZE).toString(16)}, mapped ${vma.protString()}`); }
			access[o] = a;
			if (!u) { remote[o] = a; anyRemote = true; continue; }
			const key = pageKey(mm, vpn);
			const adv = advice.get(vpn);
			// the preferred location takes part in the hint (get_hint_for_migration_thrashing pins there
			// when every thrashing processor can map it)
			const hint = u.tracker.uvm_perf_thrashing_get_hint(key, dev.index, k.clock, processorOf(k, adv.preferred));
			if (hint.hint === 'throttle') {
				// the faulting processor naps; the fault is replayed after it
				d.throttled++;
				d.thrashing = 'throttle';
				out.napNs = Math.max(out.napNs, hint.napNs);
				if (k.wants('thrashing')) { yield { kind: 'thrashing', addr: vpn * PAGE_SIZE, npages: 1, device: dev.name, process: mm.name, detail: 'throttle', fn: 'uvm_perf_thrashing_get_hint' }; }
				continue;
			}
			if (hint.hint === 'pin') {
				d.thrashing = 'pin';
				if (k.wants('thrashing')) { yield { kind: 'thrashing', addr: vpn * PAGE_SIZE, npages: 1, device: dev.name, process: mm.name, detail: 'pin', fn: 'uvm_perf_thrashing_get_hint' }; }
				// pinned here (this GPU is the preferred location): served below as rule 4 says. Any other
				// pin is to system memory under HMM, where the CPU and every GPU can map the page
				if (hint.pinTo !== dev.index) {
					if (residentOn(k, dev, mm, vpn)) { yield* uvm_block_migrate_to_ram(k, dev, mm, vma, vpn, vpn + 1, 'thrashing', acc); }
					remote[o] = a; anyRemote = true;
					continue;
				}
			}
			if (residentOn(k, dev, mm, vpn)) { remote[o] = a; anyRemote = true; continue; }
			// block_select_processor_residency, in the driver's order (uvm/advice.ts numbers the rules)
			const canMove = movable(k, mm, vma, vpn);
			if (canMove && adv.readMostly) {
				// 2-3: a read duplicates onto the reader; a write or atomic collapses onto the writer
				if (a === ACCESS.READ) { dup[o] = 1; anyDup = true; continue; }
				if (mm.pt.pte(vpn) & PTE.WP_NOTIFY) { collapse[o] = 1; anyCollapse = true; }
				move[o] = causeCode('device-fault');
				anyMove = true;
				continue;
			}
			// 1 (cannot move), 7 and 10 (preferred location system memory): map in place
			if (!canMove || adv.preferred === 'ram') { remote[o] = a; anyRemote = true; continue; }
			// 8: an accessed-by device maps the page where it is when it can reach it (the CPU's memory)
			if (adv.preferred !== dev.name && adv.accessedBy.includes(dev.name)) {
				if (cpuReachable(mm, vpn)) { remote[o] = a; anyRemote = true; continue; }
				// ... or a peer GPU's memory: mapped over the peer link (block_map_remote), a write only if
				// the page is writable
				const owner = peerOwner(k, dev, mm, vpn);
				if (owner && (a < ACCESS.WRITE || (mm.pt.pte(vpn) & PTE.WRITE))) { peer[o] = a; anyPeer = owner.name; continue; }
			}
			// 7 (resident nowhere) and 10 (elsewhere): the preferred location is another GPU this one
			// reaches over the peer link, so the page goes (or stays) there and this GPU maps it
			// remotely; one such GPU per block (a block has one destination besides the faulter here)
			const pref = adv.preferred !== undefined && adv.preferred !== dev.name ? preferredPeer(k, dev, adv.preferred) : undefined;
			if (pref && (!anyPref || anyPref === pref)) {
				if (!residentOn(k, pref, mm, vpn)) { toPref[o] = causeCode('device-fault'); anyPref = pref; continue; }
				// a write to a page the CPU maps read-only takes the CPU's write fault first (below)
				if (a < ACCESS.WRITE || (mm.pt.pte(vpn) & PTE.WRITE)) { peer[o] = a; anyPeer = pref.name; continue; }
			}
			move[o] = causeCode('device-fault');
			anyMove = true;
		}
		if (anyCollapse && u) { yield* uvm_service_collapse(k, dev, mm, bs, collapse, move, acc, d); }
		anyMove &&= move.some(x => x !== 0);
		// uvm_va_block_get_prefetch_hint: one tree over every page headed for this device, copies
		// included; the pages it adds in a read-duplicate range are duplicated (access type PREFETCH)
		// (the driver prefetches only towards a single destination: uvm_va_block_get_prefetch_hint)
		if ((anyMove || anyDup) && !anyPref && u && dev.cfg.prefetch === 'density') {
			anyDup = (yield* prefetch(k, dev, mm, bs, move, dup, d)) || anyDup;
		}
		if (anyDup && u) {
			out.prefetchedCopies += yield* uvm_service_read_duplicate(k, dev, mm, bs, dup, remote, acc, d);
			for (let o = 0; o < VA_BLOCK_PAGES; o++) { if (remote[o]) { anyRemote = true; break; } }
		}
		if (anyMove && u) {
			yield* make_resident_cpu(k, dev, m, mm, bs, move, access);
			yield* uvm_va_block_service_copy(k, dev, mm, bs, move, remote, access, acc, d);
			for (let o = 0; o < VA_BLOCK_PAGES; o++) { if (remote[o]) { anyRemote = true; break; } }
		}
		if (anyPref && u) {
			// uvm_va_block_service_copy towards the preferred GPU, then uvm_va_block_service_finish maps
			// this GPU on the new residency (block_map_remote): faulted and prefetched pages alike
			if (!anyMove && !anyDup && dev.cfg.prefetch === 'density') { yield* prefetch(k, anyPref, mm, bs, toPref, dup, d); }
			yield* make_resident_cpu(k, anyPref, uvmMirror(k, anyPref, mm), mm, bs, toPref, access);
			yield* uvm_va_block_service_copy(k, anyPref, mm, bs, toPref, remote, access, acc, d);
			for (let o = 0; o < VA_BLOCK_PAGES; o++) {
				if (!toPref[o]) { continue; }
				if (residentOn(k, anyPref, mm, bs + o)) { peer[o] = access[o] || ACCESS.READ; anyPeer = anyPref.name; } else if (remote[o]) { anyRemote = true; }
			}
			d.residency = anyPref.name;
		}
		if (anyPeer) {
			const n = uvm_map_peer(k, dev, m, mm, bs, bs + VA_BLOCK_PAGES, peer);
			acc.map += costs.map(n, 1);
			d.remote += n;
			if (d.migrated === 0 || anyPref) { d.residency = anyPeer; }
		}
		if (anyRemote) {
			yield* k.enter('uvm_va_block_service_finish', { addr: bs * PAGE_SIZE, npages: VA_BLOCK_PAGES, device: dev.name, process: mm.name });
			try {
				const n = yield* mapRuns(k, dev, m, mm, bs, remote);
				acc.map += costs.map(n, 1);
				let own = 0;
				for (let o = 0; o < VA_BLOCK_PAGES; o++) { if (remote[o] && residentOn(k, dev, mm, bs + o)) { own++; } }
				d.mapped += own;
				d.remote += n - own;
				if (u && n - own > 0 && d.migrated === 0) { d.residency = 'ram'; }
				if (!u) { d.residency = 'in place'; }
			} finally {
				k.leave();
			}
		}
		// uvm_va_block_service_finish: accessed-by devices map the pages that changed residency
		if (u && (anyMove || anyDup || anyCollapse || anyPref)) { yield* uvm_map_accessed_by(k, space, mm, bs, bs + VA_BLOCK_PAGES, acc); }
		out.migrated += d.migrated;
		out.prefetched += d.prefetched;
		out.remote += d.remote;
	} finally {
		k.leave();
	}
}

/** A location name as a processor number (-1 system memory, else the device's index). */
function processorOf(k: Kernel, loc: string | undefined): number | undefined {
	if (loc === undefined) { return undefined; }
	if (loc === 'ram') { return -1; }
	const d = k.devices.findIndex(x => x.name === loc);
	return d >= 0 ? d : undefined;
}

/** Is the page where a device can map it without moving it: in the CPU's table (present, or
 * swapped and faulted back in by hmm_range_fault)? */
function cpuReachable(mm: Mm, vpn: number): boolean {
	const t = mm.pt.pte(vpn) & PTE.TYPE_MASK;
	return t === PTE.PRESENT || t === PTE.SWAP;
}

/** Can the page move to device memory? (uvm_hmm_must_use_sysmem: only private anonymous memory;
 * a pinned page stays where its pin holds it) */
export function movable(k: Kernel, mm: Mm, vma: Vma, vpn: number): boolean {
	// experimental=file_migration: a shared file mapping's page already in the page cache and mapped
	if (!vma.isAnonPrivate) { return file_vma_page_movable(k, mm, vma, vpn); }
	const pte = mm.pt.pte(vpn);
	if ((pte & PTE.TYPE_MASK) === PTE.PRESENT) {
		const pfn = mm.pt.pfn(vpn);
		if (k.frames.pincount[pfn >> 12][pfn & 4095] > 0 || (k.frames.flags[pfn >> 12][pfn & 4095] & PG.DAX)) { return false; }
	}
	const t = pte & PTE.TYPE_MASK;
	return t === PTE.NONE || t === PTE.PRESENT || t === PTE.DEVPRIV;
}

/** uvm_perf_prefetch_get_hint over the block, clipped to the faulting VMA and to its policy range
 * (uvm_hmm_get_prefetch_region). Faulted = pages migrating or being duplicated here; resident =
 * pages this device holds or has a copy of. Prefetched pages join the migration with cause
 * 'prefetch', or, where the range is read-mostly, the read duplication (dup = DUP_PREFETCH), as
 * uvm_va_block_service_locked gives them access type PREFETCH. Returns whether any page joined
 * the duplication. */
function* prefetch(k: Kernel, dev: Device, mm: Mm, bs: number, move: Uint8Array, dup: Uint8Array, d: BlockDecision): K<boolean> {
	let firstMove = 0;
	while (!move[firstMove] && !dup[firstMove]) { firstMove++; }
	const vma = mm.vmas.find(bs + firstMove)!;
	// the policy range: the run of uniform advice around the first faulted page (runs never
	// have equal neighbours, so one run is the whole range within the block)
	const policy = dev.uvm!.space.adviceOf(mm.id).runs(bs, bs + VA_BLOCK_PAGES).find(r => r.end > bs + firstMove)!;
	const first = Math.max(vma.start, bs, policy.start) - bs, last = Math.min(vma.end, bs + VA_BLOCK_PAGES, policy.end) - bs;
	const m = dev.mirror(mm);
	const resident = new Uint8Array(VA_BLOCK_PAGES);
	const faulted = new Uint8Array(VA_BLOCK_PAGES);
	// uvm_perf_thrashing_get_thrashing_pages: thrashing faults are not grown to their big page
	let thrashing: Uint8Array | undefined;
	const tracker = dev.uvm!.tracker;
	for (let o = first; o < last; o++) {
		if (residentOn(k, dev, mm, bs + o) || m?.isCopy(bs + o)) { resident[o] = 1; }
		if (move[o] || dup[o]) { faulted[o] = 1; }
		if (tracker.isThrashing(pageKey(mm, bs + o), k.clock)) { (thrashing ??= new Uint8Array(VA_BLOCK_PAGES))[o] = 1; }
	}
	// "if this is a first-touch fault and the destination processor is the preferred location,
	// populate the whole region": va_block->resident empty
	const firstTouch = policy.advice.preferred === dev.name && pagesResidentNowhere(mm, bs) === blockPages(mm, bs);
	const hint = uvm_perf_prefetch_get_hint({ resident, faulted, first, last, threshold: PREFETCH_THRESHOLD, ...(thrashing ? { thrashing } : {}), ...(firstTouch ? { firstTouch } : {}) });
	d.prefetch = hint.regions.map(r => ({ ...r }));
	let n = 0, dups = 0;
	const code = causeCode('prefetch');
	for (let o = first; o < last; o++) {
		if (!hint.pages[o] || move[o] || dup[o] || resident[o] || !movable(k, mm, vma, bs + o)) { continue; }
		if (policy.advice.readMostly) { dup[o] = DUP_PREFETCH; dups++; } else { move[o] = code; }
		n++;
	}
	if (n > 0 && k.wants('prefetch')) {
		yield { kind: 'prefetch', addr: bs * PAGE_SIZE, npages: n, device: dev.name, process: mm.name, fn: 'uvm_perf_prefetch_get_hint', detail: hint.regions.map(r => `[${r.first}, ${r.last}) ${r.occupied}/${r.size}`).join(' ') };
	}
	return dups > 0;
}
