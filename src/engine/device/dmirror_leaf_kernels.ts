// The per-page loops of dmirror's whole-leaf migrate path (dmirror_migrate_leaf.ts): one for
// MIGRATE_TO_DEV, one for MIGRATE_TO_SYS, each over one page-table leaf. They call nothing: every
// step that needs a function (a new run of destination frames, the device's mirror leaf, a
// mirror entry holding a read-only copy, a pagemap not seen yet, another frame chunk's arrays,
// the end of a stretch of an LRU list) ends the loop with a `stop` at the page concerned, the
// caller does that step and calls the loop again from there; a page the loops do not handle
// stops them for good (Stop.REFUSE). So each loop
// is a small function that V8 optimises within a few milliseconds of the first migration (a cold
// run spends most of its time waiting for that), and no call inside it blocks the optimisation of
// the typed-array accesses around it. Their state lives in one object of a fixed shape between
// calls (LeafMove).
import { LRU, PG, RAM_POOL, type Frames } from '../mm/frames';
import { PTE, type PtLeaf } from '../mm/pagetable';

// what chunk arrays hold before the first frame is seen (one type per field)
const NO_I32: Int32Array = new Int32Array(0);
const NO_U16: Uint16Array = new Uint16Array(0);
const NO_I16: Int16Array = new Int16Array(0);
const NO_F64: Float64Array = new Float64Array(0);
const NO_U8: Uint8Array = new Uint8Array(0);

/** why a loop returned before the end of its leaf */
export const enum Stop {
	DONE = 0,
	/** the destination run is used up: allocate the next one (page not started) */
	ALLOC = 1,
	/** to the device: the first page of the leaf that moves needs the mirror's leaf (page not started) */
	MIRROR_LEAF = 2,
	/** to the device: the page moved, but its mirror entry maps a read-only copy: the caller maps
	 * it with Mirror.map (lastDst, lastWrite) */
	MIRROR_COPY = 3,
	/** to RAM: a device page of another pagemap owner than the last one (page not started) */
	OWNER = 4,
	/** a page the whole-leaf path does not handle (a folio, a page mapped twice, one in the swap
	 * or page cache, another owner's frame: collect's cases): the general steps take the range
	 * from here (page not started) */
	REFUSE = 5,
	/** the page's frame is in another frame chunk than the source arrays (page not started): the
	 * caller points them at its chunk (LeafMove.setSource). Keeping them fixed within one call
	 * lets V8 hoist their bounds and base pointers out of the loop and keeps the loop small. */
	SOURCE = 6,
	/** to the device: the page's last reference goes and it is not next to the stretch of its
	 * LRU list the loop is cutting out (page not started): the caller closes that stretch
	 * (LeafMove.cutLru) */
	LRU_CUT = 7,
}

/** The state of one range's migration between loop calls. */
export class LeafMove {
	// the source frames' chunk
	sc = -1;
	sFlags = NO_U16; sPin = NO_I32; sMapc = NO_I32; sRef = NO_I32; sSlot = NO_I32; sMapping = NO_I32; sOwner = NO_I16; sIndex = NO_F64; sSwap = NO_I32;
	sLru = NO_U8; sNext = NO_I32; sPrev = NO_I32;
	// the destination run: next frame, its offset in its chunk, frames left, step between them
	dst = 0; d = 0; left = 0; step = 1;
	dFlags = NO_U16; dMapc = NO_I32; dRef = NO_I32; dSlot = NO_I32; dMapping = NO_I32; dIndex = NO_F64; dPin = NO_I32; dHead = NO_I32; dSwap = NO_I32;
	dLru = NO_U8; dNext = NO_I32; dPrev = NO_I32;
	/** to RAM: frames of the run used so far, and the inactive list's head when the run began
	 * (the loop links the frames it uses in front of it, as lruAdd of each; Frames.endRamRun
	 * makes the last one the head) */
	runUsed = 0;
	lruFront = -1;
	/** the flags a destination frame starts with (what the allocator's init gives it) */
	dInit = 0;
	// the mirror's leaf for this page-table leaf (NO_U8 until there is one)
	mPte = NO_U8; mPfn = NO_I32;
	/** frames freed, in order, not yet handed back (RAM free lists, or the pagemap) */
	freeing = new Int32Array(512);
	freeN = 0;
	copied = 0;
	moved = 0;
	/** entries that became used in the CPU leaf and in the mirror's leaf (the caller adds them) */
	used = 0;
	mUsed = 0;
	stop = Stop.DONE;
	lastDst = 0;
	lastWrite = 0;
	// per range
	holes = false;
	devType = 0;
	holePte = 0;
	movedYoung = 0;
	anonMapping = 0;
	selPrivate = false;
	selCoherent = false;
	ownedOwner = -3;

