// dmirror's migrate_vma_* sequence (HMM_DMIRROR_MIGRATE_TO_DEV / _TO_SYS) over whole page-table
// leaves, for when nobody watches kernel calls: migrate_vma_collect, the driver's
// alloc_and_copy, migrate_vma_pages, dmirror's mapping of what moved and migrate_vma_finalize in
// one pass per page instead of one pass each. Nothing can observe the state between those steps
// without a 'call' stop (every other event of the sequence comes before collect, in
// migrate_vma_setup), and the steps of one page touch nothing the steps of another read: the
// device allocator and the RAM free lists are each used in page order, as the general path uses
// them. So the outcome is the general path's, page for page: the same frames, counters, clock.
//
// Only ranges whose pages the general path would either skip without a trace or move one by one
// come here (plan()); a range with a THP, a page mapped twice, a page-cache or swap-cache page,
// a FAIL_ALLOC flag or a device (or RAM) that could not hold all of it goes the general way.
import type { Kernel } from '../kernel';
import { PG } from '../mm/frames';
import { PTE, PTRS_PER_PMD } from '../mm/pagetable';
import { type MigrateVma, SELECT, selectable } from '../hmm/migrate_device';
import { page_add_anon_rmap, put_page } from '../mm/page';
import { PAGE_SIZE } from '../mm/content';
import { transferNs } from '../sim/cost';
import type { Device } from './device';
import type { Mirror } from './mirror';

const LEAF_MASK = PTRS_PER_PMD - 1;

/** The pages of the range that need a destination page, or -1 if the range is not one for the
 * leaf path. `holes`: the driver fills holes (MIGRATE_TO_DEV of anonymous memory). */
function plan(k: Kernel, a: MigrateVma, holes: boolean): number {
	if (a.flags & SELECT.COMPOUND) { return -1; }
	const f = k.frames;
	const pt = a.mm.pt;
	let need = 0;
	for (let s = a.start; s < a.end;) {
		const lo = s & LEAF_MASK;
		const hi = Math.min(PTRS_PER_PMD, lo + a.end - s);
		const leaf = pt.leaf(s);
		s += hi - lo;
		if (!leaf) { if (holes) { need += hi - lo; } continue; }
		if (leaf.huge) { return -1; }
		const pte = leaf.pte, pfns = leaf.pfn;
		for (let li = lo; li < hi; li++) {
			const t = pte[li] & PTE.TYPE_MASK;
			if (t === PTE.NONE) { if (holes) { need++; } continue; }
			if (t !== PTE.PRESENT && t !== PTE.DEVPRIV) { continue; }
			const p = pfns[li];
			const c = p >> 12, o = p & 4095;
			const fl = f.flags[c][o];
			if (fl & PG.ZERO) { if (holes && t === PTE.PRESENT) { need++; } continue; }
			if (!selectable(k, a, p) || f.pincount[c][o] > 0) { continue; }
			if ((fl & (PG.HEAD | PG.TAIL | PG.FILE)) || f.mapcount[c][o] !== 1 || f.swap[c][o] >= 0) { return -1; }
			need++;
		}
	}
	return need;
}

/** dmirror_migrate_to_device's steps for one migrate_vma range (flags SELECT_SYSTEM). Returns -1
 * (not taken) or 0. */
