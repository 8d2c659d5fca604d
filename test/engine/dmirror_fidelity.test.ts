// lib/test_hmm.c and mm/migrate_device.c details the conformance scripts rely on, checked on the
// engine directly: dmirror_fault's chunking, the MIGRATE_TO_DEV chunk walk, device THP eviction
// and fault-back, HMM_DMIRROR_FLAGS(FAIL_ALLOC), and dmirror_fops_release.
import * as assert from 'node:assert/strict';
import { Machine } from '../../src/engine/machine';
import { defaultDeviceConfig } from '../../src/engine/device/device';
import { FAULT_CHUNK } from '../../src/engine/device/dmirror_rw';
import { SimError } from '../../src/engine/sim/errors';
import type { K } from '../../src/engine/sim/events';
import { PTE } from '../../src/engine/mm/pagetable';
import { checkInvariants } from '../../src/engine/sim/invariants';

const PAGE = 4096;
const MiB = 2 ** 20;

function drain<T>(g: K<T>): T {
	let r = g.next();
	while (!r.done) { r = g.next(); }
	return r.value;
}

function errorOf(g: K<unknown>): string {
	try {
		drain(g);
	} catch (e) {
		if (e instanceof SimError) { return e.code; }
		throw e;
	}
	return 'none';
}

function setup(opts: { ram?: number; devPages?: number; huge?: boolean } = {}) {
	const m = new Machine();
	if (opts.ram !== undefined) { m.configure({ ramBytes: opts.ram }); }
	const cfg = defaultDeviceConfig('gpu', (opts.devPages ?? 262144) * PAGE);
	cfg.huge = opts.huge ?? true;
	m.addDevice(cfg);
	const mm = m.process('p');
	drain(m.mirror('gpu', 'p'));
	return { m, mm, dev: m.device('gpu') };
}

