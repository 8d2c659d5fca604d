// hmm_range_fault (mm/hmm.c): snapshot the CPU page table over a range for a device, faulting
// pages in where the request flags ask for it.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import type { Mm } from '../mm/mm';
import type { Vma } from '../mm/vma';
import { PTE, PTRS_PER_PMD, type PtLeaf } from '../mm/pagetable';
import { PG } from '../mm/frames';
import { do_anonymous_page, handle_mm_fault, thp_eligible } from '../mm/fault';
import { needs_reclaim } from '../mm/vmscan';
import { VM } from '../mm/vma';
import { ZERO_PFN } from '../mm/frames';
import type { IntervalNotifier } from '../mm/mmu_notifier';
import { page_pgmap_owned, type PagemapOwner } from '../mm/memremap';
import { PAGE_SIZE } from '../mm/content';
import { SimError } from '../sim/errors';

/** hmm_pfns[] flags: output VALID/WRITE/ERROR and the map order; input REQ_FAULT = VALID, REQ_WRITE = WRITE */
export const enum HMM_PFN {
	VALID = 1,
	WRITE = 2,
	ERROR = 4,
	ORDER_PMD = 8,
	/** map order PUD_SHIFT - PAGE_SHIFT (a 1 GiB hugetlb page) */
	ORDER_PUD = 16,
	REQ_FAULT = 1,
	REQ_WRITE = 2,
}

export class HmmRange {
	readonly pfns: Int32Array;
	readonly flags: Uint8Array;
	notifierSeq = 0;
	constructor(
		readonly notifier: IntervalNotifier,
		public start: number,
		public end: number,
		public defaultFlags: number,
		public pfnFlagsMask: number,
		/** dev_private_owner: device-private pages of this pgmap owner are reported, not faulted */
		readonly devPrivateOwner: PagemapOwner | undefined,
	) {
		this.pfns = new Int32Array(end - start).fill(-1);
		this.flags = new Uint8Array(end - start);
	}

	/** Reuses the arrays for another range no longer than the first. */
	reset(start: number, end: number): void {
		this.start = start;
		this.end = end;
		this.pfns.fill(-1);
		this.flags.fill(0);
	}

	get npages(): number { return this.end - this.start; }
}

export type Errno = 0 | 'EFAULT' | 'EPERM' | 'EBUSY' | 'ENOMEM' | 'EINVAL';

/** Returns 0 or the errno the kernel would return. */
export function* hmm_range_fault(k: Kernel, range: HmmRange): K<Errno> {
	const mm = range.notifier.mm;
	yield* k.enter('hmm_range_fault', { addr: range.start * PAGE_SIZE, npages: range.end - range.start, process: mm.name, device: range.devPrivateOwner?.name });
	try {
		for (;;) {
			if (range.notifier.readRetry(range.notifierSeq)) { return 'EBUSY'; }
			const r = walk(k, mm, range);
			if (r !== 'FAULT') { return r; }
			// hmm_vma_fault on the run walkVma stopped at, then walk again (the kernel's internal
			// -EBUSY). Its per-page loop runs in this generator, not one nested below the walk: a
			// debugger watching page faults resumes each fault event through fewer generators.
			const { from, to, write } = hmmFault, vma = hmmFault.vma!;
			hmmFault.vma = undefined;
			// a read fault on an empty entry of private anonymous memory (no THP, no hugetlb, no
			// reclaim due) is handle_mm_fault mapping the zero page: done inline with the same
			// frame on the call stack, the same 'page-fault' event, fault count and time, and
			// do_anonymous_page itself, without four generators per page
			const inline = !write && vma.isAnonPrivate && !(vma.flags & VM.HUGETLB) && !k.wants('call');
			// the loop counts in small integers and derives the page number after each yield: a
			// page number (beyond 2^31) held across a yield is boxed into a new heap number at
			// every suspension, and those were most of what a watched read allocated
			for (let j = 0, n = to - from; j < n; j++) {
				if (inline && zeroPageFault(k, mm, vma, from + j)) {
					const addr = (from + j) * PAGE_SIZE;
					k.stack.push({ fn: 'handle_mm_fault', addr, npages: 1, process: mm.name, device: undefined });
					try {
						if (k.wants('page-fault')) {
							yield { kind: 'page-fault', addr, npages: 1, process: mm.name, write: false, fn: 'handle_mm_fault' };
						}
						mm.faults++;
						k.advance(k.costs.cpuFaultNs);
						do_anonymous_page(k, mm, from + j, false);
					} finally {
						k.leave();
					}
					continue;
				}
				// a fault that ends in VM_FAULT_SIGBUS (a file page beyond the end of the file) is
				// -EFAULT for the caller: only a CPU access is sent the signal
				try {
					yield* handle_mm_fault(k, mm, vma, from + j, write);
				} catch (e) {
					if (e instanceof SimError && e.code === 'SIGBUS') { return 'EFAULT'; }
					throw e;
				}
			}
		}
	} finally {
		k.leave();
	}
}

