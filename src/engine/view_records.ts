// Engine objects decoded into the view's records: PTE bits and PG flags by name, VMAs, processes,
// devices. Every record is built fresh from the typed arrays and objects it describes.
import { file_pages_on_device } from './mm/file_migration';
import { dax_pages_on_device } from './mm/dax_migration';
import type { Kernel } from './kernel';
import type { Mm } from './mm/mm';
import { PTE, PTRS_PER_PMD } from './mm/pagetable';
import { PG } from './mm/frames';
import type { Vma } from './mm/vma';
import { PAGE_SIZE } from './mm/content';
import type { Device } from './device/device';
import { memmap_bytes } from './mm/memremap';
import { deviceModelRecord } from './view_device_model';
import { pageLocation } from './view_location';
import { mirrorEntries, mirrorEntry } from './view_mirror';
import type {
	ContentState, PageCountField, DeviceRecord, DeviceSummary, PageRecord, ProcessRecord, ProcessSummary, PteRecord, PteType, StructPageRecord, SystemRecord, VmaRecord,
} from './view_types';

const PTE_TYPES: PteType[] = ['none', 'present', 'devpriv', 'excl', 'swap', 'migration'];

/** PG_* bits by name, in bit order (see mm/frames.ts). */
const PG_NAMES = ['ANON', 'FILE', 'DAX', 'DEV_PRIVATE', 'DEV_COHERENT', 'ZERO', 'HEAD', 'TAIL', 'DIRTY', 'LAZYFREE', 'SWAPBACKED', 'REFERENCED', 'HUGETLB'];
/** VM_* bits by name, in bit order (see mm/vma.ts). */
const VM_NAMES = ['READ', 'WRITE', 'EXEC', 'SHARED', 'HUGEPAGE', 'NOHUGEPAGE', 'HUGETLB'];
const VM_HUGEPAGE = 16;
const VM_NOHUGEPAGE = 32;

function bitNames(v: number, names: string[]): string[] {
	const out: string[] = [];
	names.forEach((n, bit) => { if (v & (1 << bit)) { out.push(n); } });
	return out;
}

export function pteRecord(mm: Mm, vpn: number): PteRecord {
	const raw = mm.pt.pte(vpn);
	const t = raw & PTE.TYPE_MASK;
	const type = PTE_TYPES[t] ?? 'none';
	const target = t === PTE.NONE ? -1 : mm.pt.pfn(vpn);
	return {
		type, write: (raw & PTE.WRITE) !== 0, dirty: (raw & PTE.DIRTY) !== 0, young: (raw & PTE.YOUNG) !== 0, atomic: (raw & PTE.ATOMIC) !== 0,
		huge: mm.pt.isHuge(vpn), pfn: t === PTE.SWAP ? -1 : target, swapSlot: t === PTE.SWAP ? target : -1, raw,
	};
}

export function structPage(k: Kernel, pfn: number): StructPageRecord {
	const f = k.frames;
	const owner = f.owner[pfn >> 12][pfn & 4095];
	const slot = f.slot[pfn >> 12][pfn & 4095];
	const content: ContentState = slot < 0 ? 'none' : k.content.isPattern(slot) ? 'pattern' : 'bytes';
	return {
		pfn, flags: bitNames(f.flags[pfn >> 12][pfn & 4095], PG_NAMES), rawFlags: f.flags[pfn >> 12][pfn & 4095], refcount: f.refcount[pfn >> 12][pfn & 4095], mapcount: f.mapcount[pfn >> 12][pfn & 4095],
		pincount: f.pincount[pfn >> 12][pfn & 4095], memory: owner >= 0 ? k.devices[owner]?.name ?? `device ${owner}` : 'ram', head: f.head[pfn >> 12][pfn & 4095], content,
		...(k.pins.until.has(pfn) ? { devicePin: { untilNs: k.pins.until.get(pfn) === Infinity ? null : k.pins.until.get(pfn)! } } : {}),
		...(pageCacheRecord(k, pfn)),
	};
}

