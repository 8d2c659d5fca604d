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
// come here (planToDevice, planToRam); a range with a THP, a page mapped twice, a page-cache or swap-cache page,
// a FAIL_ALLOC flag, a DAX mapping, a device with several open files on a process, or a device
// (or RAM) that could not hold all of it goes the general way.
import { Kernel } from '../kernel';
import { PG, RAM_POOL } from '../mm/frames';
import { PTE, PTRS_PER_PMD, type PtLeaf } from '../mm/pagetable';
import { type MigrateVma, SELECT } from '../hmm/migrate_device';
import { put_page } from '../mm/page';
import { type DevPagemap, page_pgmap, page_pgmap_owned } from '../mm/memremap';
import { PAGE_SIZE } from '../mm/content';
import { transferNs } from '../sim/cost';
import type { Device } from './device';
import type { Mirror } from './mirror';

const LEAF_MASK = PTRS_PER_PMD - 1;
// what hoisted chunk arrays hold before the first frame is seen (one type per variable)
const NO_I32: Int32Array = new Int32Array(0);
const NO_U16: Uint16Array = new Uint16Array(0);
const NO_I16: Int16Array = new Int16Array(0);
const NO_F64: Float64Array = new Float64Array(0);
/** to-device's list of frames to free (reused: the leaf path runs to its end without a yield) */
let freeing = new Int32Array(PTRS_PER_PMD);

// plan*: the pages of the range that need a destination page, or -1 if the range is not one for
// the leaf path. The checks are collect's (migrate_vma_collect_pmd, selectable()), hoisted per
// frame chunk; one function per direction keeps each loop's types and branches stable.

/** MIGRATE_TO_DEV (SELECT_SYSTEM): `holes` when the driver fills holes (anonymous memory). */
function planToDevice(k: Kernel, a: MigrateVma, holes: boolean): number {
	const f = k.frames;
	const pt = a.mm.pt;
	let need = 0;
	let sc = -1;
	let sFlags = NO_U16, sPin = NO_I32, sMapc = NO_I32, sSwap = NO_I32;
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
				sFlags = f.flags[sc]; sPin = f.pincount[sc]; sMapc = f.mapcount[sc]; sSwap = f.swap[sc];
			}
			const fl = sFlags[o];
			// a device-private entry maps a device-private page, which SELECT_SYSTEM leaves alone;
			// anything else is left to collect
			if (t === PTE.DEVPRIV) { if (!(fl & PG.DEV_PRIVATE)) { return -1; } continue; }
			if (fl & PG.ZERO) { if (holes) { need++; } continue; }
			if ((fl & (PG.DEV_PRIVATE | PG.DEV_COHERENT | PG.DAX)) || sPin[o] > 0) { continue; }
			if ((fl & (PG.HEAD | PG.TAIL | PG.FILE)) || sMapc[o] !== 1 || sSwap[o] >= 0) { return -1; }
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
	let sFlags = NO_U16, sPin = NO_I32, sMapc = NO_I32, sSwap = NO_I32, sOwner = NO_I16;
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
				sFlags = f.flags[sc]; sPin = f.pincount[sc]; sMapc = f.mapcount[sc]; sSwap = f.swap[sc]; sOwner = f.owner[sc];
			}
			const fl = sFlags[o];
			if (t === PTE.DEVPRIV && !(fl & PG.DEV_PRIVATE)) { return -1; }
			if ((fl & PG.ZERO) || sPin[o] > 0) { continue; }
			if (!((fl & PG.DEV_PRIVATE) ? selPrivate : (fl & PG.DEV_COHERENT) ? selCoherent : false)) { continue; }
			if (sOwner[o] !== ownedOwner) {
				if (!page_pgmap_owned(k, p, a.owner)) { continue; }
				ownedOwner = sOwner[o];
			}
			if ((fl & (PG.HEAD | PG.TAIL | PG.FILE)) || sMapc[o] !== 1 || sSwap[o] >= 0) { return -1; }
			need++;
		}
	}
	return need;
}

/** dmirror_migrate_to_device's steps for one migrate_vma range (flags SELECT_SYSTEM). Returns -1
 * (not taken) or 0. Destination pages come from the device in runs (Device.allocRun). */
