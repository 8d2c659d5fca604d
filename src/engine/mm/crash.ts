// `crash`: the power fails and the machine restarts at once (emergency_restart: nothing is synced).
// Only the persistence domain survives: a regular file keeps what its disk held (the last
// writeback, or its initial content), a DAX file what its persistent memory held. RAM, swap and
// device memory are lost: anonymous and shmem memory, dirty page-cache pages, and DAX pages whose
// live copy was in device memory and not written back (experimental=dax_migration).
//
// The processes are restarted as an application supervisor would restart them: each one runs
// again with the same mappings at the same addresses and the same device mirrors, with nothing
// resident anywhere. A file mapping then reads what persisted, an anonymous mapping reads zeroes.
// Keeping the address spaces is what lets a script ask, after the fact, what each range lost
// (`lost(R)`) and check what it reads now; the devices' page tables are emptied through the
// usual UNMAP invalidation, and every pin is dropped with the programs that held it.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import type { Mm } from './mm';
import type { Vma } from './vma';
import { PG } from './frames';
import { PTE } from './pagetable';
import { PAGE_SIZE } from './content';
import { put_page } from './page';
import { swap_free } from './swap';
import { zap_page_range_resched } from './mmap';
import { mmu_notifier_invalidate_range_start } from './mmu_notifier';
import { LostPages } from './persistence_stats';
import type { SimFile } from './pagecache';

export function* emergency_restart(k: Kernel): K {
	// another script thread may be inside a kernel path (migration entries in flight): a crash
	// there is not modelled
	if (k.threaded) { fail('EINVAL', 'crash is not simulated in a script with threads'); }
	yield* k.enter('emergency_restart', { addr: 0, npages: 0 });
	try {
		const st = k.persistence;
		st.crashes++;
		st.lost.clear();
		for (const pfn of [...k.pins.until.keys()]) { k.pins.drop(k, pfn); }
		const live = k.mms.filter(mm => mm.alive);
		for (const mm of live) { drop_pins_mark_dirty(k, mm); }
		for (const mm of live) { st.lost.set(mm.id, lost_pages(k, mm)); }
		st.lostFileBytes = 0;
		for (const file of k.fileById) { if (!file.shmem) { st.lostFileBytes += file_lost_bytes(k, file); } }
		for (const mm of live) {
			for (const v of [...mm.vmas.list]) {
				yield* mmu_notifier_invalidate_range_start(k, { mm, start: v.start, end: v.end, event: 'UNMAP' });
				yield* zap_page_range_resched(k, mm, v.start, v.end);
			}
		}
		for (const file of k.fileById) { drop_file_pages(k, file); }
	} finally {
		k.leave();
	}
}

/** The programs that held pins are gone: every pin goes (unpin_user_pages). A dirty bit still
 * in a file page's present PTE reaches the page first (zap_pte_range's folio_mark_dirty), so the
 * page counts as not written back. */
function drop_pins_mark_dirty(k: Kernel, mm: Mm): void {
	const f = k.frames;
	mm.pt.forEach(0, Number.MAX_SAFE_INTEGER, (_vpn, pfn, pte) => {
		const t = pte & PTE.TYPE_MASK;
		if (t === PTE.SWAP || t === PTE.NONE || f.isZero(pfn)) { return; }
		while (f.pincount[pfn >> 12][pfn & 4095] > 0) { f.pincount[pfn >> 12][pfn & 4095]--; put_page(k, pfn); }
		// only a CPU entry's dirty bit is news: a device copy's writes dirty the page itself (a
		// device-private entry keeps the bit its CPU entry had when the page moved)
		if (t === PTE.PRESENT && (pte & PTE.DIRTY) && !(f.flags[pfn >> 12][pfn & 4095] & PG.ANON)) { f.flags[pfn >> 12][pfn & 4095] |= PG.DIRTY; }
	});
}

/** Is page `index` of the file one whose content a crash now loses? shmem is memory; a regular
 * file's page is lost when dirty; a DAX page when its live copy is a dirty device page. */
