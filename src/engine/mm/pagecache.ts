// Simulated files and their page cache. Nothing on the host is read or written: a file is a
// size and an initial content rule, and its pages come into being when first touched.
// A shared anonymous mapping is backed by an unnamed shmem object of the same kind.
import { PageTable, PTE } from './pagetable';
import { type Fill, fillPage, isZeroFill } from './fill';
import { PG } from './frames';
import type { Kernel } from '../kernel';
import { PAGE_SIZE } from './content';

export class SimFile {
	/** page index -> pfn of the cached (or persistent DAX) page */
	readonly pages = new PageTable();
	/** set by the first DAX mapping: pages then live in persistent memory, outside RAM */
	dax = false;
	/** bytes of the initial content that survive: a truncation below them drops the rest for good */
	dataEnd: number;

	constructor(
		readonly id: number,
		readonly name: string,
		public size: number,
		readonly init: Fill | undefined,
		readonly shmem: boolean,
	) { this.dataEnd = size; }

	get npages(): number { return Math.ceil(this.size / PAGE_SIZE); }
}

/** find_or_create_page: the file's page at `index`, reading its initial content on a miss. */
export function filemap_get_page(k: Kernel, f: SimFile, index: number): number {
	const have = f.pages.pte(index);
	if ((have & PTE.TYPE_MASK) === PTE.PRESENT) { return f.pages.pfn(index); }
	const flags = f.dax ? PG.DAX : PG.FILE | (f.shmem ? PG.SWAPBACKED : 0);
	const pfn = f.dax ? k.allocPmem() : k.frames.allocRam(flags);
	k.frames.flags[pfn] = flags;
	k.frames.mapping[pfn] = f.id;
	k.frames.index[pfn] = index;
	if (f.init && !isZeroFill(f.init) && index * PAGE_SIZE < f.dataEnd) {
		// bytes past the end of the file read as zero, as in the last page of a real file
		const tail = Math.min(f.size, f.dataEnd) - index * PAGE_SIZE;
		k.frames.slot[pfn] = fillPage(k.content, -1, f.init, index * 1024, 0, tail >= PAGE_SIZE ? 1024 : Math.floor(tail / 4));
	}
	// the cache holds one reference of its own
	f.pages.set(index, pfn, PTE.PRESENT);
	return pfn;
}
