// Whole-machine consistency checks, run by the tests after every statement. Each returns a list
// of violations in words a kernel developer would use; an empty list means the machine is sane.
import type { Kernel } from '../kernel';
import { PTE } from '../mm/pagetable';
import { HPAGE_NR, HUGE_ZERO_PFN, LRU, PG, RAM_POOL } from '../mm/frames';
import { peek, peekWord } from '../query';
import { file_stored_slot, type SimFile } from '../mm/pagecache';
import { PAGE_SIZE } from '../mm/content';
import { fillWord } from '../mm/fill';
import { ghostSlots } from '../device/mirror_stale';

const FIRST_FREE = HUGE_ZERO_PFN + HPAGE_NR;

export function checkInvariants(k: Kernel): string[] {
	const bad: string[] = [];
	const f = k.frames;
	const maps = new Int32Array(f.size);
	const cacheRefs = new Int32Array(f.size);
	const si = k.swap;
	const swapRefs = new Uint32Array(si?.nslots ?? 0);
	const hex = (vpn: number) => '0x' + (vpn * 4096).toString(16);

	// every PTE points to a live page, and no PTE is a leftover migration entry
	for (const mm of k.mms) {
		if (!mm.alive) { continue; }
		mm.pt.forEach(0, Number.MAX_SAFE_INTEGER, (vpn, pfn, pte) => {
			const t = pte & PTE.TYPE_MASK;
			if (t === PTE.MIGRATION) { bad.push(`${mm.name} ${hex(vpn)}: migration entry left behind`); return; }
			if (t === PTE.SWAP) {
				if (!si || pfn < 0 || pfn >= si.nslots) { bad.push(`${mm.name} ${hex(vpn)}: swap entry for slot ${pfn}, which does not exist`); return; }
				if (!si.used(pfn)) { bad.push(`${mm.name} ${hex(vpn)}: swap entry for free swap slot ${pfn}`); }
				if (!mm.vmas.find(vpn)) { bad.push(`${mm.name} ${hex(vpn)}: swap entry outside any VMA`); }
				swapRefs[pfn]++;
				return;
			}
			if (!mm.vmas.find(vpn)) { bad.push(`${mm.name} ${hex(vpn)}: PTE outside any VMA`); }
			if (f.isZero(pfn)) { return; }
			if (pfn >= f.size || f.refcount[pfn >> 12][pfn & 4095] <= 0) { bad.push(`${mm.name} ${hex(vpn)}: PTE maps freed pfn ${pfn}`); return; }
			if (t === PTE.DEVPRIV && !(f.flags[pfn >> 12][pfn & 4095] & PG.DEV_PRIVATE)) { bad.push(`${mm.name} ${hex(vpn)}: device-private entry for a non-device page`); }
			if (t === PTE.PRESENT && (f.flags[pfn >> 12][pfn & 4095] & PG.DEV_PRIVATE)) { bad.push(`${mm.name} ${hex(vpn)}: CPU maps a device-private page`); }
			maps[pfn]++;
		});
	}
	for (const file of k.fileById) {
		file.pages.forEach(0, Number.MAX_SAFE_INTEGER, (index, pfn, pte) => {
			if ((pte & PTE.TYPE_MASK) !== PTE.SWAP) { cacheRefs[pfn]++; return; }
			// a swapped-out shmem page: its cache entry holds the slot (shmem_writepage)
			if (!si || pfn < 0 || pfn >= si.nslots || !si.used(pfn)) { bad.push(`${file.name} page ${index}: swap entry for slot ${pfn}, which is not in use`); return; }
			swapRefs[pfn]++;
		});
		// experimental=dax_migration: the persistent page behind a device copy keeps the file's reference
		file.pmem.forEach(0, Number.MAX_SAFE_INTEGER, (_i, pfn) => { cacheRefs[pfn]++; });
	}
	// a read-duplicate copy is referenced by its mirror entry alone (device/uvm/read_dup.ts)
	for (const d of k.devices) {
		for (const m of d.allMirrors()) {
			m.pt.forEach(0, Number.MAX_SAFE_INTEGER, (_v, pfn, mpte) => { if (mpte & PTE.COPY) { cacheRefs[pfn]++; } });
		}
	}
	// counts agree with the mappings, pins and cache references found
	/** content slot -> pages holding it (frames, swap slots, file disk pages) */
	const held = new Map<number, number>();
	let liveRam = 0;
	const devUsed = new Map<number, number>();
	for (let pfn = FIRST_FREE; pfn < f.size; pfn++) {
		// every frame's slot counts, referenced or not (a frame may keep bytes while unreferenced)
		const s = f.slot[pfn >> 12][pfn & 4095];
		if (s >= 0) { held.set(s, (held.get(s) ?? 0) + 1); }
		if (f.refcount[pfn >> 12][pfn & 4095] <= 0) {
			if (maps[pfn] > 0) { bad.push(`pfn ${pfn}: mapped ${maps[pfn]} times but refcount ${f.refcount[pfn >> 12][pfn & 4095]}`); }
			continue;
		}
		if (f.owner[pfn >> 12][pfn & 4095] === RAM_POOL) { if (!(f.flags[pfn >> 12][pfn & 4095] & PG.DAX)) { liveRam++; } } else { devUsed.set(f.owner[pfn >> 12][pfn & 4095], (devUsed.get(f.owner[pfn >> 12][pfn & 4095]) ?? 0) + 1); }
		if (f.mapcount[pfn >> 12][pfn & 4095] !== maps[pfn]) { bad.push(`pfn ${pfn}: mapcount ${f.mapcount[pfn >> 12][pfn & 4095]} but ${maps[pfn]} PTEs map it`); }
		const inSwapCache = f.swap[pfn >> 12][pfn & 4095] >= 0 ? 1 : 0;
		const want = maps[pfn] + f.pincount[pfn >> 12][pfn & 4095] + cacheRefs[pfn] + inSwapCache;
		if (f.refcount[pfn >> 12][pfn & 4095] !== want) { bad.push(`pfn ${pfn}: refcount ${f.refcount[pfn >> 12][pfn & 4095]} but ${maps[pfn]} mappings + ${f.pincount[pfn >> 12][pfn & 4095]} pins + ${cacheRefs[pfn]} cache + ${inSwapCache} swap cache`); }
		if (inSwapCache && si?.cache[f.swap[pfn >> 12][pfn & 4095]] !== pfn) { bad.push(`pfn ${pfn}: says it is in the swap cache of slot ${f.swap[pfn >> 12][pfn & 4095]}, which holds ${si?.cache[f.swap[pfn >> 12][pfn & 4095]]}`); }
	}
	if (si) { checkSwap(k, swapRefs, held, bad); }
	for (const file of k.fileById) {
		file.disk.forEach(0, Number.MAX_SAFE_INTEGER, (_index, s, pte) => { if ((pte & PTE.TYPE_MASK) === PTE.PRESENT && s >= 0) { held.set(s, (held.get(s) ?? 0) + 1); } });
	}
	// the bytes kept for freed frames that stale entries of other open files still reach
	for (const s of ghostSlots(k)) { held.set(s, (held.get(s) ?? 0) + 1); }
	checkContent(k, held, bad);
	checkLru(k, bad);
	if (liveRam !== f.ramUsed) { bad.push(`RAM accounting: ${f.ramUsed} pages accounted, ${liveRam} live`); }
	if (f.ramUsed > f.ramPages) { bad.push(`RAM accounting: ${f.ramUsed} pages in use, only ${f.ramPages} exist`); }
	for (const d of k.devices) {
		const live = devUsed.get(d.index) ?? 0;
		if (live !== d.usedPages) { bad.push(`device ${d.name}: ${d.usedPages} pages accounted, ${live} allocated`); }
		if (d.usedPages > d.capacityPages) { bad.push(`device ${d.name}: more pages in use than it has`); }
		// every mirror entry is the page the CPU maps there (or the device's own page behind it),
		// except an entry another open file's migration left behind: dmirror_interval_invalidate
		// skipped it (the owner is the device, not the file), so it may reach a freed or reused
		// frame, as in the kernel (device/mirror_stale.ts)
		for (const m of d.allMirrors()) {
			const mm = m.mm;
			const who = m.handle === undefined ? d.name : `${d.name} (open file ${m.handle})`;
			if (!mm.alive) { bad.push(`device ${who} still mirrors exited ${mm.name}`); continue; }
			for (const vpn of m.stale.vpns()) { if ((m.pt.pte(vpn) & PTE.TYPE_MASK) === PTE.NONE) { bad.push(`device ${who}: stale entry ${hex(vpn)} kept after its entry went`); } }
			m.pt.forEach(0, Number.MAX_SAFE_INTEGER, (vpn, pfn, mpte) => {
				const pte = mm.pt.pte(vpn);
				const t = pte & PTE.TYPE_MASK;
				if (m.stale.has(vpn)) { return; }
				if (mpte & PTE.COPY) {
					bad.push(...checkCopy(k, d.index, pfn, mpte, pte, mm.pt.pfn(vpn)).map(m => `device ${d.name} copy of ${mm.name} ${hex(vpn)}: ${m}`));
				} else if (t === PTE.NONE || mm.pt.pfn(vpn) !== pfn) {
					bad.push(`device ${who} maps ${mm.name} ${hex(vpn)} -> pfn ${pfn}, the CPU has ${t === PTE.NONE ? 'nothing' : 'pfn ' + mm.pt.pfn(vpn)}`);
				} else if ((mpte & PTE.WRITE) && !(pte & PTE.WRITE)) {
					bad.push(`device ${who} may write ${mm.name} ${hex(vpn)} but the CPU entry is read-only`);
				} else if ((mpte & PTE.ATOMIC) && t !== PTE.EXCL) {
					bad.push(`device ${who} holds atomic access to ${mm.name} ${hex(vpn)} without an exclusive entry`);
				}
			});
		}
	}
	// a released chunk of struct pages reads as free frames only while nobody wrote through it
	if (!f.defaultsIntact()) { bad.push('a free frame was written after its chunk of struct pages was released'); }
	return bad;
}

