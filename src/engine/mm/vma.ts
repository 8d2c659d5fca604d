// vm_area_struct and the per-mm sorted VMA list: lookup, insert, split and merge.
// Addresses here are page numbers (vpn); byte addresses are vpn * 4096.
import type { SimFile } from './pagecache';

export const enum VM {
	READ = 1,
	WRITE = 2,
	EXEC = 4,
	SHARED = 8,
	HUGEPAGE = 16,   // MADV_HUGEPAGE
	NOHUGEPAGE = 32, // MADV_NOHUGEPAGE
}

export type Backing = 'anon' | 'file' | 'dax';

export class Vma {
	constructor(
		public start: number,
		public end: number,
		public flags: number,
		public backing: Backing,
		/** file, DAX file, or the shmem object behind a shared anonymous mapping */
		public file: SimFile | undefined,
		/** file page index of `start` */
		public pgoff: number,
	) { }

	get npages(): number { return this.end - this.start; }
	get readable(): boolean { return (this.flags & VM.READ) !== 0; }
	get writable(): boolean { return (this.flags & VM.WRITE) !== 0; }
	get shared(): boolean { return (this.flags & VM.SHARED) !== 0; }
	/** private anonymous memory: the only kind migrate_vma moves */
	get isAnonPrivate(): boolean { return this.backing === 'anon' && !this.shared; }
	/** a private mapping whose written pages become anonymous (COW) */
	get isCow(): boolean { return !this.shared && this.backing !== 'dax'; }

	fileIndex(vpn: number): number { return this.pgoff + (vpn - this.start); }

	clone(): Vma { return new Vma(this.start, this.end, this.flags, this.backing, this.file, this.pgoff); }

	protString(): string {
		if (!(this.flags & (VM.READ | VM.WRITE | VM.EXEC))) { return 'none'; }
		return (this.flags & VM.READ ? 'r' : '-') + (this.flags & VM.WRITE ? 'w' : '-') + (this.flags & VM.EXEC ? 'x' : '-');
	}

	kindString(): string {
		if (this.backing === 'anon') { return this.shared ? 'anon shared' : 'anon private'; }
		return `${this.backing} ${this.file?.name ?? ''} ${this.shared ? 'shared' : 'private'}`;
	}
}

export const PROT_FLAGS: Record<string, number> = {
	none: 0, r: VM.READ, rw: VM.READ | VM.WRITE, rx: VM.READ | VM.EXEC, rwx: VM.READ | VM.WRITE | VM.EXEC,
};
const PROT_MASK = VM.READ | VM.WRITE | VM.EXEC;
export { PROT_MASK };

/** The VMAs of one mm, sorted by start, never overlapping. */
export class VmaList {
	list: Vma[] = [];

	/** find_vma: the VMA containing vpn, or undefined */
	find(vpn: number): Vma | undefined {
		let lo = 0, hi = this.list.length - 1;
		while (lo <= hi) {
			const mid = (lo + hi) >> 1;
			const v = this.list[mid];
			if (vpn < v.start) { hi = mid - 1; } else if (vpn >= v.end) { lo = mid + 1; } else { return v; }
		}
		return undefined;
	}

	/** VMAs intersecting [start, end), in order */
	overlapping(start: number, end: number): Vma[] {
		return this.list.filter(v => v.end > start && v.start < end);
	}

	insert(v: Vma): void {
		let i = 0;
		while (i < this.list.length && this.list[i].start < v.start) { i++; }
		this.list.splice(i, 0, v);
	}

	remove(v: Vma): void {
		const i = this.list.indexOf(v);
		if (i >= 0) { this.list.splice(i, 1); }
	}

	/** Splits so that no VMA crosses `vpn` (split_vma). */
	splitAt(vpn: number): void {
		const v = this.find(vpn);
		if (!v || v.start === vpn) { return; }
		const tail = v.clone();
		tail.start = vpn;
		tail.pgoff = v.fileIndex(vpn);
		v.end = vpn;
		this.insert(tail);
	}

	/** Merges neighbours that are compatible (vma_merge), as Linux does after mmap and mprotect. */
	mergeAround(start: number, end: number): void {
		for (let i = 0; i + 1 < this.list.length; i++) {
			const a = this.list[i], b = this.list[i + 1];
			if (b.start > end || a.end < start) { continue; }
			if (a.end === b.start && a.flags === b.flags && a.backing === b.backing && a.file === b.file
				&& (a.file === undefined || a.fileIndex(a.end) === b.pgoff)) {
				a.end = b.end;
				this.list.splice(i + 1, 1);
				i--;
			}
		}
	}

	/** Highest free gap of `npages` below `top`, aligned to `align` pages (top-down, like mmap_base). */
	unmappedArea(npages: number, top: number, align: number): number {
		let hi = top;
		for (let i = this.list.length - 1; i >= -1; i--) {
			if (i >= 0 && this.list[i].start >= top) { continue; }
			const lo = i >= 0 ? this.list[i].end : 16; // the first 64 KiB stay unmapped (mmap_min_addr)
			const start = Math.floor((hi - npages) / align) * align;
			if (start >= lo) { return start; }
			if (i >= 0) { hi = this.list[i].start; }
		}
		return -1;
	}
}
