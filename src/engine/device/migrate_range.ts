// `migrate R -> ram` over every device mirroring the process, and `migrate R -> DEV` on a dmirror
// device, with the pages that really moved counted by cause (the device's byCause.migrate).
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import type { Mm } from '../mm/mm';
import { alloc_pages_may_oom, fail_if_killed } from '../mm/oom_kill';
import { count } from '../view_location';
import type { Device } from './device';
import type { Mirror } from './mirror';
import { dmirror_migrate_to_device, dmirror_migrate_to_system } from './dmirror_migrate';
import type { DevOpResult } from './dmirror_rw';
import { uvm_migrate_to_ram } from './uvm/api';

/** HMM_DMIRROR_MIGRATE_TO_SYS from every device holding pages of [s, e) (dmirror is per device),
 * in declaration order; UVM devices migrate theirs with uvm_migrate_to_ram. */
export function* migrate_range_to_ram(k: Kernel, mm: Mm, s: number, e: number): K<DevOpResult & { moved: number }> {
	let cpages = 0;
	let moved = 0;
	let any = false;
	// the pages coming back need RAM (dmirror_migrate_alloc_and_copy's GFP_HIGHUSER_MOVABLE
	// allocations): direct reclaim makes room first, if swap allows, then the OOM killer
	const need = (): number => k.devices.reduce((n, d) => n + (d.mirrorsOf(mm).length > 0 ? count(k, mm, s, e, d.name) : 0), 0);
	// no page of the range can be in two places, so e - s bounds the need: with that much free
	// above the low watermark, reclaim would not start and the OOM killer not run (no walk needed)
	const f = k.frames;
	if (f.ramPages - f.ramUsed < f.wmarkLow + (e - s) && (yield* alloc_pages_may_oom(k, mm, need))) { fail_if_killed(mm); }
	for (const d of k.devices) {
		// the ioctl on the device's first open file of the process
		const via = d.mirrorsOf(mm)[0];
		if (!via) { continue; }
		any = true;
		if (d.uvm) {
			const n = yield* uvm_migrate_to_ram(k, d, mm, s, e, 'migrate');
			cpages += n;
			moved += n;
			continue;
		}
		const out0 = d.stats.migrated_out;
		try {
			cpages += (yield* dmirror_migrate_to_system(k, d, mm, s, e, via)).cpages;
		} finally {
			d.byCause.migrate.out += d.stats.migrated_out - out0;
		}
		moved += d.stats.migrated_out - out0;
	}
	if (!any) { fail('EINVAL', `no device mirrors '${mm.name}'`); }
	return { cpages, faults: 0, moved };
}

/** HMM_DMIRROR_MIGRATE_TO_DEV, its moved pages counted as explicit migrations. */
export function* dmirror_migrate_counted(k: Kernel, d: Device, mm: Mm, s: number, e: number, via?: Mirror): K<DevOpResult & { moved: number }> {
	const in0 = d.stats.migrated_in;
	try {
		const r = yield* dmirror_migrate_to_device(k, d, mm, s, e, via);
		return { ...r, moved: d.stats.migrated_in - in0 };
	} finally {
		d.byCause.migrate.in += d.stats.migrated_in - in0;
	}
}
