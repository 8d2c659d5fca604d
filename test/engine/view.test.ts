// machine.view: the read-only records of pages, VMAs, processes and devices, residency runs and
// cells, memory reads and the kernel stack. Residency is checked against a page-by-page
// derivation (one semantics with the fast leaf walk), and records against the builtins.
import * as assert from 'node:assert/strict';
import { Machine } from '../../src/engine/machine';
import type { MachineView, PageRecord, ResidencyRun } from '../../src/engine/view';
import { PTE } from '../../src/engine/mm/pagetable';
import { defaultDeviceConfig } from '../../src/engine/device/device';
import type { K } from '../../src/engine/sim/events';
import { run } from './helpers';

const PAGE = 4096;

function drain<T>(g: K<T>): T {
	let r = g.next();
	while (!r.done) { r = g.next(); }
	return r.value;
}

/** X of 8 pages, page k in state: 0 none, 1 zero, 2 ram (= 7), 3 ram (written, unchanged),
 * 4 device-private on gpu, 5 exclusive to gpu, 6 ram read by gpu, 7 none. */
const MIXED = [
	'device gpu memory=64MiB', 'process p', 'gpu mirror p', 'X = mmap 32KiB anon rw',
	'cpu read page(X, 1)', 'cpu write page(X, 2) = 7', 'cpu write page(X, 3)',
	'cpu write page(X, 4) = i', 'migrate page(X, 4) -> gpu',
	'cpu write page(X, 5) = 5', 'exclusive page(X, 5) -> gpu',
	'cpu write page(X, 6) = 6', 'gpu read page(X, 6)',
].join('\n');

function mixed(): { m: Machine; v: MachineView; x: number; vpn: number } {
	const it = run(MIXED);
	const m = it.machine;
	const r = it.vars.get('X') as { addr: number };
	return { m, v: m.view, x: r.addr, vpn: r.addr / PAGE };
}

/** Runs derived page by page from page records: what the leaf walk must reproduce. */
function slowRuns(v: MachineView, proc: string, start: number, end: number): ResidencyRun[] {
	const out: ResidencyRun[] = [];
	for (let vpn = start; vpn < end; vpn++) {
		const loc = v.page(proc, vpn)!.location;
		const last = out[out.length - 1];
		if (last && last.loc === loc) { last.npages++; } else { out.push({ loc, npages: 1 }); }
	}
	return out;
}

/** Cells of ppc pages derived page by page: a cell's code, or 'mixed'. */
function slowCells(v: MachineView, proc: string, start: number, end: number, ppc: number): number[] {
	const legend = [...v.legend(), 'mixed'];
	const out: number[] = [];
	for (let c = start; c < end; c += ppc) {
		const locs = new Set<string>();
		for (let vpn = c; vpn < Math.min(end, c + ppc); vpn++) { locs.add(v.page(proc, vpn)!.location); }
		const code = locs.size === 1 ? legend.indexOf([...locs][0]) : legend.length - 1;
		if (out.length && out[out.length - 2] === code) { out[out.length - 1]++; } else { out.push(code, 1); }
	}
	return out;
}