/** hmm_vma_fault's run, as walkVma leaves it: every page of [from, to) goes through
 * handle_mm_fault with the fault flags of the first page that needed one, whatever the others
 * asked for (as mm/hmm.c does). */
const hmmFault: { vma: Vma | undefined; from: number; to: number; write: boolean } = { vma: undefined, from: 0, to: 0, write: false };

/** One walk_page_range; 'FAULT' when pages need faulting in first (hmmFault says which). */
function walk(k: Kernel, mm: Mm, range: HmmRange): Errno | 'FAULT' {
	let vpn = range.start;
	while (vpn < range.end) {
		const vma = mm.vmas.find(vpn);
		const next = vma ? Math.min(vma.end, range.end) : nextVmaStart(mm, vpn, range.end);
		if (!vma || !vma.readable) {
			// hmm_vma_walk_test / hmm_vma_walk_hole: no VMA or no VM_READ
			for (let v = vpn; v < next; v++) {
				if (request(range, v) & HMM_PFN.REQ_FAULT) { return 'EFAULT'; }
				range.flags[v - range.start] = HMM_PFN.ERROR;
				range.pfns[v - range.start] = -1;
			}
			vpn = next;
			continue;
		}
		const r = walkVma(k, mm, vma, range, vpn, next);
		if (r !== 0) { return r; }
		vpn = next;
	}
	return 0;
}

function nextVmaStart(mm: Mm, vpn: number, limit: number): number {
	for (const v of mm.vmas.list) { if (v.start > vpn) { return Math.min(v.start, limit); } }
	return limit;
}

function request(range: HmmRange, vpn: number): number {
	return (range.flags[vpn - range.start] & range.pfnFlagsMask) | range.defaultFlags;
}

