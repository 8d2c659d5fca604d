// Read-only views of the simulated machine for the Variables view: processes and their VMAs and
// pages (CPU PTE, device mirror entries and struct page decoded per field), devices (config,
// memory, mirrors, counters) and run statistics. Device children are a list of sections so that
// later device state (fault queue, eviction order, prefetch state) is one more entry.
import type { DeviceMirrorRecord, DeviceRecord, MachineView, PageRecord, ProcessSummary, PteRecord, PteType, VmaRecord } from '../engine/view';
import { bytes, hex, PAGE, time } from './describe';
import { memoryReference } from './memory';
import type { V, VariableStore } from './variables';
import { deviceModel } from './inspectModel';

/** A process as the views name it: by id (stable across time travel), shown by name. */
type Proc = Pick<ProcessSummary, 'id' | 'name'>;

const PTE_LABELS: Record<PteType, string> = {
	none: 'none', present: 'present', devpriv: 'device-private entry', excl: 'device-exclusive entry', swap: 'swap entry', migration: 'migration entry',
};
const PTE_BITS = ['write', 'dirty', 'young', 'atomic'] as const;

export class Inspector {
	constructor(private readonly vs: VariableStore, private readonly varNames: (addr: number) => string | undefined) {
		vs.pageOf = (p, vpn) => this.page(p, vpn);
	}

	private get view(): MachineView { return this.vs.interp.machine.view; }

	// ------------------------------------------------------------ processes

	processes(): V[] { return this.view.processes().map(p => this.process(p)); }

	process(p: ProcessSummary): V {
		const vs = this.vs;
		const m = (member: string) => ({ evaluateName: `${p.name}.${member}` });
		return vs.container(p.name, `pid ${p.pid}, ${p.vmaCount} VMA${p.vmaCount === 1 ? '' : 's'}${p.alive ? '' : p.oomKilled ? ' (killed by the OOM killer)' : ' (exited)'}`, {
			named: () => {
				const r = this.view.process(p.id);
				if (!r) { return []; }
				return [
					vs.leaf('pid', r.pid, m('pid')), vs.leaf('alive', r.alive), vs.leaf('current', r.current),
					vs.leaf('rss (pages)', r.rss, m('rss')), vs.leaf('faults', r.faults, m('faults')),
					vs.container('VMAs', `${r.vmaCount}`, { indexed: { count: r.vmaCount, get: (s, c) => this.view.vmas(r.id, s, c).map(v => this.vma(r, v)) } }),
					vs.leaf('mirrored by', r.mirroredBy.length ? r.mirroredBy.join(', ') : 'no device'),
				];
			},
		}, { evaluateName: p.name });
	}

	vma(p: Proc, v: VmaRecord): V {
		const vs = this.vs;
		const label = this.varNames(v.start);
		const name = `${hex(v.start)}${label ? ` ${label}` : ''}`;
		vs.mark(name, { process: p.name, start: v.startVpn, end: v.endVpn, description: `VMA ${hex(v.start)}-${hex(v.end)}${label ? ` (${label})` : ''} of ${p.name}` });
		const range = `at(${hex(v.start)}, ${hex(v.end - v.start)})`;
		return vs.container(name, `${hex(v.start)}-${hex(v.end)} ${v.prot} ${v.kind}, ${v.npages} pages`, {
			named: () => {
				const kids = [vs.leaf('start', hex(v.start), { evaluateName: `addr(${range})` }), vs.leaf('end', hex(v.end), { evaluateName: `addr(${range}) + len(${range})` }),
					vs.leaf('size', bytes(v.npages * PAGE), { evaluateName: `len(${range})` }),
					vs.leaf('prot', v.prot), vs.leaf('kind', v.kind), vs.leaf('pages', v.npages, { evaluateName: `npages(${range})` })];
				if (v.file !== undefined) { kids.push(vs.leaf('file', v.file), vs.leaf('file offset', v.fileOffset ?? 0)); }
				if (v.advice.length) { kids.push(vs.leaf('advice', v.advice.join(', '))); }
				// counted only when opened: it walks the page table
				kids.push(vs.container('residency', 'pages by location', {
					named: () => Object.entries(this.view.residencyCounts(p.id, v.startVpn, v.endVpn)).map(([loc, n]) => vs.leaf(loc, n, { evaluateName: `count(${range}, ${loc})` })),
				}));
				return kids;
			},
			indexed: { count: v.npages, get: (s, c) => Array.from({ length: c }, (_, i) => this.page(p, v.startVpn + s + i)) },
		}, { memoryReference: memoryReference(p, v.start), evaluateName: range });
	}

