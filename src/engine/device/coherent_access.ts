// CPU loads and stores to coherent device memory (MEMORY_DEVICE_COHERENT: a device whose memory the
// CPU maps like RAM, such as a GPU over NVLink-C2C). The CPU reaches such a page in place through
// its present PTE, with no fault and no migration, but every byte crosses the link: the access
// costs its bytes at the device's `cpu_coherent_bw` (default 0.76 x link_bw, docs/cost-model.md).
import type { Kernel } from '../kernel';
import type { Mm } from '../mm/mm';
import { PTE } from '../mm/pagetable';
import { PAGE_SIZE } from '../mm/content';
import { RAM_POOL } from '../mm/frames';
import type { Device } from './device';
import { mirrorCosts } from './uvm/service';

/** The time, ns, a CPU access to bytes [addr, addr + len) of mm spends on pages resident in
 * coherent device memory (looked up after the access: a coherent page stays where it is). */
export function cpu_coherent_access_ns(k: Kernel, mm: Mm, addr: number, len: number): number {
	if (len <= 0 || !k.devices.some(d => d.coherent)) { return 0; }
	const s = Math.floor(addr / PAGE_SIZE), e = Math.ceil((addr + len) / PAGE_SIZE);
	const bytes = new Map<Device, number>();
	mm.pt.forEach(s, e, (vpn, pfn, pte) => {
		if ((pte & PTE.TYPE_MASK) !== PTE.PRESENT) { return; }
		const owner = k.frames.owner[pfn >> 12][pfn & 4095];
		if (owner === RAM_POOL || !k.devices[owner]?.coherent) { return; }
		const dev = k.devices[owner];
		const from = Math.max(addr, vpn * PAGE_SIZE), to = Math.min(addr + len, (vpn + 1) * PAGE_SIZE);
		bytes.set(dev, (bytes.get(dev) ?? 0) + to - from);
	});
	let ns = 0;
	for (const [dev, b] of bytes) { ns += (dev.uvm?.costs ?? mirrorCosts(dev)).cpuCoherent(b); }
	return ns;
}
