// The first half of a device-resident file page's way back to the host (file_migration's
// filemap_get_folio, dax_migration's dax_writeback_one): every mapping of it is unmapped, as
// try_to_unmap does for reclaim, so the next access faults in the host page that takes its place.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import { PAGE_SIZE } from './content';
import { mmu_notifier_invalidate_range_start } from './mmu_notifier';
import type { Mm } from './mm';
import { page_remove_rmap, put_page, rmap_walk } from './page';

/** Unmaps every mapping of the device page pfn; the migration event (device, detail, fn) first. */
export function* try_to_unmap_device_file_page(k: Kernel, pfn: number, device: string, detail: string, fn: string): K {
	const places: [Mm, number][] = [];
	rmap_walk(k, pfn, (mm, vpn) => { places.push([mm, vpn]); });
	if (k.wants('migration')) {
		const any = places[0];
		yield { kind: 'migration', addr: (any?.[1] ?? 0) * PAGE_SIZE, npages: 1, device, process: any?.[0].name, detail, fn };
	}
	for (const [mm, vpn] of places) {
		yield* mmu_notifier_invalidate_range_start(k, { mm, start: vpn, end: vpn + 1, event: 'CLEAR' });
		mm.pt.clear(vpn);
		page_remove_rmap(k, pfn);
		put_page(k, pfn);
	}
}
