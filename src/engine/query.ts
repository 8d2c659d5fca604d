// What a CPU read would see, without faulting: the page contents under the machine view's read(),
// the word()/matches() builtins and the invariant checks. Where pages are is view_location.ts.
import type { Kernel } from './kernel';
import type { Mm } from './mm/mm';
import { PTE } from './mm/pagetable';
import { PAGE_SIZE, PATTERN_SLOT } from './mm/content';
import { type Fill, fillWord } from './mm/fill';
import { file_stored_slot } from './mm/pagecache';
import { TICK_LEAF } from './kernel';
import type { K } from './sim/events';
import { fail } from './sim/errors';

/** The content slot a CPU read of vpn would see, without faulting: -1 reads as zeroes, and
 * undefined means the page is not readable at all (no VMA). File pages not yet cached read as
 * the file's content, through `fileWord`. */
export type Peek = { slot: number } | { file: { word(i: number): number } } | undefined;

export function peek(k: Kernel, mm: Mm, vpn: number): Peek {
	const vma = mm.vmas.find(vpn);
	if (!vma) { return undefined; }
	const t = mm.pt.pte(vpn) & PTE.TYPE_MASK;
	if (t === PTE.SWAP) {
		// a swapped page reads as its bytes: in the swap-cache page if one holds them, else the slot's
		const swap = mm.pt.pfn(vpn);
		const cached = k.swap!.cache[swap];
		return { slot: cached >= 0 ? k.frames.slot[cached >> 12][cached & 4095] : k.swap!.data[swap] };
	}
	if (t !== PTE.NONE) { return { slot: k.frames.slot[(mm.pt.pfn(vpn)) >> 12][(mm.pt.pfn(vpn)) & 4095] }; }
	if (vma.backing === 'anon' && !vma.shared) { return { slot: -1 }; }
	const file = vma.file!;
	const index = vma.fileIndex(vpn);
	const stored = file_stored_slot(k, file, index);
	if (stored !== undefined) { return { slot: stored }; }
	if (!file.init || index >= file.npages) { return { slot: -1 }; }
	const init = file.init;
	const limit = Math.floor((file.size - index * PAGE_SIZE) / 4);
	return { file: { word: (w: number) => (w < limit ? fillWord(init, index * 1024 + w) : 0) } };
}

export function peekWord(k: Kernel, p: Exclude<Peek, undefined>, w: number): number {
	return 'slot' in p ? k.content.word(p.slot, w) : p.file.word(w);
}

const scratch = new Int32Array(1024);
const actual = new Int32Array(1024);
const actualBytes = new Uint8Array(actual.buffer);

/** Do words 0..n-1 of a page equal fill(first + j)? (matches()) A pattern page against a linear
 * fill compares the two patterns: two int32 progressions agree on words 0 and 1 exactly when
 * their starts and steps agree, and then on every word. */
export function pageMatches(k: Kernel, p: Exclude<Peek, undefined>, f: Fill, first: number, n: number): boolean {
	if (!('slot' in p)) {
		for (let j = 0; j < n; j++) { if (p.file.word(j) !== fillWord(f, first + j)) { return false; } }
		return true;
	}
	const slot = p.slot;
	if (f.kind === 'linear' && Math.abs(f.b) < 2 ** 52 && (slot < 0 || slot >= PATTERN_SLOT)) {
		// exact: imul gives a*i mod 2^32, and adding b loses nothing below 2^53
		const c = (Math.imul(f.a, first | 0) + f.b) | 0;
		const pa = slot < 0 ? 0 : k.content.patternA(slot), pc = slot < 0 ? 0 : k.content.patternC(slot);
		return pc === c && (n < 2 || pa === (f.a | 0));
	}
	if (f.kind === 'fn' && f.page) {
		let whole = true;
		// a word that throws must throw only if every word before it matched: redo word by word
		try { f.page(scratch, 0, first, 0, n); } catch { whole = false; }
		if (whole) {
			// the page's words copied out once (patterns and zero pages included), then one tight loop
			k.content.read(slot, 0, n * 4, actualBytes, 0);
			for (let j = 0; j < n; j++) { if (actual[j] !== scratch[j]) { return false; } }
			return true;
		}
	}
	for (let j = 0; j < n; j++) { if (k.content.word(slot, j) !== fillWord(f, first + j)) { return false; } }
	return true;
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

/** int32 word `w` of the `len` bytes at `addr`, as the process would read it (no fault). */
export function readWord(k: Kernel, mm: Mm, addr: number, len: number, w: number): number {
	if (w < 0 || w * 4 + 4 > len) { fail('EINVAL', `word ${w} is outside the range (${Math.floor(len / 4)} words)`); }
	const b = readBytes(k, mm, addr + w * 4, 4);
	if (b.unreadable) { fail('EFAULT', `address 0x${(addr + w * 4).toString(16)} is not mapped`); }
	return new DataView(b.data.buffer, b.data.byteOffset, 4).getInt32(0, true);
}

/** matches(): does every int32 word of the range equal the fill's word? Pattern pages compare as
 * patterns against a linear fill, other pages a page of words at a time; a pause point every
 * leaf's worth of pages (8 GiB hold 2G words). */
export function* scan_matches(k: Kernel, mm: Mm, addr: number, len: number, fill: Fill): K<boolean> {
	const words = Math.floor(len / 4);
	if (addr % PAGE_SIZE === 0) {
		for (let vpn = addr / PAGE_SIZE, w = 0; w < words; vpn++) {
			if (w > 0 && w % (TICK_LEAF * 1024) === 0) { yield* k.tick(vpn * PAGE_SIZE); }
			const p = peek(k, mm, vpn);
			if (!p) { fail('EFAULT', `address 0x${(vpn * PAGE_SIZE).toString(16)} is not mapped`); }
			const n = Math.min(1024, words - w);
			if (!pageMatches(k, p, fill, w, n)) { return false; }
			w += n;
		}
		return true;
	}
	for (let w = 0; w < words; w++) {
		if (w > 0 && w % (TICK_LEAF * 1024) === 0) { yield* k.tick(addr + w * 4); }
		if (readWord(k, mm, addr, len, w) !== fillWord(fill, w)) { return false; }
	}
	return true;
}
