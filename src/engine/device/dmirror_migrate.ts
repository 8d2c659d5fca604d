// HMM_DMIRROR_MIGRATE_TO_DEV / _TO_SYS, RELEASE and unmirror: moving pages between RAM and
// device memory with migrate_vma_*, as lib/test_hmm.c does it.
import { file_device_folio_evict } from '../mm/file_migration';
import { type Kernel, TICK_LEAF } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import type { Mm } from '../mm/mm';
import { PTE, PTRS_PER_PMD } from '../mm/pagetable';
import { HPAGE_NR, PG } from '../mm/frames';
import {
	MigrateVma, MPFN, SELECT, migrate_vma_finalize, migrate_vma_pages, migrate_vma_setup, migrate_vma_split_src,
} from '../hmm/migrate_device';
import { mmu_notifier_invalidate_range_start } from '../mm/mmu_notifier';
import { put_page, rmap_walk } from '../mm/page';
import { split_folio, split_huge_pmd } from '../mm/thp';
import type { Device } from './device';
import type { Mirror } from './mirror';
import { finish_migration_to_ram } from './migrate_to_ram';
import { dmirror_leaf_to_device, dmirror_leaf_to_ram, leafPathAllowed } from './dmirror_migrate_leaf';
import { note_migrating_file } from './mirror_handles';
import { dmirror_check_read, type DevOpResult, mirrorOf } from './dmirror_rw';
import { transferNs } from '../sim/cost';
import { PAGE_SIZE } from '../mm/content';
import { alloc_pages_may_oom, fail_if_killed } from '../mm/oom_kill';

/** pages per migrate_vma call: dmirror's src/dst arrays hold PTRS_PER_PTE entries, and each chunk
 * starts where the previous one ended (at the range's first address, not at a 2 MiB boundary),
 * so a THP cut by a chunk boundary cannot be collected whole and is split. */
const MIGRATE_CHUNK = PTRS_PER_PMD;

/** the next chunk end after addr: at most MIGRATE_CHUNK pages, within the range and the VMA */
function chunkEnd(addr: number, end: number, vmaEnd: number): number {
	return Math.min(end, vmaEnd, addr + MIGRATE_CHUNK);
}

/** dmirror_migrate_to_device */
export function* dmirror_migrate_to_device(k: Kernel, dev: Device, mm: Mm, start: number, end: number, via?: Mirror): K<DevOpResult> {
	if (end <= start) { fail('EINVAL', 'migrate of zero pages'); }
	const m = via ?? mirrorOf(dev, mm);
	yield* k.enter('dmirror_migrate_to_device', { addr: start * PAGE_SIZE, npages: end - start, device: dev.name, process: mm.name });
	try {
		// pages the whole-leaf path moved, while it took every range (-1 once it did not)
		let leafMoved = 0;
		const leafPath = (kk: Kernel, aa: MigrateVma) => dmirror_leaf_to_device(kk, aa, dev, m);
		const direction = `ram -> ${dev.name}`;
		for (let addr = start; addr < end;) {
			const vma = mm.vmas.find(addr);
			if (!vma || !vma.readable) { fail('EINVAL', `no readable mapping at 0x${(addr * PAGE_SIZE).toString(16)}`); }
			const next = chunkEnd(addr, end, vma.end);
			yield* k.tick(addr * PAGE_SIZE);
			const leaf = leafPathAllowed(k);
			const a = new MigrateVma(mm, vma, addr, next, SELECT.SYSTEM | (dev.cfg.huge ? SELECT.COMPOUND : 0), dev, direction, leaf);
			const moved = yield* migrate_vma_setup(k, a, leaf ? leafPath : undefined);
			if (moved >= 0) {
				if (leafMoved >= 0) { leafMoved += moved; }
				addr = next;
				continue;
			}
			leafMoved = -1;
			dev.stats.lock_skipped += a.lockSkipped;
			yield* alloc_and_copy_to_device(k, dev, m, a);
			yield* migrate_vma_pages(k, a);
			// dmirror_migrate_finalize_and_map: the device maps what it now holds (what
			// migrate_vma_pages kept: page-cache pages it refused are not counted as migrated)
			for (let i = 0; i < a.npages; i++) {
				if (!(a.srcF[i] & MPFN.MIGRATE) || a.dst[i] < 0) { continue; }
				const n = a.dstF[i] & MPFN.COMPOUND ? HPAGE_NR : 1;
				dev.stats.migrated_in += n;
				if (dev.handles.length > 0) { for (let j = 0; j < n; j++) { note_migrating_file(dev, a.dst[i] + j, m); } }
				for (let j = 0; j < n; j++) { m.map(a.start + i + j, a.dst[i] + j, (a.dstF[i] & MPFN.WRITE) !== 0); }
			}
			yield* migrate_vma_finalize(k, a);
			addr = next;
		}
		// the ioctl reads the range back through the mirror: a page that did not move (a page the
		// full device could not hold included) is -ENOENT. When the whole-leaf path moved every
		// page, the mirror maps each to this device's own memory: all are there, none remote.
		if (leafMoved === end - start) { return { cpages: end - start, faults: 0 }; }
		const r = dmirror_check_read(k, dev, m, start, end);
		if (r.missing) { fail('ENOENT', `not every page of the range is on '${dev.name}' (only ${r.cpages} of ${end - start} before the first one missing)`); }
		return { cpages: r.cpages, faults: 0 };
	} finally {
		k.leave();
	}
}

