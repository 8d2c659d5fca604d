// dmirror's whole-leaf migrate path (device/dmirror_migrate_leaf.ts) against the general
// migrate_vma_setup / _pages / _finalize steps (mm/migrate_device.c) on ranges with every kind of
// page: holes, zero pages, swap entries, swap-cache pages, THPs, pinned pages, pages shared after
// fork, page-cache pages the migration skips, a full device and FAIL_ALLOC. Each script runs
// three times: with no event wanted (the leaf path takes every range it can), with only 'call'
// stops wanted (the general steps, nothing else different) and with every event wanted (a
// debugger). All three must leave exactly the same machine: every PTE and mirror entry with its
// pfn, every struct page field of every frame, the LRU lists, the free lists (the pfns later
// allocations get), counters, the clock and every byte.
import * as assert from 'node:assert/strict';
import { compileSource } from '../../src/lang/frontend';
import { hasErrors } from '../../src/lang/diagnostics';
import { Interpreter } from '../../src/lang/interp';
import { type EventFilter, NO_EVENTS } from '../../src/engine/sim/events';
import { contentChecksum } from '../../src/engine/sim/invariants';
import * as leafPath from '../../src/engine/device/dmirror_migrate_leaf';
import { MigrateVma } from '../../src/engine/hmm/migrate_device';
import { Frames } from '../../src/engine/mm/frames';
import { Device } from '../../src/engine/device/device';

const EVERYTHING: EventFilter = { wants: () => true };
const CALLS_ONLY: EventFilter = { wants: k => k === 'call' };

/** How often the leaf path took a range and declined one, in the current run. */
const taken = { toDevice: 0, toRam: 0, declined: 0 };
type LeafFn = typeof leafPath.dmirror_leaf_to_device;
const spy = (orig: LeafFn, key: 'toDevice' | 'toRam'): LeafFn => (k, a, dev, m) => {
	const r = orig(k, a, dev, m);
	if (r >= 0) { taken[key]++; } else { taken.declined++; }
	return r;
};

/** Everything a later statement could observe, as text. */
function machineState(it: Interpreter): string {
	const k = it.machine.k;
	const f = k.frames;
	const out: string[] = [`clock ${k.clock}`, `ramUsed ${f.ramUsed}`, `lru ${[...f.lruHead]} ${[...f.lruTail]} ${[...f.lruPages]}`];
	for (const d of k.devices) {
		out.push(`${d.name} ${JSON.stringify(d.stats)} ${JSON.stringify(d.byCause)} used=${d.usedPages}`);
		for (const [mm, m] of d.mirrors) {
			m.pt.forEach(0, Number.MAX_SAFE_INTEGER, (vpn, pfn, pte) => { out.push(`${d.name}/${mm.name} ${vpn} ${pfn} ${pte}`); });
		}
	}
	for (const mm of k.mms) {
		out.push(`${mm.name} alive=${mm.alive} faults=${mm.faults}`);
		if (!mm.alive) { continue; }
		mm.pt.forEach(0, Number.MAX_SAFE_INTEGER, (vpn, pfn, pte, leaf) => { out.push(`${mm.name} ${vpn} ${pfn} ${pte} ${leaf.huge}`); });
	}
	for (let p = 0; p < f.size; p++) {
		const c = p >> 12, o = p & 4095;
		out.push(`${p}: ${f.refcount[c][o]} ${f.mapcount[c][o]} ${f.pincount[c][o]} ${f.flags[c][o]} ${f.owner[c][o]} ${f.slot[c][o]} `
			+ `${f.mapping[c][o]} ${f.index[c][o]} ${f.head[c][o]} ${f.swap[c][o]} ${f.lru[c][o]} ${f.lruNext[c][o]} ${f.lruPrev[c][o]}`);
	}
	out.push(`bytes ${contentChecksum(k)}`);
	return out.join('\n');
}

/** Runs a script to its end; the machine's state after every statement. */
function run(source: string, filter: EventFilter): { states: { line: number; state: string }[]; error: string; passed: number; failed: number } {
	const { program, diagnostics } = compileSource(source, 'leaf.hmmw');
	assert.ok(!hasErrors(diagnostics), diagnostics.map(d => `${d.line}:${d.col} ${d.message}`).join('\n'));
	const it = new Interpreter(program, source, {});
	it.machine.setEvents(filter);
	const states: { line: number; state: string }[] = [];
	while (!it.done) {
		const line = it.loc?.line ?? 0;
		const g = it.step();
		for (let r = g.next(); !r.done; r = g.next()) { /* drained */ }
		states.push({ line, state: machineState(it) });
	}
	const e = it.error;
	return { states, error: e ? `${e.line}:${e.col} ${e.code} ${e.message}` : '', passed: it.passed, failed: it.failed };
}