function pageCacheRecord(k: Kernel, pfn: number): { pageCache?: StructPageRecord['pageCache']; daxCopy?: StructPageRecord['daxCopy'] } {
	const f = k.frames;
	const file = (f.flags[pfn >> 12][pfn & 4095] & PG.FILE) && f.mapping[pfn >> 12][pfn & 4095] >= 0 ? k.fileById[f.mapping[pfn >> 12][pfn & 4095]] : undefined;
	if (!file || file.pages.pfn(f.index[pfn >> 12][pfn & 4095]) !== pfn) { return {}; }
	if (file.dax) { return { daxCopy: { file: file.name, index: f.index[pfn >> 12][pfn & 4095], persisted: (f.flags[pfn >> 12][pfn & 4095] & PG.DIRTY) === 0 } }; }
	return { pageCache: { file: file.name, index: f.index[pfn >> 12][pfn & 4095], dirty: (f.flags[pfn >> 12][pfn & 4095] & PG.DIRTY) !== 0 } };
}

export function pageRecord(k: Kernel, mm: Mm, vpn: number): PageRecord {
	const pte = pteRecord(mm, vpn);
	const mirrors = k.devices.flatMap(d => d.mirrorsOf(mm).map(m => mirrorEntry(k, d, mm, vpn, m)));
	return {
		process: mm.name, pid: mm.pid, vpn, address: vpn * PAGE_SIZE, location: pageLocation(k, mm, vpn), pte, pfn: pte.pfn,
		...(pte.pfn >= 0 ? { page: structPage(k, pte.pfn) } : {}), mirrors,
	};
}

export function vmaRecord(mm: Mm, v: Vma): VmaRecord {
	const advice = [v.flags & VM_HUGEPAGE ? 'hugepage' : '', v.flags & VM_NOHUGEPAGE ? 'nohugepage' : ''].filter(Boolean);
	return {
		process: mm.name, start: v.start * PAGE_SIZE, end: v.end * PAGE_SIZE, startVpn: v.start, endVpn: v.end, npages: v.npages,
		prot: v.protString(), backing: v.backing, shared: v.shared, kind: v.kindString().trim(),
		...(v.file ? { file: v.file.name, fileOffset: v.pgoff * PAGE_SIZE } : {}), flags: bitNames(v.flags, VM_NAMES), advice,
	};
}

export function processSummary(mm: Mm, current: Mm | undefined): ProcessSummary {
	return {
		id: mm.id, name: mm.name, pid: mm.pid, alive: mm.alive, current: current === mm, vmaCount: mm.vmas.list.length, faults: mm.faults,
		...(mm.oomKilled ? { oomKilled: mm.oomKilled } : {}),
		...(mm.oomScoreAdj !== 0 ? { oomScoreAdj: mm.oomScoreAdj } : {}),
	};
}

export function processRecord(k: Kernel, mm: Mm, current: Mm | undefined): ProcessRecord {
	return {
		// hugetlb pages are accounted apart (HugetlbPages), never in the RSS counters
		...processSummary(mm, current), rss: mm.rss(p => k.frames.isZero(p) || (k.frames.flags[p >> 12][p & 4095] & PG.HUGETLB) !== 0),
		mirroredBy: k.devices.filter(d => d.mirrorsOf(mm).length > 0).map(d => d.name),
	};
}

export function deviceSummary(k: Kernel, d: Device): DeviceSummary {
	const counters: Record<string, number> = {};
	for (const [name, v] of Object.entries(d.stats)) { if (typeof v === 'number') { counters[name] = v; } }
	const byCause: Record<string, { in: number; out: number }> = {};
	for (const [c, v] of Object.entries(d.byCause)) { byCause[c] = { in: v.in, out: v.out }; }
	const pmm = d.uvm?.pmm;
	return {
		name: d.name, index: d.index, capacityPages: d.capacityPages, usedPages: d.usedPages, freePages: d.capacityPages - d.usedPages, counters, byCause,
		structPageBytes: deviceMemmapBytes(k, d),
		pinnedPages: k.pins.pinnedPages(d.index, k),
		...(pmm ? { rootChunks: { used: pmm.chunksInUse, total: pmm.capacityChunks } } : {}),
	};
}

/** Struct pages exist for the memory a driver registered with memremap_pages: dmirror hotplugs
 * 256 MiB chunks as it needs them (dmirror_allocate_chunk); the UVM driver registers every page
 * of the GPU when it starts (uvm_devmem_init). */