/** dmirror_migrate_alloc_and_copy (newest mm tree). The destination is writable only if the source
 * entry was (MIGRATE_PFN_WRITE): holes and zero pages carry none, so the device maps them
 * read-only even where the CPU entry is writable (mainline also granted write to holes in a
 * writable VMA). A page the device cannot allocate is skipped (dst left empty). */
function* alloc_and_copy_to_device(k: Kernel, dev: Device, m: Mirror, a: MigrateVma): K {
	let copied = 0;
	for (let i = 0; i < a.npages; i++) {
		if (!(a.srcF[i] & MPFN.MIGRATE)) { continue; }
		const hole = a.src[i] < 0;
		const write = a.srcF[i] & MPFN.WRITE;
		const large = (a.srcF[i] & MPFN.COMPOUND) !== 0;
		// HMM_DMIRROR_FLAG_FAIL_ALLOC refuses the next allocation, whatever its size, once
		const refused = m.failAlloc;
		m.failAlloc = false;
		if (large) {
			const head = refused ? -1 : dev.allocFolio(k);
			if (head >= 0) {
				a.dst[i] = head;
				a.dstF[i] = MPFN.VALID | MPFN.COMPOUND | write;
				if (!hole) { copied += HPAGE_NR; }
				i += HPAGE_NR - 1;
				continue;
			}
			// the 4 KiB fallback: one base page per subpage of the folio
			yield* migrate_vma_split_src(k, a, i);
			for (let j = 0; j < HPAGE_NR; j++) {
				const pfn = dev.allocPage(k);
				if (pfn < 0) { continue; }
				a.dst[i + j] = pfn;
				a.dstF[i + j] = MPFN.VALID | write;
				if (!hole) { copied++; }
			}
			i += HPAGE_NR - 1;
			continue;
		}
		const pfn = refused ? -1 : dev.allocPage(k);
		if (pfn < 0) { continue; }
		a.dst[i] = pfn;
		a.dstF[i] = MPFN.VALID | write;
		if (!hole) { copied++; }
	}
	// the whole-leaf path's first pages, if it moved some (MigrateVma.leafTook), cross the link with these
	k.advance(transferNs(dev.cfg.linkBw, (a.leafCopied + copied) * PAGE_SIZE));
}

function selectOwn(dev: Device): number {
	return (dev.coherent ? SELECT.DEVICE_COHERENT : SELECT.DEVICE_PRIVATE) | (dev.cfg.huge ? SELECT.COMPOUND : 0);
}

/** dmirror_migrate_to_system. cpages counts the src entries that migrated (a device THP is one
 * entry: dmirror_successful_migrated_pages counts entries, not pages). */
export function* dmirror_migrate_to_system(k: Kernel, dev: Device, mm: Mm, start: number, end: number, via?: Mirror): K<DevOpResult> {
	if (end <= start) { fail('EINVAL', 'migrate of zero pages'); }
	const m = via ?? mirrorOf(dev, mm);
	yield* k.enter('dmirror_migrate_to_system', { addr: start * PAGE_SIZE, npages: end - start, device: dev.name, process: mm.name });
	try {
		let cpages = 0;
		const leafPath = (kk: Kernel, aa: MigrateVma) => dmirror_leaf_to_ram(kk, aa, dev, m);
		const direction = `${dev.name} -> ram`;
		for (let addr = start; addr < end;) {
			const vma = mm.vmas.find(addr);
			if (!vma || !vma.readable) { fail('EINVAL', `no readable mapping at 0x${(addr * PAGE_SIZE).toString(16)}`); }
			const next = chunkEnd(addr, end, vma.end);
			yield* k.tick(addr * PAGE_SIZE);
			const leaf = leafPathAllowed(k);
			const a = new MigrateVma(mm, vma, addr, next, selectOwn(dev), dev, direction, leaf);
			const done = yield* migrate_vma_setup(k, a, leaf ? leafPath : undefined);
			dev.stats.lock_skipped += a.lockSkipped;
			cpages += done >= 0 ? done : a.leafMoved + (yield* finish_migration_to_ram(k, dev, a, m));
			addr = next;
		}
		return { cpages, faults: 0 };
	} finally {
		k.leave();
	}
}

