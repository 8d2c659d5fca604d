// hmm_range_fault request semantics and the notifier events each CPU page-table change sends.
import * as assert from 'node:assert/strict';
import { Machine } from '../../src/engine/machine';
import { defaultDeviceConfig } from '../../src/engine/device/device';
import { HmmRange, HMM_PFN, hmm_range_fault } from '../../src/engine/hmm/hmm_range_fault';
import { mmu_interval_notifier_insert, type NotifierRange } from '../../src/engine/mm/mmu_notifier';
import type { K } from '../../src/engine/sim/events';
import { PTE } from '../../src/engine/mm/pagetable';

function drain<T>(g: K<T>): T {
	let r = g.next();
	while (!r.done) { r = g.next(); }
	return r.value;
}

function setup() {
	const m = new Machine();
	m.addDevice(defaultDeviceConfig('gpu', 64 * 2 ** 20));
	const mm = m.process('p');
	drain(m.mirror('gpu', 'p'));
	const X = m.mmap({ len: 8 * 4096, prot: 'rw', backing: 'anon', shared: false });
	return { m, mm, X, vpn: X.addr / 4096 };
}

describe('hmm_range_fault', () => {
	it('with no request flags is a pure snapshot: nothing faults', () => {
		const { m, mm, vpn } = setup();
		const sub = m.k.device('gpu').mirrors.get(mm)!.notifier;
		const r = new HmmRange(sub, vpn, vpn + 8, 0, 0, undefined);
		r.notifierSeq = sub.readBegin();
		assert.equal(drain(hmm_range_fault(m.k, r)), 0);
		assert.deepEqual([...r.flags], [0, 0, 0, 0, 0, 0, 0, 0]);
		assert.equal(mm.pt.countPresent(vpn, vpn + 8), 0);
		assert.equal(mm.faults, 0);
	});

	it('default REQ_FAULT maps the zero page for reads; pfn_flags_mask asks writes page by page', () => {
		// hmm_vma_fault faults the rest of the walk range with the first faulting page's flags, so
		// from page 2 (a write request) on, every page of the PMD is write-faulted
		const { m, mm, vpn } = setup();
		const sub = m.k.device('gpu').mirrors.get(mm)!.notifier;
		const r = new HmmRange(sub, vpn, vpn + 8, HMM_PFN.REQ_FAULT, HMM_PFN.REQ_WRITE, undefined);
		r.flags[2] = HMM_PFN.REQ_WRITE;
		r.flags[5] = HMM_PFN.REQ_WRITE;
		for (;;) {
			r.notifierSeq = sub.readBegin();
			const e = drain(hmm_range_fault(m.k, r));
			if (e !== 'EBUSY') { assert.equal(e, 0); break; }
		}
		const writable = [...r.flags].map(f => (f & HMM_PFN.WRITE) !== 0);
		assert.deepEqual(writable, [false, false, true, true, true, true, true, true]);
		assert.ok([...r.flags].every(f => f & HMM_PFN.VALID));
		assert.equal(m.k.frames.isZero(r.pfns[0]), true);
		assert.equal(m.k.frames.isZero(r.pfns[2]), false);
	});

	it('returns EFAULT on PROT_NONE when faulting, ERROR entries when not', () => {
		const { m, mm, vpn, X } = setup();
		drain(m.mprotect(X, 'none'));
		const sub = m.k.device('gpu').mirrors.get(mm)!.notifier;
		const r = new HmmRange(sub, vpn, vpn + 8, HMM_PFN.REQ_FAULT, 0, undefined);
		r.notifierSeq = sub.readBegin();
		assert.equal(drain(hmm_range_fault(m.k, r)), 'EFAULT');
		const s = new HmmRange(sub, vpn, vpn + 8, 0, 0, undefined);
		s.notifierSeq = sub.readBegin();
		assert.equal(drain(hmm_range_fault(m.k, s)), 0);
		assert.ok([...s.flags].every(f => f === HMM_PFN.ERROR));
	});

	it('returns EPERM for a write fault on a read-only VMA', () => {
		const { m, mm, vpn, X } = setup();
		drain(m.mprotect(X, 'r'));
		const sub = m.k.device('gpu').mirrors.get(mm)!.notifier;
		const r = new HmmRange(sub, vpn, vpn + 8, HMM_PFN.REQ_FAULT | HMM_PFN.REQ_WRITE, 0, undefined);
		r.notifierSeq = sub.readBegin();
		assert.equal(drain(hmm_range_fault(m.k, r)), 'EPERM');
	});

	it('returns EBUSY when an invalidation raced with the caller (read_begin before it)', () => {
		const { m, mm, vpn, X } = setup();
		const sub = m.k.device('gpu').mirrors.get(mm)!.notifier;
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		const seq = sub.readBegin();
		drain(m.mprotect(X, 'r'));
		const r = new HmmRange(sub, vpn, vpn + 8, HMM_PFN.REQ_FAULT, 0, undefined);
		r.notifierSeq = seq;
		assert.equal(drain(hmm_range_fault(m.k, r)), 'EBUSY');
		assert.equal(sub.readRetry(seq), true);
	});
});