describe('dmirror fidelity (lib/test_hmm.c, newest mm tree)', () => {
	it('dmirror_fault: 32-page chunks, each stored before an error in a later one', () => {
		assert.equal(FAULT_CHUNK, 32);
		const { m, mm, dev } = setup();
		const X = m.mmap({ len: 64 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.munmap({ addr: X.addr + 40 * PAGE, len: PAGE }));
		assert.equal(errorOf(m.devRead('gpu', X, false)), 'EFAULT');
		const vpn = X.addr / PAGE;
		const mir = dev.mirror(mm)!;
		let mapped = 0;
		mir.pt.forEach(vpn, vpn + 64, () => { mapped++; });
		assert.equal(mapped, 32);
		assert.equal(checkInvariants(m.k).length, 0);
	});

	it('dmirror_migrate_alloc_and_copy: holes carry no MIGRATE_PFN_WRITE, so the device maps them read-only', () => {
		const { m, mm, dev } = setup();
		const X = m.mmap({ len: 4 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite({ addr: X.addr + 2 * PAGE, len: 2 * PAGE }));
		drain(m.migrate(X, 'gpu'));
		const vpn = X.addr / PAGE;
		const mir = dev.mirror(mm)!;
		assert.deepEqual([0, 1, 2, 3].map(i => (mir.pt.pte(vpn + i) & PTE.WRITE) !== 0), [false, false, true, true]);
		// the CPU entries of the holes are writable all the same (VM_WRITE)
		assert.ok((mm.pt.pte(vpn) & PTE.WRITE) !== 0);
	});

	it('a full device: the ioctl ends in ENOENT and the pages that fitted stay migrated', () => {
		const { m } = setup({ devPages: 8, huge: false });
		const X = m.mmap({ len: 16 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X));
		assert.equal(errorOf(m.migrate(X, 'gpu')), 'ENOENT');
		assert.equal(m.count(X, 'gpu'), 8);
		assert.equal(m.count(X, 'ram'), 8);
	});

	it('MIGRATE_TO_DEV chunks start at the range, so a THP cut by a chunk boundary is split', () => {
		const { m, mm } = setup();
		const Y = m.mmap({ len: 8 * MiB, prot: 'rw', backing: 'anon', shared: false, huge: 'huge' });
		const A = Y.addr + 2 * MiB;
		const R = { addr: A - MiB, len: 4 * MiB };
		drain(m.cpuWrite(R));
		assert.ok(mm.pt.isHuge(A / PAGE));
		drain(m.migrate(R, 'gpu'));
		assert.equal(m.last.cpages, 1024);
		assert.ok(!mm.pt.isHuge(A / PAGE));
		assert.equal(checkInvariants(m.k).length, 0);
	});

	it('MIGRATE_TO_SYS counts a device THP as one entry; RELEASE and a CPU fault bring it back PMD-mapped', () => {
		const { m, mm } = setup();
		const Y = m.mmap({ len: 4 * MiB, prot: 'rw', backing: 'anon', shared: false, huge: 'huge' });
		const H = { addr: Y.addr, len: 2 * MiB };
		const vpn = H.addr / PAGE;
		drain(m.cpuWrite(H));
		drain(m.migrate(H, 'gpu'));
		assert.equal(m.last.cpages, 512);
		drain(m.migrate(H, 'ram'));
		assert.equal(m.last.cpages, 1);
		assert.ok(mm.pt.isHuge(vpn));
		drain(m.migrate(H, 'gpu'));
		drain(m.release('gpu'));
		assert.equal(m.count(H, 'ram'), 512);
		assert.ok(mm.pt.isHuge(vpn));
		drain(m.migrate(H, 'gpu'));
		drain(m.cpuRead({ addr: H.addr + MiB, len: 4 }));
		assert.equal(m.count(H, 'ram'), 512);
		assert.ok(mm.pt.isHuge(vpn));
		assert.equal(checkInvariants(m.k).length, 0);
	});

	it('MIGRATE_TO_SYS on a VMA without VM_READ is EINVAL and moves nothing', () => {
		const { m } = setup();
		const X = m.mmap({ len: 4 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X));
		drain(m.migrate(X, 'gpu'));
		drain(m.mprotect(X, 'none'));
		assert.equal(errorOf(m.migrate(X, 'ram')), 'EINVAL');
		assert.equal(m.last.error, 'EINVAL');
	});

	it('FAIL_ALLOC refuses the next allocation once: a THP falls back to base pages', () => {
		const { m, mm } = setup();
		const Y = m.mmap({ len: 4 * MiB, prot: 'rw', backing: 'anon', shared: false, huge: 'huge' });
		const H = { addr: Y.addr, len: 2 * MiB };
		drain(m.cpuWrite(H));
		drain(m.failAlloc('gpu'));
		drain(m.migrate(H, 'gpu'));
		assert.equal(m.count(H, 'gpu'), 512);
		assert.ok(!mm.pt.isHuge(H.addr / PAGE));
		assert.equal(m.device('gpu').mirror(mm)!.failAlloc, false);
		// a base page refused on the way back fails MIGRATE_TO_SYS with ENOMEM
		drain(m.failAlloc('gpu'));
		assert.equal(errorOf(m.migrate({ addr: H.addr, len: PAGE }, 'ram', 'gpu')), 'ENOMEM');
	});

	it('migrate -> ram from DEV selects only that device\'s pages', () => {
		const m = new Machine();
		m.addDevice(defaultDeviceConfig('gpu0', 64 * MiB));
		m.addDevice(defaultDeviceConfig('gpu1', 64 * MiB));
		m.process('p');
		drain(m.mirror('gpu0', 'p'));
		drain(m.mirror('gpu1', 'p'));
		const X = m.mmap({ len: 8 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X));
		drain(m.migrate({ addr: X.addr, len: 4 * PAGE }, 'gpu0'));
		drain(m.migrate({ addr: X.addr + 4 * PAGE, len: 4 * PAGE }, 'gpu1'));
		drain(m.migrate(X, 'ram', 'gpu0'));
		assert.equal(m.last.cpages, 4);
		assert.equal(m.count(X, 'gpu1'), 4);
	});

	it('a device without memory mirrors; MIGRATE_TO_DEV to it moves nothing and ends in ENOENT', () => {
		const m = new Machine();
		m.addDevice(defaultDeviceConfig('nic', 0));
		m.process('p');
		drain(m.mirror('nic', 'p'));
		const X = m.mmap({ len: 4 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.devWrite('nic', X, { kind: 'linear', a: 1, b: 0 }));
		assert.equal(m.last.cpages, 4);
		// the pages the mirror already maps survive the (own-owner, skipped) MIGRATE invalidation,
		// so dmirror_do_read finds them all and the ioctl succeeds with nothing moved
		drain(m.migrate(X, 'nic'));
		assert.equal(m.last.cpages, 4);
		assert.equal(m.count(X, 'ram'), 4);
		const Z = m.mmap({ len: 4 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(Z));
		assert.equal(errorOf(m.migrate(Z, 'nic')), 'ENOENT');
		assert.equal(m.count(Z, 'ram'), 4);
	});

	it('dmirror_fops_release: the mirror goes even when the eviction runs out of RAM (nobody may be OOM-killed)', () => {
		const { m, mm, dev } = setup({ ram: 32 * PAGE, huge: false });
		m.setOomScoreAdj('p', -1000);
		const X = m.mmap({ len: 16 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X));
		drain(m.migrate(X, 'gpu'));
		const W = m.mmap({ len: 32 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(W));
		assert.equal(m.k.frames.ramUsed, m.k.frames.ramPages);
		assert.equal(errorOf(m.unmirror('gpu', 'p')), 'ENOMEM');
		assert.equal(dev.mirror(mm), undefined);
		assert.ok(m.count(X, 'gpu') > 0);
		drain(m.mirror('gpu', 'p'));
		assert.equal(checkInvariants(m.k).length, 0);
	});
});