	/** One page: location, CPU PTE per field, each mirroring device's entry, struct page. */
	page(p: Proc, vpn: number): V {
		const vs = this.vs;
		const name = hex(vpn * PAGE);
		const range = `at(${name}, ${hex(PAGE)})`;
		const r = this.view.page(p.id, vpn);
		if (!r) { return vs.leaf(name, 'none', { evaluateName: range }); }
		vs.mark(name, { process: p.name, start: vpn, end: vpn + 1, description: `page ${name} of ${p.name}` });
		const pte = r.pte;
		const bits = PTE_BITS.filter(b => pte[b]);
		const summary = pte.type === 'none' ? 'none' : `${r.location}, ${PTE_LABELS[pte.type]}${bits.length ? ' ' + bits.join(' ') : ''}${pte.huge ? ' (PMD)' : ''}`;
		return vs.container(name, summary, {
			named: () => {
				const kids: V[] = [vs.leaf('address', name, { evaluateName: `addr(${range})` }), vs.leaf('location', r.location, { evaluateName: `where(${range})` })];
				kids.push(vs.container('CPU PTE', pte.type === 'none' ? 'none' : `${PTE_LABELS[pte.type]} ${hex(pte.raw)}`, { named: () => this.pte(pte) }));
				for (const m of r.mirrors) { kids.push(vs.leaf(`${m.device} mirror`, m.perm === 'none' ? 'none' : `${m.perm} pfn ${hex(m.pfn)}`, { evaluateName: `perm(${m.device}, ${range})` })); }
				kids.push(...this.structPage(r));
				return kids;
			},
		}, { memoryReference: memoryReference(p, vpn * PAGE), evaluateName: range });
	}

	private pte(pte: PteRecord): V[] {
		const vs = this.vs;
		const out = [vs.leaf('type', PTE_LABELS[pte.type])];
		for (const b of PTE_BITS) { out.push(vs.leaf(b, pte[b])); }
		out.push(vs.leaf('PMD mapped (huge)', pte.huge));
		if (pte.type === 'swap') { out.push(vs.leaf('swap slot', pte.swapSlot)); } else if (pte.type !== 'none') { out.push(vs.leaf('pfn', pte.pfn)); }
		out.push(vs.leaf('raw', hex(pte.raw)));
		return out;
	}

	private structPage(r: PageRecord): V[] {
		const vs = this.vs;
		const pg = r.page;
		if (!pg) { return []; }
		return [
			vs.leaf('pfn', pg.pfn), vs.leaf('memory', pg.memory === 'ram' ? 'ram' : `${pg.memory} (device)`),
			vs.leaf('refcount', pg.refcount), vs.leaf('mapcount', pg.mapcount), vs.leaf('pincount', pg.pincount),
			...(pg.devicePin ? [vs.leaf('pinned in device', pg.devicePin.untilNs === null ? 'until unpin' : `until ${time(pg.devicePin.untilNs)}`)] : []),
			...(pg.daxCopy ? [vs.leaf('DAX', `${pg.daxCopy.file} page ${pg.daxCopy.index}: copied to device, ${pg.daxCopy.persisted ? 'persisted (persistent memory holds the same bytes)' : 'not persisted (a crash loses it)'}`)] : []),
			...(pg.pageCache ? [vs.leaf('page cache', `${pg.pageCache.file} page ${pg.pageCache.index}${pg.pageCache.dirty ? (pg.memory === 'ram' ? ' (dirty)' : ' (dirty in device memory: not written back)') : ''}`)] : []),
			vs.leaf('flags', pg.flags.length ? pg.flags.join(' | ') : '0'),
		];
	}

