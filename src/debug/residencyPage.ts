// The `residencyPage` custom request: what the residency panel's tooltip tells about the cell
// under the mouse. For the cell's first page: its address and page index, where it is, the CPU
// PTE's kind and bits, struct page counts, and which devices map it and how. For the whole cell
// (a mixed one holds several locations): pages per location, exactly.
import type { MachineView } from '../engine/view';
import { PAGE } from './describe';
import { pickProcess } from './residency';

export interface ResidencyPageArgs { process?: string; address: number; pages: number }

export function residencyPageArgs(args: unknown): ResidencyPageArgs | string {
	const a = (args ?? {}) as Record<string, unknown>;
	if (typeof a.address !== 'number' || !Number.isFinite(a.address) || a.address < 0) { return 'residencyPage needs a byte address'; }
	const pages = typeof a.pages === 'number' && Number.isFinite(a.pages) ? Math.min(1 << 26, Math.max(1, Math.floor(a.pages))) : 1;
	return { process: typeof a.process === 'string' ? a.process : undefined, address: a.address, pages };
}

export interface ResidencyPageBody {
	process: string;
	address: number;
	/** page index within the process address space (vpn) */
	vpn: number;
	location: string;
	/** CPU PTE: kind and set bits ('write', 'dirty', 'young', 'huge') */
	pte: { type: string; flags: string[]; pfn: number };
	/** struct page counts of the frame, when there is one */
	refcount?: number;
	mapcount?: number;
	pincount?: number;
	/** each device with an entry for the page: its access, and whether it maps its own memory,
	 * memory elsewhere in place, or its read-duplicated copy */
	mappedBy: { device: string; perm: string; how: 'resident' | 'remote' | 'copy' }[];
	/** the VMA holding the page, if any */
	vma?: string;
	/** pages of the requested span by location (the breakdown of a mixed cell) */
	breakdown: Record<string, number>;
	pages: number;
}

export function residencyPage(view: MachineView, a: ResidencyPageArgs): ResidencyPageBody | string {
	const p = pickProcess(view, a.process);
	if (typeof p === 'string') { return p; }
	const vpn = Math.floor(a.address / PAGE);
	const rec = view.page(p.id, vpn);
	if (!rec) { return `no page at 0x${a.address.toString(16)}`; }
	const pte = rec.pte;
	const flags = (['write', 'dirty', 'young', 'huge'] as const).filter(f => pte[f]);
	const mappedBy = rec.mirrors.filter(m => m.perm !== 'none').map(m => ({
		device: m.device, perm: m.perm, how: m.copy ? 'copy' as const : m.own ? 'resident' as const : 'remote' as const,
	}));
	const vma = view.vmaAt(p.id, a.address);
	return {
		process: p.name, address: vpn * PAGE, vpn, location: rec.location,
		pte: { type: pte.type, flags, pfn: rec.pfn },
		...(rec.page ? { refcount: rec.page.refcount, mapcount: rec.page.mapcount, pincount: rec.page.pincount } : {}),
		mappedBy,
		...(vma ? { vma: `${vma.kind} ${vma.prot} 0x${vma.start.toString(16)}–0x${(vma.end - 1).toString(16)}` } : {}),
		breakdown: view.residencyCounts(p.id, vpn, vpn + a.pages), pages: a.pages,
	};
}