/** `DEV unmirror PROC` = dmirror_fops_release of the newest mm tree: the notifier goes first and
 * the table with it, so nothing can leave the device mirroring the process; then every chunk of
 * the device is evicted to RAM (dmirror_device_evict_chunk: all of the device's pages, whichever
 * process maps them). The kernel allocates with __GFP_NOFAIL: reclaim and then the OOM killer make
 * room (`current` is the process closing the file; if it is the one killed, the eviction still
 * completes and the statement then fails with SIGKILL). Only with no process left to kill does
 * the statement fail with ENOMEM, the rest staying on the device. Mainline only removed the
 * notifier and the table. */
export function* dmirror_unmirror(k: Kernel, dev: Device, mm: Mm, current: Mm | undefined, via?: Mirror): K {
	const m = via ?? mirrorOf(dev, mm);
	yield* k.enter('dmirror_fops_release', { addr: 0, npages: 0, device: dev.name, process: mm.name });
	try {
		m.destroy();
		m.forget();
		const killed = yield* alloc_pages_may_oom(k, current, () => dev.usedPages);
		yield* dmirror_device_evict_chunks(k, dev, 'unmirror');
		if (killed && current) { fail_if_killed(current); }
	} finally {
		k.leave();
	}
}

/** HMM_DMIRROR_RELEASE: every page of the device goes back to RAM (__GFP_NOFAIL, so the OOM
 * killer makes room as for unmirror), then its chunks are unplugged (dmirror_device_remove_chunks). */
export function* dmirror_release(k: Kernel, dev: Device, current?: Mm): K {
	yield* k.enter('dmirror_device_remove_chunks', { addr: 0, npages: dev.usedPages, device: dev.name });
	try {
		// read-duplicate copies (uvm/read_dup.ts) are nobody's page: they are dropped, not migrated
		for (const m of dev.allMirrors()) { m.dropCopies(); }
		const killed = yield* alloc_pages_may_oom(k, current, () => dev.usedPages);
		yield* dmirror_device_evict_chunks(k, dev, 'release');
		dev.removeChunks();
		if (killed && current) { fail_if_killed(current); }
	} finally {
		k.leave();
	}
}

/** dmirror_device_evict_chunk over every chunk: migrate_device_range by pfn, no VMA needed. A
 * device THP stays one folio (migrate_device_range marks it MIGRATE_PFN_COMPOUND and the driver
 * allocates a folio of the same order), so a PMD mapping comes back as a PMD-mapped THP. */
function* dmirror_device_evict_chunks(k: Kernel, dev: Device, why: string): K {
	const f = k.frames;
	for (const c of dev.chunks) {
		const end = c.first + c.npages;
		for (let pfn = c.first; pfn < end;) {
			// a pause point every leaf's worth of frames: a chunk holds up to 2M pages
			const stop = Math.min(end, pfn + TICK_LEAF);
			for (; pfn < stop; pfn++) {
				if (f.owner[pfn >> 12][pfn & 4095] !== dev.index) { continue; }
				if (f.isCompound(pfn)) {
					const head = f.head[pfn >> 12][pfn & 4095];
					let live = false;
					for (let j = 0; j < HPAGE_NR; j++) { if (f.refcount[(head + j) >> 12][(head + j) & 4095] > 0) { live = true; } }
					if (live) { yield* migrate_device_folio(k, dev, head, why); }
					pfn = head + HPAGE_NR - 1;
					continue;
				}
				if (f.refcount[pfn >> 12][pfn & 4095] <= 0) { continue; }
				yield* migrate_device_folio(k, dev, pfn, why);
			}
			yield* k.tick(0);
		}
	}
}