export function dmirror_leaf_to_device(k: Kernel, a: MigrateVma, dev: Device, m: Mirror): number {
	// DAX (experimental=dax_migration copies, persistent pages stay): the general steps
	// several open files of the device (mirror_handles.ts) note which file migrated each page
	if (m.failAlloc || a.flags !== SELECT.SYSTEM || a.vma.backing === 'dax' || dev.handles.length > 0) { return -1; }
	const holes = a.vma.isAnonPrivate;
	let need = planToDevice(k, a, holes);
	if (need < 0 || dev.capacityPages - dev.usedPages < need) { return -1; }
	const f = k.frames;
	const mm = a.mm;
	const pt = mm.pt;
	const mpt = m.pt;
	// migrate_vma_insert_page's entry for a hole, and finalize's for a moved page
	const devType = dev.pageFlag & PG.DEV_PRIVATE ? PTE.DEVPRIV : PTE.PRESENT;
	const holePte = devType | (a.vma.writable ? PTE.WRITE : 0) | (devType === PTE.PRESENT ? PTE.YOUNG | PTE.DIRTY : 0);
	const movedYoung = devType === PTE.PRESENT ? PTE.YOUNG : 0;
	const anonMapping = Kernel.anonMapping(mm.family);
	let copied = 0;
	let moved = 0;
	// the source frames' chunk and the destination run's chunk, hoisted
	let sc = -1;
	let sFlags = NO_U16, sPin = NO_I32, sMapc = NO_I32, sRef = NO_I32, sSlot = NO_I32, sMapping = NO_I32, sOwner = NO_I16, sIndex = NO_F64;
	let dst = 0, d = 0, left = 0, step = 1;
	// source frames whose last reference went, not yet back on the free lists
	if (freeing.length < a.npages) { freeing = new Int32Array(a.npages); }
	let freeN = 0;
	let dFlags = NO_U16, dMapc = NO_I32, dRef = NO_I32, dSlot = NO_I32, dMapping = NO_I32, dIndex = NO_F64;
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
		const pte = leaf.pte, pfns = leaf.pfn;
		let ml: PtLeaf | undefined;
		for (let li = lo; li < hi; li++) {
			const e = pte[li];
			const t = e & PTE.TYPE_MASK;
			let src = -1;
			let o = 0;
			if (t === PTE.PRESENT) {
				src = pfns[li];
				o = src & 4095;
				if (src >> 12 !== sc) {
					sc = src >> 12;
					sFlags = f.flags[sc]; sPin = f.pincount[sc]; sMapc = f.mapcount[sc]; sRef = f.refcount[sc];
					sSlot = f.slot[sc]; sMapping = f.mapping[sc]; sOwner = f.owner[sc]; sIndex = f.index[sc];
				}
				const fl = sFlags[o];
				if (fl & PG.ZERO) {
					src = -1;
				} else if ((fl & (PG.DEV_PRIVATE | PG.DEV_COHERENT | PG.DAX)) || sPin[o] > 0) {
					continue; // not selectable, or pinned
				}
			} else if (t !== PTE.NONE) {
				continue;
			}
			if (src < 0 && !holes) { continue; }
			if (left === 0) {
				dst = dev.allocRun(k, need);
				left = dev.runLength;
				step = dev.runStep;
				need -= left;
				const c = dst >> 12;
				d = dst & 4095;
				dFlags = f.flags[c]; dMapc = f.mapcount[c]; dRef = f.refcount[c]; dSlot = f.slot[c]; dMapping = f.mapping[c]; dIndex = f.index[c];
			}
			const vpn = base + li;
			let write = 0;
			if (src < 0) {
				// migrate_vma_insert_page (page_add_anon_rmap): the hole gets the new zero-filled page
				dMapping[d] = anonMapping;
				dIndex[d] = vpn;
				dFlags[d] |= PG.ANON;
				dMapc[d]++;
				dSlot[d] = -1;
				if (t === PTE.NONE) { leaf.used++; }
				pte[li] = holePte;
				pfns[li] = dst;
			} else {
				copied++;
				write = e & PTE.WRITE;
				// migrate_vma_pages, then finalize: the new page takes the old one's mapping,
				// reference and bytes, and the old one is put
				dMapping[d] = sMapping[o];
				dIndex[d] = sIndex[o];
				dFlags[d] |= sFlags[o] & (PG.ANON | PG.DIRTY);
				pfns[li] = dst;
				pte[li] = devType | (e & (PTE.WRITE | PTE.DIRTY)) | movedYoung;
				dMapc[d] = 1;
				dRef[d] = 1;
				dSlot[d] = sSlot[o];
				sSlot[o] = -1;
				sMapc[o] -= 1;
				if (sRef[o] === 1 && sOwner[o] === RAM_POOL) {
					// put_page's last reference: back to the RAM free lists with the others, in order
					freeing[freeN++] = src;
				} else {
					if (freeN > 0) { f.freeRamPfns(freeing, freeN); freeN = 0; }
					put_page(k, src);
				}
			}
			// dmirror_migrate_finalize_and_map: the device maps what it now holds
			moved++;
			if (!ml) { ml = mpt.leafFor(vpn); }
			const me = ml.pte[li];
			if (me & PTE.COPY) {
				m.map(vpn, dst, write !== 0);
				ml = undefined;
			} else {
				if ((me & PTE.TYPE_MASK) === PTE.NONE) { ml.used++; }
				ml.pte[li] = PTE.PRESENT | write;
				ml.pfn[li] = dst;
			}
			dst += step;
			d += step;
			left--;
		}
	}
	if (freeN > 0) { f.freeRamPfns(freeing, freeN); }
	dev.stats.migrated_in += moved;
	k.advance(transferNs(dev.cfg.linkBw, copied * PAGE_SIZE));
	return 0;
}

/** dmirror_migrate_to_system's steps for one range (finish_migration_to_ram): returns -1 (not
 * taken) or the entries that migrated. */
