// Mapping pages where they are: a device maps the CPU's page (RAM, page cache, DAX, or its own
// device page) in its page table after hmm_range_fault faults it in with the access it needs.
// policy=mirror services every fault this way (dmirror's dmirror_fault, batched); policy=migrate
// uses it for what cannot move (uvm_hmm_must_use_sysmem: file, shared, DAX; pinned pages) and
// for pages thrashing pinned to system memory. Accesses to those pages then cross the link.
import type { Kernel } from '../../kernel';
import type { K } from '../../sim/events';
import { fail } from '../../sim/errors';
import { PTE, PTRS_PER_PMD } from '../../mm/pagetable';
import { PAGE_SIZE } from '../../mm/content';
import { HmmRange, HMM_PFN, hmm_range_fault } from '../../hmm/hmm_range_fault';
import type { Device } from '../device';
import type { Mirror } from '../mirror';
import { ACCESS } from './fault_buffer';

/** hmm_make_resident_cpu: pages held by another device are faulted back to RAM (that device's
 * migrate_to_ram) so they can migrate here; nothing is mapped. */
export function uvm_hmm_make_resident_cpu(k: Kernel, dev: Device, m: Mirror, lo: number, hi: number, want: Uint8Array): K<number> {
	return uvm_hmm_map_in_place(k, dev, m, lo, hi, want, false);
}

/** HMM_RANGE_DEFAULT_TIMEOUT, as a bound on read_begin/read_retry rounds */
const MAX_RETRIES = 1000;

/** Faults pages [lo, hi) in with the access each asks for (0 = not wanted) and maps them on the
 * device; returns how many were mapped. The read_begin / hmm_range_fault / read_retry loop. */
export function* uvm_hmm_map_in_place(k: Kernel, dev: Device, m: Mirror, lo: number, hi: number, want: Uint8Array, map = true): K<number> {
	const range = new HmmRange(m.notifier, lo, hi, 0, HMM_PFN.REQ_FAULT | HMM_PFN.REQ_WRITE, dev);
	for (let tries = 0; ; tries++) {
		if (tries >= MAX_RETRIES) { fail('EBUSY', 'hmm_range_fault kept racing with invalidations'); }
		range.reset(lo, hi);
		for (let i = 0; i < hi - lo; i++) {
			const a = want[i];
			if (a) { range.flags[i] = HMM_PFN.REQ_FAULT | (a >= ACCESS.WRITE ? HMM_PFN.REQ_WRITE : 0); }
		}
		range.notifierSeq = m.notifier.readBegin();
		const r = yield* hmm_range_fault(k, range);
		if (r === 'EBUSY') { continue; }
		if (r !== 0) {
			fail(r, r === 'EFAULT' ? `device '${dev.name}' faulted on an address with no readable mapping`
				: `device '${dev.name}' wrote memory without write permission`);
		}
		if (m.notifier.readRetry(range.notifierSeq)) { continue; }
		if (!map) { return 0; }
		let mapped = 0;
		let li = lo & (PTRS_PER_PMD - 1);
		let leaf = m.pt.leafFor(lo);
		for (let i = 0; i < hi - lo; i++, li++) {
			if (li === PTRS_PER_PMD) { li = 0; leaf = m.pt.leafFor(lo + i); }
			const fl = range.flags[i];
			if (!want[i] || !(fl & HMM_PFN.VALID)) { continue; }
			if (want[i] >= ACCESS.WRITE && !(fl & HMM_PFN.WRITE)) {
				fail('EFAULT', `device '${dev.name}' asked to write 0x${((lo + i) * PAGE_SIZE).toString(16)} but was granted read only`);
			}
			if (leaf.pte[li] === 0) { leaf.used++; }
			leaf.pfn[li] = range.pfns[i];
			leaf.pte[li] = PTE.PRESENT | (fl & HMM_PFN.WRITE ? PTE.WRITE : 0);
			mapped++;
		}
		return mapped;
	}
}