	/** a new range of up to n pages */
	reset(n: number): void {
		this.sc = -1;
		this.left = 0;
		this.freeN = 0;
		this.copied = 0;
		this.moved = 0;
		this.ownedOwner = -3;
		this.lruList = LRU.NONE;
		if (this.freeing.length < n) { this.freeing = new Int32Array(n); }
	}

	/** to the device: the stretch of an LRU list the freed pages form so far (open when lruList
	 * is not LRU.NONE): the entries before it (towards the head) and after it, and its pages.
	 * Freeing pages one by one (freeRamFrame's lruvec_del_folio) leaves the same list; each
	 * freed page keeps the links it had when it went, which the loop writes into it. */
	lruList = 0;
	lruBefore = -1;
	lruAfter = -1;
	lruCut = 0;

	/** the open stretch of freed pages leaves its list: the entries around it become neighbours */
	cutLru(f: Frames): void {
		const l = this.lruList;
		if (l === LRU.NONE) { return; }
		const b = this.lruBefore, a = this.lruAfter;
		if (b < 0) { f.lruHead[l] = a; } else { f.lruNext[b >> 12][b & 4095] = a; }
		if (a < 0) { f.lruTail[l] = b; } else { f.lruPrev[a >> 12][a & 4095] = b; }
		f.lruPages[l] -= this.lruCut;
		this.lruList = LRU.NONE;
	}

	/** the source arrays: frame chunk c's */
	setSource(f: Frames, c: number): void {
		this.sc = c;
		this.sFlags = f.flags[c]; this.sPin = f.pincount[c]; this.sMapc = f.mapcount[c]; this.sRef = f.refcount[c];
		this.sSlot = f.slot[c]; this.sMapping = f.mapping[c]; this.sOwner = f.owner[c]; this.sIndex = f.index[c]; this.sSwap = f.swap[c];
		this.sLru = f.lru[c]; this.sNext = f.lruNext[c]; this.sPrev = f.lruPrev[c];
	}

	/** the mirror's leaf the loops write, or none */
	setMirror(leaf: PtLeaf | undefined): void {
		this.mPte = leaf ? leaf.pte : NO_U8;
		this.mPfn = leaf ? leaf.pfn : NO_I32;
	}

	/** the run of destination frames starting at dst (the allocator's runLength and runStep) */
	setRun(f: Frames, dst: number, n: number, step: number): void {
		const c = dst >> 12;
		this.dst = dst;
		this.d = dst & 4095;
		this.left = n;
		this.step = step;
		this.dFlags = f.flags[c]; this.dMapc = f.mapcount[c]; this.dRef = f.refcount[c];
		this.dSlot = f.slot[c]; this.dMapping = f.mapping[c]; this.dIndex = f.index[c];
		this.dPin = f.pincount[c]; this.dHead = f.head[c]; this.dSwap = f.swap[c];
		this.dLru = f.lru[c]; this.dNext = f.lruNext[c]; this.dPrev = f.lruPrev[c];
		this.runUsed = 0;
		this.lruFront = f.lruHead[LRU.INACTIVE_ANON];
	}
}