describe('machine.view', () => {
	it('page records: none, zero, ram, device-private, exclusive, each decoded by name', () => {
		const { v, vpn, x } = mixed();
		const pages = Array.from({ length: 8 }, (_, i) => v.page('p', vpn + i)!);
		assert.deepEqual(pages.map(p => [p.location, p.pte.type]), [
			['none', 'none'], ['zero', 'present'], ['ram', 'present'], ['ram', 'present'],
			['gpu', 'devpriv'], ['ram', 'excl'], ['ram', 'present'], ['none', 'none'],
		]);
		const [none, zero, ram, unchanged, priv, excl, shared] = pages;
		assert.deepEqual([none.vpn, none.address, none.process, none.pid], [vpn, x, 'p', 1000]);
		assert.deepEqual([none.pfn, none.pte.pfn, none.page], [-1, -1, undefined]);
		assert.deepEqual(none.mirrors, [{ device: 'gpu', vpn, address: x, perm: 'none', pfn: -1 }]);
		// do_anonymous_page maps the shared zero page read-only for a read fault
		assert.equal(zero.pte.write, false);
		assert.deepEqual(zero.page!.flags, ['ZERO']);
		assert.deepEqual([ram.pte.write, ram.pte.dirty, ram.pte.young, ram.pte.huge], [true, true, true, false]);
		assert.deepEqual(ram.page!.flags, ['ANON', 'DIRTY']);
		assert.deepEqual([ram.page!.memory, ram.page!.refcount, ram.page!.mapcount, ram.page!.pincount], ['ram', 1, 1, 0]);
		assert.equal(ram.page!.head, ram.pfn);
		// a constant fill is kept as a pattern; a write without a value leaves a page of zeroes
		assert.equal(ram.page!.content, 'pattern');
		assert.equal(unchanged.page!.content, 'none');
		// migrate_vma_pages: the CPU PTE becomes a device-private entry naming the device page
		assert.equal(priv.pfn, priv.pte.pfn);
		assert.deepEqual([priv.page!.memory, priv.page!.flags.includes('DEV_PRIVATE'), priv.pte.write], ['gpu', true, true]);
		// make_device_exclusive: the CPU PTE names the RAM page, the device maps it for atomics
		assert.deepEqual([excl.page!.memory, excl.mirrors[0].perm, excl.mirrors[0].pfn], ['ram', 'atomic', excl.pfn]);
		assert.deepEqual([shared.mirrors[0].perm, shared.mirrors[0].pfn], ['rw', shared.pfn]);
	});

	it('page records agree with the builtins (perm, mapped, where of one page)', () => {
		const { m, v, x } = mixed();
		for (let i = 0; i < 8; i++) {
			const r = { addr: x + i * PAGE, len: PAGE };
			const p = v.page('p', r.addr / PAGE)!;
			assert.equal(p.location, m.where(r), `page ${i}`);
			assert.equal(p.mirrors[0].perm, m.perm('gpu', r), `page ${i}`);
			assert.equal(p.mirrors[0].perm === 'none' ? 0 : 1, m.mapped('gpu', r), `page ${i}`);
		}
	});

	it('a coherent device\'s pages are present entries located on the device', () => {
		const it = run(['device cdev memory=64MiB kind=coherent', 'process p', 'cdev mirror p', 'X = mmap 8KiB anon rw',
			'cpu write X = i', 'migrate X -> cdev'].join('\n'));
		const vpn = (it.vars.get('X') as { addr: number }).addr / PAGE;
		const p = it.machine.view.page('p', vpn)!;
		assert.deepEqual([p.location, p.pte.type, p.page!.memory, p.page!.flags.includes('DEV_COHERENT')], ['cdev', 'present', 'cdev', true]);
	});

	it('huge pages: every page PMD-mapped, head and tails of one folio, one run', () => {
		const it = run(['system thp=madvise', 'process p', 'H = mmap 2MiB anon rw huge', 'cpu write H = i'].join('\n'));
		const v = it.machine.view;
		const vpn = (it.vars.get('H') as { addr: number }).addr / PAGE;
		const head = v.page('p', vpn)!;
		const tail = v.page('p', vpn + 511)!;
		assert.deepEqual([head.pte.huge, tail.pte.huge], [true, true]);
		assert.ok(head.page!.flags.includes('HEAD') && tail.page!.flags.includes('TAIL'));
		assert.deepEqual([tail.page!.head, tail.pfn], [head.pfn, head.pfn + 511]);
		assert.deepEqual(v.residency('p', vpn, vpn + 512)!.runs, [{ loc: 'ram', npages: 512 }]);
		const vma = v.vmaAt('p', vpn * PAGE)!;
		assert.deepEqual([vma.advice, vma.flags], [['hugepage'], ['READ', 'WRITE', 'HUGEPAGE']]);
	});

	it('swap entries decode with their slot (the language cannot swap out yet: the entry is set directly)', () => {
		const m = new Machine();
		const mm = m.process('p');
		const X = m.mmap({ len: 2 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		const vpn = X.addr / PAGE;
		mm.pt.set(vpn, 42, PTE.SWAP | PTE.DIRTY);
		const p = m.view.page('p', vpn)!;
		assert.deepEqual([p.location, p.pte.type, p.pte.swapSlot, p.pte.pfn, p.pfn, p.page, p.pte.dirty], ['swap', 'swap', 42, -1, -1, undefined, true]);
		assert.deepEqual(m.view.residency('p', vpn, vpn + 2)!.counts, { swap: 1, none: 1 });
		assert.equal(m.where(X), 'mixed');
		assert.equal(m.count(X, 'swap'), 1);
	});

	it('mid-migration: migration entries and the simulated kernel stack, with stable frame ids', () => {
		const m = new Machine();
		m.addDevice(defaultDeviceConfig('gpu', 64 << 20));
		m.process('p');
		drain(m.mirror('gpu', 'p'));
		const X = m.mmap({ len: 4 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X));
		m.setEvents({ wants: k => k === 'call' });
		const g = m.migrate(X, 'gpu');
		let ev = g.next();
		while (!ev.done && ev.value.fn !== 'migrate_vma_pages') { ev = g.next(); }
		assert.ok(!ev.done, 'stopped at migrate_vma_pages');
		const p = m.view.page('p', X.addr / PAGE)!;
		// migrate_vma_collect left a migration entry naming the source RAM page, write kept
		assert.deepEqual([p.pte.type, p.location, p.page!.memory, p.pte.write], ['migration', 'ram', 'ram', true]);
		const stack = m.view.stack();
		assert.equal(stack[stack.length - 1].fn, 'migrate_vma_pages');
		assert.deepEqual(stack.map(f => f.depth), stack.map((_, i) => i));
		assert.deepEqual(stack[stack.length - 1], { fn: 'migrate_vma_pages', addr: X.addr, npages: 4, process: 'p', device: undefined, id: stack[stack.length - 1].id, depth: stack.length - 1 });
		const again = m.view.stack();
		assert.deepEqual(again.map(f => f.id), stack.map(f => f.id), 'a frame keeps its id');
		stack[0].fn = 'changed';
		assert.notEqual(m.view.stack()[0].fn, 'changed');
		while (!ev.done) { ev = g.next(); }
		const outer = stack[0].id;
		assert.ok(!m.view.stack().some(f => f.id === outer), 'returned frames are gone');
		assert.equal(m.view.page('p', X.addr / PAGE)!.location, 'gpu');
	});

	it('residency: runs and exact counts over a mixed range; where and count built on them', () => {
		const { m, v, vpn, x } = mixed();
		const r = v.residency('p', vpn - 2, vpn + 8)!;
		assert.deepEqual(r.runs, [
			{ loc: 'none', npages: 3 }, { loc: 'zero', npages: 1 }, { loc: 'ram', npages: 2 }, { loc: 'gpu', npages: 1 },
			{ loc: 'ram', npages: 2 }, { loc: 'none', npages: 1 },
		]);
		assert.deepEqual(r.counts, { none: 4, zero: 1, ram: 4, gpu: 1 });
		assert.deepEqual([r.process, r.startVpn, r.endVpn], ['p', vpn - 2, vpn + 8]);
		assert.deepEqual(v.residencyCounts('p', vpn - 2, vpn + 8), r.counts);
		const X = { addr: x, len: 8 * PAGE };
		assert.equal(m.where(X), 'mixed');
		assert.equal(v.where('p', vpn + 2, vpn + 4), 'ram');
		assert.equal(v.where('p', vpn, vpn), 'none');
		// count(R, ram) counts zero pages too: their data is in RAM
		assert.deepEqual([m.count(X, 'ram'), m.count(X, 'zero'), m.count(X, 'gpu'), m.count(X, 'none')], [5, 1, 1, 2]);
		assert.deepEqual([v.count('p', vpn, vpn + 8, 'ram'), v.count('p', vpn, vpn + 8, 'mixed')], [5, 0]);
		assert.throws(() => m.count(X, 'nodev'), /no device 'nodev'/);
	});

	it('the leaf walk gives what a page-by-page derivation gives (sparse, huge and mixed leaves)', () => {
		const it = run([
			'system thp=madvise', 'device gpu memory=64MiB', 'process p', 'gpu mirror p',
			'X = mmap 8MiB anon rw', 'H = mmap 2MiB anon rw huge', 'cpu write H = i', 'Z = mmap 2MiB anon rw huge', 'cpu read Z',
			'for j in 0..40 { cpu write page(X, j * 37 + 5) = j }', 'cpu read X[1MiB:1MiB + 64KiB]',
			'migrate pages(X, 500, 300) -> gpu', 'cpu write page(X, 1030)',
		].join('\n'));
		const v = it.machine.view;
		const vmas = v.vmas('p');
		const start = vmas[0].startVpn - 3;
		const end = vmas[vmas.length - 1].endVpn + 5;
		assert.deepEqual(v.residency('p', start, end)!.runs, slowRuns(v, 'p', start, end));
		for (const maxCells of [1, 7, 100, 1000, 1 << 20]) {
			const c = v.residencyCells('p', start, end, maxCells)!;
			assert.equal(c.pagesPerCell, Math.max(1, Math.ceil((end - start) / maxCells)));
			assert.deepEqual(c.runs, slowCells(v, 'p', start, end, c.pagesPerCell), `maxCells ${maxCells}`);
			assert.deepEqual(c.legend, ['none', 'zero', 'ram', 'swap', 'gpu', 'mixed']);
			// exact pages per location however many pages a cell holds
			const exact = v.residency('p', start, end)!.counts;
			assert.deepEqual(c.counts, c.legend.slice(0, -1).map(loc => exact[loc] ?? 0), `counts, maxCells ${maxCells}`);
		}
		// where and count, short ranges (page by page) and long ones (the walk) alike
		for (const len of [1, 2, 15, 16, 17, 40, 600]) {
			for (let at = start; at + len <= end; at += 97) {
				const slow = slowRuns(v, 'p', at, at + len);
				assert.equal(v.where('p', at, at + len), slow.length === 1 ? slow[0].loc : 'mixed', `where at ${at} len ${len}`);
				const ram = slow.filter(r => r.loc === 'ram' || r.loc === 'zero').reduce((n, r) => n + r.npages, 0);
				assert.equal(v.count('p', at, at + len, 'ram'), ram, `count at ${at} len ${len}`);
			}
		}
		const counts = v.residency('p', start, end)!.counts;
		assert.equal(Object.values(counts).reduce((a, b) => a + b, 0), end - start);
		// Z, and the 16 pages read in X but page 264 (written)
		assert.deepEqual([counts.gpu, counts.zero], [300, 512 + 15]);
		const z = v.page('p', (it.vars.get('Z') as { addr: number }).addr / PAGE + 100)!;
		assert.deepEqual([z.location, z.pte.huge], ['zero', true], 'the huge zero page, PMD-mapped');
	});

	it('VMA, process and device records', () => {
		const it = run([
			'device gpu memory=64MiB', 'process p', 'gpu mirror p', 'file f size=64KiB',
			'X = mmap 32KiB anon rw', 'F = mmap 16KiB file f r shared offset=8KiB', 'cpu read F',
			'cpu write X = i', 'migrate pages(X, 0, 3) -> gpu', 'fork q', 'exit q', 'gpu read X',
		].join('\n'));
		const v = it.machine.view;
		const [fv, xv] = v.vmas('p');
		assert.deepEqual([xv.prot, xv.backing, xv.shared, xv.kind, xv.npages, xv.end - xv.start, xv.file], ['rw-', 'anon', false, 'anon private', 8, 8 * PAGE, undefined]);
		assert.deepEqual([fv.prot, fv.backing, fv.shared, fv.kind, fv.file, fv.fileOffset, fv.flags], ['r--', 'file', true, 'file f shared', 'f', 8192, ['READ', 'SHARED']]);
		assert.deepEqual(v.vmas('p', 1, 5), [xv]);
		assert.equal(v.vmaAt('p', xv.start + 5 * PAGE)?.start, xv.start);
		assert.equal(v.vmaAt('p', xv.end), undefined);

		const p = v.process('p')!;
		assert.deepEqual([p.name, p.pid, p.alive, p.current, p.vmaCount, p.mirroredBy], ['p', 1000, true, true, 2, ['gpu']]);
		assert.equal(p.faults, it.machine.proc('p').faults);
		// rss: 5 RAM pages of X, 3 device-private entries, 4 page-cache pages of F
		assert.equal(p.rss, 12);

		const d = v.device('gpu')!;
		assert.deepEqual([d.name, d.index, d.config.kind, d.config.memoryBytes, d.capacityPages, d.usedPages, d.freePages], ['gpu', 0, 'private', 64 << 20, 16384, 3, 16381]);
		assert.equal(d.counters.migrated_in, 3);
		assert.deepEqual(Object.keys(d.counters), Object.keys(it.machine.device('gpu').stats));
		assert.equal(d.chunks.length, 1);
		assert.deepEqual(d.mirrors.map(mr => [mr.process, mr.processId, mr.entries]), [['p', 0, it.machine.mapped('gpu', { addr: xv.start, len: 8 * PAGE }) + it.machine.mapped('gpu', { addr: fv.start, len: 4 * PAGE })]]);
		assert.deepEqual(d.extra, {});
		assert.deepEqual(v.devices(), [d]);
		const { config: _c, chunks: _ch, mirrors: _m, extra: _e, ...summary } = d;
		assert.deepEqual(v.deviceSummary('gpu'), summary);
		assert.equal(v.deviceSummary('nodev'), undefined);
		assert.deepEqual(v.deviceNames(), ['gpu']);
		assert.equal(v.device('nodev'), undefined);

		const entries = v.mirrorEntries('gpu', 'p', { start: xv.startVpn, end: xv.endVpn });
		assert.deepEqual(entries.map(e => e.vpn), entries.map((_, i) => xv.startVpn + i).slice(0, entries.length));
		assert.deepEqual(entries.slice(0, 3).map(e => e.location), ['gpu', 'gpu', 'gpu']);
		assert.deepEqual(v.mirrorEntries('gpu', 'p', { start: xv.startVpn, end: xv.endVpn, skip: 2, limit: 2 }), entries.slice(2, 4));
		assert.deepEqual(v.mirrorEntries('gpu', 'p', { skip: 1 << 30 }), []);
		for (const e of entries) {
			const { location: _, ...entry } = e;
			assert.deepEqual(v.page('p', e.vpn)!.mirrors[0], entry);
		}
		assert.ok(entries.some(e => e.own) && entries.some(e => !e.own), 'entries of device memory are marked own, RAM mapped in place is not');

		const sys = v.system();
		assert.deepEqual([sys.time, sys.ramPages, sys.thp], [it.machine.time, 16 * 2 ** 30 / PAGE, 'madvise']);
		assert.ok(sys.ramUsedPages >= 9);

		// a name is a live process first, else an exited one; an id is one process
		drain(it.machine.fork('q'));
		assert.deepEqual(v.processes().map(s => [s.id, s.name, s.alive]), [[0, 'p', true], [1, 'q', false], [2, 'q', true]]);
		assert.equal(v.process('q')!.id, 2, 'a name means the live process first');
		assert.equal(v.process(1)!.alive, false);
		assert.deepEqual([v.process('nobody'), v.process(7), v.process(-1), v.page('nobody', 0)], [undefined, undefined, undefined, undefined]);
		assert.equal(v.current()!.name, 'p');
		// the debugger's per-step fault count is the processes' counts, exited ones included
		assert.equal(v.cpuFaultCount(), v.processes().reduce((n, s) => n + s.faults, 0));
		assert.ok(v.cpuFaultCount() > 0);
	});

	it('read: bytes as the process reads them, without faults; unmapped bytes end the prefix', () => {
		const { m, v, x, vpn } = mixed();
		const faults = m.proc('p').faults;
		const r = v.read('p', x + 4 * PAGE, 8)!;
		// page 4 is on the device: its data (= i) reads back in place
		assert.deepEqual([...new Int32Array(r.data.buffer, r.data.byteOffset, 2)], [0, 1]);
		assert.equal(r.unreadable, 0);
		assert.deepEqual([...v.read('p', x + 2 * PAGE, 4)!.data], [7, 0, 0, 0]);
		const tail = v.read('p', x + 8 * PAGE - 2, 6)!;
		assert.deepEqual([tail.data.length, tail.unreadable], [2, 4]);
		assert.equal(m.proc('p').faults, faults);
		assert.equal(v.page('p', vpn + 4)!.location, 'gpu');
		assert.deepEqual([v.read('p', -1, 4), v.read('p', 0.5, 4), v.read('nobody', 0, 4)], [undefined, undefined, undefined]);
		assert.equal(v.writeProblem('p', x, PAGE), undefined);
		assert.match(v.writeProblem('p', x + 8 * PAGE, 1)!, /is not mapped in p/);
		assert.match(v.writeProblem('nobody', x, 1)!, /no process 'nobody'/);
	});

	it('returned records are copies: changing them changes nothing in the engine', () => {
		const { m, v, x, vpn } = mixed();
		const snapshot = () => JSON.stringify([v.page('p', vpn + 5), v.page('p', vpn + 2), v.vmas('p'), v.process('p'), v.devices(), v.system(), v.residency('p', vpn, vpn + 8)]);
		const before = snapshot();
		const page = v.page('p', vpn + 5) as PageRecord;
		page.pte.type = 'none';
		page.pte.pfn = 0;
		page.mirrors[0].perm = 'none';
		page.mirrors.length = 0;
		page.page!.flags.push('DIRTY');
		page.page!.refcount = 99;
		const vma = v.vmas('p')[0];
		vma.start = 0;
		vma.flags.push('EXEC');
		const proc = v.process('p')!;
		proc.mirroredBy.push('other');
		proc.faults = -1;
		const d = v.device('gpu')!;
		d.config.name = 'renamed';
		d.config.memoryBytes = 1;
		d.counters.faults = 1e9;
		d.chunks[0].first = -5;
		d.chunks.length = 0;
		d.mirrors[0].entries = 0;
		const res = v.residency('p', vpn, vpn + 8)!;
		res.runs[0].npages = 1000;
		res.counts.ram = 0;
		const bytes = v.read('p', x + 2 * PAGE, 4)!;
		bytes.data[0] = 99;
		assert.equal(snapshot(), before);
		assert.equal(v.read('p', x + 2 * PAGE, 4)!.data[0], 7);
		assert.equal(m.device('gpu').name, 'gpu');
		assert.equal(m.word({ addr: x + 2 * PAGE, len: 4 }, 0), 7);
	});

	it('follows the machine through `system`, snapshots and restores', () => {
		const m = new Machine();
		const v = m.view;
		m.configure({ ramBytes: 64 << 20 });
		assert.equal(v.system().ramPages, 16384);
		m.process('p');
		const X = m.mmap({ len: 2 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		const saved = m.saveState();
		drain(m.cpuWrite(X));
		assert.equal(v.where('p', X.addr / PAGE, X.addr / PAGE + 2), 'ram');
		m.loadState(saved);
		assert.equal(m.view, v);
		assert.equal(v.where('p', X.addr / PAGE, X.addr / PAGE + 2), 'none');
		assert.equal(v.process('p')!.rss, 0);
	});
});