/** A read-duplicate copy: the device's own page, read-only, of a page the CPU holds in RAM behind
 * a write-protected, notifying PTE (so no write can reach the page while the copy lives), with
 * the same bytes. */
function checkCopy(k: Kernel, dev: number, pfn: number, mpte: number, pte: number, cpuPfn: number): string[] {
	const f = k.frames;
	if (f.owner[pfn >> 12][pfn & 4095] !== dev) { return [`pfn ${pfn} is not the device's memory`]; }
	if (mpte & (PTE.WRITE | PTE.ATOMIC)) { return ['the copy is writable']; }
	if ((pte & PTE.TYPE_MASK) !== PTE.PRESENT || f.owner[cpuPfn >> 12][cpuPfn & 4095] !== RAM_POOL) { return ['the CPU does not hold the page in RAM']; }
	if (pte & PTE.WRITE) { return ['the CPU entry is writable']; }
	if (!(pte & PTE.WP_NOTIFY)) { return ['the CPU entry would not notify a write']; }
	for (let w = 0; w < 1024; w++) {
		if (k.content.word(f.slot[pfn >> 12][pfn & 4095], w) !== k.content.word(f.slot[cpuPfn >> 12][cpuPfn & 4095], w)) { return [`word ${w} differs from the CPU's page`]; }
	}
	return [];
}

