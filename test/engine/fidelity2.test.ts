// Notifier events of core mm operations, as Linux sends them (mm/mprotect.c, mm/madvise.c,
// mm/huge_memory.c, mm/memory.c, mm/mremap.c, mm/truncate.c): which event, over which range, and
// where none is sent at all. The conformance scripts see only their effect on a mirror.
import * as assert from 'node:assert/strict';
import { Machine } from '../../src/engine/machine';
import { defaultDeviceConfig } from '../../src/engine/device/device';
import type { K, SimEvent } from '../../src/engine/sim/events';
import { SimError } from '../../src/engine/sim/errors';

const PAGE = 4096;
const MiB = 2 ** 20;

/** Runs an operation and returns its invalidations as `EVENT addr npages` (addresses relative to `base`). */
function inval(m: Machine, g: K<unknown>, base = 0): string[] {
	const out: string[] = [];
	m.setEvents({ wants: e => e === 'invalidation' });
	try {
		for (let r = g.next(); !r.done; r = g.next()) {
			const e = r.value as SimEvent;
			if (e.kind === 'invalidation') { out.push(`${e.detail} ${(e.addr - base) / PAGE} ${e.npages}`); }
		}
	} finally {
		m.setEvents({ wants: () => false });
	}
	return out;
}

function drain<T>(g: K<T>): T {
	let r = g.next();
	while (!r.done) { r = g.next(); }
	return r.value;
}

function setup(kind: 'private' | 'coherent' = 'private'): Machine {
	const m = new Machine();
	m.addDevice({ ...defaultDeviceConfig('gpu', 256 * MiB), kind, huge: true });
	m.process('p');
	drain(m.mirror('gpu', 'p'));
	return m;
}

describe('core mm notifier events (Linux fidelity II)', () => {
	it('mprotect_fixup: unchanged flags send nothing; a range without page tables notifies nobody', () => {
		const m = setup();
		const X = m.mmap({ len: 16 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		assert.deepEqual(inval(m, m.mprotect(X, 'r'), X.addr), [], 'change_pud_range: no populated PUD, no notifier');
		drain(m.cpuRead(X));
		assert.deepEqual(inval(m, m.mprotect(X, 'r'), X.addr), [], 'same flags');
		assert.deepEqual(inval(m, m.mprotect(X, 'rw'), X.addr), ['PROTECTION_VMA 0 16']);
	});

	it('a partial mprotect of a THP: CLEAR over the whole PMD, then PROTECTION_VMA over the range', () => {
		const m = setup();
		const H = m.mmap({ len: 2 * MiB, prot: 'rw', backing: 'anon', shared: false, huge: 'huge' });
		drain(m.cpuWrite(H));
		assert.deepEqual(inval(m, m.mprotect({ addr: H.addr + 100 * PAGE, len: PAGE }, 'r'), H.addr), ['CLEAR 0 512', 'PROTECTION_VMA 100 1']);
	});

	it('MADV_FREE refused with EINVAL sends nothing; a partial one of a THP splits it', () => {
		const m = setup();
		const S = m.mmap({ len: 4 * PAGE, prot: 'rw', backing: 'anon', shared: true });
		drain(m.cpuWrite(S));
		const out: string[] = [];
		assert.throws(() => { out.push(...inval(m, m.madvise(S, 'free'), S.addr)); }, (e: unknown) => e instanceof SimError && e.code === 'EINVAL');
		assert.deepEqual(out, []);
		const H = m.mmap({ len: 2 * MiB, prot: 'rw', backing: 'anon', shared: false, huge: 'huge' });
		drain(m.cpuWrite(H));
		assert.deepEqual(inval(m, m.madvise({ addr: H.addr, len: 16 * PAGE }, 'free'), H.addr), ['CLEAR 0 16', 'CLEAR 0 512']);
	});

	it('fork: no PROTECTION_PAGE for VMAs vma_needs_copy skips', () => {
		const m = setup();
		const Z = m.mmap({ len: 4 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuRead(Z));
		assert.deepEqual(inval(m, m.fork('c')), []);
		const W = m.mmap({ len: 4 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(W));
		// W merged with Z below it (neither had an anon_vma), so the whole VMA now has one
		assert.deepEqual(inval(m, m.fork('d'), W.addr), ['PROTECTION_PAGE 0 8']);
	});

	it('mremap: UNMAP over the old range from move_page_tables and from the unmap; DONTUNMAP only the first', () => {
		const m = setup();
		const X = m.mmap({ len: 8 * PAGE, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X));
		const g = m.mremap(X, 8 * PAGE, { maymove: true, fixed: X.addr - 64 * PAGE, dontunmap: false });
		assert.deepEqual(inval(m, g, X.addr), ['UNMAP 0 8', 'UNMAP 0 8']);
		const Y = { addr: X.addr - 64 * PAGE, len: 8 * PAGE };
		const g2 = m.mremap(Y, 8 * PAGE, { maymove: true, fixed: Y.addr - 64 * PAGE, dontunmap: true });
		assert.deepEqual(inval(m, g2, Y.addr), ['UNMAP 0 8']);
	});

	it('mremap of a device-private THP to an aligned address moves the PMD whole', () => {
		const m = setup();
		const H = m.mmap({ len: 2 * MiB, prot: 'rw', backing: 'anon', shared: false, huge: 'huge' });
		drain(m.cpuWrite(H, { kind: 'linear', a: 1, b: 0 }));
		drain(m.migrate(H, 'gpu'));
		const to = H.addr - 4 * MiB;
		drain(m.mremap(H, 2 * MiB, { maymove: true, fixed: to, dontunmap: false }));
		assert.equal(m.cur().pt.isHuge(to / PAGE), true);
		assert.equal(m.count({ addr: to, len: 2 * MiB }, 'gpu'), 512);
		drain(m.cpuRead({ addr: to, len: 2 * MiB }));
		assert.ok(m.matches({ addr: to, len: 2 * MiB }, i => i));
	});

	it('truncate: CLEAR over each VMA\'s part of the hole, twice (truncate_pagecache)', () => {
		const m = setup();
		m.createFile('f', 16 * PAGE);
		const S = m.mmap({ len: 16 * PAGE, prot: 'r', backing: 'file', file: 'f', shared: true });
		assert.deepEqual(inval(m, m.truncate('f', 10 * 1024), S.addr), ['CLEAR 3 13', 'CLEAR 3 13']);
		assert.deepEqual(inval(m, m.truncate('f', 64 * PAGE), S.addr), [], 'growing unmaps nothing');
	});
});