	// ------------------------------------------------------------ devices

	/** Device children, section by section; add new device state here. */
	private readonly deviceSections: ((d: DeviceRecord) => V | V[])[] = [
		d => [this.vs.leaf('kind', d.config.kind), this.vs.leaf('policy', d.config.policy), this.vs.leaf('link', d.config.link),
			this.vs.leaf('prefetch', d.config.prefetch), this.vs.leaf('evict', d.config.evict), this.vs.leaf('fault_batch', d.config.faultBatch),
			this.vs.leaf('huge', d.config.huge)],
		d => [this.vs.leaf('capacity', bytes(d.capacityPages * PAGE)), this.vs.leaf('used (pages)', d.usedPages, { evaluateName: `${d.name}.used / 4096` }),
			this.vs.leaf('free (pages)', d.freePages, { evaluateName: `${d.name}.free / 4096` }),
			this.vs.leaf('struct pages (host RAM)', bytes(d.structPageBytes), { evaluateName: `${d.name}.struct_page_bytes` }),
			...(d.pinnedPages > 0 ? [this.vs.leaf('pinned (pages)', d.pinnedPages, { evaluateName: `${d.name}.pinned / 4096` })] : [])],
		d => this.vs.container('memory chunks', `${d.chunks.length}`, {
			indexed: { count: d.chunks.length, get: (s, c) => d.chunks.slice(s, s + c).map((ch, i) => this.vs.leaf(`[${s + i}]`, `pfn ${hex(ch.first)}, ${ch.npages} pages`)) },
		}),
		d => this.vs.container('mirrors', `${d.mirrors.length} process${d.mirrors.length === 1 ? '' : 'es'}`, {
			named: () => d.mirrors.map(m => this.mirrorTable(d.name, m)),
		}),
		d => this.counters(d),
		d => deviceModel(this.vs, d),
		d => {
			const extra = Object.entries(d.extra);
			return extra.length ? [this.vs.container('state', `${extra.length} fields`, { named: () => extra.map(([n, v]) => this.vs.leaf(n, v)) })] : [];
		},
	];

	/** A device or process named in the watch view, a hover or the console: the same node the
	 * Devices and Processes scopes show (a bare name is not a script value, but it names one). */
	named(name: string): V | undefined {
		if (this.view.deviceNames().includes(name)) { return this.devices().find(d => d.name === name); }
		const p = this.view.processSummary(name);
		return p ? this.process(p) : undefined;
	}

	devices(): V[] {
		return this.view.devices().map(d => this.vs.container(d.name, `${d.config.kind}, ${bytes(d.capacityPages * PAGE)}, ${d.usedPages} pages used`, {
			named: () => this.deviceSections.flatMap(s => s(d)),
		}, { evaluateName: d.name }));
	}

	counters(d: DeviceRecord): V {
		return this.vs.container('counters', `faults ${d.counters.faults}, migrated in ${d.counters.migrated_in}`, {
			named: () => Object.entries(d.counters).map(([n, v]) => this.vs.leaf(n, v, { evaluateName: `${d.name}.${n}` })),
		});
	}

	/** A device's page table for one process, paged over its entries. */
	private mirrorTable(device: string, m: DeviceMirrorRecord): V {
		// a named open file of the device (`DEV mirror PROC as NAME`) is listed under its name
		const name = m.handle === undefined ? m.process : `${m.handle} (${m.process})`;
		const stale = m.stale ? `, ${m.stale} stale` : '';
		return this.vs.container(name, `${m.entries} entries${stale} (notifier seq ${m.notifierSeq})`, {
			indexed: {
				count: m.entries,
				get: (start, n) => this.view.mirrorEntries(device, m.processId, { skip: start, limit: n, handle: m.handle })
					.map(e => this.vs.leaf(hex(e.address), `${e.perm} pfn ${hex(e.pfn)} (${e.location})${e.stale ? ', stale: the page was migrated away' : ''}`)),
			},
		});
	}