/** Swap slots: every slot's count is the number of swap entries referring to it, a slot in use
 * is referenced or cached (else it would have been freed), the swap cache and the pages agree, and
 * a slot's bytes live in one place: the cached page, or the slot itself. */
function checkSwap(k: Kernel, refs: Uint32Array, held: Map<number, number>, bad: string[]): void {
	const si = k.swap!;
	let inuse = 0;
	for (let s = 0; s < si.nslots; s++) {
		if (si.map[s] !== refs[s]) { bad.push(`swap slot ${s}: count ${si.map[s]} but ${refs[s]} swap entries refer to it`); }
		const cached = si.cache[s];
		if (cached >= 0) {
			if (k.frames.refcount[cached >> 12][cached & 4095] <= 0 || k.frames.swap[cached >> 12][cached & 4095] !== s) { bad.push(`swap slot ${s}: swap cache holds pfn ${cached}, which is not in it`); }
			if (si.data[s] >= 0) { bad.push(`swap slot ${s}: its bytes are both in the slot and in swap-cache page ${cached}`); }
			if (si.map[s] === 0) { bad.push(`swap slot ${s}: only the swap cache holds it (it should have been freed with its last entry)`); }
		}
		if (si.used(s)) { inuse++; } else if (si.data[s] >= 0) { bad.push(`free swap slot ${s} still holds content slot ${si.data[s]}`); }
		const d = si.data[s];
		if (d >= 0) { held.set(d, (held.get(d) ?? 0) + 1); }
	}
	if (inuse !== si.inuse) { bad.push(`swap accounting: ${si.inuse} slots accounted, ${inuse} in use`); }
	if (si.inuse + si.freeSlots !== si.nslots) { bad.push(`swap accounting: ${si.inuse} in use + ${si.freeSlots} free != ${si.nslots} slots`); }
}

