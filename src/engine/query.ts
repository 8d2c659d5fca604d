// Side-effect-free views of the machine: where pages live, what a process would read, what a
// device maps. Used by builtins (where, count, matches, word...), the debugger and the CLI.
import type { Kernel } from './kernel';
import type { Mm } from './mm/mm';
import { PTE } from './mm/pagetable';
import { PG } from './mm/frames';
import { PAGE_SIZE } from './mm/content';
import { fillWord } from './mm/fill';
import type { Device } from './device/device';

/** Where one page of a process lives: 'none', 'zero', 'ram', 'swap' or a device name. */
export function pageLocation(k: Kernel, mm: Mm, vpn: number): string {
	const pte = mm.pt.pte(vpn);
	const t = pte & PTE.TYPE_MASK;
	if (t === PTE.NONE) { return 'none'; }
	if (t === PTE.SWAP) { return 'swap'; }
	const pfn = mm.pt.pfn(vpn);
	if (k.frames.isZero(pfn)) { return 'zero'; }
	const owner = k.frames.owner[pfn];
	return owner >= 0 ? k.devices[owner].name : 'ram';
}

export function where(k: Kernel, mm: Mm, start: number, end: number): string {
	let loc: string | undefined;
	for (let vpn = start; vpn < end; vpn++) {
		const l = pageLocation(k, mm, vpn);
		if (loc === undefined) { loc = l; } else if (loc !== l) { return 'mixed'; }
		if (loc === 'none' && !mm.pt.leaf(vpn)) {
			// skip the rest of an absent leaf quickly
			const next = (Math.floor(vpn / 512) + 1) * 512;
			vpn = Math.min(end, next) - 1;
		}
	}
	return loc ?? 'none';
}

/** Pages of [start, end) at `loc`; 'ram' counts zero pages too. */
export function count(k: Kernel, mm: Mm, start: number, end: number, loc: string): number {
	let n = 0;
	let present = 0;
	mm.pt.forEach(start, end, (vpn) => {
		present++;
		const l = pageLocation(k, mm, vpn);
		if (l === loc || (loc === 'ram' && l === 'zero')) { n++; }
	});
	return loc === 'none' ? (end - start) - present : n;
}

export function mapped(dev: Device, mm: Mm, start: number, end: number): number {
	const m = dev.mirrors.get(mm);
	return m ? m.pt.countPresent(start, end) : 0;
}

export function perm(dev: Device, mm: Mm, start: number, end: number): string {
	const m = dev.mirrors.get(mm);
	let p: string | undefined;
	for (let vpn = start; vpn < end; vpn++) {
		const pte = m ? m.pt.pte(vpn) : 0;
		const q = pte === 0 ? 'none' : pte & PTE.ATOMIC ? 'atomic' : pte & PTE.WRITE ? 'rw' : 'r';
		if (p === undefined) { p = q; } else if (p !== q) { return 'mixed'; }
	}
	return p ?? 'none';
}

/** The content slot a CPU read of vpn would see, without faulting: -1 reads as zeroes, and
 * undefined means the page is not readable at all (no VMA). File pages not yet cached read as
 * the file's content, through `fileWord`. */
export type Peek = { slot: number } | { file: { word(i: number): number } } | undefined;

export function peek(k: Kernel, mm: Mm, vpn: number): Peek {
	const vma = mm.vmas.find(vpn);
	if (!vma) { return undefined; }
	const t = mm.pt.pte(vpn) & PTE.TYPE_MASK;
	if (t !== PTE.NONE && t !== PTE.SWAP) { return { slot: k.frames.slot[mm.pt.pfn(vpn)] }; }
	if (vma.backing === 'anon' && !vma.shared) { return { slot: -1 }; }
	const file = vma.file!;
	const index = vma.fileIndex(vpn);
	const cached = file.pages.pte(index) & PTE.TYPE_MASK;
	if (cached !== PTE.NONE) { return { slot: k.frames.slot[file.pages.pfn(index)] }; }
	if (!file.init || index >= file.npages) { return { slot: -1 }; }
	const init = file.init;
	const limit = Math.floor((file.size - index * PAGE_SIZE) / 4);
	return { file: { word: (w: number) => (w < limit ? fillWord(init, index * 1024 + w) : 0) } };
}

export function peekWord(k: Kernel, p: Exclude<Peek, undefined>, w: number): number {
	return 'slot' in p ? k.content.word(p.slot, w) : p.file.word(w);
}

/** readMemory: bytes [addr, addr+len) as the process would read them; unreadable pages are
 * reported by count (they end the readable prefix). */
export function readBytes(k: Kernel, mm: Mm, addr: number, len: number): { data: Uint8Array; unreadable: number } {
	const out = new Uint8Array(len);
	let at = 0;
	while (at < len) {
		const a = addr + at;
		const vpn = Math.floor(a / PAGE_SIZE);
		const off = a % PAGE_SIZE;
		const n = Math.min(PAGE_SIZE - off, len - at);
		const p = peek(k, mm, vpn);
		if (!p) { return { data: out.subarray(0, at), unreadable: len - at }; }
		if ('slot' in p) { k.content.read(p.slot, off, n, out, at); } else {
			for (let b = 0; b < n; b++) {
				const byteIndex = off + b;
				out[at + b] = (p.file.word(byteIndex >> 2) >>> ((byteIndex & 3) * 8)) & 0xff;
			}
		}
		at += n;
	}
	return { data: out, unreadable: 0 };
}

/** Is the frame device memory of the coherent kind (CPU-mapped in place)? */
export function isCoherent(k: Kernel, pfn: number): boolean {
	return (k.frames.flags[pfn] & PG.DEV_COHERENT) !== 0;
}