/** dmirror_migrate_to_device's steps for the entries [li, hi) of one leaf (base: its first vpn).
 * Returns where it stopped (hi when done; st.stop says why otherwise). A source frame whose last
 * reference goes is freed and queued in st.freeing for the free list; a source with more
 * references loses one (put_page). */
export function leafToDevice(st: LeafMove, pte: Uint8Array, pfns: Int32Array, li: number, hi: number, base: number): number {
	const sc = st.sc;
	const sFlags = st.sFlags, sPin = st.sPin, sMapc = st.sMapc, sRef = st.sRef, sSlot = st.sSlot, sMapping = st.sMapping, sOwner = st.sOwner, sIndex = st.sIndex, sSwap = st.sSwap;
	const sLru = st.sLru, sNext = st.sNext, sPrev = st.sPrev;
	let lruList = st.lruList, lruBefore = st.lruBefore, lruAfter = st.lruAfter, lruCut = st.lruCut;
	let dst = st.dst, d = st.d, left = st.left;
	const step = st.step;
	const dFlags = st.dFlags, dMapc = st.dMapc, dRef = st.dRef, dSlot = st.dSlot, dMapping = st.dMapping, dIndex = st.dIndex, dPin = st.dPin, dHead = st.dHead;
	const dInit = st.dInit;
	const mPte = st.mPte, mPfn = st.mPfn, freeing = st.freeing;
	const holes = st.holes, devType = st.devType, holePte = st.holePte, movedYoung = st.movedYoung, anonMapping = st.anonMapping;
	let freeN = st.freeN, copied = st.copied, moved = st.moved, used = 0, mUsed = 0;
	let stop = Stop.DONE;
	let lastDst = 0, lastWrite = 0;
	for (; li < hi; li++) {
		const e = pte[li];
		const t = e & PTE.TYPE_MASK;
		let src = -1;
		let o = 0, fl = 0, r = 0, lr = 0;
		if (t === PTE.PRESENT || t === PTE.DEVPRIV) {
			src = pfns[li];
			o = src & 4095;
			if (src >> 12 !== sc) { stop = Stop.SOURCE; break; }
			fl = sFlags[o];
			r = sRef[o];
			lr = sLru[o];
			// (values read once: a store to one typed array keeps V8 from reusing a load of another)
			if (t === PTE.DEVPRIV) {
				// a device-private entry maps a device-private page, which SELECT_SYSTEM leaves alone
				if (!(fl & PG.DEV_PRIVATE)) { stop = Stop.REFUSE; break; }
				continue;
			} else if (fl & PG.ZERO) {
				src = -1;
			} else if ((fl & (PG.DEV_PRIVATE | PG.DEV_COHERENT | PG.DAX)) || sPin[o] > 0) {
				continue; // not selectable, or pinned
			} else if ((fl & (PG.HEAD | PG.TAIL | PG.FILE)) || sMapc[o] !== 1 || sSwap[o] >= 0 || sOwner[o] !== RAM_POOL || r < 1) {
				// collect splits folios and unmaps every mapping; put_page of a frame of another
				// owner is the general steps' too
				stop = Stop.REFUSE;
				break;
			} else if (r === 1 && lr !== LRU.NONE && lruList !== LRU.NONE && src !== lruBefore && src !== lruAfter) {
				stop = Stop.LRU_CUT;
				break;
			}
		} else if (t !== PTE.NONE) {
			continue;
		}
		if (src < 0 && !holes) { continue; }
		if (mPte === NO_U8) { stop = Stop.MIRROR_LEAF; break; }
		if (left === 0) { stop = Stop.ALLOC; break; }
		const vpn = base + li;
		let write = 0;
		// the allocator's init of the new page (Device.takeRun leaves it to the page's user; its
		// owner is the device's and it is on no LRU list and in no swap cache already)
		dRef[d] = 1;
		dPin[d] = 0;
		dHead[d] = dst;
		if (src < 0) {
			// migrate_vma_insert_page (page_add_anon_rmap): the hole gets the new zero-filled page
			dMapping[d] = anonMapping;
			dIndex[d] = vpn;
			dFlags[d] = dInit | PG.ANON;
			dMapc[d] = 1;
			dSlot[d] = -1;
			if (t === PTE.NONE) { used++; }
			pte[li] = holePte;
			pfns[li] = dst;
		} else {
			copied++;
			write = e & PTE.WRITE;
			// migrate_vma_pages, then finalize: the new page takes the old one's mapping,
			// reference and bytes, and the old one is put
			dMapping[d] = sMapping[o];
			dIndex[d] = sIndex[o];
			dFlags[d] = dInit | (fl & (PG.ANON | PG.DIRTY));
			pfns[li] = dst;
			pte[li] = devType | (e & (PTE.WRITE | PTE.DIRTY)) | movedYoung;
			dMapc[d] = 1;
			dSlot[d] = sSlot[o];
			sSlot[o] = -1;
			// its only mapping went (the mapcount was 1)
			sMapc[o] = 0;
			// put_page: the last reference of a RAM page frees it; any other reference count only
			// drops (frames of other owners are refused above)
			if (r === 1) {
				// freeRamFrame, in page order as finalize frees: off its LRU list (a base page: one
				// page of it), its struct page cleared; the free list and the chunk's count take
				// it after the loop (Frames.freedRamPfns), the chunk's arrays being in use till then
				if (lr !== LRU.NONE) {
					// cut out with the stretch it extends (LeafMove.lruList); the links it is left
					// with are those lruvec_del_folio leaves after its neighbour in the stretch went
					if (lruList === LRU.NONE) {
						lruList = lr;
						lruBefore = sPrev[o];
						lruAfter = sNext[o];
						lruCut = 0;
					} else if (src === lruBefore) {
						sNext[o] = lruAfter;
						lruBefore = sPrev[o];
					} else {
						sPrev[o] = lruBefore;
						lruAfter = sNext[o];
					}
					lruCut++;
					sLru[o] = LRU.NONE;
				}
				sFlags[o] = 0;
				sRef[o] = 0;
				sMapping[o] = -1;
				freeing[freeN++] = src;
			} else {
				sRef[o] = r - 1;
			}
		}
		// dmirror_migrate_finalize_and_map: the device maps what it now holds
		moved++;
		const me = mPte[li];
		if (me & PTE.COPY) {
			lastDst = dst;
			lastWrite = write;
			stop = Stop.MIRROR_COPY;
		} else {
			if ((me & PTE.TYPE_MASK) === PTE.NONE) { mUsed++; }
			mPte[li] = PTE.PRESENT | write;
			mPfn[li] = dst;
		}
		dst += step;
		d += step;
		left--;
		if (stop !== Stop.DONE) { break; }
	}
	st.lruList = lruList; st.lruBefore = lruBefore; st.lruAfter = lruAfter; st.lruCut = lruCut;
	st.lastDst = lastDst;
	st.lastWrite = lastWrite;
	st.dst = dst; st.d = d; st.left = left;
	st.freeN = freeN; st.copied = copied; st.moved = moved; st.used = used; st.mUsed = mUsed;
	st.stop = stop;
	return li;
}

