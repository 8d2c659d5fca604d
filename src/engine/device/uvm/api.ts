// UVM_MIGRATE (uvm_api_migrate -> uvm_migrate -> uvm_hmm_migrate_ranges): what
// cudaMemPrefetchAsync and `migrate R -> DEV` do on a policy=migrate device. Whatever can move
// moves, VA block by VA block; what cannot (file, shared, DAX, pinned) is left where it is and
// never makes the call fail.
import type { Kernel } from '../../kernel';
import type { K } from '../../sim/events';
import type { Mm } from '../../mm/mm';
import { fail } from '../../sim/errors';
import { PAGE_SIZE } from '../../mm/content';
import type { Device } from '../device';
import { emptyBreakdown, totalNs } from '../cost';
import { causeCode, residentOn, uvm_block_chunk, uvm_block_chunk_done, uvm_block_migrate_to_device, uvm_block_migrate_to_ram } from './migrate';
import { movable } from './service';
import { uvm_map_accessed_by } from './accessed_by';
import { type MigrationCause, VA_BLOCK_PAGES } from './types';

/** Moves what can move of [start, end) to the device; returns pages moved. */
export function* uvm_migrate_to_device(k: Kernel, dev: Device, mm: Mm, start: number, end: number, cause: MigrationCause): K<number> {
	yield* k.enter('uvm_api_migrate', { addr: start * PAGE_SIZE, npages: end - start, device: dev.name, process: mm.name });
	try {
		let moved = 0;
		const code = causeCode(cause);
		for (const vma of mm.vmas.overlapping(start, end)) {
			const s = Math.max(start, vma.start), e = Math.min(end, vma.end);
			for (let lo = s; lo < e;) {
				const bs = lo - (lo % VA_BLOCK_PAGES);
				const hi = Math.min(e, bs + VA_BLOCK_PAGES);
				yield* k.tick(lo * PAGE_SIZE);
				const want = new Uint8Array(hi - lo);
				let any = false;
				for (let v = lo; v < hi; v++) {
					if (movable(k, mm, vma, v) && !residentOn(k, dev, mm, v)) { want[v - lo] = code; any = true; }
				}
				if (any) {
					const acc = emptyBreakdown();
					const { c } = yield* uvm_block_chunk(k, dev, mm, bs / VA_BLOCK_PAGES, new Set<number>(), acc);
					if (c >= 0) {
						try {
							const n = yield* uvm_block_migrate_to_device(k, dev, mm, vma, lo, hi, want, c, acc);
							moved += n[code];
							// block_migrate_add_mappings: accessed-by devices map the pages where they landed
							if (n[code] > 0) { yield* uvm_map_accessed_by(k, dev.uvm!.space, mm, lo, hi, acc); }
						} finally {
							uvm_block_chunk_done(dev, c);
						}
					}
					k.advance(totalNs(acc));
				}
				lo = hi;
			}
		}
		return moved;
	} finally {
		k.leave();
	}
}

/** Moves the device's pages of [start, end) back to RAM; returns pages moved. */
export function* uvm_migrate_to_ram(k: Kernel, dev: Device, mm: Mm, start: number, end: number, cause: MigrationCause): K<number> {
	yield* k.enter('uvm_api_migrate', { addr: start * PAGE_SIZE, npages: end - start, device: dev.name, process: mm.name });
	try {
		let moved = 0;
		for (const vma of mm.vmas.overlapping(start, end)) {
			const s = Math.max(start, vma.start), e = Math.min(end, vma.end);
			for (let lo = s; lo < e;) {
				const hi = Math.min(e, lo - (lo % VA_BLOCK_PAGES) + VA_BLOCK_PAGES);
				yield* k.tick(lo * PAGE_SIZE);
				const acc = emptyBreakdown();
				moved += yield* uvm_block_migrate_to_ram(k, dev, mm, vma, lo, hi, cause, acc);
				k.advance(totalNs(acc));
				lo = hi;
			}
		}
		return moved;
	} finally {
		k.leave();
	}
}

/** `DEV unmirror PROC` on a policy=migrate device (uvm_va_space_mm_unregister): the process's
 * pages come home (cause 'unmirror'), then the device's table for it goes. */
export function* uvm_unregister(k: Kernel, dev: Device, mm: Mm): K {
	const m = dev.mirrors.get(mm);
	if (!m) { fail('EINVAL', `device '${dev.name}' does not mirror process '${mm.name}'`); }
	for (const vma of [...mm.vmas.list]) { yield* uvm_migrate_to_ram(k, dev, mm, vma.start, vma.end, 'unmirror'); }
	m.destroy();
	dev.mirrors.delete(mm);
}
