// Whole-machine consistency checks, run by the tests after every statement. Each returns a list
// of violations in words a kernel developer would use; an empty list means the machine is sane.
import type { Kernel } from '../kernel';
import { PTE } from '../mm/pagetable';
import { HPAGE_NR, HUGE_ZERO_PFN, PG, RAM_POOL } from '../mm/frames';
import { peek, peekWord } from '../query';
import type { SimFile } from '../mm/pagecache';
import { PAGE_SIZE } from '../mm/content';
import { fillWord } from '../mm/fill';

const FIRST_FREE = HUGE_ZERO_PFN + HPAGE_NR;

export function checkInvariants(k: Kernel): string[] {
	const bad: string[] = [];
	const f = k.frames;
	const maps = new Int32Array(f.size);
	const cacheRefs = new Int32Array(f.size);
	const hex = (vpn: number) => '0x' + (vpn * 4096).toString(16);

	// every PTE points to a live page, and no PTE is a leftover migration entry
	for (const mm of k.mms) {
		if (!mm.alive) { continue; }
		mm.pt.forEach(0, Number.MAX_SAFE_INTEGER, (vpn, pfn, pte) => {
			const t = pte & PTE.TYPE_MASK;
			if (t === PTE.MIGRATION) { bad.push(`${mm.name} ${hex(vpn)}: migration entry left behind`); return; }
			if (t === PTE.SWAP) { return; }
			if (!mm.vmas.find(vpn)) { bad.push(`${mm.name} ${hex(vpn)}: PTE outside any VMA`); }
			if (f.isZero(pfn)) { return; }
			if (pfn >= f.size || f.refcount[pfn] <= 0) { bad.push(`${mm.name} ${hex(vpn)}: PTE maps freed pfn ${pfn}`); return; }
			if (t === PTE.DEVPRIV && !(f.flags[pfn] & PG.DEV_PRIVATE)) { bad.push(`${mm.name} ${hex(vpn)}: device-private entry for a non-device page`); }
			if (t === PTE.PRESENT && (f.flags[pfn] & PG.DEV_PRIVATE)) { bad.push(`${mm.name} ${hex(vpn)}: CPU maps a device-private page`); }
			maps[pfn]++;
		});
	}
	for (const file of k.fileById) {
		file.pages.forEach(0, Number.MAX_SAFE_INTEGER, (_i, pfn) => { cacheRefs[pfn]++; });
	}
	// counts agree with the mappings, pins and cache references found
	const slots = new Map<number, number>();
	let liveRam = 0;
	const devUsed = new Map<number, number>();
	for (let pfn = FIRST_FREE; pfn < f.size; pfn++) {
		if (f.refcount[pfn] <= 0) {
			if (maps[pfn] > 0) { bad.push(`pfn ${pfn}: mapped ${maps[pfn]} times but refcount ${f.refcount[pfn]}`); }
			continue;
		}
		if (f.owner[pfn] === RAM_POOL) { if (!(f.flags[pfn] & PG.DAX)) { liveRam++; } } else { devUsed.set(f.owner[pfn], (devUsed.get(f.owner[pfn]) ?? 0) + 1); }
		if (f.mapcount[pfn] !== maps[pfn]) { bad.push(`pfn ${pfn}: mapcount ${f.mapcount[pfn]} but ${maps[pfn]} PTEs map it`); }
		const want = maps[pfn] + f.pincount[pfn] + cacheRefs[pfn];
		if (f.refcount[pfn] !== want) { bad.push(`pfn ${pfn}: refcount ${f.refcount[pfn]} but ${maps[pfn]} mappings + ${f.pincount[pfn]} pins + ${cacheRefs[pfn]} cache`); }
		const s = f.slot[pfn];
		if (s >= 0) {
			if (slots.has(s)) { bad.push(`pfn ${pfn} and pfn ${slots.get(s)} share content slot ${s}: a page lives in two places`); }
			slots.set(s, pfn);
		}
	}
	if (liveRam !== f.ramUsed) { bad.push(`RAM accounting: ${f.ramUsed} pages accounted, ${liveRam} live`); }
	if (f.ramUsed > f.ramPages) { bad.push(`RAM accounting: ${f.ramUsed} pages in use, only ${f.ramPages} exist`); }
	for (const d of k.devices) {
		const live = devUsed.get(d.index) ?? 0;
		if (live !== d.usedPages) { bad.push(`device ${d.name}: ${d.usedPages} pages accounted, ${live} allocated`); }
		if (d.usedPages > d.capacityPages) { bad.push(`device ${d.name}: more pages in use than it has`); }
		// every mirror entry is the page the CPU maps there (or the device's own page behind it)
		for (const [mm, m] of d.mirrors) {
			if (!mm.alive) { bad.push(`device ${d.name} still mirrors exited ${mm.name}`); continue; }
			m.pt.forEach(0, Number.MAX_SAFE_INTEGER, (vpn, pfn, mpte) => {
				const pte = mm.pt.pte(vpn);
				const t = pte & PTE.TYPE_MASK;
				if (t === PTE.NONE || mm.pt.pfn(vpn) !== pfn) {
					bad.push(`device ${d.name} maps ${mm.name} ${hex(vpn)} -> pfn ${pfn}, the CPU has ${t === PTE.NONE ? 'nothing' : 'pfn ' + mm.pt.pfn(vpn)}`);
				} else if ((mpte & PTE.WRITE) && !(pte & PTE.WRITE)) {
					bad.push(`device ${d.name} may write ${mm.name} ${hex(vpn)} but the CPU entry is read-only`);
				} else if ((mpte & PTE.ATOMIC) && t !== PTE.EXCL) {
					bad.push(`device ${d.name} holds atomic access to ${mm.name} ${hex(vpn)} without an exclusive entry`);
				}
			});
		}
	}
	return bad;
}