/** Content slots: a byte slot's reference count is the number of pages holding it (shared ones
 * are copied on write), a pattern slot has one holder, and the store's counts of slots in use
 * are the slots held: a page's bytes in two places without a reference, or a leaked slot, show. */
function checkContent(k: Kernel, held: Map<number, number>, bad: string[]): void {
	let bytes = 0, patterns = 0;
	for (const [s, n] of held) {
		if (k.content.isPattern(s)) {
			patterns++;
			if (n > 1) { bad.push(`pattern slot ${s} is held by ${n} pages: a page lives in two places`); }
			continue;
		}
		bytes++;
		const r = k.content.refCount(s);
		if (r !== n) { bad.push(`content slot ${s}: ${r} references counted, ${n} pages hold it`); }
	}
	if (bytes !== k.content.live) { bad.push(`content accounting: ${k.content.live} byte slots in use, ${bytes} held`); }
	if (patterns !== k.content.patterns) { bad.push(`content accounting: ${k.content.patterns} pattern slots in use, ${patterns} held`); }
}

/** The LRU lists are well-linked lists of live RAM pages (folio heads), swap-backed ones (anon and
 * shmem) on the anon lists and page-cache pages on the file lists, and their page counts add up. */
function checkLru(k: Kernel, bad: string[]): void {
	const f = k.frames;
	for (const list of [LRU.INACTIVE_ANON, LRU.ACTIVE_ANON, LRU.INACTIVE_FILE, LRU.ACTIVE_FILE]) {
		const fileList = list === LRU.INACTIVE_FILE || list === LRU.ACTIVE_FILE;
		let pages = 0;
		let prev = -1;
		let n = 0;
		for (let p = f.lruHead[list]; p >= 0; prev = p, p = f.lruNext[p >> 12][p & 4095]) {
			if (++n > f.size) { bad.push(`LRU list ${list} has a cycle`); return; }
			if (f.lru[p >> 12][p & 4095] !== list || f.lruPrev[p >> 12][p & 4095] !== prev) { bad.push(`pfn ${p}: badly linked on LRU list ${list}`); return; }
			const kind = f.flags[p >> 12][p & 4095] & (PG.ANON | PG.FILE | PG.SWAPBACKED | PG.DAX | PG.HUGETLB);
			const fits = fileList ? kind === PG.FILE : kind === PG.ANON || kind === (PG.FILE | PG.SWAPBACKED) || kind === (PG.ANON | PG.SWAPBACKED);
			if (f.refcount[p >> 12][p & 4095] <= 0 || f.owner[p >> 12][p & 4095] !== RAM_POOL || !fits || (f.flags[p >> 12][p & 4095] & PG.TAIL)) { bad.push(`pfn ${p}: on LRU list ${list} but not a live RAM page of that list or a folio head`); }
			pages += f.lruNr(p);
		}
		if (f.lruTail[list] !== prev) { bad.push(`LRU list ${list}: tail ${f.lruTail[list]} but the last entry is ${prev}`); }
		if (pages !== f.lruPages[list]) { bad.push(`LRU list ${list}: ${f.lruPages[list]} pages accounted, ${pages} on it`); }
	}
}

