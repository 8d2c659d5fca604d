// The seams between core mm / HMM and device drivers: core code reaches device memory only through
// its pagemap's ops (do_swap_page -> migrate_to_ram, put_page -> page_free), and takes entries out
// of device page tables only through mmu notifier invalidations carrying the kernel's event.
import * as assert from 'node:assert/strict';
import { Machine } from '../../src/engine/machine';
import { defaultDeviceConfig } from '../../src/engine/device/device';
import { DevPagemap, type DevPagemapOps, memremap_pages, type VmFault } from '../../src/engine/mm/memremap';
import { PG } from '../../src/engine/mm/frames';
import { PTE } from '../../src/engine/mm/pagetable';
import { page_add_anon_rmap, page_remove_rmap, put_page } from '../../src/engine/mm/page';
import type { Kernel } from '../../src/engine/kernel';
import type { EventKind, K, SimEvent } from '../../src/engine/sim/events';

const PAGE = 4096;

function drain<T>(g: K<T>): T {
	let r = g.next();
	while (!r.done) { r = g.next(); }
	return r.value;
}

/** Spies on a pagemap's ops, still calling the driver's. */
function spyOps(pgmap: DevPagemap): { faults: VmFault[]; frees: [number, number][] } {
	const inner = pgmap.ops;
	const seen = { faults: [] as VmFault[], frees: [] as [number, number][] };
	(pgmap as { ops: DevPagemapOps }).ops = {
		migrate_to_ram: (k, vmf) => { seen.faults.push({ ...vmf }); return inner.migrate_to_ram(k, vmf); },
		page_free: (k, pfn, nr) => { seen.frees.push([pfn, nr]); inner.page_free(k, pfn, nr); },
	};
	return seen;
}

