// Read-only views of the simulated machine for the Variables view: processes and their VMAs and
// pages (CPU PTE, device mirror entries and struct page decoded per field), devices (config,
// memory, mirrors, counters) and run statistics. Device children are a list of sections so that
// later device state (fault queue, eviction order, prefetch state) is one more entry.
import type { Kernel } from '../engine/kernel';
import type { Mm } from '../engine/mm/mm';
import type { Vma } from '../engine/mm/vma';
import type { Device } from '../engine/device/device';
import type { PageTable } from '../engine/mm/pagetable';
import { pageLocation } from '../engine/query';
import { bytes, hex, PAGE, time } from './describe';
import { memoryReference } from './memory';
import { summarize } from './residency';
import type { V, VariableStore } from './variables';

const PTE_TYPES = ['none', 'present', 'device-private entry', 'device-exclusive entry', 'swap entry', 'migration entry', 'type 6', 'type 7'];
const PTE_BITS: [number, string][] = [[8, 'write'], [16, 'dirty'], [32, 'young'], [64, 'atomic']];
const PG_FLAGS: [number, string][] = [[1, 'ANON'], [2, 'FILE'], [4, 'DAX'], [8, 'DEV_PRIVATE'], [16, 'DEV_COHERENT'], [32, 'ZERO'],
	[64, 'HEAD'], [128, 'TAIL'], [256, 'DIRTY'], [512, 'LAZYFREE'], [1024, 'SWAPBACKED']];

export function decodeFlags(v: number, table: [number, string][]): string {
	const names = table.filter(([bit]) => v & bit).map(([, n]) => n);
	return names.length ? names.join(' | ') : '0';
}

export class Inspector {
	constructor(private readonly vs: VariableStore, private readonly varNames: (addr: number) => string | undefined) {
		vs.pageOf = (mm, vpn) => this.page(mm, vpn);
	}

	private get k(): Kernel { return this.vs.interp.machine.k; }

	// ------------------------------------------------------------ processes

	processes(): V[] { return this.k.mms.map(mm => this.process(mm)); }

	process(mm: Mm): V {
		const vs = this.vs;
		const vmas = mm.vmas.list;
		return vs.container(mm.name, `pid ${mm.pid}, ${vmas.length} VMA${vmas.length === 1 ? '' : 's'}${mm.alive ? '' : ' (exited)'}`, {
			named: () => {
				const mirrors = this.k.devices.filter(d => d.mirrors.has(mm)).map(d => d.name);
				return [
					vs.leaf('pid', mm.pid), vs.leaf('alive', mm.alive), vs.leaf('current', this.vs.interp.machine.current === mm),
					vs.leaf('rss (pages)', mm.rss(p => this.k.frames.isZero(p))), vs.leaf('faults', mm.faults),
					vs.container('VMAs', `${vmas.length}`, { indexed: { count: vmas.length, get: (s, c) => vmas.slice(s, s + c).map(v => this.vma(mm, v)) } }),
					vs.leaf('mirrored by', mirrors.length ? mirrors.join(', ') : 'no device'),
				];
			},
		});
	}

	vma(mm: Mm, v: Vma): V {
		const vs = this.vs;
		const label = this.varNames(v.start * PAGE);
		const name = `${hex(v.start * PAGE)}${label ? ` ${label}` : ''}`;
		const npages = v.npages;
		vs.mark(name, { process: mm.name, start: v.start, end: v.end, description: `VMA ${hex(v.start * PAGE)}-${hex(v.end * PAGE)}${label ? ` (${label})` : ''} of ${mm.name}` });
		return vs.container(name, `${hex(v.start * PAGE)}-${hex(v.end * PAGE)} ${v.protString()} ${v.kindString().trim()}, ${npages} pages`, {
			named: () => {
				const kids = [vs.leaf('start', hex(v.start * PAGE)), vs.leaf('end', hex(v.end * PAGE)), vs.leaf('size', bytes(npages * PAGE)),
					vs.leaf('prot', v.protString()), vs.leaf('kind', v.kindString().trim()), vs.leaf('pages', npages)];
				if (v.file) { kids.push(vs.leaf('file', v.file.name), vs.leaf('file offset', v.pgoff * PAGE)); }
				const adv = [v.flags & 16 ? 'hugepage' : '', v.flags & 32 ? 'nohugepage' : ''].filter(Boolean);
				if (adv.length) { kids.push(vs.leaf('advice', adv.join(', '))); }
				// counted only when opened: it walks the page table
				kids.push(vs.container('residency', 'pages by location', { named: () => this.residency(mm, v.start, v.end) }));
				return kids;
			},
			indexed: { count: npages, get: (s, c) => Array.from({ length: c }, (_, i) => this.page(mm, v.start + s + i)) },
		}, { memoryReference: memoryReference(mm, v.start * PAGE) });
	}