function file_page_lost(k: Kernel, file: SimFile, index: number): boolean {
	const t = file.pages.pte(index) & PTE.TYPE_MASK;
	if (file.shmem) { return t === PTE.PRESENT || t === PTE.SWAP; }
	if (t !== PTE.PRESENT) { return false; }
	const pfn = file.pages.pfn(index);
	if (file.dax && !k.frames.isDevice(pfn)) { return false; }
	return (k.frames.flags[pfn >> 12][pfn & 4095] & PG.DIRTY) !== 0;
}

/** The pages of the process's address space whose content a crash now loses. */
function lost_pages(k: Kernel, mm: Mm): LostPages {
	const lost = new LostPages();
	const f = k.frames;
	for (const v of mm.vmas.list) {
		// an anonymous page (a private COW copy included) is memory, whatever maps it
		mm.pt.forEach(v.start, v.end, (vpn, pfn, pte) => {
			const t = pte & PTE.TYPE_MASK;
			if (t === PTE.SWAP || (t !== PTE.NONE && !f.isZero(pfn) && (!v.file || (f.flags[pfn >> 12][pfn & 4095] & PG.ANON)))) { lost.add(vpn); }
		});
		if (v.file) { file_range_lost(k, v, lost); }
	}
	return lost;
}

function file_range_lost(k: Kernel, v: Vma, lost: LostPages): void {
	const file = v.file!;
	file.pages.forEach(v.pgoff, v.pgoff + v.npages, index => {
		if (file_page_lost(k, file, index)) { lost.add(v.start + (index - v.pgoff)); }
	});
}

/** Bytes of the file (within its size) whose latest content a crash now loses. */
function file_lost_bytes(k: Kernel, file: SimFile): number {
	let bytes = 0;
	file.pages.forEach(0, Number.MAX_SAFE_INTEGER, index => {
		if (file_page_lost(k, file, index)) { bytes += Math.max(0, Math.min(PAGE_SIZE, file.size - index * PAGE_SIZE)); }
	});
	return bytes;
}

/** After the mappings went: every cached page leaves the cache, its bytes with it (a clean page's
 * bytes are on disk already); shmem loses its pages and swap slots; a DAX file's device copies go
 * and its persistent pages take their places again. */
function drop_file_pages(k: Kernel, file: SimFile): void {
	const f = k.frames;
	if (file.dax) {
		const back: number[] = [];
		file.pmem.forEach(0, Number.MAX_SAFE_INTEGER, (index, pmem) => { back.push(index, pmem); });
		for (let i = 0; i < back.length; i += 2) {
			const copy = file.pages.pfn(back[i]);
			file.pages.set(back[i], back[i + 1], PTE.PRESENT);
			file.pmem.clear(back[i]);
			put_page(k, copy);
		}
		file.pages.forEach(0, Number.MAX_SAFE_INTEGER, (_i, pfn) => { f.flags[pfn >> 12][pfn & 4095] &= ~PG.DIRTY; });
		return;
	}
	const drop: number[] = [];
	file.pages.forEach(0, Number.MAX_SAFE_INTEGER, (index, pfn, pte) => { drop.push(index, pfn, pte & PTE.TYPE_MASK); });
	for (let i = 0; i < drop.length; i += 3) {
		file.pages.clear(drop[i]);
		if (drop[i + 2] === PTE.SWAP) { swap_free(k, drop[i + 1]); } else { put_page(k, drop[i + 1]); }
	}
}

/** Bytes of [addr, addr + len) in pages of the process the last crash lost. */
export function lost_bytes(k: Kernel, mm: Mm, addr: number, len: number): number {
	const lost = k.persistence.lost.get(mm.id);
	if (!lost || len <= 0) { return 0; }
	const end = addr + len;
	let bytes = 0;
	const first = Math.floor(addr / PAGE_SIZE), last = Math.ceil(end / PAGE_SIZE);
	for (let key = Math.floor(first / 512); key * 512 < last; key++) {
		if (!lost.blocks.has(key)) { continue; }
		for (let vpn = Math.max(first, key * 512); vpn < Math.min(last, key * 512 + 512); vpn++) {
			if (!lost.has(vpn)) { continue; }
			bytes += Math.min(end, (vpn + 1) * PAGE_SIZE) - Math.max(addr, vpn * PAGE_SIZE);
		}
	}
	return bytes;
}