/** migrate_device_range for one page or folio: found by pfn, every mapping follows it to RAM. */
function* migrate_device_folio(k: Kernel, dev: Device, first: number, why: string): K {
	const f = k.frames;
	// a page-cache page (experimental=file_migration) goes back into the cache, not to its mappings
	if (f.flags[first >> 12][first & 4095] & PG.FILE) { yield* file_device_folio_evict(k, first); return; }
	let n = f.isCompound(first) ? HPAGE_NR : 1;
	let ram = -1;
	if (n === HPAGE_NR) {
		ram = f.allocRamHuge(PG.ANON);
		// the driver has no split path here ("TODO Support splitting"): the simulation splits
		// instead of failing, and evicts base pages
		if (ram < 0) {
			const maps: [Mm, number][] = [];
			rmap_walk(k, first, (mm, vpn) => { maps.push([mm, vpn]); });
			for (const [mm, vpn] of maps) { yield* split_huge_pmd(k, mm, vpn); }
			split_folio(k, first);
			for (let j = 0; j < HPAGE_NR; j++) { if (f.refcount[(first + j) >> 12][(first + j) & 4095] > 0) { yield* migrate_device_folio(k, dev, first + j, why); } }
			return;
		}
	}
	const places: [Mm, number][][] = [];
	for (let j = 0; j < n; j++) {
		const p: [Mm, number][] = [];
		rmap_walk(k, first + j, (mm, vpn) => { p.push([mm, vpn]); });
		places.push(p);
	}
	const any = places.find(p => p.length > 0)?.[0];
	if (k.wants('migration')) {
		yield { kind: 'migration', addr: (any?.[1] ?? 0) * PAGE_SIZE, npages: n, device: dev.name, process: any?.[0].name, detail: `${dev.name} -> ram (${why})`, fn: 'migrate_device_range' };
	}
	// try_to_migrate: every mapping is invalidated (CLEAR reaches every mirror, the owner's too)
	const seen = new Set<string>();
	for (const p of places) {
		for (const [mm, vpn] of p) {
			const base = n === HPAGE_NR && mm.pt.isHuge(vpn) ? vpn - (vpn & (PTRS_PER_PMD - 1)) : vpn;
			const key = `${mm.id}:${base}`;
			if (seen.has(key)) { continue; }
			seen.add(key);
			if (n === HPAGE_NR && mm.pt.isHuge(vpn)) {
				yield* mmu_notifier_invalidate_range_start(k, { mm, start: base, end: base + PTRS_PER_PMD, event: 'CLEAR' });
			} else {
				yield* mmu_notifier_invalidate_range_start(k, { mm, start: vpn, end: vpn + 1, event: 'CLEAR' });
			}
		}
	}
	if (places.every(p => p.length === 0)) {
		// unmapped but still referenced (a racing free): drop it
		if (ram >= 0) { for (let j = 0; j < HPAGE_NR; j++) { f.refcount[(ram + j) >> 12][(ram + j) & 4095] = 0; } f.refcount[ram >> 12][ram & 4095] = 1; put_page(k, ram); }
		dropDevice(k, first, n);
		return;
	}
	if (ram < 0) { ram = f.allocRam(PG.ANON); n = 1; }
	for (let j = 0; j < n; j++) {
		const from = first + j;
		const to = ram + j;
		f.slot[to >> 12][to & 4095] = f.slot[from >> 12][from & 4095];
		f.slot[from >> 12][from & 4095] = -1;
		f.mapping[to >> 12][to & 4095] = f.mapping[from >> 12][from & 4095];
		f.index[to >> 12][to & 4095] = f.index[from >> 12][from & 4095];
		f.mapcount[to >> 12][to & 4095] = places[j].length;
		f.refcount[to >> 12][to & 4095] = places[j].length;
		for (const [mm, vpn] of places[j]) {
			const old = mm.pt.pte(vpn);
			mm.pt.set(vpn, to, PTE.PRESENT | PTE.YOUNG | (old & (PTE.WRITE | PTE.DIRTY)));
		}
	}
	dropDevice(k, first, n);
	dev.stats.migrated_out += n;
	k.advance(transferNs(dev.cfg.linkBw, n * PAGE_SIZE));
}

/** The device page or folio loses its last reference and goes back to the device's free lists. */
function dropDevice(k: Kernel, first: number, n: number): void {
	const f = k.frames;
	for (let j = 0; j < n; j++) { f.mapcount[(first + j) >> 12][(first + j) & 4095] = 0; f.refcount[(first + j) >> 12][(first + j) & 4095] = 0; }
	f.refcount[first >> 12][first & 4095] = 1;
	put_page(k, first);
}

/** HMM_DMIRROR_FLAGS(HMM_DMIRROR_FLAG_FAIL_ALLOC): the flag lives in the open file (the mirror);
 * the next allocation of a migration through it fails, once (see alloc_and_copy_to_device and
 * dmirror_devmem_fault_alloc_and_copy). */
export function* dmirror_set_fail_alloc(k: Kernel, dev: Device, mm: Mm, via?: Mirror): K<DevOpResult> {
	const m = via ?? mirrorOf(dev, mm);
	yield* k.enter('dmirror_fops_unlocked_ioctl', { addr: 0, npages: 0, device: dev.name, process: mm.name });
	try {
		m.failAlloc = true;
		return { cpages: 0, faults: 0 };
	} finally {
		k.leave();
	}
}