function walkVma(k: Kernel, mm: Mm, vma: Vma, range: HmmRange, start: number, end: number): Errno | 'FAULT' {
	const f = k.frames;
	// A read fault on untouched private anon memory maps the zero page. When nobody watches
	// individual faults that is done right here, with the result handle_mm_fault and the walk
	// after it would give; that keeps device reads of huge untouched ranges cheap.
	const bulk = vma.isAnonPrivate && !k.wants('page-fault') && !k.wants('call') && k.thp !== 'always' && !(vma.flags & VM.HUGEPAGE);
	// handle_mm_fault calls made on the bulk path: each one is a CPU fault, present page or not
	let faulted = 0;
	// the loop runs on small integers (i, li); page numbers themselves are beyond that range
	let li = start & (PTRS_PER_PMD - 1);
	let leaf = mm.pt.leaf(start);
	const mask = range.pfnFlagsMask, dflt = range.defaultFlags;
	for (let i = start - range.start; i < end - range.start; i++, li++) {
		if (li === PTRS_PER_PMD) { li = 0; leaf = mm.pt.leaf(range.start + i); }
		const vpn = range.start + i;
		const req = (range.flags[i] & mask) | dflt;
		if (bulk && !leaf && li === 0 && mask === 0 && (req & (HMM_PFN.REQ_FAULT | HMM_PFN.REQ_WRITE)) === HMM_PFN.REQ_FAULT
			&& i + PTRS_PER_PMD <= end - range.start) {
			// a whole untouched PMD read: 512 zero-page mappings at once
			leaf = mm.pt.leafFor(vpn);
			leaf.pfn.fill(ZERO_PFN);
			leaf.pte.fill(PTE.PRESENT | PTE.YOUNG);
			leaf.used = PTRS_PER_PMD;
			faulted += PTRS_PER_PMD;
			range.pfns.fill(ZERO_PFN, i, i + PTRS_PER_PMD);
			range.flags.fill(HMM_PFN.VALID, i, i + PTRS_PER_PMD);
			i += PTRS_PER_PMD - 1;
			li += PTRS_PER_PMD - 1;
			continue;
		}
		const pte = leaf ? leaf.pte[li] : 0;
		const type = pte & PTE.TYPE_MASK;
		const pfn = leaf ? leaf.pfn[li] : -1;
		// hmm_vma_walk_hugetlb_entry / hmm_vma_handle_pmd: the order of the mapping level
		const order = leaf?.huge ? (leaf.pud ? HMM_PFN.ORDER_PUD : HMM_PFN.ORDER_PMD) : 0;
		if (type === PTE.NONE) {
			if (!(req & HMM_PFN.REQ_FAULT)) { range.flags[i] = 0; range.pfns[i] = -1; continue; }
			const n = Math.min(end - vpn, PTRS_PER_PMD - li);
			if (bulk && !(req & HMM_PFN.REQ_WRITE) && onlyPlainEntries(leaf, li, n)) {
				// exactly what hmm_vma_fault's read faults over [vpn, PMD end) would do: it calls
				// handle_mm_fault on every page of the run, so every empty entry gets the zero page,
				// a present one is only marked young, and each call counts as a fault; then this page
				// is walked again
				leaf ??= mm.pt.leafFor(vpn);
				for (let j = li; j < li + n; j++) {
					if (leaf.pte[j] === PTE.NONE) {
						leaf.pfn[j] = ZERO_PFN;
						leaf.pte[j] = PTE.PRESENT | PTE.YOUNG;
						leaf.used++;
					} else {
						leaf.pte[j] |= PTE.YOUNG;
					}
				}
				faulted += n;
				i--;
				li--;
				continue;
			}
		} else if (type === PTE.PRESENT) {
			const write = (pte & PTE.WRITE) !== 0;
			if (!(req & HMM_PFN.REQ_WRITE) || write) {
				range.pfns[i] = pfn;
				range.flags[i] = HMM_PFN.VALID | (write ? HMM_PFN.WRITE : 0) | order;
				continue;
			}
		} else if (type === PTE.DEVPRIV && page_pgmap_owned(k, pfn, range.devPrivateOwner) && (f.flags[pfn >> 12][pfn & 4095] & PG.DEV_PRIVATE)) {
			// the caller's own device page: reported as is, never faulted
			range.pfns[i] = pfn;
			range.flags[i] = HMM_PFN.VALID | (pte & PTE.WRITE ? HMM_PFN.WRITE : 0) | order;
			continue;
		} else {
			// foreign device-private, device-exclusive, swap or migration entry
			if (!(req & HMM_PFN.REQ_FAULT)) { range.flags[i] = 0; range.pfns[i] = -1; continue; }
		}
		const write = (req & HMM_PFN.REQ_WRITE) !== 0;
		if (write && !vma.writable) { return 'EPERM'; }
		// hmm_vma_fault: fault this page and the rest of the PMD that needs it, then walk again
		const stop = Math.min(end, vpn - (vpn & (PTRS_PER_PMD - 1)) + PTRS_PER_PMD);
		chargeFaults(k, mm, faulted);
		hmmFault.vma = vma; hmmFault.from = vpn; hmmFault.to = stop; hmmFault.write = write;
		return 'FAULT';
	}
	chargeFaults(k, mm, faulted);
	return 0;
}

/** No entry in leaf[li, li+n) that a read fault would change other than by filling it in. */
function onlyPlainEntries(leaf: PtLeaf | undefined, li: number, n: number): boolean {
	if (!leaf) { return true; }
	for (let j = li; j < li + n; j++) {
		const t = leaf.pte[j] & PTE.TYPE_MASK;
		if (t !== PTE.NONE && t !== PTE.PRESENT) { return false; }
	}
	return true;
}

function chargeFaults(k: Kernel, mm: Mm, n: number): void {
	mm.faults += n;
	k.advance(k.costs.cpuFaultNs * n);
}

/** Would handle_mm_fault's read fault at vpn go straight to do_anonymous_page, with no reclaim
 * first (balance_pgdat) and no PMD-level path (THP, a huge leaf)? */
function zeroPageFault(k: Kernel, mm: Mm, vma: Vma, vpn: number): boolean {
	const leaf = mm.pt.leaf(vpn);
	if (leaf && (leaf.huge || (leaf.pte[vpn & (PTRS_PER_PMD - 1)] & PTE.TYPE_MASK) !== PTE.NONE)) { return false; }
	if ((!leaf || leaf.used === 0) && thp_eligible(k, vma, vpn)) { return false; }
	return !needs_reclaim(k, 1);
}
