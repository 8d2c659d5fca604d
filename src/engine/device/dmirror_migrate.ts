// HMM_DMIRROR_MIGRATE_TO_DEV / _TO_SYS, RELEASE and unmirror: moving pages between RAM and
// device memory with migrate_vma_*, as lib/test_hmm.c does it.
import type { Kernel } from '../kernel';
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
import { split_huge_pmd } from '../mm/thp';
import type { Device } from './device';
import { finish_migration_to_ram } from './migrate_to_ram';
import { dmirror_check_read, type DevOpResult, mirrorOf } from './dmirror_rw';
import { transferNs } from '../sim/cost';
import { PAGE_SIZE } from '../mm/content';

/** pages per migrate_vma call (dmirror's src/dst arrays hold one PMD) */
const MIGRATE_CHUNK = PTRS_PER_PMD;

/** dmirror_migrate_to_device */
export function* dmirror_migrate_to_device(k: Kernel, dev: Device, mm: Mm, start: number, end: number): K<DevOpResult> {
	if (end <= start) { fail('EINVAL', 'migrate of zero pages'); }
	const m = mirrorOf(dev, mm);
	yield* k.enter('dmirror_migrate_to_device', { addr: start * PAGE_SIZE, npages: end - start, device: dev.name, process: mm.name });
	try {
		let outOfMemory = false;
		for (let addr = start; addr < end;) {
			const vma = mm.vmas.find(addr);
			if (!vma || !vma.readable) { fail('EINVAL', `no readable mapping at 0x${(addr * PAGE_SIZE).toString(16)}`); }
			const next = Math.min(end, vma.end, addr - (addr & (MIGRATE_CHUNK - 1)) + MIGRATE_CHUNK);
			yield* k.tick(addr * PAGE_SIZE);
			const a = new MigrateVma(mm, vma, addr, next, SELECT.SYSTEM | (dev.cfg.huge ? SELECT.COMPOUND : 0), dev, `ram -> ${dev.name}`);
			yield* migrate_vma_setup(k, a);
			if (!(yield* alloc_and_copy_to_device(k, dev, a))) { outOfMemory = true; }
			yield* migrate_vma_pages(k, a);
			// dmirror_migrate_finalize_and_map: the device maps what it now holds (what
			// migrate_vma_pages kept: page-cache pages it refused are not counted as migrated)
			for (let i = 0; i < a.npages; i++) {
				if (!(a.srcF[i] & MPFN.MIGRATE) || a.dst[i] < 0) { continue; }
				const n = a.dstF[i] & MPFN.COMPOUND ? HPAGE_NR : 1;
				dev.stats.migrated_in += n;
				for (let j = 0; j < n; j++) { m.map(a.start + i + j, a.dst[i] + j, (a.dstF[i] & MPFN.WRITE) !== 0); }
			}
			yield* migrate_vma_finalize(k, a);
			addr = next;
		}
		if (outOfMemory) { fail('ENOMEM', `device '${dev.name}' memory is full (${dev.capacityPages} pages)`); }
		// the ioctl reads the range back through the mirror: a page that did not move is -ENOENT
		const r = dmirror_check_read(k, dev, m, start, end);
		if (r.missing) { fail('ENOENT', `not every page of the range is on '${dev.name}' (only ${r.cpages} of ${end - start} before the first one missing)`); }
		return { cpages: r.cpages, faults: 0 };
	} finally {
		k.leave();
	}
}

/** dmirror_migrate_alloc_and_copy. False if the device ran out of memory. */
function* alloc_and_copy_to_device(k: Kernel, dev: Device, a: MigrateVma): K<boolean> {
	let copied = 0;
	let ok = true;
	for (let i = 0; i < a.npages; i++) {
		if (!(a.srcF[i] & MPFN.MIGRATE)) { continue; }
		const hole = a.src[i] < 0;
		const write = (a.srcF[i] & MPFN.WRITE) !== 0 || (hole && a.vma.writable);
		if (a.srcF[i] & MPFN.COMPOUND) {
			const head = dev.allocFolio(k);
			if (head >= 0) {
				a.dst[i] = head;
				a.dstF[i] = MPFN.VALID | MPFN.COMPOUND | (write ? MPFN.WRITE : 0);
				if (!hole) { copied += HPAGE_NR; }
				continue;
			}
			yield* migrate_vma_split_src(k, a, i);
		}
		const pfn = dev.allocPage(k);
		if (pfn < 0) { ok = false; continue; }
		a.dst[i] = pfn;
		a.dstF[i] = MPFN.VALID | (write ? MPFN.WRITE : 0);
		if (!hole) { copied++; }
	}
	k.advance(transferNs(dev.cfg.linkBw, copied * PAGE_SIZE));
	return ok;
}

function selectOwn(dev: Device): number {
	return (dev.coherent ? SELECT.DEVICE_COHERENT : SELECT.DEVICE_PRIVATE) | (dev.cfg.huge ? SELECT.COMPOUND : 0);
}

