// Read duplication (read_dup.ts): read-only device copies of CPU pages, kept coherent through
// notifiers alone, with the machine's invariants checked after every step.
import * as assert from 'node:assert/strict';
import { run } from './helpers';
import type { Kernel } from '../../src/engine/kernel';
import type { K } from '../../src/engine/sim/events';
import { checkInvariants } from '../../src/engine/sim/invariants';
import { read_copies, uvm_collapse_read_duplicates, uvm_read_duplicate } from '../../src/engine/device/uvm/read_dup';
import { cpu_access } from '../../src/engine/mm/access';
import { dmirror_rw } from '../../src/engine/device/dmirror_rw';
import { dmirror_migrate_to_device, dmirror_release } from '../../src/engine/device/dmirror_migrate';
import { do_fork } from '../../src/engine/mm/fork';
import { do_munmap } from '../../src/engine/mm/mmap';
import { readBytes } from '../../src/engine/query';
import { pageLocation } from '../../src/engine/view_location';
import { PTE } from '../../src/engine/mm/pagetable';
import { PAGE_SIZE } from '../../src/engine/mm/content';

function drive<T>(g: K<T>): T {
	for (;;) {
		const r = g.next();
		if (r.done) { return r.value; }
	}
}

function sane(k: Kernel): void { assert.deepEqual(checkInvariants(k), []); }

/** A process p with an 8-page buffer written `= i`, mirrored by gpu (and gpu2). */
function machine(extra = '') {
	const i = run(`process p\ndevice gpu memory=64MiB\ndevice gpu2 memory=64MiB\ngpu mirror p\ngpu2 mirror p\nX = mmap 8 pages anon rw\ncpu write X = i\n${extra}`);
	const k = i.machine.k;
	const mm = k.proc('p');
	const vma = mm.vmas.list.find(v => v.npages === 8)!;
	return { k, mm, vma, s: vma.start, e: vma.end, gpu: k.device('gpu'), gpu2: k.device('gpu2') };
}

/** Word w of the buffer as the CPU reads it. */
function words(k: Kernel, mm: ReturnType<typeof machine>['mm'], start: number, n: number): number[] {
	const { data } = readBytes(k, mm, start * PAGE_SIZE, n * PAGE_SIZE);
	return Array.from(new Int32Array(data.buffer, data.byteOffset, n * 1024));
}

function deviceRead(k: Kernel, dev: ReturnType<typeof machine>['gpu'], mm: ReturnType<typeof machine>['mm'], start: number, end: number) {
	const out = new Uint8Array((end - start) * PAGE_SIZE);
	const r = drive(dmirror_rw(k, dev, mm, start, end, false, out, undefined));
	return { faults: r.faults, words: Array.from(new Int32Array(out.buffer)) };
}

const iota = (n: number, from = 0) => Array.from({ length: n }, (_, w) => from + w);