	// ------------------------------------------------------------ statistics

	statistics(): V[] {
		const vs = this.vs;
		const it = vs.interp;
		const sys = this.view.system();
		return [
			vs.leaf('simulated time', time(sys.time), { evaluateName: 'time' }), vs.leaf('time (ns)', sys.time, { evaluateName: 'time' }), vs.leaf('steps', it.steps),
			vs.leaf('expectations passed', it.passed), vs.leaf('expectations failed', it.failed),
			vs.leaf('RAM used (pages)', sys.ramUsedPages), vs.leaf('RAM (pages)', sys.ramPages),
			...(sys.swapPages > 0 ? [vs.leaf('swap used (pages)', sys.swapUsedPages), vs.leaf('swap (pages)', sys.swapPages), vs.leaf('swapped out / in (pages)', `${sys.swapOuts} / ${sys.swapIns}`)] : []),
			vs.leaf('device struct pages (host RAM)', bytes(sys.structPageBytes), { evaluateName: 'system.struct_page_bytes' }),
			vs.leaf('invalidations reaching devices', sys.invalidation.updates, { evaluateName: 'system.invalidations' }),
			vs.leaf('waiting for device TLB flushes', time(sys.invalidation.chargedNs), { evaluateName: 'system.invalidate_ns' }),
			...(sys.pins.pages > 0 || sys.pins.blocked > 0 ? [
				vs.leaf('pages pinned in devices', sys.pins.pages), vs.leaf('CPU accesses blocked by pins', sys.pins.blocked, { evaluateName: 'system.pin_blocked' }),
				vs.leaf('waited for pins', time(sys.pins.waitedNs), { evaluateName: 'system.pin_wait_ns' }),
			] : []),
			...(sys.fileMigration.devicePages > 0 || sys.fileMigration.faultedBack > 0 ? [
				vs.leaf('file pages in device memory', sys.fileMigration.devicePages, { evaluateName: 'system.file_device_pages' }),
				vs.leaf('  of them dirty (not written back)', sys.fileMigration.deviceDirty, { evaluateName: 'system.file_device_dirty' }),
				vs.leaf('file pages brought back from devices', sys.fileMigration.faultedBack, { evaluateName: 'system.file_faulted_back' }),
				vs.leaf('file pages written back', sys.fileMigration.writebackPages, { evaluateName: 'system.file_writeback_pages' }),
			] : []),
			...(sys.persistence.daxDevicePages > 0 || sys.persistence.daxWrittenBack > 0 ? [
				vs.leaf('DAX pages copied to devices', sys.persistence.daxDevicePages, { evaluateName: 'system.dax_device_pages' }),
				vs.leaf('  of them not persisted', sys.persistence.daxUnpersisted, { evaluateName: 'system.dax_unpersisted' }),
				vs.leaf('DAX pages written back to persistent memory', sys.persistence.daxWrittenBack, { evaluateName: 'system.dax_written_back' }),
			] : []),
			...(sys.persistence.crashes > 0 ? [
				vs.leaf('crashes', sys.persistence.crashes, { evaluateName: 'system.crashes' }),
				vs.leaf('file data the last crash lost', bytes(sys.persistence.lostFileBytes), { evaluateName: 'system.lost_bytes' }),
			] : []),
			...(sys.experimental.length > 0 ? [
				vs.leaf('experimental modes', sys.experimental.join(', ')),
				vs.leaf('saved by overlapping flushes', time(sys.invalidation.serialNs - sys.invalidation.chargedNs), { evaluateName: 'system.invalidate_saved_ns' }),
			] : []),
			...this.view.devices().map(d => { const c = this.counters(d); c.name = d.name; return c; }),
		];
	}
}