/** dmirror_migrate_to_system's steps (finish_migration_to_ram) for the entries [li, hi) of one
 * leaf. mPte/mPfn: the device's mirror leaf, whose entries of moved pages go (xa_erase), or
 * NO_U8. Device pages whose last reference goes are queued in st.freeing for their pagemap's
 * page_free; a page with more references loses one. */
export function leafToRam(st: LeafMove, pte: Uint8Array, pfns: Int32Array, li: number, hi: number): number {
	const sc = st.sc;
	const sFlags = st.sFlags, sPin = st.sPin, sMapc = st.sMapc, sRef = st.sRef, sSlot = st.sSlot, sMapping = st.sMapping, sOwner = st.sOwner, sIndex = st.sIndex, sSwap = st.sSwap;
	let dst = st.dst, d = st.d, left = st.left;
	const step = st.step;
	const dFlags = st.dFlags, dMapc = st.dMapc, dRef = st.dRef, dSlot = st.dSlot, dMapping = st.dMapping, dIndex = st.dIndex, dPin = st.dPin, dHead = st.dHead, dSwap = st.dSwap;
	const dInit = st.dInit;
	const dLru = st.dLru, dNext = st.dNext, dPrev = st.dPrev, lruFront = st.lruFront;
	let runUsed = st.runUsed;
	const mPte = st.mPte, mPfn = st.mPfn, freeing = st.freeing;
	const selPrivate = st.selPrivate, selCoherent = st.selCoherent, ownedOwner = st.ownedOwner;
	let freeN = st.freeN, moved = st.moved, mUsed = 0;
	let stop = Stop.DONE;
	for (; li < hi; li++) {
		const e = pte[li];
		const t = e & PTE.TYPE_MASK;
		if (t !== PTE.PRESENT && t !== PTE.DEVPRIV) { continue; }
		const src = pfns[li];
		const o = src & 4095;
		if (src >> 12 !== sc) { stop = Stop.SOURCE; break; }
		const fl = sFlags[o];
		if (t === PTE.DEVPRIV && !(fl & PG.DEV_PRIVATE)) { stop = Stop.REFUSE; break; }
		// selectable(): this device's own pages of the kind asked for, unpinned
		if (fl & PG.ZERO || sPin[o] > 0) { continue; }
		if (!((fl & PG.DEV_PRIVATE) ? selPrivate : (fl & PG.DEV_COHERENT) ? selCoherent : false)) { continue; }
		if (sOwner[o] !== ownedOwner) { stop = Stop.OWNER; break; }
		const r = sRef[o];
		if ((fl & (PG.HEAD | PG.TAIL | PG.FILE)) || sMapc[o] !== 1 || sSwap[o] >= 0 || r < 1) { stop = Stop.REFUSE; break; }
		if (left === 0) { stop = Stop.ALLOC; break; }
		// dmirror_devmem_fault_alloc_and_copy: the device's own entry goes (xa_erase)
		if (mPte.length > 0 && (mPte[li] & PTE.TYPE_MASK) !== PTE.NONE) {
			mUsed--;
			mPte[li] = 0;
			mPfn[li] = 0;
		}
		moved++;
		// the allocator's init of the new page (Frames.takeRamRun leaves it to the page's user;
		// its owner is RAM's)
		dPin[d] = 0;
		dHead[d] = dst;
		dSwap[d] = -1;
		// folio_add_lru: on the inactive anon list, in front of the run's previous frame
		dLru[d] = LRU.INACTIVE_ANON;
		// (the newest frame's prev, -1, is Frames.endRamRun's to write)
		if (runUsed === 0) { dNext[d] = lruFront; } else { dNext[d] = dst - step; dPrev[d - step] = dst; }
		runUsed++;
		dMapping[d] = sMapping[o];
		dIndex[d] = sIndex[o];
		dFlags[d] = dInit | (fl & (PG.ANON | PG.DIRTY));
		pfns[li] = dst;
		pte[li] = PTE.PRESENT | (e & (PTE.WRITE | PTE.DIRTY)) | PTE.YOUNG;
		dMapc[d] = 1;
		dRef[d] = 1;
		dSlot[d] = sSlot[o];
		sSlot[o] = -1;
		// its only mapping went (the mapcount was 1)
		sMapc[o] = 0;
		if (r === 1) {
			// put_page of a device page: free_zone_device_folio hands it to the driver
			sRef[o] = 0;
			sFlags[o] = 0;
			sMapping[o] = -1;
			freeing[freeN++] = src;
		} else {
			sRef[o] = r - 1;
		}
		dst += step;
		d += step;
		left--;
	}
	st.dst = dst; st.d = d; st.left = left;
	st.freeN = freeN; st.moved = moved; st.mUsed = mUsed; st.runUsed = runUsed;
	st.stop = stop;
	return li;
}