	private residency(mm: Mm, start: number, end: number): V[] {
		return [...summarize(this.k, mm, start, end)].map(([loc, n]) => this.vs.leaf(loc, n));
	}

	/** One page: location, CPU PTE per field, each mirroring device's entry, struct page. */
	page(mm: Mm, vpn: number): V {
		const vs = this.vs;
		const k = this.k;
		const pte = mm.pt.pte(vpn);
		const type = pte & 7;
		const loc = pageLocation(k, mm, vpn);
		const pfn = type === 0 ? -1 : mm.pt.pfn(vpn);
		const name = hex(vpn * PAGE);
		vs.mark(name, { process: mm.name, start: vpn, end: vpn + 1, description: `page ${name} of ${mm.name}` });
		const bits = PTE_BITS.filter(([b]) => pte & b).map(([, n]) => n);
		const summary = type === 0 ? 'none' : `${loc}, ${PTE_TYPES[type]}${bits.length ? ' ' + bits.join(' ') : ''}${mm.pt.isHuge(vpn) ? ' (PMD)' : ''}`;
		return vs.container(name, summary, {
			named: () => {
				const kids: V[] = [vs.leaf('address', name), vs.leaf('location', loc)];
				kids.push(vs.container('CPU PTE', type === 0 ? 'none' : `${PTE_TYPES[type]} ${hex(pte)}`, { named: () => this.pte(mm.pt, vpn) }));
				for (const d of k.devices) {
					const m = d.mirrors.get(mm);
					if (!m) { continue; }
					const e = m.pt.pte(vpn);
					kids.push(vs.leaf(`${d.name} mirror`, e === 0 ? 'none' : `${e & 64 ? 'atomic' : e & 8 ? 'rw' : 'r'} pfn ${hex(m.pt.pfn(vpn))}`));
				}
				if (type !== 0 && type !== 4 && pfn >= 0) { kids.push(...this.structPage(pfn)); }
				return kids;
			},
		}, { memoryReference: memoryReference(mm, vpn * PAGE) });
	}

	private pte(pt: PageTable, vpn: number): V[] {
		const vs = this.vs;
		const pte = pt.pte(vpn);
		const out = [vs.leaf('type', PTE_TYPES[pte & 7])];
		for (const [b, n] of PTE_BITS) { out.push(vs.leaf(n, (pte & b) !== 0)); }
		out.push(vs.leaf('PMD mapped (huge)', pt.isHuge(vpn)));
		if ((pte & 7) !== 0) { out.push(vs.leaf((pte & 7) === 4 ? 'swap slot' : 'pfn', pt.pfn(vpn))); }
		out.push(vs.leaf('raw', hex(pte)));
		return out;
	}

	private structPage(pfn: number): V[] {
		const vs = this.vs;
		const f = this.k.frames;
		const owner = f.owner[pfn];
		return [
			vs.leaf('pfn', pfn), vs.leaf('memory', owner >= 0 ? `${this.k.devices[owner]?.name ?? owner} (device)` : 'ram'),
			vs.leaf('refcount', f.refcount[pfn]), vs.leaf('mapcount', f.mapcount[pfn]), vs.leaf('pincount', f.pincount[pfn]),
			vs.leaf('flags', decodeFlags(f.flags[pfn], PG_FLAGS)),
		];
	}