/** dmirror_migrate_to_system */
export function* dmirror_migrate_to_system(k: Kernel, dev: Device, mm: Mm, start: number, end: number): K<DevOpResult> {
	if (end <= start) { fail('EINVAL', 'migrate of zero pages'); }
	mirrorOf(dev, mm);
	yield* k.enter('dmirror_migrate_to_system', { addr: start * PAGE_SIZE, npages: end - start, device: dev.name, process: mm.name });
	try {
		let cpages = 0;
		for (let addr = start; addr < end;) {
			const vma = mm.vmas.find(addr);
			if (!vma) { fail('EINVAL', `no mapping at 0x${(addr * PAGE_SIZE).toString(16)}`); }
			const next = Math.min(end, vma.end, addr - (addr & (MIGRATE_CHUNK - 1)) + MIGRATE_CHUNK);
			yield* k.tick(addr * PAGE_SIZE);
			const a = new MigrateVma(mm, vma, addr, next, selectOwn(dev), dev, `${dev.name} -> ram`);
			yield* migrate_vma_setup(k, a);
			cpages += yield* finish_migration_to_ram(k, dev, a);
			addr = next;
		}
		return { cpages, faults: 0 };
	} finally {
		k.leave();
	}
}

/** Device pages of `dev` that the page table of mm maps in [start, end) are migrated back. */
function* evictRange(k: Kernel, dev: Device, mm: Mm, start: number, end: number): K {
	for (const vma of mm.vmas.overlapping(start, end)) {
		for (let addr = Math.max(start, vma.start); addr < Math.min(end, vma.end);) {
			const next = Math.min(end, vma.end, addr - (addr & (MIGRATE_CHUNK - 1)) + MIGRATE_CHUNK);
			let any = false;
			mm.pt.forEach(addr, next, (_v, pfn, pte) => {
				const t = pte & PTE.TYPE_MASK;
				if ((t === PTE.DEVPRIV || t === PTE.PRESENT) && k.frames.owner[pfn] === dev.index) { any = true; }
			});
			if (any) {
				const a = new MigrateVma(mm, vma, addr, next, selectOwn(dev), dev, `${dev.name} -> ram (evict)`);
				yield* migrate_vma_setup(k, a);
				yield* finish_migration_to_ram(k, dev, a);
			}
			addr = next;
		}
	}
}

/** `DEV unmirror PROC`: the notifier goes, the device's table goes, its pages come home. */
export function* dmirror_unmirror(k: Kernel, dev: Device, mm: Mm): K {
	const m = mirrorOf(dev, mm);
	yield* k.enter('dmirror_fops_release', { addr: 0, npages: 0, device: dev.name, process: mm.name });
	try {
		yield* evictRange(k, dev, mm, 0, Number.MAX_SAFE_INTEGER);
		m.destroy();
		dev.mirrors.delete(mm);
	} finally {
		k.leave();
	}
}

/** HMM_DMIRROR_RELEASE: every page of the device goes back to RAM, then its chunks are unplugged
 * (dmirror_device_remove_chunks -> migrate_device_range). */
export function* dmirror_release(k: Kernel, dev: Device): K {
	yield* k.enter('dmirror_device_remove_chunks', { addr: 0, npages: dev.usedPages, device: dev.name });
	try {
		const f = k.frames;
		// read-duplicate copies (uvm/read_dup.ts) are nobody's page: they are dropped, not migrated
		for (const m of dev.mirrors.values()) { m.dropCopies(); }
		for (const c of dev.chunks) {
			for (let pfn = c.first; pfn < c.first + c.npages; pfn++) {
				if (f.refcount[pfn] <= 0 || f.owner[pfn] !== dev.index) { continue; }
				yield* migrate_device_page(k, dev, pfn);
			}
		}
		dev.removeChunks();
	} finally {
		k.leave();
	}
}

/** migrate_device_range for one page: found by pfn, not by VMA; every mapping follows it to RAM. */
function* migrate_device_page(k: Kernel, dev: Device, pfn: number): K {
	const f = k.frames;
	if (f.isCompound(pfn)) { f.split(f.head[pfn]); }
	const places: [Mm, number][] = [];
	rmap_walk(k, pfn, (mm, vpn) => { places.push([mm, vpn]); });
	if (k.wants('migration')) {
		yield { kind: 'migration', addr: (places[0]?.[1] ?? 0) * PAGE_SIZE, npages: 1, device: dev.name, process: places[0]?.[0].name, detail: `${dev.name} -> ram (release)`, fn: 'migrate_device_range' };
	}
	for (const [mm, vpn] of places) {
		yield* split_huge_pmd(k, mm, vpn);
		yield* mmu_notifier_invalidate_range_start(k, { mm, start: vpn, end: vpn + 1, event: 'CLEAR' });
	}
	if (places.length === 0) {
		// unmapped but still referenced (a racing free): drop it
		f.refcount[pfn] = 1;
		put_page(k, pfn);
		return;
	}
	const ram = f.allocRam(PG.ANON);
	f.slot[ram] = f.slot[pfn];
	f.slot[pfn] = -1;
	f.mapping[ram] = f.mapping[pfn];
	f.index[ram] = f.index[pfn];
	f.mapcount[ram] = places.length;
	f.refcount[ram] = places.length;
	for (const [mm, vpn] of places) {
		const old = mm.pt.pte(vpn);
		mm.pt.set(vpn, ram, PTE.PRESENT | PTE.YOUNG | (old & (PTE.WRITE | PTE.DIRTY)));
	}
	f.mapcount[pfn] = 0;
	f.refcount[pfn] = 1;
	put_page(k, pfn);
	dev.stats.migrated_out++;
	k.advance(transferNs(dev.cfg.linkBw, PAGE_SIZE));
}