/** A checksum of what every live process reads: migrations must not change it. A page counts
 * only where it holds something a fault would not bring, so faulting memory in is not a change:
 * zero pages are skipped, and a file, shmem or DAX page that the process maps straight from its
 * file (the page cache or the persistent page, which an unfaulted read sees the same) counts
 * once, through its file, and only where it differs from the file's initial content. Before
 * this, a DAX page that `exclusive` faulted in (through make_device_exclusive's GUP) before
 * refusing it counted after the statement but not before: a false "changed page contents". */
/** Does content slot `slot` hold exactly what page `index` of the file holds (its page-cache page,
 * or its initial content when not cached)? */
function sameAsFile(k: Kernel, f: SimFile, index: number, slot: number): boolean {
	const cached = file_stored_slot(k, f, index);
	const limit = f.init && index < f.npages ? Math.floor((f.size - index * PAGE_SIZE) / 4) : 0;
	for (let w = 0; w < 1024; w++) {
		const want = cached !== undefined ? k.content.word(cached, w) : (w < limit ? fillWord(f.init!, index * 1024 + w) : 0);
		if (k.content.word(slot, w) !== want) { return false; }
	}
	return true;
}

export function contentChecksum(k: Kernel): number {
	let h = 0x811c9dc5;
	for (const mm of k.mms) {
		if (!mm.alive) { continue; }
		mm.pt.forEach(0, Number.MAX_SAFE_INTEGER, (vpn, pfn, pte) => {
			// a swapped page counts as its bytes (peek reads them from the swap cache or the slot)
			if ((pte & PTE.TYPE_MASK) !== PTE.SWAP) {
				const vma = mm.vmas.find(vpn);
				const file = vma?.file;
				if (vma && file && (vma.shared || vma.backing !== 'anon')) {
					const index = vma.fileIndex(vpn);
					if ((file.pages.pte(index) & PTE.TYPE_MASK) === PTE.PRESENT && file.pages.pfn(index) === pfn) { return; }
					// a private COW copy that still holds what the file holds reads as an unfaulted
					// page would (a FOLL_WRITE GUP breaking COW, as make_device_exclusive's does)
					if (!vma.shared && sameAsFile(k, file, index, k.frames.slot[pfn >> 12][pfn & 4095])) { return; }
				}
			}
			const p = peek(k, mm, vpn);
			if (!p || ('slot' in p && p.slot < 0)) { return; }
			h = Math.imul(h ^ vpn, 16777619);
			for (let w = 0; w < 1024; w += 1) { h = Math.imul(h ^ peekWord(k, p, w), 16777619); }
		});
	}
	// every file counts, mapped or not: reclaim may have unmapped all of it, and its bytes (in the
	// cache, on disk or in a shmem swap slot) are still what a mapping would read
	for (const f of k.fileById) {
		const indices = new Set<number>();
		f.pages.forEach(0, Number.MAX_SAFE_INTEGER, index => { indices.add(index); });
		f.disk.forEach(0, Number.MAX_SAFE_INTEGER, index => { indices.add(index); });
		for (const index of [...indices].sort((a, b) => a - b)) {
			const slot = file_stored_slot(k, f, index)!;
			if (slot < 0) { continue; }
			const limit = f.init && index < f.npages ? Math.floor((f.size - index * PAGE_SIZE) / 4) : 0;
			const initial = (w: number) => (w < limit ? fillWord(f.init!, index * 1024 + w) : 0);
			let w = 0;
			while (w < 1024 && k.content.word(slot, w) === initial(w)) { w++; }
			if (w === 1024) { continue; }
			h = Math.imul(h ^ f.id, 16777619);
			h = Math.imul(h ^ index, 16777619);
			for (w = 0; w < 1024; w += 1) { h = Math.imul(h ^ k.content.word(slot, w), 16777619); }
		}
	}
	return h >>> 0;
}
