// truncate(2) of a simulated file (mm/truncate.c truncate_setsize / truncate_pagecache).
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import { PAGE_SIZE } from './content';
import { filemap_get_page, type SimFile } from './pagecache';
import { swap_free } from './swap';
import { PTE } from './pagetable';
import { put_page } from './page';
import { mmu_notifier_invalidate_range_start } from './mmu_notifier';
import { zap_page_range } from './mmap';
import { filemap_device_folio_to_ram } from './file_migration';
import { dax_truncate } from './dax_migration';

/** truncate_setsize: the new size first; on a shrink, truncate_pagecache. Growing maps nothing
 * and the new bytes read as zero. */
export function* do_truncate(k: Kernel, file: SimFile, size: number): K {
	if (size < 0 || !Number.isSafeInteger(size)) { fail('EINVAL', 'a file size must be a non-negative whole number of bytes'); }
	const old = file.size;
	file.size = size;
	file.dataEnd = Math.min(file.dataEnd, size);
	if (size < old) { yield* truncate_pagecache(k, file, size); }
}

/** truncate_pagecache: unmap every mapping of the file from the first page wholly beyond the new
 * end (private COW copies included: even_cows), drop those pages from the cache and zero the tail
 * of a partial last page, then unmap once more for pages faulted in meanwhile. */
function* truncate_pagecache(k: Kernel, file: SimFile, size: number): K {
	const holeFirst = Math.ceil(size / PAGE_SIZE);
	yield* unmap_mapping_range(k, file, holeFirst);
	// truncate_inode_partial_folio zeroes the tail with the CPU: a device-resident last page comes
	// back first (experimental=file_migration); pages wholly beyond the end are dropped where they are
	if (size % PAGE_SIZE !== 0) { yield* filemap_device_folio_to_ram(k, file, Math.floor(size / PAGE_SIZE)); }
	truncate_inode_pages(k, file, size);
	yield* unmap_mapping_range(k, file, holeFirst);
}

/** unmap_mapping_range(mapping, holebegin, 0, even_cows=1): every VMA of every process mapping a
 * file page at or beyond `first` goes through zap_page_range_single, whose notifier call is
 * MMU_NOTIFY_CLEAR over that VMA's part of the hole, whether or not anything is mapped there. */
function* unmap_mapping_range(k: Kernel, file: SimFile, first: number): K {
	for (const mm of k.mms) {
		if (!mm.alive) { continue; }
		for (const v of [...mm.vmas.list]) {
			if (v.file !== file || v.pgoff + v.npages <= first) { continue; }
			const start = v.start + Math.max(0, first - v.pgoff);
			yield* mmu_notifier_invalidate_range_start(k, { mm, start, end: v.end, event: 'CLEAR' });
			zap_page_range(k, mm, start, v.end);
		}
	}
}

/** truncate_inode_pages: cache pages wholly beyond `size` leave the cache (their last reference
 * goes with it), and so do their bytes on disk (or a shmem page's swap slot); a partial last page
 * keeps its head and is zeroed from `size` on (truncate_inode_partial_folio). A partial last page
 * reclaim wrote to disk is read back for that. */
function truncate_inode_pages(k: Kernel, file: SimFile, size: number): void {
	const first = Math.ceil(size / PAGE_SIZE);
	const drop: number[] = [];
	file.pages.forEach(first, Number.MAX_SAFE_INTEGER, (index, pfn, pte) => {
		const t = pte & PTE.TYPE_MASK;
		if (t === PTE.PRESENT || t === PTE.SWAP) { drop.push(index, pfn, t); }
	});
	for (let i = 0; i < drop.length; i += 3) {
		file.pages.clear(drop[i]);
		if (drop[i + 2] === PTE.SWAP) { swap_free(k, drop[i + 1]); } else { put_page(k, drop[i + 1]); }
	}
	const gone: number[] = [];
	file.disk.forEach(first, Number.MAX_SAFE_INTEGER, (index, slot) => { gone.push(index, slot); });
	for (let i = 0; i < gone.length; i += 2) {
		file.disk.clear(gone[i]);
		if (gone[i + 1] >= 0) { k.content.release(gone[i + 1]); }
	}
	dax_truncate(k, file, first);
	const off = size % PAGE_SIZE;
	if (off === 0) { return; }
	const last = Math.floor(size / PAGE_SIZE);
	if ((file.disk.pte(last) & PTE.TYPE_MASK) === PTE.PRESENT) {
		// the block past the new end reads as zeroes on disk too
		const d = file.disk.pfn(last);
		if (d >= 0) { file.disk.set(last, k.content.write(d, off, new Uint8Array(PAGE_SIZE - off)), PTE.PRESENT); }
		filemap_get_page(k, file, last);
	}
	if ((file.pages.pte(last) & PTE.TYPE_MASK) !== PTE.PRESENT) { return; }
	const pfn = file.pages.pfn(last);
	const slot = k.frames.slot[pfn >> 12][pfn & 4095];
	if (slot >= 0) { k.frames.slot[pfn >> 12][pfn & 4095] = k.content.write(slot, off, new Uint8Array(PAGE_SIZE - off)); }
}
