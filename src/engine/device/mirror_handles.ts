// Several open files of one device: `DEV mirror PROC as NAME` opens another /dev/hmm_dmirrorN on
// PROC (dmirror_fops_open: a new struct dmirror, its own page table and interval notifier on
// PROC's mm). The language then addresses that file by NAME; its ioctls act on the process it
// was opened in (dmirror->notifier.mm), whichever process is current.
import type { Kernel } from '../kernel';
import type { Mm } from '../mm/mm';
import { fail } from '../sim/errors';
import type { Device } from './device';
import { Mirror } from './mirror';

/** The open file a statement addresses: a named one, or the device's unnamed mirror of `mm`. */
export interface MirrorTarget { dev: Device; mm: Mm; via?: Mirror }

export function findHandle(k: Kernel, name: string): Mirror | undefined {
	for (const d of k.devices) {
		const h = d.handles.find(m => m.handle === name);
		if (h) { return h; }
	}
	return undefined;
}

/** `NAME` names an open file, else a device used on the current process. */
export function mirrorTarget(k: Kernel, name: string, current: () => Mm): MirrorTarget {
	const h = findHandle(k, name);
	if (h) {
		if (!h.mm.alive) { fail('EINVAL', `'${name}' was opened by '${h.mm.name}', which has exited`); }
		return { dev: h.dev, mm: h.mm, via: h };
	}
	if (!k.devices.some(d => d.name === name)) { fail('EINVAL', `no device '${name}' (nor an open file of that name: closed, or its process exited)`); }
	return { dev: k.device(name), mm: current() };
}

/** dmirror_fops_open under a name. The UVM driver's va_space is not a dmirror file, and one
 * device cannot be both a device and a handle name. */
export function dmirror_open_named(k: Kernel, dev: Device, mm: Mm, name: string): Mirror {
	if (dev.uvm) { fail('EINVAL', `'${dev.name}' is a policy=migrate (UVM) device: several open files per process are the dmirror test driver's`); }
	if (k.devices.some(d => d.name === name)) { fail('EINVAL', `'${name}' is a device name`); }
	const old = findHandle(k, name);
	if (old) { fail('EINVAL', `'${name}' already names an open file of '${old.dev.name}' on '${old.mm.name}' (unmirror it first)`); }
	const m = new Mirror(dev, mm, k, name);
	dev.handles.push(m);
	return m;
}

/** rpage->zone_device_data: the dmirror whose migration allocated a device page
 * (dmirror_migrate_alloc_and_copy). Kept only while the device has named files: with one file per
 * process it is always that file. */
const migratedBy = new WeakMap<Device, Map<number, Mirror>>();

export function note_migrating_file(dev: Device, pfn: number, m: Mirror): void {
	let files = migratedBy.get(dev);
	if (!files) { files = new Map(); migratedBy.set(dev, files); }
	files.set(pfn, m);
}

/** The file dmirror_devmem_fault works with for a CPU fault on device page pfn of mm: the one
 * that migrated the page in while it is still open on mm, else the process's unnamed mirror (or
 * its first named file). A file of another process (a page shared by fork) is not followed. */
export function migrating_file(dev: Device, mm: Mm, pfn: number): Mirror | undefined {
	const m = dev.handles.length > 0 ? migratedBy.get(dev)?.get(pfn) : undefined;
	if (m && m.mm === mm && (dev.mirrors.get(mm) === m || dev.handles.includes(m))) { return m; }
	return dev.mirrors.get(mm) ?? dev.mirrorsOf(mm)[0];
}