function deviceMemmapBytes(k: Kernel, d: Device): number {
	const registered = d.uvm ? d.capacityPages : d.chunks.reduce((n, c) => n + c.npages, 0);
	return memmap_bytes(k, registered, d.coherent);
}

export function deviceRecord(k: Kernel, d: Device): DeviceRecord {
	return {
		...deviceSummary(k, d), config: structuredClone(d.cfg), chunks: d.chunks.map(c => ({ first: c.first, npages: c.npages })),
		mirrors: d.allMirrors().map(m => ({
			process: m.mm.name, processId: m.mm.id, entries: mirrorEntries(d, m.mm, m), notifierSeq: m.notifier.seq, callbacks: m.callbacks,
			...(m.handle !== undefined ? { handle: m.handle } : {}), ...(m.stale.size > 0 ? { stale: m.stale.size } : {}),
		})),
		extra: d.uvm ? {
			policy: d.cfg.policy, pendingFaults: d.uvm.buffer.count, rootChunksUsed: d.uvm.pmm.chunksInUse, batches: d.uvm.batches,
		} : {},
		...(d.uvm ? { model: deviceModelRecord(k, d) } : {}),
	};
}

export function systemRecord(k: Kernel): SystemRecord {
	return {
		time: k.clock, ramBytes: k.config.ramBytes, swapBytes: k.config.swapBytes, thp: k.config.thp,
		ramPages: k.frames.ramPages, ramUsedPages: k.frames.ramUsed, pmemPages: k.pmemPages,
		swapPages: k.swap?.nslots ?? 0, swapUsedPages: k.swap?.inuse ?? 0, swapOuts: k.swap?.pswpout ?? 0, swapIns: k.swap?.pswpin ?? 0,
		experimental: [...k.config.experimental],
		structPageBytes: k.devices.reduce((n, d) => n + deviceMemmapBytes(k, d), 0),
		invalidation: { ...k.invalidation },
		pins: { pages: k.pins.until.size, blocked: k.pins.blocked, waitedNs: k.pins.waitedNs },
		fileMigration: fileMigrationRecord(k),
		persistence: persistenceRecord(k),
	};
}

function persistenceRecord(k: Kernel): SystemRecord['persistence'] {
	const on = k.experimental('dax_migration') ? dax_pages_on_device(k) : { pages: 0, unpersisted: 0 };
	const p = k.persistence;
	return { daxDevicePages: on.pages, daxUnpersisted: on.unpersisted, daxWrittenBack: p.daxWrittenBack, crashes: p.crashes, lostFileBytes: p.lostFileBytes };
}

function fileMigrationRecord(k: Kernel): SystemRecord['fileMigration'] {
	// only the mode puts cache pages in device memory: mainline runs skip the walk of the caches
	const on = k.experimental('file_migration') ? file_pages_on_device(k) : { pages: 0, dirty: 0 };
	return { devicePages: on.pages, deviceDirty: on.dirty, ...k.fileMigration };
}

/** refcount(), mapcount(), pincount(): the struct page field of every page of [start, end), as one
 * number, or 'mixed' when they differ. A page with no struct page behind its entry (nothing
 * mapped, a swap entry) counts 0. Whole missing leaves are passed over at once. */
export function pageCount(k: Kernel, mm: Mm, start: number, end: number, field: PageCountField): number | 'mixed' {
	const arr = k.frames[field];
	let v: number | undefined;
	const see = (x: number): boolean => {
		if (v === undefined) { v = x; }
		return v === x;
	};
	for (let vpn = start; vpn < end;) {
		const leafEnd = Math.min(end, vpn - (vpn & (PTRS_PER_PMD - 1)) + PTRS_PER_PMD);
		const leaf = mm.pt.leaf(vpn);
		if (!leaf) {
			if (!see(0)) { return 'mixed'; }
			vpn = leafEnd;
			continue;
		}
		for (; vpn < leafEnd; vpn++) {
			const i = vpn & (PTRS_PER_PMD - 1);
			const t = leaf.pte[i] & PTE.TYPE_MASK;
			if (!see(t === PTE.NONE || t === PTE.SWAP ? 0 : arr[leaf.pfn[i] >> 12][leaf.pfn[i] & 4095])) { return 'mixed'; }
		}
	}
	return v ?? 0;
}