export function dmirror_leaf_to_device(k: Kernel, a: MigrateVma, dev: Device, m: Mirror): number {
	if (m.failAlloc || a.flags !== SELECT.SYSTEM) { return -1; }
	const holes = a.vma.isAnonPrivate;
	const need = plan(k, a, holes);
	if (need < 0 || dev.capacityPages - dev.usedPages < need) { return -1; }
	const f = k.frames;
	const mm = a.mm;
	const pt = mm.pt;
	const w = a.vma.writable ? PTE.WRITE : 0;
	let copied = 0;
	for (let s = a.start; s < a.end;) {
		const lo = s & LEAF_MASK;
		const hi = Math.min(PTRS_PER_PMD, lo + a.end - s);
		const base = s - lo;
		s += hi - lo;
		let leaf = pt.leaf(base);
		if (!leaf) {
			if (!holes) { continue; }
			leaf = pt.leafFor(base);
		}
		for (let li = lo; li < hi; li++) {
			const pte = leaf.pte[li];
			const t = pte & PTE.TYPE_MASK;
			const vpn = base + li;
			if (t === PTE.NONE || (t === PTE.PRESENT && f.isZero(leaf.pfn[li]))) {
				if (!holes) { continue; }
				// migrate_vma_insert_page: the hole gets the new zero-filled page
				const dst = dev.allocPage(k);
				page_add_anon_rmap(k, dst, mm, vpn);
				f.slot[dst >> 12][dst & 4095] = -1;
				const type = newType(k, dst);
				pt.set(vpn, dst, type | w | (type === PTE.PRESENT ? PTE.YOUNG | PTE.DIRTY : 0));
				dev.stats.migrated_in++;
				m.map(vpn, dst, false);
				continue;
			}
			if (t !== PTE.PRESENT && t !== PTE.DEVPRIV) { continue; }
			const src = leaf.pfn[li];
			if (!selectable(k, a, src) || f.pincount[src >> 12][src & 4095] > 0) { continue; }
			const dst = dev.allocPage(k);
			copied++;
			moveFrame(k, src, dst);
			dev.stats.migrated_in++;
			m.map(vpn, dst, (pte & PTE.WRITE) !== 0);
			const type = newType(k, dst);
			leaf.pfn[li] = dst;
			leaf.pte[li] = type | (pte & (PTE.WRITE | PTE.DIRTY)) | (type === PTE.PRESENT ? PTE.YOUNG : 0);
		}
	}
	k.advance(transferNs(dev.cfg.linkBw, copied * PAGE_SIZE));
	return 0;
}

/** dmirror_migrate_to_system's steps for one range (finish_migration_to_ram): returns -1 (not
 * taken) or the entries that migrated. */
export function dmirror_leaf_to_ram(k: Kernel, a: MigrateVma, dev: Device, m: Mirror): number {
	if (m.failAlloc || (a.flags & SELECT.SYSTEM)) { return -1; }
	const need = plan(k, a, false);
	const f = k.frames;
	if (need < 0 || f.ramPages - f.ramUsed < need) { return -1; }
	const pt = a.mm.pt;
	const mirror = dev.mirrors.get(a.mm);
	let moved = 0;
	for (let s = a.start; s < a.end;) {
		const lo = s & LEAF_MASK;
		const hi = Math.min(PTRS_PER_PMD, lo + a.end - s);
		const base = s - lo;
		s += hi - lo;
		const leaf = pt.leaf(base);
		if (!leaf) { continue; }
		for (let li = lo; li < hi; li++) {
			const pte = leaf.pte[li];
			const t = pte & PTE.TYPE_MASK;
			if (t !== PTE.PRESENT && t !== PTE.DEVPRIV) { continue; }
			const src = leaf.pfn[li];
			if (f.isZero(src) || !selectable(k, a, src) || f.pincount[src >> 12][src & 4095] > 0) { continue; }
			const dst = f.allocRam(PG.ANON);
			// dmirror_devmem_fault_alloc_and_copy: the device's own entry goes (xa_erase)
			mirror?.pt.clear(base + li);
			moved++;
			moveFrame(k, src, dst);
			leaf.pfn[li] = dst;
			leaf.pte[li] = PTE.PRESENT | (pte & (PTE.WRITE | PTE.DIRTY)) | PTE.YOUNG;
		}
	}
	k.advance(transferNs(dev.cfg.linkBw, moved * PAGE_SIZE));
	dev.stats.migrated_out += moved;
	return moved;
}

/** migrate_vma_pages' struct page copy, then migrate_vma_finalize for a page mapped once: the new
 * page takes the old one's mapping, reference and bytes, and the old one is put. */
function moveFrame(k: Kernel, src: number, dst: number): void {
	const f = k.frames;
	const sc = src >> 12, so = src & 4095, dc = dst >> 12, doff = dst & 4095;
	f.mapping[dc][doff] = f.mapping[sc][so];
	f.index[dc][doff] = f.index[sc][so];
	f.flags[dc][doff] |= f.flags[sc][so] & (PG.ANON | PG.DIRTY);
	f.mapcount[dc][doff] = 1;
	f.refcount[dc][doff] = 1;
	f.slot[dc][doff] = f.slot[sc][so];
	f.slot[sc][so] = -1;
	f.mapcount[sc][so] -= 1;
	put_page(k, src);
}

function newType(k: Kernel, pfn: number): number {
	return k.frames.flags[pfn >> 12][pfn & 4095] & PG.DEV_PRIVATE ? PTE.DEVPRIV : PTE.PRESENT;
}

/** whole-leaf paths are for runs nobody steps through: a 'call' stop (a debugger's kernel
 * frames, script threads' switch points) would see the state between the general steps */
export function leafPathAllowed(k: Kernel): boolean { return !k.wants('call'); }
