// CPU accesses from a script: `cpu read R` and `cpu write R [= EXPR]`, page by page through the
// MMU: a page whose PTE allows the access costs nothing, anything else takes a fault.
import { type Kernel, TICK_LEAF } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import type { Mm } from './mm';
import type { Vma } from './vma';
import { PTE, PTRS_PER_PMD } from './pagetable';
import { do_anonymous_page, handle_mm_fault, thp_eligible } from './fault';
import { type Fill, fillPage, isZeroFill } from './fill';
import { PG } from './frames';
import { PAGE_SIZE } from './content';
import { balance_pgdat, needs_reclaim } from './vmscan';

/** A fill of the int32 words of a byte range: word i of the range is fill(i). */
export interface RangeFill { fill: Fill; addr: number; len: number }

/** Words [from, to) of page vpn that a range fill covers, and the fill index of the page's word 0. */
export function fillSpan(r: RangeFill, vpn: number): { from: number; to: number; base: number } {
	const page = vpn * PAGE_SIZE;
	return {
		from: Math.max(0, Math.floor((r.addr - page) / 4)),
		to: Math.min(1024, Math.floor((r.addr + r.len - page) / 4)),
		base: (page - r.addr) / 4,
	};
}

export function* cpu_access(k: Kernel, mm: Mm, start: number, end: number, write: boolean, rf?: RangeFill): K {
	if (k.wants('access')) {
		yield { kind: 'access', addr: start * PAGE_SIZE, npages: end - start, process: mm.name, write };
	}
	const watched = k.wants('page-fault') || k.wants('call') || k.wants('cpu-fault');
	const f = k.frames;
	let vma: Vma | undefined;
	for (let vpn = start; vpn < end; vpn++) {
		if ((vpn - start) % TICK_LEAF === TICK_LEAF - 1) { yield* k.tick(vpn * PAGE_SIZE); }
		if (!vma || vpn >= vma.end || vpn < vma.start) {
			vma = mm.vmas.find(vpn);
			if (!vma) { fail('SIGSEGV', `${write ? 'write to' : 'read of'} unmapped address 0x${(vpn * PAGE_SIZE).toString(16)}`); }
			if (!vma.readable || (write && !vma.writable)) {
				fail('SIGSEGV', `${write ? 'write to' : 'read of'} 0x${(vpn * PAGE_SIZE).toString(16)}, mapped ${vma.protString()}`);
			}
		}
		let leaf = mm.pt.leaf(vpn);
		const i = (vpn & (PTRS_PER_PMD - 1));
		let t = leaf ? leaf.pte[i] : 0;
		if ((t & PTE.TYPE_MASK) !== PTE.PRESENT || (write && !(t & PTE.WRITE))) {
			if (needs_reclaim(k, 1)) {
				// kswapd before the fault allocates (watched or not, so both paths agree); it may
				// swap this very page out, so its entry is read again
				yield* balance_pgdat(k, 1);
				leaf = mm.pt.leaf(vpn);
				t = leaf ? leaf.pte[i] : 0;
			}
			if (!watched && t === 0 && vma.isAnonPrivate && !thp_eligible(k, vma, vpn) && f.ramUsed < f.ramPages) {
				// the common first touch, without the generator machinery of the general path
				mm.faults++;
				k.advance(k.costs.cpuFaultNs);
				do_anonymous_page(k, mm, vpn, write);
			} else {
				yield* handle_mm_fault(k, mm, vma, vpn, write);
			}
			leaf = mm.pt.leaf(vpn)!;
		} else {
			leaf!.pte[i] |= PTE.YOUNG | (write ? PTE.DIRTY : 0);
		}
		if (write) {
			const pfn = leaf!.pfn[i];
			f.flags[pfn >> 12][pfn & 4095] = (f.flags[pfn >> 12][pfn & 4095] | PG.DIRTY) & ~PG.LAZYFREE;
			if (rf && (f.slot[pfn >> 12][pfn & 4095] >= 0 || !isZeroFill(rf.fill))) {
				const { from, to, base } = fillSpan(rf, vpn);
				if (to > from) { f.slot[pfn >> 12][pfn & 4095] = fillPage(k.content, f.slot[pfn >> 12][pfn & 4095], rf.fill, base, from, to); }
			}
		}
	}
}
