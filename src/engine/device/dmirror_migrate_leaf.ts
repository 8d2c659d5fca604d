// dmirror's migrate_vma_* sequence (HMM_DMIRROR_MIGRATE_TO_DEV / _TO_SYS) over whole page-table
// leaves, for when nobody watches kernel calls: migrate_vma_collect, the driver's
// alloc_and_copy, migrate_vma_pages, dmirror's mapping of what moved and migrate_vma_finalize in
// one pass per page instead of one pass each. Nothing can observe the state between those steps
// without a 'call' stop (every other event of the sequence comes before collect, in
// migrate_vma_setup), and the steps of one page touch nothing the steps of another read: the
// device allocator and the RAM free lists are each used in page order, as the general path uses
// them. So the outcome is the general path's, page for page: the same frames, counters, clock.
//
// The loops move the pages the general path would either skip without a trace or move one by
// one, and stop before the first page it would treat otherwise (a THP, a page mapped twice, a
// page-cache or swap-cache page): collect and the driver's general steps take the range from
// there (MigrateVma.leafTook), which ends where the general steps over the whole range would, as
// no page is collected before another has moved. A range with FAIL_ALLOC set, a DAX mapping or a
// device with several open files on a process goes the general way whole, and one the device (or
// RAM) might not hold is planned first (planToDevice, planToRam) and goes the general way unless
// it fits.
import { Kernel } from '../kernel';
import { PG, RAM_POOL } from '../mm/frames';
import { PTE, PTRS_PER_PMD, type PtLeaf } from '../mm/pagetable';
import { type MigrateVma, SELECT } from '../hmm/migrate_device';
import { type DevPagemap, page_free_pages, page_pgmap, page_pgmap_owned } from '../mm/memremap';
import { PAGE_SIZE } from '../mm/content';
import { transferNs } from '../sim/cost';
import type { Device } from './device';
import type { Mirror } from './mirror';
import { LeafMove, leafToDevice, leafToRam, Stop } from './dmirror_leaf_kernels';

const LEAF_MASK = PTRS_PER_PMD - 1;
// what hoisted chunk arrays hold before the first frame is seen (one type per variable)
const NO_I32: Int32Array = new Int32Array(0);
const NO_U16: Uint16Array = new Uint16Array(0);
const NO_I16: Int16Array = new Int16Array(0);

// plan*: the pages of the range that need a destination page, or -1 if the range is not one for
// the leaf path, for a range the destination might not hold. The checks are collect's
// (migrate_vma_collect_pmd, selectable()), hoisted per frame chunk; one function per direction
// keeps each loop's types and branches stable.

/** MIGRATE_TO_DEV (SELECT_SYSTEM): `holes` when the driver fills holes (anonymous memory). */
function planToDevice(k: Kernel, a: MigrateVma, holes: boolean): number {
	const f = k.frames;
	const pt = a.mm.pt;
	let need = 0;
	let sc = -1;
	let sFlags = NO_U16, sPin = NO_I32, sMapc = NO_I32, sSwap = NO_I32, sRef = NO_I32, sOwner = NO_I16;
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
			const o = p & 4095;
			if (p >> 12 !== sc) {
				sc = p >> 12;
				sFlags = f.flags[sc]; sPin = f.pincount[sc]; sMapc = f.mapcount[sc]; sSwap = f.swap[sc]; sRef = f.refcount[sc]; sOwner = f.owner[sc];
			}
			const fl = sFlags[o];
			// a device-private entry maps a device-private page, which SELECT_SYSTEM leaves alone;
			// anything else is left to collect
			if (t === PTE.DEVPRIV) { if (!(fl & PG.DEV_PRIVATE)) { return -1; } continue; }
			if (fl & PG.ZERO) { if (holes) { need++; } continue; }
			if ((fl & (PG.DEV_PRIVATE | PG.DEV_COHERENT | PG.DAX)) || sPin[o] > 0) { continue; }
			if ((fl & (PG.HEAD | PG.TAIL | PG.FILE)) || sMapc[o] !== 1 || sSwap[o] >= 0) { return -1; }
			// put_page in the loop (dmirror_leaf_kernels.ts) either frees a RAM frame or only drops a reference
			if (sOwner[o] !== RAM_POOL || sRef[o] < 1) { return -1; }
			need++;
		}
	}
	return need;
}

