// The device model's state as view records: the replayable fault buffer, the last batch with the
// service's decision per VA block, and the root chunks in the order eviction would take them.
import type { Kernel } from './kernel';
import type { Device } from './device/device';
import { PAGE_SIZE } from './mm/content';
import { VA_BLOCK_PAGES } from './device/uvm/types';
import type { BatchRecord } from './device/uvm/space';
import { copyCounts } from './view_copies';
import type { AdviceRunRecord, DeviceModelRecord, FaultBatchRecord, RootChunkRecord, ThrashingPageRecord } from './view_types';

const ACCESS_NAMES = ['read', 'read', 'write', 'atomic'] as const;
const LISTED = 64;

function batchRecord(b: BatchRecord): FaultBatchRecord {
	return {
		seq: b.seq, entries: b.entries, pages: b.npages, timeNs: b.timeNs, cost: { ...b.cost },
		faults: b.pages.map(p => ({ address: p.vpn * PAGE_SIZE, access: ACCESS_NAMES[p.access] ?? 'read', entries: p.entries })),
		blocks: b.blocks.map(d => ({
			process: d.process, start: d.blockVpn * PAGE_SIZE, end: (d.blockVpn + VA_BLOCK_PAGES) * PAGE_SIZE, faulted: d.faulted, residency: d.residency,
			migrated: d.migrated, prefetched: d.prefetched, remote: d.remote, mapped: d.mapped, throttled: d.throttled, thrashing: d.thrashing,
			prefetch: d.prefetch.map(r => ({ ...r })), duplicated: d.duplicated,
		})),
	};
}

export function deviceModelRecord(k: Kernel, d: Device): DeviceModelRecord {
	const u = d.uvm!;
	const pmm = u.pmm;
	const order: RootChunkRecord[] = pmm.evictionOrder(d.cfg.evict).map(c => {
		const mm = k.mms[pmm.mmId[c]];
		const start = pmm.block[c] * VA_BLOCK_PAGES;
		return {
			chunk: c, firstPfn: pmm.base[c], process: mm?.name ?? '?', start: start * PAGE_SIZE, end: (start + VA_BLOCK_PAGES) * PAGE_SIZE,
			resident: pmm.used[c], copies: mm ? copyCounts(k, mm, start, start + VA_BLOCK_PAGES)[d.name] ?? 0 : 0,
			allocSeq: pmm.allocSeq[c], lastUse: pmm.lastUse[c],
		};
	});
	return {
		policy: d.cfg.policy, evict: d.cfg.evict, prefetch: d.cfg.prefetch, faultBatch: d.cfg.faultBatch, warps: d.cfg.sms * d.cfg.warps,
		faultBuffer: {
			pending: u.buffer.pending(LISTED).map(e => ({ address: e.vpn * PAGE_SIZE, access: ACCESS_NAMES[e.access] ?? 'read', warp: e.warp })),
			count: u.buffer.count, written: u.buffer.total, flushed: u.buffer.flushed, peak: u.buffer.peak,
		},
		...(u.last ? { lastBatch: batchRecord(u.last) } : {}),
		evictionOrder: order,
		rootChunks: { total: pmm.capacityChunks, used: pmm.chunksInUse, free: pmm.capacityChunks - pmm.chunksInUse },
		batches: u.batches,
		thrashing: thrashingRecord(k, d),
		advice: adviceRecords(k, d),
	};
}

/** The tracker's key is mm.id * 2^36 + vpn (uvm/migrate.ts pageKey). */
function thrashingRecord(k: Kernel, d: Device): { count: number; pages: ThrashingPageRecord[] } {
	const t = d.uvm!.tracker.thrashingPages(k.clock, LISTED);
	return {
		count: t.count,
		pages: t.pages.map(p => {
			const r: ThrashingPageRecord = {
				process: k.mms[Math.floor(p.key / 2 ** 36)]?.name ?? '?', address: (p.key % 2 ** 36) * PAGE_SIZE, events: p.events, throttles: p.throttles,
			};
			if (p.pinTo !== undefined) { r.pinnedTo = p.pinTo < 0 ? 'ram' : k.devices[p.pinTo]?.name ?? '?'; r.pinnedUntil = p.pinnedUntil; }
			return r;
		}),
	};
}

function adviceRecords(k: Kernel, d: Device): AdviceRunRecord[] {
	const out: AdviceRunRecord[] = [];
	for (const [mmId, tree] of d.uvm!.space.advice) {
		const name = k.mms[mmId]?.name;
		if (name === undefined) { continue; }
		for (const r of tree.list()) {
			const a: AdviceRunRecord = { process: name, start: r.start * PAGE_SIZE, end: r.end * PAGE_SIZE, accessedBy: [...r.advice.accessedBy], readMostly: r.advice.readMostly };
			if (r.advice.preferred !== undefined) { a.preferred = r.advice.preferred; }
			out.push(a);
		}
	}
	return out;
}