export function dmirror_leaf_to_ram(k: Kernel, a: MigrateVma, dev: Device, m: Mirror): number {
	if (m.failAlloc || (a.flags & (SELECT.SYSTEM | SELECT.COMPOUND)) || a.vma.backing === 'dax' || dev.handles.length > 0) { return -1; }
	let need = planToRam(k, a);
	const f = k.frames;
	if (need < 0 || f.ramPages - f.ramUsed < need) { return -1; }
	const pt = a.mm.pt;
	const mirror = dev.mirrors.get(a.mm);
	const selPrivate = (a.flags & SELECT.DEVICE_PRIVATE) !== 0, selCoherent = (a.flags & SELECT.DEVICE_COHERENT) !== 0;
	// the pgmap of the device frames seen last (page_pgmap), and its owner index
	let ownedOwner = -3;
	let pgmap: DevPagemap | undefined;
	let moved = 0;
	let sc = -1;
	let sFlags = NO_U16, sPin = NO_I32, sMapc = NO_I32, sRef = NO_I32, sSlot = NO_I32, sMapping = NO_I32, sOwner = NO_I16, sIndex = NO_F64;
	let dst = 0, d = 0, left = 0, step = -1;
	let dFlags = NO_U16, dMapc = NO_I32, dRef = NO_I32, dSlot = NO_I32, dMapping = NO_I32, dIndex = NO_F64;
	for (let s = a.start; s < a.end;) {
		const lo = s & LEAF_MASK;
		const hi = Math.min(PTRS_PER_PMD, lo + a.end - s);
		const base = s - lo;
		s += hi - lo;
		const leaf = pt.leaf(base);
		if (!leaf) { continue; }
		const pte = leaf.pte, pfns = leaf.pfn;
		const ml = mirror?.pt.leaf(base);
		for (let li = lo; li < hi; li++) {
			const e = pte[li];
			const t = e & PTE.TYPE_MASK;
			if (t !== PTE.PRESENT && t !== PTE.DEVPRIV) { continue; }
			const src = pfns[li];
			const o = src & 4095;
			if (src >> 12 !== sc) {
				sc = src >> 12;
				sFlags = f.flags[sc]; sPin = f.pincount[sc]; sMapc = f.mapcount[sc]; sRef = f.refcount[sc];
				sSlot = f.slot[sc]; sMapping = f.mapping[sc]; sOwner = f.owner[sc]; sIndex = f.index[sc];
			}
			const fl = sFlags[o];
			// selectable(): this device's own pages of the kind asked for, unpinned
			if (fl & PG.ZERO || sPin[o] > 0) { continue; }
			if (!((fl & PG.DEV_PRIVATE) ? selPrivate : (fl & PG.DEV_COHERENT) ? selCoherent : false)) { continue; }
			if (sOwner[o] !== ownedOwner) {
				if (!page_pgmap_owned(k, src, a.owner)) { continue; }
				ownedOwner = sOwner[o];
				pgmap = page_pgmap(k, src);
			}
			if (left === 0) {
				dst = f.allocRamRun(need, PG.ANON);
				left = f.runLength;
				step = f.runStep;
				need -= left;
				const c = dst >> 12;
				d = dst & 4095;
				dFlags = f.flags[c]; dMapc = f.mapcount[c]; dRef = f.refcount[c]; dSlot = f.slot[c]; dMapping = f.mapping[c]; dIndex = f.index[c];
			}
			// dmirror_devmem_fault_alloc_and_copy: the device's own entry goes (xa_erase)
			if (ml && (ml.pte[li] & PTE.TYPE_MASK) !== PTE.NONE) {
				ml.used--;
				ml.pte[li] = 0;
				ml.pfn[li] = 0;
			}
			moved++;
			dMapping[d] = sMapping[o];
			dIndex[d] = sIndex[o];
			dFlags[d] |= fl & (PG.ANON | PG.DIRTY);
			pfns[li] = dst;
			pte[li] = PTE.PRESENT | (e & (PTE.WRITE | PTE.DIRTY)) | PTE.YOUNG;
			dMapc[d] = 1;
			dRef[d] = 1;
			dSlot[d] = sSlot[o];
			sSlot[o] = -1;
			sMapc[o] -= 1;
			if (sRef[o] === 1) {
				// put_page of a device page: free_zone_device_folio hands it to the driver
				sRef[o] = 0;
				sFlags[o] = 0;
				sMapping[o] = -1;
				pgmap!.ops.page_free(k, src, 1);
			} else {
				put_page(k, src);
			}
			dst += step;
			d += step;
			left--;
		}
		if (ml && ml.used === 0) { mirror!.pt.dropIfEmpty(base); }
	}
	k.advance(transferNs(dev.cfg.linkBw, moved * PAGE_SIZE));
	dev.stats.migrated_out += moved;
	return moved;
}

/** whole-leaf paths are for runs nobody steps through: a 'call' stop (a debugger's kernel
 * frames, script threads' switch points) would see the state between the general steps */
export function leafPathAllowed(k: Kernel): boolean { return !k.wants('call'); }
