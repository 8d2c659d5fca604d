// A kernel on a device: W = sms x warps warps execute the body's accesses in rounds, deterministic.
// Each line's range is cut into warp-instructions of 32 int32 words (128 B, one per lane);
// instruction j is issued by warp j % W, and in one round every ready warp runs, for its next j,
// every line of the body in order; warps run in the order their faults reach the buffer, the SMs
// interleaved (arrivalOrder: block_threads per block, blocks dealt to the SMs in turn). A warp
// whose page the device has not mapped with the access
// it needs writes a fault entry (duplicates included) and stalls. When no warp is ready, or the
// buffer holds fault_batch entries, the driver services a batch and replays (BATCH_FLUSH: the
// buffer is flushed and every stalled warp retries). Time: launch + each round's accesses
// (device memory at local_bw, remote mappings over the link, a peer GPU's memory at peer_bw) +
// each batch's service.
import type { Kernel } from '../../kernel';
import type { K, SimEvent } from '../../sim/events';
import { fail } from '../../sim/errors';
import type { Mm } from '../../mm/mm';
import { PTE, PTRS_PER_PMD } from '../../mm/pagetable';
import { PAGE_SIZE } from '../../mm/content';
import { PG } from '../../mm/frames';
import { fillPage } from '../../mm/fill';
import { fillSpan } from '../../mm/access';
import type { Device } from '../device';
import { mirrorOf } from '../dmirror_rw';
import type { Mirror } from '../mirror';
import { ACCESS, FaultBuffer } from './fault_buffer';
import { costsOf, uvm_parent_gpu_service_replayable_faults } from './service';
import { blockKey } from './pmm';
import { uvmMirror } from './migrate';
import { peerAccess } from './peer';
import { checkBlockThreads, type UvmSpace } from './space';
import type { KernelAccess, KernelReport } from './types';

/** words per warp-instruction (one int32 per lane), and instructions per page */
const WARP_BYTES = 128;
const INSTR_PER_PAGE = PAGE_SIZE / WARP_BYTES;
const READY = 0, STALLED = 1, DONE = 2;
/** batches in a row that let no warp finish an instruction before the kernel is declared stuck */
const MAX_IDLE_BATCHES = 10_000;
/** warp-steps between pause points (a few ms of rounds) */
const TICK_WARP_STEPS = 1 << 16;

/** The order in which the warps' accesses, and so their faults, reach the fault buffer in one
 * round. Warp w belongs to thread block floor(w / blockWarps) (the grid's warps in index order);
 * blocks go to the SMs in turn (block b on SM b % sms, as the block scheduler hands them out and as
 * GPGPU-Sim does), so an SM's resident warps are slots 0 .. warpsPerSm - 1, block after block.
 * All SMs run at once: in each issue slot every SM issues one warp, SM after SM, and the GMMU
 * writes their faults in that order, interleaving the SMs in the buffer. */
export function arrivalOrder(W: number, sms: number, warpsPerSm: number, blockWarps: number): Int32Array {
	const order = new Int32Array(W);
	let n = 0;
	for (let s = 0; s < warpsPerSm; s++) {
		for (let sm = 0; sm < sms; sm++) {
			const block = Math.floor(s / blockWarps) * sms + sm;
			const w = block * blockWarps + (s % blockWarps);
			if (w < W) { order[n++] = w; }
		}
	}
	return order;
}