describe('mmu interval notifier events', () => {
	function recorder(m: Machine) {
		const events: string[] = [];
		const mm = m.cur();
		mmu_interval_notifier_insert(mm, 0, 2 ** 40, {
			label: 'recorder',
			invalidate: (_s, r: NotifierRange) => { events.push(r.event); return 0; },
		});
		return events;
	}

	it('names every kind of page-table change', () => {
		const { m, X } = setup();
		const ev = recorder(m);
		const take = () => ev.splice(0);
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		assert.deepEqual(take(), [], 'filling empty PTEs needs no invalidation');
		drain(m.mprotect(X, 'r'));
		assert.deepEqual(take(), ['PROTECTION_VMA']);
		drain(m.mprotect(X, 'rw'));
		take();
		drain(m.fork('c'));
		assert.deepEqual(take(), ['PROTECTION_PAGE']);
		drain(m.cpuWrite({ addr: X.addr, len: 4096 }, { kind: 'linear', a: 0, b: 1 }));
		assert.deepEqual(take(), ['CLEAR'], 'COW replaces a PTE');
		drain(m.madvise({ addr: X.addr + 4096, len: 4096 }, 'dontneed'));
		assert.deepEqual(take(), ['CLEAR']);
		drain(m.migrate({ addr: X.addr + 2 * 4096, len: 4096 }, 'gpu'));
		assert.deepEqual(take(), ['MIGRATE']);
		drain(m.exclusive({ addr: X.addr + 3 * 4096, len: 4096 }, 'gpu'));
		assert.ok(take().includes('EXCLUSIVE'));
		drain(m.munmap({ addr: X.addr + 7 * 4096, len: 4096 }));
		assert.deepEqual(take(), ['UNMAP']);
		drain(m.exit('p'));
		assert.deepEqual(take(), ['RELEASE']);
	});

	it('a device skips its own migrations (owner) but sees everyone else\'s', () => {
		const { m, mm, X } = setup();
		m.addDevice(defaultDeviceConfig('gpu2', 64 * 2 ** 20));
		drain(m.mirror('gpu2', 'p'));
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		drain(m.devRead('gpu', X, false));
		drain(m.devRead('gpu2', X, false));
		assert.equal(m.mapped('gpu', X), 8);
		drain(m.migrate({ addr: X.addr, len: 4096 }, 'gpu'));
		assert.equal(m.mapped('gpu', X), 8, 'its own table now maps the device page');
		assert.equal(m.mapped('gpu2', X), 7, 'the other device lost the page');
		assert.equal(mm.pt.pte(X.addr / 4096) & PTE.TYPE_MASK, PTE.DEVPRIV);
	});
});