/** Runs the script three ways; returns how the unwatched run used the leaf path. */
function assertSameThreeWays(source: string): typeof taken {
	const quiet = run(source, NO_EVENTS);
	const used = { ...taken };
	taken.toDevice = taken.toRam = taken.declined = 0;
	const general = run(source, CALLS_ONLY);
	assert.equal(taken.toDevice + taken.toRam, 0, 'with call stops wanted the leaf path is never taken');
	const watched = run(source, EVERYTHING);
	assert.equal(quiet.error, '');
	assert.equal(quiet.failed, 0);
	assert.ok(quiet.passed > 0);
	for (const [name, other] of [['general', general], ['watched', watched]] as const) {
		assert.equal(other.error, quiet.error, name);
		assert.equal(other.passed, quiet.passed, name);
		assert.equal(other.states.length, quiet.states.length, name);
		quiet.states.forEach((q, n) => {
			const o = other.states[n];
			if (o.state === q.state) { return; }
			const a = q.state.split('\n'), b = o.state.split('\n');
			const i = a.findIndex((l, j) => l !== b[j]);
			assert.fail(`after script line ${q.line} the ${name} run differs from the leaf path: '${a[i]}' vs '${b[i]}'`);
		});
	}
	return used;
}

describe('dmirror whole-leaf migration = migrate_vma_setup/pages/finalize, page for page', function () {
	this.timeout(120_000);
	const mod = leafPath as unknown as Record<string, LeafFn>;
	const origDevice = leafPath.dmirror_leaf_to_device, origRam = leafPath.dmirror_leaf_to_ram;
	before(() => {
		mod.dmirror_leaf_to_device = spy(origDevice, 'toDevice');
		mod.dmirror_leaf_to_ram = spy(origRam, 'toRam');
	});
	after(() => {
		mod.dmirror_leaf_to_device = origDevice;
		mod.dmirror_leaf_to_ram = origRam;
	});
	beforeEach(() => { taken.toDevice = taken.toRam = taken.declined = 0; });

	// 1024 pages (two leaves, and two migrate_vma chunks that start mid-leaf): written pages, zero
	// pages, holes, swap entries, pinned pages; then back, out again into the freed device pages,
	// and CPU faults that bring single pages back (dmirror_devmem_fault)
	const mixed = (device: string) => [
		'system ram=64MiB swap=64MiB', device, 'process p', 'gpu mirror p',
		'P = mmap 12 pages anon rw', 'X = mmap 4MiB anon rw',
		'cpu write pages(X, 0, 300) = i', 'cpu read pages(X, 300, 100)', 'cpu write pages(X, 600, 60) = i + 7',
		'madvise pages(X, 610, 20) pageout', 'pin pages(X, 10, 5)',
		'expect error ENOENT {', '\tmigrate pages(X, 3, 1000) -> gpu', '}',
		'expect count(pages(X, 3, 1000), gpu) == 1000 - 5 - 20, "all but the pinned and the swapped pages moved"',
		'expect matches(pages(X, 0, 300), i)', 'migrate pages(X, 3, 1000) -> ram',
		'expect count(pages(X, 3, 1000), gpu) == 0', 'unpin pages(X, 10, 5)',
		'cpu write pages(X, 700, 200) = i * 3', 'cpu read pages(X, 610, 20)', 'migrate X -> gpu', 'expect last.cpages == 1024',
		'cpu read pages(X, 5, 3)', 'cpu write page(X, 800) = 1', 'migrate pages(X, 512, 512) -> ram',
		'migrate pages(X, 0, 700) -> gpu', 'expect matches(pages(X, 0, 300), i)', 'expect matches(pages(X, 700, 100), i * 3)',
		'cpu write P = i', 'migrate X -> ram', 'expect matches(pages(X, 600, 60), i + 7)',
	].join('\n');

	it('private device memory: holes, zero pages, swap entries and pinned pages', () => {
		const used = assertSameThreeWays(mixed('device gpu memory=64MiB'));
		assert.ok(used.toDevice >= 4 && used.toRam >= 3, JSON.stringify(used));
	});

	it('coherent device memory (present entries, MIGRATE_VMA_SELECT_DEVICE_COHERENT back)', () => {
		const used = assertSameThreeWays(mixed('device gpu memory=64MiB kind=coherent'));
		assert.ok(used.toDevice >= 4 && used.toRam >= 3, JSON.stringify(used));
	});

	it('ranges the leaf path leaves to the general steps: THP, fork-shared pages, swap cache, page cache, full device, FAIL_ALLOC', () => {
		const used = assertSameThreeWays([
			'system ram=64MiB swap=64MiB thp=madvise', 'file f size=4MiB', 'device gpu memory=3MiB', 'process p', 'gpu mirror p',
			'H = mmap 4MiB anon rw', 'madvise H hugepage', 'cpu write H = i',
			'X = mmap 2MiB anon rw', 'cpu write X = i',
			'S = mmap 2MiB anon rw', 'cpu write S = i', 'madvise pages(S, 0, 16) pageout',
			'F = mmap 2MiB file f rw shared', 'cpu write pages(F, 0, 100) = i',
			'G = mmap 2MiB file f rw private', 'cpu read G', 'cpu write pages(G, 0, 50) = 5',
			// a THP range on the device: the leaf path declines, collect splits it
			'expect error ENOENT {', '\tmigrate H -> gpu', '}',
			'migrate H -> ram',
			// page-cache pages: skipped by migrate_vma_pages, their destination freed in finalize
			'expect error ENOENT {', '\tmigrate F -> gpu', '}',
			'expect error ENOENT {', '\tmigrate G -> gpu', '}',
			'migrate G -> ram',
			'fork c',
			// pages mapped by parent and child (try_to_migrate reaches both)
			'migrate X -> gpu', 'expect count(X, gpu) == 512',
			'migrate X -> ram',
			// the child swaps pages in: swap-cache pages the parent maps
			'use c', 'cpu read pages(S, 0, 8)', 'use p', 'cpu read pages(S, 0, 8)',
			'expect error ENOENT {', '\tmigrate S -> gpu', '}',
			'migrate S -> ram',
			'gpu fail_alloc',
			'expect error ENOENT {', '\tmigrate pages(S, 100, 10) -> gpu', '}',
			'migrate S -> ram',
			'expect matches(H, i)', 'expect matches(S, i)', 'expect matches(pages(F, 0, 100), i)',
		].join('\n'));
		assert.ok(used.declined >= 5, JSON.stringify(used));
	});

	it('ranges the leaf path begins and the general steps finish (MigrateVma.leafTook), and runs it gives back unused', () => {
		// collect would unmap a page mapped twice from both processes: the leaf path moves the
		// private pages before it and leaves the rest of the range to the general steps
		let partial = 0, ramBack = 0, devBack = 0;
		const took = MigrateVma.prototype.leafTook, endRam = Frames.prototype.endRamRun, endDev = Device.prototype.endRun;
		MigrateVma.prototype.leafTook = function (n, moved, copied) { if (moved > 0) { partial++; } took.call(this, n, moved, copied); };
		Frames.prototype.endRamRun = function (first, n, step, used) { if (used < n) { ramBack++; } endRam.call(this, first, n, step, used); };
		Device.prototype.endRun = function (k, first, n, step, used) { if (used < n) { devBack++; } endDev.call(this, k, first, n, step, used); };
		try {
			assertSameThreeWays([
				'system ram=64MiB', 'device gpu memory=16MiB', 'process p', 'gpu mirror p',
				'X = mmap 2MiB anon rw', 'cpu write X = i', 'Y = mmap 2MiB anon rw', 'cpu write Y = i * 2',
				'fork c', 'cpu write pages(X, 0, 256) = i + 1',
				'migrate X -> gpu', 'expect count(X, gpu) == 512',
				'migrate X -> ram', 'expect count(X, gpu) == 0',
				'expect matches(pages(X, 0, 256), i + 1)', 'expect matches(pages(X, 256, 256), i + 256 * 1024)',
				// RAM runs asked for the rest of the range, most of it on the CPU already
				'exit c', 'Z = mmap 2MiB anon rw', 'cpu write Z = 1',
				'migrate pages(Y, 0, 40) -> gpu', 'migrate pages(Y, 300, 10) -> gpu', 'munmap Z', 'migrate Y -> ram',
				'expect count(Y, gpu) == 0', 'expect matches(Y, i * 2)',
				'migrate pages(Y, 0, 500) -> gpu', 'migrate pages(Y, 20, 30) -> ram', 'migrate Y -> gpu',
				'expect count(Y, gpu) == 512', 'expect matches(Y, i * 2)',
				// pages on the LRU list in the other order (each the newer neighbour of the next), and
				// pages whose list neighbours are not their address neighbours: the stretches of the
				// list the to-device loop cuts out (LeafMove.cutLru) end at every page
				'W = mmap 64 pages anon rw', 'for j in 0..64 {', '\tcpu write page(W, 63 - j) = j', '}',
				'V = mmap 64 pages anon rw', 'for j in 0..32 {', '\tcpu write page(V, j * 2) = j', '}', 'for j in 0..32 {', '\tcpu write page(V, j * 2 + 1) = j', '}',
				'migrate W -> gpu', 'migrate V -> gpu', 'expect count(W, gpu) == 64', 'expect count(V, gpu) == 64',
				'migrate W -> ram', 'migrate V -> ram', 'expect word(W, 0) == 63', 'expect word(V, 1024) == 0',
			].join('\n'));
		} finally {
			MigrateVma.prototype.leafTook = took;
			Frames.prototype.endRamRun = endRam;
			Device.prototype.endRun = endDev;
		}
		assert.ok(partial >= 2 && ramBack >= 1 && devBack >= 1, `ranges begun by the leaf path: ${partial}; runs given back: ${ramBack} RAM, ${devBack} device`);
	});
});