export function* uvm_launch_kernel(k: Kernel, dev: Device, mm: Mm, space: UvmSpace, name: string, lines: KernelAccess[]): K<KernelReport> {
	for (const l of lines) {
		if (!(l.end > l.start)) { fail('EINVAL', 'a kernel access needs a non-empty range'); }
		if (l.kind === 'write' && !l.fill) { fail('EINVAL', 'a kernel write needs a value'); }
	}
	const m: Mirror = dev.uvm ? uvmMirror(k, dev, mm) : mirrorOf(dev, mm);
	const costs = costsOf(dev);
	const report: KernelReport = {
		name, device: dev.name, startNs: k.clock, timeNs: 0, faultEntries: 0, faults: 0, batches: 0, migrated: 0, prefetched: 0, evicted: 0,
		remoteBytes: 0, peerBytes: 0, peerCopyBytes: 0, throttled: 0,
	};
	const evicted0 = dev.stats.evicted;
	const peerCopy0 = dev.stats.peer_copy_bytes;
	const throttled0 = dev.stats.throttled;
	yield* k.enter(`kernel ${name}`, { addr: lines[0]?.start * PAGE_SIZE || 0, npages: 0, device: dev.name, process: mm.name });
	try {
		k.advance(costs.c.launchNs);
		const L = lines.length;
		const start = new Float64Array(L), instrs = new Float64Array(L), acc = new Uint8Array(L);
		let maxInstr = 0;
		lines.forEach((l, i) => {
			start[i] = l.start;
			instrs[i] = (l.end - l.start) * INSTR_PER_PAGE;
			acc[i] = l.kind === 'read' ? ACCESS.READ : l.kind === 'write' ? ACCESS.WRITE : ACCESS.ATOMIC;
			maxInstr = Math.max(maxInstr, instrs[i]);
		});
		const W = Math.min(dev.cfg.sms * dev.cfg.warps, maxInstr);
		const state = new Uint8Array(W), wl = new Uint16Array(W), wj = new Float64Array(W);
		// the stalled warps, so a replay touches only them
		const stalled = new Int32Array(W);
		let nStalled = 0;
		for (let w = 0; w < W; w++) { wj[w] = w; }
		const blockWarps = checkBlockThreads(dev.cfg);
		const order = arrivalOrder(W, dev.cfg.sms, dev.cfg.warps, blockWarps);
		const buffer = dev.uvm?.buffer ?? new FaultBuffer(Math.max(dev.cfg.faultBatch, 1024));
		buffer.reserve(W);
		const batchMax = dev.cfg.faultBatch;
		const f = k.frames;
		const lru = dev.uvm !== undefined && dev.cfg.evict === 'lru';
		let live = W, ready = W, idle = 0;
		// Issue events (stepping access by access, data breakpoints): one per access, raised when
		// a warp first issues it, hit or fault. A debugger changes what it watches only while the
		// run is suspended at a yield, so `watch` is read again after each one.
		const issued = new Uint8Array(L);
		let watch = k.wants('access');
		const issue = (w: number, l: number, vpn: number, fault: boolean, local: boolean): SimEvent => {
			const a = lines[l];
			const detail = fault ? `${a.kind} faults: fault buffer ${buffer.count}/${batchMax} entries` : `${a.kind} hits ${local ? 'device memory' : 'a remote mapping'}`;
			return { kind: 'access', addr: a.start * PAGE_SIZE, npages: a.end - a.start, device: dev.name, process: mm.name, write: a.kind !== 'read',
				fn: `kernel ${name}`, detail, warp: w, sm: Math.floor(w / blockWarps) % dev.cfg.sms, page: vpn * PAGE_SIZE, line: a.line };
		};
		// peer GPUs whose device-private memory this device may map (uvm/peer.ts): their cost models
		const peers = k.devices.map(d => peerAccess(dev, d) ? d.uvm!.costs : undefined);
		const anyPeer = peers.some(p => p !== undefined);
		const peerBytes = new Float64Array(peers.length);
		// access time is summed exactly and the clock follows it in whole ns
		let accessNs = 0, charged = 0;

		const service = function* (): K {
			const batch = buffer.fetch(batchMax);
			const out = yield* uvm_parent_gpu_service_replayable_faults(k, dev, mm, space, batch);
			report.faultEntries += batch.entries;
			report.faults += batch.npages;
			report.batches++;
			report.migrated += out.migrated + out.prefetched - out.prefetchedCopies;
			report.prefetched += out.prefetched;
			// BATCH_FLUSH replay: what is left in the buffer is dropped, every stalled warp retries
			buffer.flush();
			for (let s = 0; s < nStalled; s++) { state[stalled[s]] = READY; }
			ready += nStalled;
			nStalled = 0;
			if (++idle > MAX_IDLE_BATCHES) { fail('EBUSY', `kernel '${name}' made no progress in ${MAX_IDLE_BATCHES} fault batches`); }
		};

		// warp-steps since the last pause point: rounds with nothing to fault offer one too
		let sinceTick = 0;
		while (live > 0) {
			if ((sinceTick += W) >= TICK_WARP_STEPS) { sinceTick = 0; yield* k.tick(0); }
			let local = 0, remote = 0;
			for (let wi = 0; wi < W; wi++) {
				const w = order[wi];
				if (state[w] !== READY) { continue; }
				const j = wj[w];
				const page = Math.floor(j / INSTR_PER_PAGE);
				let l = wl[w];
				for (; l < L; l++) {
					if (j >= instrs[l]) { continue; }
					const vpn = start[l] + page;
					const leaf = m.pt.leaf(vpn);
					const i = vpn & (PTRS_PER_PMD - 1);
					const pte = leaf ? leaf.pte[i] : 0;
					if (pte === 0 || (acc[l] >= ACCESS.WRITE && !(pte & PTE.WRITE))) {
						buffer.push(vpn, acc[l], w);
						if (issued[l] === 0) {
							issued[l] = 1;
							if (watch) { yield issue(w, l, vpn, true, false); watch = k.wants('access'); }
						}
						break;
					}
					const pfn = leaf!.pfn[i];
					const owner = f.owner[pfn >> 12][pfn & 4095];
					const here = owner === dev.index;
					if (issued[l] === 0) {
						issued[l] = 1;
						if (watch) { yield issue(w, l, vpn, false, here); watch = k.wants('access'); }
					}
					if (here) { local += WARP_BYTES; } else if (owner >= 0 && peers[owner]) { peerBytes[owner] += WARP_BYTES; } else { remote += WARP_BYTES; }
					if (j % INSTR_PER_PAGE === 0) {
						// the line's first instruction on the page: its write lands, its block is used
						const rf = lines[l].fill;
						if (rf && acc[l] >= ACCESS.WRITE) {
							const span = fillSpan(rf, vpn);
							if (span.to > span.from) { f.slot[pfn >> 12][pfn & 4095] = fillPage(k.content, f.slot[pfn >> 12][pfn & 4095], rf.fill, span.base, span.from, span.to); }
							f.flags[pfn >> 12][pfn & 4095] |= PG.DIRTY;
						}
						if (lru) {
							const c = dev.uvm!.pmm.chunkOf(blockKey(mm.id, Math.floor(vpn / PTRS_PER_PMD)));
							if (c >= 0) { dev.uvm!.pmm.touch(c); }
						}
					}
				}
				if (l < L) {
					wl[w] = l;
					state[w] = STALLED;
					stalled[nStalled++] = w;
					ready--;
				} else {
					idle = 0;
					wl[w] = 0;
					wj[w] = j + W;
					if (wj[w] >= maxInstr) { state[w] = DONE; live--; ready--; }
				}
				if (buffer.count >= batchMax) { yield* service(); watch = k.wants('access'); }
			}
			accessNs += costs.local(local) + costs.remote(remote);
			if (anyPeer) {
				for (let p = 0; p < peers.length; p++) {
					if (peerBytes[p] === 0) { continue; }
					accessNs += costs.peer(peerBytes[p], peers[p]!);
					dev.stats.peer_bytes += peerBytes[p];
					report.peerBytes += peerBytes[p];
					peerBytes[p] = 0;
				}
			}
			k.advance(Math.round(accessNs) - charged);
			charged = Math.round(accessNs);
			dev.stats.remote_bytes += remote;
			report.remoteBytes += remote;
			if (live > 0 && ready === 0) {
				if (buffer.count === 0) { throw new Error(`kernel '${name}': warps stalled with no fault pending`); }
				yield* k.tick(0);
				yield* service();
				watch = k.wants('access');
			}
		}
		report.evicted = dev.stats.evicted - evicted0;
		report.throttled = dev.stats.throttled - throttled0;
		report.peerCopyBytes = dev.stats.peer_copy_bytes - peerCopy0;
		report.timeNs = k.clock - report.startNs;
		space.kernels.push(report);
		return report;
	} finally {
		k.leave();
	}
}
