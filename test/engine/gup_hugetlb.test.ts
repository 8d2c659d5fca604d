// GUP (mm/gup.c), make_device_exclusive (mm/rmap.c) and hugetlb (mm/hugetlb.c) at the level of
// page-table entries and struct page counts, which scripts see only through their effects.
import * as assert from 'node:assert/strict';
import { Machine } from '../../src/engine/machine';
import { defaultDeviceConfig } from '../../src/engine/device/device';
import { PG, ZERO_PFN } from '../../src/engine/mm/frames';
import { PTE } from '../../src/engine/mm/pagetable';
import type { K } from '../../src/engine/sim/events';
import { SimError } from '../../src/engine/sim/errors';
import { checkInvariants } from '../../src/engine/sim/invariants';

const PAGE = 4096;

function drain<T>(g: K<T>): T {
	let r = g.next();
	while (!r.done) { r = g.next(); }
	return r.value;
}

function errorOf(f: () => void): string {
	try { f(); } catch (e) { if (e instanceof SimError) { return e.code; } throw e; }
	return 'none';
}

function setup(): Machine {
	const m = new Machine();
	m.addDevice(defaultDeviceConfig('gpu', 64 * 2 ** 20));
	m.process('p');
	drain(m.mirror('gpu', 'p'));
	return m;
}

describe('pin_user_pages (mm/gup.c)', () => {
	it('gup_must_unshare: a read-only pin replaces the zero page by a private read-only copy', () => {
		const m = setup();
		const X = m.mmap({ len: PAGE, prot: 'rw', backing: 'anon', shared: false });
		const vpn = X.addr / PAGE;
		drain(m.cpuRead(X));
		assert.equal(m.cur().pt.pfn(vpn), ZERO_PFN);
		drain(m.pin(X, true));
		const pfn = m.cur().pt.pfn(vpn);
		assert.notEqual(pfn, ZERO_PFN);
		assert.equal(m.cur().pt.pte(vpn) & PTE.WRITE, 0, 'FAULT_FLAG_UNSHARE maps the copy read-only');
		assert.deepEqual([m.k.frames.pincount[pfn >> 12][pfn & 4095], m.k.frames.refcount[pfn >> 12][pfn & 4095], m.k.frames.mapcount[pfn >> 12][pfn & 4095]], [1, 2, 1]);
		// a later write reuses the pinned page: the pin keeps seeing what the process writes
		drain(m.cpuWrite(X, { kind: 'linear', a: 0, b: 7 }));
		assert.equal(m.cur().pt.pfn(vpn), pfn);
		drain(m.unpin(X));
		assert.deepEqual(checkInvariants(m.k), []);
	});

	it('a write pin breaks COW of a page shared after fork; an error unpins what was pinned', () => {
		const m = setup();
		const X = m.mmap({ len: 2 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		drain(m.fork('c'));
		const vpn = X.addr / PAGE;
		const before = m.cur().pt.pfn(vpn);
		drain(m.pin({ addr: X.addr, len: PAGE }));
		assert.notEqual(m.cur().pt.pfn(vpn), before, 'the parent got its own page');
		drain(m.unpin({ addr: X.addr, len: PAGE }));
		drain(m.mprotect({ addr: X.addr + PAGE, len: PAGE }, 'none'));
		assert.equal(errorOf(() => drain(m.pin(X))), 'EFAULT');
		assert.equal(m.k.frames.pincount[(m.cur().pt.pfn(vpn)) >> 12][(m.cur().pt.pfn(vpn)) & 4095], 0, 'all or nothing');
		assert.deepEqual(checkInvariants(m.k), []);
	});
});

describe('make_device_exclusive (mm/rmap.c) and dmirror_atomic_map', () => {
	it('the CPU entry becomes device-exclusive; the mirror holds it atomic and read-only', () => {
		const m = setup();
		const X = m.mmap({ len: PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		drain(m.exclusive(X, 'gpu'));
		const vpn = X.addr / PAGE;
		assert.equal(m.cur().pt.pte(vpn) & PTE.TYPE_MASK, PTE.EXCL);
		const mpte = m.device('gpu').mirrors.get(m.cur())!.pt.pte(vpn);
		assert.equal(mpte & (PTE.ATOMIC | PTE.WRITE), PTE.ATOMIC);
		assert.deepEqual(checkInvariants(m.k), []);
		// a device write faults: remove_device_exclusive_entry restores the PTE (one CPU-fault count)
		const r = drain(m.devWrite('gpu', X, { kind: 'linear', a: 0, b: 3 }));
		assert.equal(r.faults, 1);
		assert.equal(m.cur().pt.pte(vpn) & PTE.TYPE_MASK, PTE.PRESENT);
		assert.equal(m.device('gpu').stats.cpu_faults, 1);
		assert.deepEqual(checkInvariants(m.k), []);
	});
});

describe('hugetlb (mm/hugetlb.c)', () => {
	it('one fault maps a whole 2 MiB page as one PMD; fork shares it COW; the child copies it whole', () => {
		const m = setup();
		const X = m.mmap({ len: 5 * PAGE, prot: 'rw', backing: 'anon', shared: false, hugetlb: 2 * 2 ** 20 });
		assert.equal(X.len, 2 * 2 ** 20);
		const base = X.addr / PAGE;
		drain(m.cpuWrite({ addr: X.addr, len: PAGE }, { kind: 'linear', a: 1, b: 0 }));
		const mm = m.cur();
		assert.equal(mm.pt.countPresent(base, base + 512), 512);
		assert.ok(mm.pt.leaf(base)!.huge && !mm.pt.leaf(base)!.pud);
		assert.ok(m.k.frames.flags[(mm.pt.pfn(base)) >> 12][(mm.pt.pfn(base)) & 4095] & PG.HUGETLB);
		drain(m.fork('c'));
		m.use('c');
		drain(m.cpuWrite({ addr: X.addr + 9 * PAGE, len: PAGE }, { kind: 'linear', a: 0, b: 1 }));
		const child = m.cur();
		for (const off of [0, 9, 511]) { assert.notEqual(child.pt.pfn(base + off), mm.pt.pfn(base + off), `page ${off} copied`); }
		assert.deepEqual(checkInvariants(m.k), []);
		m.use('p');
		drain(m.munmap(X));
		assert.deepEqual(checkInvariants(m.k), []);
	});

	it('a 1 GiB page is PUD-mapped; an edge inside it is EINVAL; an unknown size is EINVAL', () => {
		const m = setup();
		const G = m.mmap({ len: PAGE, prot: 'rw', backing: 'anon', shared: false, hugetlb: 2 ** 30 });
		const base = G.addr / PAGE;
		drain(m.cpuRead({ addr: G.addr + 12345 * PAGE, len: PAGE }));
		assert.ok(m.cur().pt.leaf(base + 262143)!.pud);
		assert.equal(errorOf(() => drain(m.munmap({ addr: G.addr, len: 2 * 2 ** 20 }))), 'EINVAL');
		assert.equal(errorOf(() => m.mmap({ len: PAGE, prot: 'rw', backing: 'anon', shared: false, hugetlb: 4 * 2 ** 20 })), 'EINVAL');
		drain(m.munmap(G));
		assert.equal(m.k.frames.ramUsed, 0);
	});
});