	// ------------------------------------------------------------ devices

	/** Device children, section by section; add new device state here. */
	private readonly deviceSections: ((d: Device) => V | V[])[] = [
		d => [this.vs.leaf('kind', d.cfg.kind), this.vs.leaf('policy', d.cfg.policy), this.vs.leaf('link', d.cfg.link),
			this.vs.leaf('prefetch', d.cfg.prefetch), this.vs.leaf('evict', d.cfg.evict), this.vs.leaf('fault_batch', d.cfg.faultBatch),
			this.vs.leaf('huge', d.cfg.huge)],
		d => [this.vs.leaf('capacity', bytes(d.capacityPages * PAGE)), this.vs.leaf('used (pages)', d.usedPages),
			this.vs.leaf('free (pages)', d.capacityPages - d.usedPages)],
		d => this.vs.container('memory chunks', `${d.chunks.length}`, {
			indexed: { count: d.chunks.length, get: (s, c) => d.chunks.slice(s, s + c).map((ch, i) => this.vs.leaf(`[${s + i}]`, `pfn ${hex(ch.first)}, ${ch.npages} pages`)) },
		}),
		d => this.vs.container('mirrors', `${d.mirrors.size} process${d.mirrors.size === 1 ? '' : 'es'}`, {
			named: () => [...d.mirrors].map(([mm, m]) => this.mirrorTable(mm, m.pt, m.notifier.seq)),
		}),
		d => this.counters(d),
	];

	devices(): V[] {
		return this.k.devices.map(d => this.vs.container(d.name, `${d.cfg.kind}, ${bytes(d.capacityPages * PAGE)}, ${d.usedPages} pages used`, {
			named: () => this.deviceSections.flatMap(s => s(d)),
		}));
	}

	counters(d: Device): V {
		return this.vs.container('counters', `faults ${d.stats.faults}, migrated in ${d.stats.migrated_in}`, {
			named: () => Object.entries(d.stats).map(([n, v]) => this.vs.leaf(n, v as number)),
		});
	}

	/** A device's page table for one process, paged over its present entries. */
	private mirrorTable(mm: Mm, pt: PageTable, seq: number): V {
		const leaves = [...pt.leaves].sort((a, b) => a[0] - b[0]);
		const count = leaves.reduce((n, [, l]) => n + l.used, 0);
		return this.vs.container(mm.name, `${count} entries (notifier seq ${seq})`, {
			indexed: {
				count, get: (start, n) => {
					const out: V[] = [];
					let skip = start;
					for (const [key, l] of leaves) {
						if (skip >= l.used) { skip -= l.used; continue; }
						for (let i = 0; i < 512 && out.length < n; i++) {
							const e = l.pte[i];
							if ((e & 7) === 0) { continue; }
							if (skip > 0) { skip--; continue; }
							const vpn = key * 512 + i;
							out.push(this.vs.leaf(hex(vpn * PAGE), `${e & 64 ? 'atomic' : e & 8 ? 'rw' : 'r'} pfn ${hex(l.pfn[i])} (${pageLocation(this.k, mm, vpn)})`));
						}
						if (out.length >= n) { break; }
					}
					return out;
				},
			},
		});
	}

	// ------------------------------------------------------------ statistics

	statistics(): V[] {
		const vs = this.vs;
		const it = vs.interp;
		const k = this.k;
		return [
			vs.leaf('simulated time', time(k.clock)), vs.leaf('time (ns)', k.clock), vs.leaf('steps', it.steps),
			vs.leaf('expectations passed', it.passed), vs.leaf('expectations failed', it.failed),
			vs.leaf('RAM used (pages)', k.frames.ramUsed), vs.leaf('RAM (pages)', k.frames.ramPages),
			...k.devices.map(d => { const c = this.counters(d); c.name = d.name; return c; }),
		];
	}
}