describe('dev_pagemap ops: core mm calls device memory only through them', () => {
	it('do_swap_page on a device-private entry enters migrate_to_ram of the page\'s own pagemap', () => {
		const m = new Machine();
		m.addDevice(defaultDeviceConfig('gpu', 64 * 2 ** 20));
		m.addDevice(defaultDeviceConfig('gpu2', 64 * 2 ** 20));
		m.process('p');
		drain(m.mirror('gpu', 'p'));
		drain(m.mirror('gpu2', 'p'));
		const X = m.mmap({ len: 4 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		drain(m.migrate(X, 'gpu2'));
		const vpn = X.addr / PAGE + 1;
		const pfn = m.cur().pt.pfn(vpn);
		const gpu = spyOps(m.device('gpu').pgmap);
		const gpu2 = spyOps(m.device('gpu2').pgmap);
		drain(m.cpuRead({ addr: X.addr + PAGE, len: PAGE }));
		assert.deepEqual(gpu.faults, []);
		assert.equal(gpu2.faults.length, 1);
		assert.equal(gpu2.faults[0].vpn, vpn);
		assert.equal(gpu2.faults[0].pfn, pfn);
		assert.equal(gpu2.faults[0].write, false);
		// dmirror_devmem_fault counts the CPU fault; the device page goes back to the driver
		assert.equal(m.device('gpu2').stats.cpu_faults, 1);
		assert.equal(m.device('gpu').stats.cpu_faults, 0);
		assert.deepEqual(gpu2.frees, [[pfn, 1]]);
		assert.equal(m.where({ addr: X.addr + PAGE, len: PAGE }), 'ram');
	});

	it('freeing the last reference of a device page calls page_free, and only then', () => {
		const m = new Machine();
		m.addDevice(defaultDeviceConfig('gpu', 64 * 2 ** 20));
		m.process('p');
		drain(m.mirror('gpu', 'p'));
		const X = m.mmap({ len: 2 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		drain(m.migrate(X, 'gpu'));
		const pfns = [0, 1].map(i => m.cur().pt.pfn(X.addr / PAGE + i));
		const gpu = spyOps(m.device('gpu').pgmap);
		assert.equal(m.device('gpu').usedPages, 2);
		drain(m.fork('c'));
		m.use('p');
		drain(m.munmap(X));
		assert.deepEqual(gpu.frees, [], 'the child still maps both pages');
		m.use('c');
		drain(m.munmap({ addr: X.addr, len: PAGE }));
		assert.deepEqual(gpu.frees, [[pfns[0], 1]]);
		assert.equal(m.device('gpu').usedPages, 1);
		drain(m.exit('c'));
		assert.deepEqual(gpu.frees, [[pfns[0], 1], [pfns[1], 1]]);
		assert.equal(m.device('gpu').usedPages, 0);
	});

	it('a device kind core mm has never seen works through its pagemap alone', () => {
		const m = new Machine();
		const mm = m.process('p');
		const X = m.mmap({ len: PAGE, prot: 'rw', backing: 'anon', shared: false });
		const vpn = X.addr / PAGE;
		const k = m.k;
		const calls: string[] = [];
		const ops: DevPagemapOps = {
			page_free: (_k, pfn, nr) => { calls.push(`page_free ${pfn} ${nr}`); },
			// a minimal driver: hands the CPU a fresh RAM page in place of its own
			*migrate_to_ram(kk: Kernel, vmf: VmFault): K {
				calls.push(`migrate_to_ram ${vmf.vpn}`);
				const ram = kk.frames.allocRam(PG.ANON);
				page_add_anon_rmap(kk, ram, vmf.mm, vmf.vpn);
				vmf.mm.pt.set(vmf.vpn, ram, PTE.PRESENT | PTE.WRITE | PTE.YOUNG);
				page_remove_rmap(kk, vmf.pfn);
				put_page(kk, vmf.pfn);
			},
		};
		const owner = memremap_pages(k, new DevPagemap({ name: 'fpga' }, ops));
		const pfn = k.frames.reserve(1);
		k.frames.initDevice(pfn, owner, PG.DEV_PRIVATE);
		page_add_anon_rmap(k, pfn, mm, vpn);
		mm.pt.set(vpn, pfn, PTE.DEVPRIV | PTE.WRITE);
		const seen: SimEvent[] = [];
		m.setEvents({ wants: (e: EventKind) => e === 'cpu-fault' });
		const g = m.cpuRead(X);
		for (let r = g.next(); !r.done; r = g.next()) { seen.push(r.value); }
		assert.deepEqual(calls, [`migrate_to_ram ${vpn}`, `page_free ${pfn} 1`]);
		assert.deepEqual(seen.map(e => [e.kind, e.device, e.fn]), [['cpu-fault', 'fpga', 'do_swap_page']]);
		assert.equal(mm.pt.pte(vpn) & PTE.TYPE_MASK, PTE.PRESENT);
	});
});

/** Every (device, process, vpn) a mirror maps. */
function mirrorEntries(m: Machine): Set<string> {
	const s = new Set<string>();
	for (const d of m.k.devices) {
		for (const [mm, mir] of d.mirrors) {
			mir.pt.forEach(0, Number.MAX_SAFE_INTEGER, vpn => { s.add(`${d.name} ${mm.name} ${vpn}`); });
		}
	}
	return s;
}

/** Runs an operation and checks that every mirror entry it removes goes right after an
 * 'invalidation' event for that device, process and page. Returns the events' names and how
 * many entries were removed. */
function watchRemovals(m: Machine, op: K<unknown>): { events: string[]; removed: number } {
	m.setEvents({ wants: e => e === 'invalidation' || e === 'migration' || e === 'call' });
	const events: string[] = [];
	let removed = 0;
	let before = mirrorEntries(m);
	let last: SimEvent | undefined;
	const check = () => {
		const now = mirrorEntries(m);
		for (const e of before) {
			if (now.has(e)) { continue; }
			removed++;
			const [dev, proc, vpn] = e.split(' ');
			const page = Number(vpn) * PAGE;
			assert.ok(last && last.kind === 'invalidation' && last.device === dev && last.process === proc
				&& page >= last.addr && page < last.addr + last.npages * PAGE,
			`${dev} lost ${proc} 0x${page.toString(16)} after ${last ? `${last.kind} ${last.fn} ${last.detail ?? ''}` : 'no event'}`);
		}
		before = now;
	};
	for (let r = op.next(); !r.done; r = op.next()) {
		check();
		last = r.value;
		if (last.kind === 'invalidation') { events.push(`${last.detail} ${last.device} ${last.process}`); }
	}
	check();
	m.setEvents({ wants: () => false });
	return { events, removed };
}

describe('mirror entries leave only through mmu notifier invalidations', () => {
	function twoDevices() {
		const m = new Machine();
		m.addDevice(defaultDeviceConfig('gpu', 64 * 2 ** 20));
		m.addDevice(defaultDeviceConfig('gpu2', 64 * 2 ** 20));
		m.process('p');
		const X = m.mmap({ len: 4 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		return { m, X };
	}

	it('migrate_vma_setup: MIGRATE reaches every device but the owner (try_to_migrate on one mapping)', () => {
		const { m, X } = twoDevices();
		drain(m.mirror('gpu', 'p'));
		drain(m.mirror('gpu2', 'p'));
		drain(m.devRead('gpu', X, false));
		drain(m.devRead('gpu2', X, false));
		const { events, removed } = watchRemovals(m, m.migrate(X, 'gpu2'));
		assert.deepEqual(events, ['MIGRATE gpu p']);
		assert.equal(removed, 4);
		assert.equal(m.mapped('gpu2', X), 4, 'the owner maps its new pages');
	});

	it('a page shared after fork: try_to_migrate_one sends CLEAR for the other process\'s mapping', () => {
		const { m, X } = twoDevices();
		drain(m.fork('c'));
		for (const proc of ['p', 'c']) {
			m.use(proc);
			drain(m.mirror('gpu', proc));
			drain(m.devRead('gpu', X, false));
		}
		m.use('p');
		drain(m.mirror('gpu2', 'p'));
		const { events, removed } = watchRemovals(m, m.migrate(X, 'gpu2'));
		assert.deepEqual(events, ['MIGRATE gpu p', 'CLEAR gpu c', 'CLEAR gpu c', 'CLEAR gpu c', 'CLEAR gpu c']);
		assert.equal(removed, 8);
		m.use('c');
		assert.equal(m.mapped('gpu', X), 0);
		assert.equal(m.where(X), 'gpu2', 'the child follows the page to the device');
	});

	it('the way back: the owner drops its own entries, other mirrors of the other process get CLEAR', () => {
		const { m, X } = twoDevices();
		drain(m.mirror('gpu2', 'p'));
		drain(m.migrate(X, 'gpu2'));
		drain(m.fork('c'));
		m.use('c');
		drain(m.mirror('gpu', 'c'));
		drain(m.mirror('gpu2', 'c'));
		drain(m.devRead('gpu2', X, false));
		m.use('p');
		const { events } = watchRemovals(m, m.migrate(X, 'ram'));
		assert.deepEqual(events, ['CLEAR gpu c', 'CLEAR gpu2 c', 'CLEAR gpu c', 'CLEAR gpu2 c', 'CLEAR gpu c', 'CLEAR gpu2 c', 'CLEAR gpu c', 'CLEAR gpu2 c']);
		m.use('c');
		assert.equal(m.mapped('gpu2', X), 0);
		assert.equal(m.where(X), 'ram');
	});

	it('HMM_DMIRROR_RELEASE (migrate_device_range): CLEAR for every mapping of every page', () => {
		const m = new Machine();
		m.addDevice({ ...defaultDeviceConfig('gpu', 64 * 2 ** 20), kind: 'coherent' });
		m.addDevice(defaultDeviceConfig('gpu2', 64 * 2 ** 20));
		m.process('p');
		const X = m.mmap({ len: 2 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		drain(m.mirror('gpu', 'p'));
		drain(m.mirror('gpu2', 'p'));
		drain(m.migrate(X, 'gpu'));
		drain(m.devRead('gpu2', X, false));
		assert.equal(m.mapped('gpu2', X), 2, 'coherent device memory is mirrored as it is');
		const { events, removed } = watchRemovals(m, m.release('gpu'));
		assert.deepEqual(events, ['CLEAR gpu p', 'CLEAR gpu2 p', 'CLEAR gpu p', 'CLEAR gpu2 p']);
		assert.equal(removed, 4);
		assert.equal(m.where(X), 'ram');
	});

	it('exit_mmap: RELEASE, then the mirror goes with the process (mmu_notifier_release)', () => {
		const { m, X } = twoDevices();
		drain(m.mirror('gpu', 'p'));
		drain(m.devRead('gpu', X, false));
		const { events, removed } = watchRemovals(m, m.exit('p'));
		assert.deepEqual(events, ['RELEASE gpu p']);
		assert.equal(removed, 4);
		assert.equal(m.device('gpu').mirrors.size, 0);
	});

	it('a CPU fault on a device-exclusive entry (remove_device_exclusive_entry): CLEAR, counted as a CPU fault by the holder', () => {
		const { m, X } = twoDevices();
		drain(m.mirror('gpu', 'p'));
		drain(m.mirror('gpu2', 'p'));
		const P = { addr: X.addr, len: PAGE };
		drain(m.exclusive(P, 'gpu'));
		drain(m.devRead('gpu2', { addr: X.addr + PAGE, len: PAGE }, false));
		const { events, removed } = watchRemovals(m, m.cpuRead(P));
		assert.deepEqual(events, ['CLEAR gpu p', 'CLEAR gpu2 p']);
		assert.equal(removed, 1);
		assert.equal(m.device('gpu').stats.cpu_faults, 1);
		assert.equal(m.device('gpu2').stats.cpu_faults, 0);
		assert.equal(m.isExclusive('gpu', P), false);
	});
});