/** MIGRATE_TO_SYS (SELECT_DEVICE_PRIVATE or _COHERENT, this device's pages only). */
function planToRam(k: Kernel, a: MigrateVma): number {
	const f = k.frames;
	const pt = a.mm.pt;
	const selPrivate = (a.flags & SELECT.DEVICE_PRIVATE) !== 0, selCoherent = (a.flags & SELECT.DEVICE_COHERENT) !== 0;
	let ownedOwner = -3;
	let need = 0;
	let sc = -1;
	let sFlags = NO_U16, sPin = NO_I32, sMapc = NO_I32, sSwap = NO_I32, sOwner = NO_I16, sRef = NO_I32;
	for (let s = a.start; s < a.end;) {
		const lo = s & LEAF_MASK;
		const hi = Math.min(PTRS_PER_PMD, lo + a.end - s);
		const leaf = pt.leaf(s);
		s += hi - lo;
		if (!leaf) { continue; }
		if (leaf.huge) { return -1; }
		const pte = leaf.pte, pfns = leaf.pfn;
		for (let li = lo; li < hi; li++) {
			const t = pte[li] & PTE.TYPE_MASK;
			if (t !== PTE.PRESENT && t !== PTE.DEVPRIV) { continue; }
			const p = pfns[li];
			const o = p & 4095;
			if (p >> 12 !== sc) {
				sc = p >> 12;
				sFlags = f.flags[sc]; sPin = f.pincount[sc]; sMapc = f.mapcount[sc]; sSwap = f.swap[sc]; sOwner = f.owner[sc]; sRef = f.refcount[sc];
			}
			const fl = sFlags[o];
			if (t === PTE.DEVPRIV && !(fl & PG.DEV_PRIVATE)) { return -1; }
			if ((fl & PG.ZERO) || sPin[o] > 0) { continue; }
			if (!((fl & PG.DEV_PRIVATE) ? selPrivate : (fl & PG.DEV_COHERENT) ? selCoherent : false)) { continue; }
			if (sOwner[o] !== ownedOwner) {
				if (!page_pgmap_owned(k, p, a.owner)) { continue; }
				ownedOwner = sOwner[o];
			}
			if ((fl & (PG.HEAD | PG.TAIL | PG.FILE)) || sMapc[o] !== 1 || sSwap[o] >= 0 || sRef[o] < 1) { return -1; }
			need++;
		}
	}
	return need;
}

/** one range's state between the per-page loops (reused: a range runs to its end without a yield) */
const st = new LeafMove();

/** The leaf loops stopped at `at` (Stop.REFUSE, or a PMD-mapped leaf): the pages before it have
 * moved and the general steps take the range from there, as if collect had begun at `at`. The
 * link time of what moved is charged with theirs, in one transfer, as the general steps charge
 * a whole range. */
function leave(a: MigrateVma, at: number, copied: number): number {
	if (at > a.start) { a.leafTook(at - a.start, st.moved, copied); }
	return -1;
}

/** dmirror_migrate_to_device's steps for one migrate_vma range (flags SELECT_SYSTEM). Returns -1
 * (the general steps take the range, or what is left of it: see leave) or the pages that moved.
 * Destination pages come from the device in runs (Device.takeRun); runs are asked for the rest
 * of the range, and what a run has left when the range ends goes back (Device.endRun), so the
 * allocator hands out exactly the pages allocPage would. A device that might not hold the whole
 * range is planned first (planToDevice): the general steps fill it page by page. */
export function dmirror_leaf_to_device(k: Kernel, a: MigrateVma, dev: Device, m: Mirror): number {
	// DAX (experimental=dax_migration copies, persistent pages stay): the general steps
	// several open files of the device (mirror_handles.ts) note which file migrated each page
	if (m.failAlloc || a.flags !== SELECT.SYSTEM || a.vma.backing === 'dax' || dev.handles.length > 0) { return -1; }
	const holes = a.vma.isAnonPrivate;
	const planned = dev.capacityPages - dev.usedPages < a.npages;
	let need = planned ? planToDevice(k, a, holes) : 0;
	if (planned && (need < 0 || dev.capacityPages - dev.usedPages < need)) { return -1; }
	const f = k.frames;
	const pt = a.mm.pt;
	const mpt = m.pt;
	st.reset(a.npages);
	st.holes = holes;
	// migrate_vma_insert_page's entry for a hole, and finalize's for a moved page
	const devType = dev.pageFlag & PG.DEV_PRIVATE ? PTE.DEVPRIV : PTE.PRESENT;
	st.devType = devType;
	st.holePte = devType | (a.vma.writable ? PTE.WRITE : 0) | (devType === PTE.PRESENT ? PTE.YOUNG | PTE.DIRTY : 0);
	st.movedYoung = devType === PTE.PRESENT ? PTE.YOUNG : 0;
	st.anonMapping = Kernel.anonMapping(a.mm.family);
	st.dInit = dev.pageFlag;
	let runFirst = 0, runLength = 0, runStep = 1;
	let refused = -1;
	for (let s = a.start; s < a.end && refused < 0;) {
		const lo = s & LEAF_MASK;
		const hi = Math.min(PTRS_PER_PMD, lo + a.end - s);
		const base = s - lo;
		s += hi - lo;
		let leaf = pt.leaf(base);
		if (!leaf) {
			if (!holes) { continue; }
			leaf = pt.leafFor(base);
		}
		if (leaf.huge) { refused = base + lo; break; }
		// the mirror's leaf is made when the first page of this leaf moves
		let ml: PtLeaf | undefined;
		st.setMirror(undefined);
		for (let li = lo; li < hi;) {
			li = leafToDevice(st, leaf.pte, leaf.pfn, li, hi, base);
			leaf.used += st.used;
			if (ml) { ml.used += st.mUsed; }
			const stop = st.stop;
			if (stop === Stop.ALLOC) {
				runFirst = dev.takeRun(k, planned ? need : a.end - base - li);
				runLength = dev.runLength;
				runStep = dev.runStep;
				st.setRun(f, runFirst, runLength, runStep);
				need -= runLength;
			} else if (stop === Stop.MIRROR_LEAF) {
				ml = mpt.leafFor(base + li);
				st.setMirror(ml);
			} else if (stop === Stop.MIRROR_COPY) {
				// the entry held the device's read-only copy: Mirror.map lets it go
				m.map(base + li, st.lastDst, st.lastWrite !== 0);
				ml = mpt.leafFor(base + li);
				st.setMirror(ml);
				li++;
			} else if (stop === Stop.SOURCE) {
				st.setSource(f, leaf.pfn[li] >> 12);
			} else if (stop === Stop.LRU_CUT) {
				st.cutLru(f);
			} else if (stop === Stop.REFUSE) {
				refused = base + li;
				break;
			}
		}
	}
	st.cutLru(f);
	if (st.left > 0) { dev.endRun(k, runFirst, runLength, runStep, runLength - st.left); }
	if (st.freeN > 0) { f.freedRamPfns(st.freeing, st.freeN); }
	dev.stats.migrated_in += st.moved;
	if (refused >= 0) { return leave(a, refused, st.copied); }
	k.advance(transferNs(dev.cfg.linkBw, st.copied * PAGE_SIZE));
	return st.moved;
}