/** A checksum of what every live process reads: migrations must not change it. A page counts
 * only where it holds something a fault would not bring, so faulting memory in is not a change:
 * zero pages are skipped, and a file, shmem or DAX page that the process maps straight from its
 * file (the page cache or the persistent page, which an unfaulted read sees the same) counts
 * once, through its file, and only where it differs from the file's initial content. Before
 * this, a DAX page that `exclusive` faulted in (through make_device_exclusive's GUP) before
 * refusing it counted after the statement but not before: a false "changed page contents". */
export function contentChecksum(k: Kernel): number {
	let h = 0x811c9dc5;
	const files = new Set<SimFile>();
	for (const mm of k.mms) {
		if (!mm.alive) { continue; }
		mm.pt.forEach(0, Number.MAX_SAFE_INTEGER, (vpn, pfn, pte) => {
			if ((pte & PTE.TYPE_MASK) === PTE.SWAP) { return; }
			const vma = mm.vmas.find(vpn);
			const file = vma?.file;
			if (vma && file && (vma.shared || vma.backing !== 'anon')) {
				files.add(file);
				const index = vma.fileIndex(vpn);
				if ((file.pages.pte(index) & PTE.TYPE_MASK) !== PTE.NONE && file.pages.pfn(index) === pfn) { return; }
			}
			const p = peek(k, mm, vpn);
			if (!p || ('slot' in p && p.slot < 0)) { return; }
			h = Math.imul(h ^ vpn, 16777619);
			for (let w = 0; w < 1024; w += 1) { h = Math.imul(h ^ peekWord(k, p, w), 16777619); }
		});
	}
	for (const f of files) {
		f.pages.forEach(0, Number.MAX_SAFE_INTEGER, (index, pfn) => {
			const slot = k.frames.slot[pfn];
			if (slot < 0) { return; }
			const limit = f.init && index < f.npages ? Math.floor((f.size - index * PAGE_SIZE) / 4) : 0;
			const initial = (w: number) => (w < limit ? fillWord(f.init!, index * 1024 + w) : 0);
			let w = 0;
			while (w < 1024 && k.content.word(slot, w) === initial(w)) { w++; }
			if (w === 1024) { return; }
			h = Math.imul(h ^ f.id, 16777619);
			h = Math.imul(h ^ index, 16777619);
			for (w = 0; w < 1024; w += 1) { h = Math.imul(h ^ k.content.word(slot, w), 16777619); }
		});
	}
	return h >>> 0;
}