describe('read duplication (read_dup.ts)', () => {
	it('uvm_read_duplicate: read-only copies on the device that read back exactly, the CPU page write-protected', () => {
		const { k, mm, s, e, vma, gpu } = machine();
		const before = gpu.stats.invalidations;
		assert.equal(drive(uvm_read_duplicate(k, gpu, mm, vma, s, e)), 8);
		sane(k);
		assert.equal(read_copies(k, mm, s, e, 'gpu'), 8);
		assert.equal(read_copies(k, mm, s, e, 'ram'), 8);
		assert.equal(read_copies(k, mm, s, e, 'gpu2'), 0);
		assert.equal(gpu.usedPages, 8);
		for (let v = s; v < e; v++) {
			assert.equal(pageLocation(k, mm, v), 'ram', 'the CPU keeps the page');
			assert.equal(mm.pt.pte(v) & PTE.WRITE, 0);
		}
		assert.equal(gpu.stats.invalidations, before, 'nothing was mapped, so the write-protect removed nothing');
		// the device reads its local copies: no fault, every word right
		const r = deviceRead(k, gpu, mm, s, e);
		assert.equal(r.faults, 0);
		assert.deepEqual(r.words, iota(8 * 1024));
		// a second call copies nothing new
		assert.equal(drive(uvm_read_duplicate(k, gpu, mm, vma, s, e)), 0);
		assert.equal(gpu.usedPages, 8);
	});

	it('a CPU write faults on the write-protected page and drops every copy of it first (do_wp_page)', () => {
		const { k, mm, s, e, vma, gpu, gpu2 } = machine();
		drive(uvm_read_duplicate(k, gpu, mm, vma, s, e));
		drive(uvm_read_duplicate(k, gpu2, mm, vma, s, s + 4));
		sane(k);
		const faults = mm.faults;
		drive(cpu_access(k, mm, s + 2, s + 3, true, { fill: { kind: 'linear', a: 0, b: 77 }, addr: (s + 2) * PAGE_SIZE, len: PAGE_SIZE }));
		sane(k);
		assert.equal(mm.faults, faults + 1);
		assert.equal(read_copies(k, mm, s, e, 'gpu'), 7);
		assert.equal(read_copies(k, mm, s, e, 'gpu2'), 3);
		assert.equal(read_copies(k, mm, s, e, 'ram'), 7);
		assert.equal(gpu.usedPages, 7);
		assert.equal(gpu2.usedPages, 3);
		assert.deepEqual(words(k, mm, s + 2, 1), new Array(1024).fill(77));
		// the device now faults the page in from the CPU and sees the new bytes
		const r = deviceRead(k, gpu, mm, s, e);
		assert.equal(r.faults, 1);
		assert.deepEqual(r.words.slice(2048, 3072), new Array(1024).fill(77));
		assert.deepEqual(r.words.slice(0, 2048), iota(2048));
		sane(k);
	});

	it('a device write through hmm_range_fault collapses the copies the same way', () => {
		const { k, mm, s, e, vma, gpu, gpu2 } = machine();
		drive(uvm_read_duplicate(k, gpu, mm, vma, s, e));
		drive(uvm_read_duplicate(k, gpu2, mm, vma, s, e));
		drive(dmirror_rw(k, gpu2, mm, s + 5, s + 6, true, undefined, { fill: { kind: 'linear', a: 1, b: 1000 }, addr: (s + 5) * PAGE_SIZE, len: PAGE_SIZE }));
		sane(k);
		assert.equal(read_copies(k, mm, s, e, 'gpu'), 7);
		assert.equal(read_copies(k, mm, s, e, 'gpu2'), 7);
		assert.deepEqual(words(k, mm, s + 5, 1), iota(1024, 1000));
		assert.deepEqual(deviceRead(k, gpu, mm, s + 5, s + 6).words, iota(1024, 1000));
	});

	it('uvm_collapse_read_duplicates: a device writer keeps its copies as the migrated pages, the others go', () => {
		const { k, mm, s, e, vma, gpu, gpu2 } = machine();
		drive(uvm_read_duplicate(k, gpu, mm, vma, s, s + 6));
		drive(uvm_read_duplicate(k, gpu2, mm, vma, s, e));
		const ram = k.frames.ramUsed;
		const moved = drive(uvm_collapse_read_duplicates(k, mm, s, e, gpu));
		sane(k);
		assert.equal(moved, 6);
		assert.equal(gpu.usedPages, 6, 'no new device page: the copies became the pages');
		assert.equal(gpu2.usedPages, 0);
		assert.equal(k.frames.ramUsed, ram - 6);
		for (let v = s; v < e; v++) { assert.equal(pageLocation(k, mm, v), v < s + 6 ? 'gpu' : 'ram'); }
		assert.equal(read_copies(k, mm, s, e, 'gpu') + read_copies(k, mm, s, e, 'gpu2') + read_copies(k, mm, s, e, 'ram'), 0);
		assert.deepEqual(words(k, mm, s, 8), iota(8 * 1024));
		// the writer may now write its pages in place
		const m = gpu.mirror(mm)!;
		assert.notEqual(m.pt.pte(s) & PTE.WRITE, 0);
		drive(dmirror_rw(k, gpu, mm, s, s + 1, true, undefined, { fill: { kind: 'linear', a: 0, b: 5 }, addr: s * PAGE_SIZE, len: PAGE_SIZE }));
		sane(k);
		assert.deepEqual(words(k, mm, s, 1), new Array(1024).fill(5));
	});

	it('uvm_collapse_read_duplicates without a writer drops every copy and leaves the CPU page read-only', () => {
		const { k, mm, s, e, vma, gpu } = machine();
		drive(uvm_read_duplicate(k, gpu, mm, vma, s, e));
		assert.equal(drive(uvm_collapse_read_duplicates(k, mm, s, e, undefined)), 0);
		sane(k);
		assert.equal(read_copies(k, mm, s, e, 'gpu'), 0);
		assert.equal(gpu.usedPages, 0);
		for (let v = s; v < e; v++) { assert.equal(mm.pt.pte(v) & (PTE.WRITE | PTE.WP_NOTIFY), 0); }
		// a later CPU write reuses the page without another notification
		const inv = gpu.stats.invalidations;
		drive(cpu_access(k, mm, s, s + 1, true, { fill: { kind: 'linear', a: 0, b: 9 }, addr: s * PAGE_SIZE, len: PAGE_SIZE }));
		assert.equal(gpu.stats.invalidations, inv);
		sane(k);
	});

	it('copies go with the page: munmap, fork and migrate_vma drop them through their invalidations, release frees them', () => {
		const a = machine();
		drive(uvm_read_duplicate(a.k, a.gpu, a.mm, a.vma, a.s, a.e));
		drive(do_munmap(a.k, a.mm, a.s, a.s + 3));
		sane(a.k);
		assert.equal(a.gpu.usedPages, 5);
		const b = machine();
		drive(uvm_read_duplicate(b.k, b.gpu, b.mm, b.vma, b.s, b.e));
		drive(do_fork(b.k, b.mm, 'c'));
		sane(b.k);
		assert.equal(b.gpu.usedPages, 0);
		assert.deepEqual(words(b.k, b.k.proc('c'), b.s, 8), iota(8 * 1024));
		// another device migrating the page away: its MIGRATE invalidation reaches the copy holder
		const c = machine();
		drive(uvm_read_duplicate(c.k, c.gpu, c.mm, c.vma, c.s, c.e));
		assert.equal(drive(uvm_read_duplicate(c.k, c.gpu2, c.mm, c.vma, c.s, c.e)), 8);
		drive(dmirror_migrate_to_device(c.k, c.gpu2, c.mm, c.s, c.e));
		sane(c.k);
		assert.equal(read_copies(c.k, c.mm, c.s, c.e, 'gpu') + read_copies(c.k, c.mm, c.s, c.e, 'gpu2'), 0);
		assert.equal(c.gpu.usedPages, 0);
		assert.equal(c.gpu2.usedPages, 8, 'its own copies were dropped when the pages themselves arrived');
		assert.deepEqual(words(c.k, c.mm, c.s, 8), iota(8 * 1024));
		// the device gives its memory back (HMM_DMIRROR_RELEASE): copies are dropped, not migrated
		const d = machine();
		drive(uvm_read_duplicate(d.k, d.gpu, d.mm, d.vma, d.s, d.e));
		drive(dmirror_release(d.k, d.gpu));
		sane(d.k);
		assert.equal(d.gpu.usedPages, 0);
		assert.equal(read_copies(d.k, d.mm, d.s, d.e, 'gpu'), 0);
		drive(cpu_access(d.k, d.mm, d.s, d.e, true, { fill: { kind: 'linear', a: 1, b: 0 }, addr: d.s * PAGE_SIZE, len: 8 * PAGE_SIZE }));
		sane(d.k);
	});

	it('skips what it cannot copy: pinned pages, shared mappings, pages not resident on the CPU; splits a THP first', () => {
		const { k, mm, s, vma, gpu } = machine('pin page(X, 1)\nY = mmap 4 pages anon rw shared\ncpu write Y = 3\nZ = mmap 4MiB anon rw huge\ncpu write Z = i\nW = mmap 4 pages anon rw');
		assert.equal(drive(uvm_read_duplicate(k, gpu, mm, vma, s, s + 8)), 7, 'the pinned page stays alone');
		const shared = mm.vmas.list.find(v => v.shared)!;
		assert.equal(drive(uvm_read_duplicate(k, gpu, mm, shared, shared.start, shared.end)), 0);
		const untouched = mm.vmas.list.find(v => v.npages === 4 && !v.shared)!;
		assert.equal(drive(uvm_read_duplicate(k, gpu, mm, untouched, untouched.start, untouched.end)), 0);
		const huge = mm.vmas.list.find(v => v.npages === 1024)!;
		const base = huge.start + ((512 - (huge.start & 511)) & 511);
		assert.ok(mm.pt.isHuge(base));
		assert.equal(drive(uvm_read_duplicate(k, gpu, mm, huge, base, base + 4)), 4);
		assert.equal(mm.pt.isHuge(base), false);
		sane(k);
		assert.deepEqual(words(k, mm, base, 4), iota(4 * 1024, (base - huge.start) * 1024));
		assert.deepEqual(deviceRead(k, gpu, mm, base, base + 4).words, iota(4 * 1024, (base - huge.start) * 1024));
	});
});