/** dmirror_migrate_to_system's steps for one range (finish_migration_to_ram): returns -1 (the
 * general steps take the range or its rest, as for dmirror_leaf_to_device) or the entries that
 * migrated. A RAM that might not hold the whole range is planned first (planToRam). */
export function dmirror_leaf_to_ram(k: Kernel, a: MigrateVma, dev: Device, m: Mirror): number {
	if (m.failAlloc || (a.flags & (SELECT.SYSTEM | SELECT.COMPOUND)) || a.vma.backing === 'dax' || dev.handles.length > 0) { return -1; }
	const f = k.frames;
	const planned = f.ramPages - f.ramUsed < a.npages;
	let need = planned ? planToRam(k, a) : 0;
	if (planned && (need < 0 || f.ramPages - f.ramUsed < need)) { return -1; }
	const pt = a.mm.pt;
	const mirror = dev.mirrors.get(a.mm);
	st.reset(a.npages);
	st.selPrivate = (a.flags & SELECT.DEVICE_PRIVATE) !== 0;
	st.selCoherent = (a.flags & SELECT.DEVICE_COHERENT) !== 0;
	st.dInit = PG.ANON;
	// the pgmap of the device frames seen last (page_pgmap): the frees queued are its pages
	let pgmap: DevPagemap | undefined;
	let runFirst = 0, runLength = 0, runStep = 1;
	let refused = -1;
	for (let s = a.start; s < a.end && refused < 0;) {
		const lo = s & LEAF_MASK;
		const hi = Math.min(PTRS_PER_PMD, lo + a.end - s);
		const base = s - lo;
		s += hi - lo;
		const leaf = pt.leaf(base);
		if (!leaf) { continue; }
		if (leaf.huge) { refused = base + lo; break; }
		const ml = mirror?.pt.leaf(base);
		st.setMirror(ml);
		for (let li = lo; li < hi;) {
			li = leafToRam(st, leaf.pte, leaf.pfn, li, hi);
			if (ml) { ml.used += st.mUsed; }
			if (st.stop === Stop.ALLOC) {
				if (runLength > 0) { f.endRamRun(runFirst, runLength, runStep, runLength); }
				runFirst = f.takeRamRun(planned ? need : a.end - base - li);
				runLength = f.runLength;
				runStep = f.runStep;
				st.setRun(f, runFirst, runLength, runStep);
				need -= runLength;
			} else if (st.stop === Stop.OWNER) {
				const src = leaf.pfn[li];
				if (!page_pgmap_owned(k, src, a.owner)) { li++; continue; }
				if (pgmap && st.freeN > 0) { page_free_pages(k, pgmap, st.freeing, st.freeN); st.freeN = 0; }
				st.ownedOwner = f.owner[src >> 12][src & 4095];
				pgmap = page_pgmap(k, src);
			} else if (st.stop === Stop.SOURCE) {
				st.setSource(f, leaf.pfn[li] >> 12);
			} else if (st.stop === Stop.REFUSE) {
				refused = base + li;
				break;
			}
		}
		if (ml && ml.used === 0) { mirror!.pt.dropIfEmpty(base); }
	}
	if (runLength > 0) { f.endRamRun(runFirst, runLength, runStep, runLength - st.left); }
	if (pgmap && st.freeN > 0) { page_free_pages(k, pgmap, st.freeing, st.freeN); }
	dev.stats.migrated_out += st.moved;
	if (refused >= 0) { return leave(a, refused, st.moved); }
	k.advance(transferNs(dev.cfg.linkBw, st.moved * PAGE_SIZE));
	return st.moved;
}

/** whole-leaf paths are for runs nobody steps through: a 'call' stop (a debugger's kernel
 * frames, script threads' switch points) would see the state between the general steps */
export function leafPathAllowed(k: Kernel): boolean { return !k.wants('call'); }
