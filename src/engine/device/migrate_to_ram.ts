// dmirror_devmem_fault: the pagemap's migrate_to_ram callback. A CPU touched one of this device's
// private pages; the page (or its whole folio when PMD-mapped) goes back to RAM.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import { fail, RamExhausted } from '../sim/errors';
import type { VmFault } from '../mm/memremap';
import { PG } from '../mm/frames';
import { PTRS_PER_PMD } from '../mm/pagetable';
import {
	MigrateVma, MPFN, SELECT, migrate_vma_finalize, migrate_vma_pages, migrate_vma_setup, migrate_vma_split_src,
} from '../hmm/migrate_device';
import { type Device, dmirror_page_to_device } from './device';
import type { Mirror } from './mirror';
import { migrating_file } from './mirror_handles';
import { transferNs } from '../sim/cost';
import { PAGE_SIZE } from '../mm/content';
import { out_of_memory } from '../mm/oom_kill';
import { dax_writeback_target } from '../mm/dax_migration';

export function* dmirror_devmem_fault(k: Kernel, vmf: VmFault): K {
	const { mm, vma, vpn } = vmf;
	const dev = dmirror_page_to_device(k, vmf.pfn);
	dev.stats.cpu_faults++;
	yield* k.enter('migrate_to_ram', { addr: vpn * PAGE_SIZE, npages: 1, process: mm.name, device: dev.name });
	try {
		const huge = mm.pt.isHuge(vpn);
		const start = huge ? vpn - (vpn & (PTRS_PER_PMD - 1)) : vpn;
		const end = huge ? start + PTRS_PER_PMD : vpn + 1;
		// dmirror_devmem_fault_alloc_and_copy allocates with GFP_HIGHUSER_MOVABLE: a full RAM runs the
		// OOM killer inside this fault (a THP that finds no 2 MiB falls back to 512 base pages)
		while (k.frames.ramPages - k.frames.ramUsed < end - start && (yield* out_of_memory(k, mm))) { /* killed one more */ }
		const a = new MigrateVma(mm, vma, start, end, SELECT.DEVICE_PRIVATE | SELECT.COMPOUND, dev, `${dev.name} -> ram (CPU fault)`);
		yield* migrate_vma_setup(k, a);
		// the driver erases entries in, and reads its flags from, the dmirror that migrated the page
		// in (rpage's zone_device_data): with several open files, that one
		yield* finish_migration_to_ram(k, dev, a, migrating_file(dev, mm, vmf.pfn));
	} finally {
		k.leave();
	}
}

/** The driver's half of a device-to-RAM migration after migrate_vma_setup: allocate RAM, drop
 * the device's own entries, commit and finalize. Pages that find no RAM stay where they are
 * (dst left empty, so finalize restores them) and the whole operation then fails with ENOMEM.
 * Used by CPU faults, MIGRATE_TO_SYS and long-term pins; `flags` is the dmirror whose
 * HMM_DMIRROR_FLAG_FAIL_ALLOC applies. Returns the src entries that migrated
 * (dmirror_successful_migrated_pages: a THP is one entry). */
export function* finish_migration_to_ram(k: Kernel, dev: Device, a: MigrateVma, flags?: Mirror): K<number> {
	const { moved, short, full } = yield* alloc_and_copy_to_ram(k, dev, a, flags);
	yield* migrate_vma_pages(k, a);
	let cpages = 0;
	for (let i = 0; i < a.npages; i++) {
		if ((a.srcF[i] & (MPFN.VALID | MPFN.MIGRATE)) === (MPFN.VALID | MPFN.MIGRATE)) { cpages++; }
	}
	yield* migrate_vma_finalize(k, a);
	dev.stats.migrated_out += moved;
	// a full RAM is the allocator's ENOMEM: on a CPU fault (do_swap_page -> migrate_to_ram)
	// handle_mm_fault runs the OOM killer and retries; FAIL_ALLOC's refusal is the driver's own
	if (full) { throw new RamExhausted(`out of RAM while migrating pages back from '${dev.name}'; the rest stay on the device`); }
	if (short) { fail('ENOMEM', `out of RAM while migrating pages back from '${dev.name}'; the rest stay on the device`); }
	return cpages;
}

/** dmirror_devmem_fault_alloc_and_copy: RAM for each page, and the device's own entries for them
 * go (its xa_erase: the MIGRATE invalidation skipped this device). FAIL_ALLOC refuses the next
 * allocation once: a THP then falls back to base pages, a base page fails the call (VM_FAULT_OOM,
 * ENOMEM for the ioctl). */
function* alloc_and_copy_to_ram(k: Kernel, dev: Device, a: MigrateVma, flags: Mirror | undefined): K<{ moved: number; short: boolean; full: boolean }> {
	let moved = 0;
	let short = false;
	let full = false;
	// the ioctl erases in its own file's table (dmirror_devmem_fault_alloc_and_copy's dmirror)
	const mirror = flags ?? dev.mirrors.get(a.mm);
	for (let i = 0; i < a.npages; i++) {
		if (!(a.srcF[i] & MPFN.MIGRATE) || a.src[i] < 0) { continue; }
		const refused = flags?.failAlloc === true;
		if (flags) { flags.failAlloc = false; }
		if (a.srcF[i] & MPFN.COMPOUND) {
			const head = refused ? -1 : k.frames.allocRamHuge(PG.ANON);
			if (head >= 0) {
				a.dst[i] = head;
				a.dstF[i] = MPFN.VALID | MPFN.COMPOUND | (a.srcF[i] & MPFN.WRITE);
				mirror?.erase(a.start + i, a.start + i + PTRS_PER_PMD);
				moved += PTRS_PER_PMD;
				continue;
			}
			yield* migrate_vma_split_src(k, a, i);
		} else if (refused) {
			short = true;
		}
		// experimental=dax_migration: a DAX page's copy goes back into its persistent page
		const pmem = short ? -1 : dax_writeback_target(k, a.src[i]);
		if (pmem < 0 && !short && k.frames.ramUsed >= k.frames.ramPages) { full = true; }
		if (pmem < 0 && (short || full)) { short = true; continue; }
		const pfn = pmem >= 0 ? pmem : k.frames.allocRam(PG.ANON);
		a.dst[i] = pfn;
		a.dstF[i] = MPFN.VALID | (a.srcF[i] & MPFN.WRITE);
		mirror?.pt.clear(a.start + i);
		mirror?.refreshed(a.start + i, a.start + i + 1);
		moved++;
	}
	k.advance(transferNs(dev.cfg.linkBw, (a.leafCopied + moved) * PAGE_SIZE));
	return { moved, short, full };
}
