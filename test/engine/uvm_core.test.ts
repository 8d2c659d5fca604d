// The device model's core (issue 9), driven through Machine: kernels and fault batches
// (uvm_parent_gpu_service_replayable_faults), policy=migrate (uvm_va_block_service_locked),
// root-chunk eviction (pick_root_chunk_to_evict, evict_root_chunk), remote mappings of what cannot
// move (uvm_hmm_must_use_sysmem), migration causes and counters, and the view of it all.
import * as assert from 'node:assert/strict';
import { anon, drain, line, linear, machine, MiB, PAGE } from './uvm_core_helpers';
import type { ByteRange, Machine } from '../../src/engine/machine';
import { defaultDeviceConfig } from '../../src/engine/device/device';
import { checkInvariants } from '../../src/engine/sim/invariants';
import type { SimEvent } from '../../src/engine/sim/events';

const BLOCK = 2 * MiB;

/** n 2 MiB-aligned ranges of one mapping (each exactly one VA block). */
function blocks(m: Machine, n: number): ByteRange[] {
	const r = anon(m, (n + 1) * BLOCK);
	const first = Math.ceil(r.addr / BLOCK) * BLOCK;
	return Array.from({ length: n }, (_, i) => ({ addr: first + i * BLOCK, len: BLOCK }));
}

function sane(m: Machine): void { assert.deepEqual(checkInvariants(m.k), []); }

describe('device model core (uvm)', () => {
	describe('fault batches (uvm_parent_gpu_service_replayable_faults)', () => {
		it('a streaming write of 2 MiB by 256 warps: 64 batches of 256 entries, 8 pages each', () => {
			const m = machine({ sms: 4, warps: 64 });
			const [X] = blocks(m, 1);
			const r = drain(m.launchKernel('gpu', 'init', [linear('write', X, 1, 0)]));
			assert.equal(r.faultEntries, 512 * 32, 'every warp-instruction faults once: 32 per page');
			assert.equal(r.batches, 64);
			assert.equal(r.faults, 512, 'coalesced per page');
			assert.equal(r.migrated, 512);
			const last = m.view.device('gpu')!.model!.lastBatch!;
			assert.equal(last.entries, 256);
			assert.equal(last.pages, 8);
			assert.deepEqual(last.faults.map(f => f.entries), new Array(8).fill(32), '32 duplicates per page');
			assert.equal(m.device('gpu').stats.fault_batches, 64);
			assert.equal(m.device('gpu').stats.faults, 512);
			assert.ok(m.matches(X, i => i));
			assert.equal(m.where(X), 'gpu');
			sane(m);
		});
		it('fault_batch=64 cuts the same stream into 256 batches of 2 pages', () => {
			const m = machine({ sms: 4, warps: 64, faultBatch: 64 });
			const [X] = blocks(m, 1);
			const r = drain(m.launchKernel('gpu', 'init', [linear('write', X, 1, 0)]));
			assert.deepEqual([r.batches, r.faultEntries, r.faults], [256, 16384, 512]);
			assert.equal(m.view.device('gpu')!.model!.lastBatch!.pages, 2);
		});
		it('a second pass over resident pages takes no fault and costs only device-local access', () => {
			const m = machine({ sms: 4, warps: 64 });
			const [X] = blocks(m, 1);
			drain(m.launchKernel('gpu', 'init', [linear('write', X, 1, 0)]));
			const r = drain(m.launchKernel('gpu', 'sum', [line('read', X)]));
			assert.deepEqual([r.batches, r.faults, r.migrated], [0, 0, 0]);
			const c = m.device('gpu').cfg;
			assert.equal(r.timeNs, 5_000 + Math.round(BLOCK / c.localBw * 1e9), 'launch + 2 MiB at local_bw');
			assert.equal(m.kernels.length, 2);
			assert.equal(m.last.moved, 0);
		});
		it('policy=mirror kernels fault in place through hmm_range_fault, batched, moving nothing', () => {
			const m = machine({ policy: 'mirror', sms: 4, warps: 64 });
			drain(m.mirror('gpu', 'p'));
			const [X] = blocks(m, 1);
			drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
			const r = drain(m.launchKernel('gpu', 'read', [line('read', X)]));
			assert.deepEqual([r.batches, r.faults, r.migrated], [64, 512, 0]);
			assert.equal(r.remoteBytes, BLOCK, 'every byte crossed the link');
			assert.equal(m.where(X), 'ram');
			assert.equal(m.mapped('gpu', X), 512);
			sane(m);
		});
	});

	describe('eviction (pick_root_chunk_to_evict)', () => {
		function scenario(evict: 'fifo' | 'lru'): { m: Machine; A: ByteRange; B: ByteRange; C: ByteRange } {
			const m = machine({ evict, sms: 2, warps: 32 }, 4 * MiB);
			const [A, B, C] = blocks(m, 3);
			drain(m.launchKernel('gpu', 'a', [linear('write', A, 1, 0)]));
			drain(m.launchKernel('gpu', 'b', [linear('write', B, 1, 7)]));
			drain(m.launchKernel('gpu', 'reuse-a', [line('read', A)]));
			return { m, A, B, C };
		}
		it('evict=fifo takes the oldest allocation even though it was used last (the driver\'s order)', () => {
			const { m, A, B, C } = scenario('fifo');
			const order = m.view.device('gpu')!.model!.evictionOrder;
			assert.deepEqual(order.map(o => o.start), [A.addr, B.addr]);
			drain(m.launchKernel('gpu', 'c', [linear('write', C, 1, 9)]));
			assert.deepEqual([m.where(A), m.where(B), m.where(C)], ['ram', 'gpu', 'gpu']);
			assert.equal(m.device('gpu').stats.evicted, 512);
			assert.equal(m.device('gpu').byCause.eviction.out, 512);
			assert.ok(m.matches(A, i => i) && m.matches(B, i => i + 7) && m.matches(C, i => i + 9));
			sane(m);
		});
		it('evict=lru takes the least recently accessed chunk', () => {
			const { m, A, B, C } = scenario('lru');
			assert.deepEqual(m.view.device('gpu')!.model!.evictionOrder.map(o => o.start), [B.addr, A.addr]);
			drain(m.launchKernel('gpu', 'c', [linear('write', C, 1, 9)]));
			assert.deepEqual([m.where(A), m.where(B), m.where(C)], ['gpu', 'ram', 'gpu']);
			assert.ok(m.matches(A, i => i) && m.matches(B, i => i + 7) && m.matches(C, i => i + 9));
		});
		it('2x oversubscription by a streaming kernel loses no byte and never fails with ENOMEM', () => {
			const events: SimEvent[] = [];
			const m = machine({ sms: 8, warps: 64 }, 8 * MiB);
			m.setEvents({ wants: k => k === 'eviction' });
			const X = anon(m, 16 * MiB);
			const g = m.launchKernel('gpu', 'init', [linear('write', X, 3, -5)]);
			let r = g.next();
			while (!r.done) { events.push(r.value); r = g.next(); }
			const rep = r.value;
			assert.ok(rep.evicted >= 8 * MiB / PAGE - 512, `evicted ${rep.evicted}`);
			assert.equal(events.length, m.device('gpu').stats.evicted / 512, 'one eviction event per root chunk');
			assert.ok(events.every(e => e.cause === 'eviction' && e.npages === 512));
			drain(m.launchKernel('gpu', 'check', [line('read', X)]));
			assert.ok(m.matches(X, i => 3 * i - 5), 'every byte survived the evictions');
			assert.ok(m.device('gpu').usedPages <= m.device('gpu').capacityPages);
			sane(m);
		});
	});

	describe('what cannot move is mapped remotely (uvm_hmm_must_use_sysmem)', () => {
		it('file and shared anonymous pages stay in RAM and are read over the link', () => {
			const m = machine({ sms: 2, warps: 32 });
			m.createFile('f', 1 * MiB, { kind: 'linear', a: 1, b: 100 });
			const F = m.mmap({ len: 1 * MiB, prot: 'rw', backing: 'file', file: 'f', shared: true });
			const S = m.mmap({ len: 1 * MiB, prot: 'rw', backing: 'anon', shared: true });
			const r = drain(m.launchKernel('gpu', 'k', [line('read', F), linear('write', S, 2, 0)]));
			assert.equal(r.migrated, 0);
			assert.equal(r.remoteBytes, 2 * MiB);
			assert.equal(m.device('gpu').stats.remote_bytes, 2 * MiB);
			assert.deepEqual([m.where(F), m.where(S)], ['ram', 'ram']);
			assert.ok(m.matches(S, i => 2 * i), 'the device wrote the shared pages in place');
			assert.ok(m.matches(F, i => i + 100));
			assert.equal(m.view.device('gpu')!.model!.lastBatch!.blocks[0].residency, 'ram');
			sane(m);
		});
		it('pinned pages are mapped in place; prefetch leaves them and does not fail', () => {
			const m = machine({ sms: 2, warps: 32 });
			const X = anon(m, 1 * MiB);
			drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
			drain(m.pin(X));
			drain(m.prefetch(X, 'gpu'));
			assert.equal(m.last.moved, 0);
			assert.equal(m.last.error, 'none');
			const r = drain(m.launchKernel('gpu', 'k', [line('read', X)]));
			assert.deepEqual([r.migrated, r.remoteBytes], [0, 1 * MiB]);
			assert.equal(m.where(X), 'ram');
		});
	});

	describe('why pages moved (causes and counters)', () => {
		it('kernel faults, prefetch, migrate, CPU faults and eviction each count under their cause', () => {
			const m = machine({ sms: 2, warps: 32 }, 4 * MiB);
			const [A, B, C] = blocks(m, 3);
			drain(m.cpuWrite(A, { kind: 'linear', a: 1, b: 0 }));
			drain(m.launchKernel('gpu', 'k', [line('read', page(A, 0, 4))]));
			const d = m.device('gpu');
			assert.equal(d.byCause['device-fault'].in, 4);
			drain(m.cpuWrite(B, { kind: 'linear', a: 1, b: 1 }));
			drain(m.prefetch(B, 'gpu'));
			assert.equal(m.last.moved, 512);
			assert.equal(d.byCause['user-prefetch'].in, 512);
			assert.equal(d.stats.prefetched, 512);
			drain(m.prefetch(B, 'gpu'));
			assert.equal(m.last.moved, 0, 'nothing left to move');
			drain(m.cpuRead(page(B, 3, 1)));
			assert.equal(d.stats.cpu_faults, 1);
			assert.equal(d.byCause['cpu-fault'].out, 1);
			drain(m.migrate(C, 'gpu'));
			assert.equal(d.byCause.migrate.in, 512);
			assert.ok(d.byCause.eviction.out > 0, 'C needed a chunk: one of A, B was evicted');
			assert.equal(d.stats.migrated_in, 4 + 512 + 512 + 0);
			drain(m.migrate(C, 'ram'));
			assert.equal(d.byCause.migrate.out, 512);
			drain(m.unmirror('gpu', 'p'));
			assert.ok(d.byCause.unmirror.out > 0);
			assert.equal(d.usedPages, 0, 'unmirror brought every page home');
			assert.ok(m.matches(B, i => i + 1));
			sane(m);
		});
		it('untouched memory prefetched is migrated as zero-filled holes (moved counts them)', () => {
			const m = machine({});
			const [X] = blocks(m, 1);
			drain(m.prefetch(X, 'gpu'));
			assert.equal(m.last.moved, 512);
			assert.equal(m.where(X), 'gpu');
		});
		it('a page another device faults away is that device\'s fault, not a CPU fault', () => {
			const m = machine({ sms: 2, warps: 32 });
			m.addDevice({ ...defaultDeviceConfig('gpu2', 64 * MiB), policy: 'migrate', sms: 2, warps: 32 });
			const [X] = blocks(m, 1);
			drain(m.launchKernel('gpu', 'w', [linear('write', X, 1, 0)]));
			drain(m.launchKernel('gpu2', 'r', [line('read', X)]));
			const g = m.device('gpu'), g2 = m.device('gpu2');
			assert.equal(g.stats.cpu_faults, 0);
			assert.equal(g.byCause['device-fault'].out, 512);
			assert.equal(g2.byCause['device-fault'].in, 512);
			assert.equal(m.where(X), 'gpu2');
			assert.ok(m.matches(X, i => i));
			sane(m);
		});
		it('dmirror devices (policy=mirror) count their moves by cause too', () => {
			const m = machine({ policy: 'mirror' });
			drain(m.mirror('gpu', 'p'));
			const X = anon(m, 8 * PAGE);
			drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
			drain(m.migrate(X, 'gpu'));
			assert.equal(m.last.moved, 8);
			drain(m.cpuRead(page(X, 0, 2)));
			drain(m.migrate(X, 'ram'));
			const d = m.device('gpu');
			assert.deepEqual([d.byCause.migrate.in, d.byCause['cpu-fault'].out, d.byCause.migrate.out], [8, 2, 6]);
			assert.deepEqual(m.view.deviceSummary('gpu')!.byCause.migrate, { in: 8, out: 6 });
		});
		it('every migration event carries its cause', () => {
			const m = machine({ sms: 2, warps: 32 }, 2 * MiB);
			const [A, B] = blocks(m, 2);
			const evs: SimEvent[] = [];
			m.setEvents({ wants: k => k === 'migration' || k === 'fault-batch' });
			const run = <T>(g: Generator<SimEvent, T>) => { let r = g.next(); while (!r.done) { evs.push(r.value); r = g.next(); } return r.value; };
			run(m.launchKernel('gpu', 'a', [linear('write', A, 1, 0)]));
			run(m.launchKernel('gpu', 'b', [linear('write', B, 1, 0)]));
			run(m.cpuRead(A));
			const mig = evs.filter(e => e.kind === 'migration');
			assert.ok(mig.length > 0);
			assert.ok(mig.every(e => e.cause !== undefined), 'no migration without a cause');
			assert.deepEqual([...new Set(mig.map(e => e.cause))].sort(), ['device-fault', 'eviction'].sort());
			const fb = evs.filter(e => e.kind === 'fault-batch');
			assert.equal(fb.length, m.device('gpu').stats.fault_batches);
			assert.equal(fb[0].detail, '64');
		});
	});

	describe('kernel frames read like the driver', () => {
		it('migrate_vma_setup is reached through the UVM service path', () => {
			const m = machine({ sms: 1, warps: 32 });
			const [X] = blocks(m, 1);
			m.setEvents({ wants: k => k === 'call' });
			let stack: string[] | undefined;
			const g = m.launchKernel('gpu', 'k', [line('read', page(X, 0, 1))]);
			for (let r = g.next(); !r.done; r = g.next()) {
				if (r.value.fn === 'migrate_vma_setup' && !stack) { stack = m.k.stack.map(f => f.fn); }
			}
			assert.deepEqual(stack, ['kernel k', 'uvm_parent_gpu_service_replayable_faults', 'service_fault_batch', 'uvm_va_block_service_locked',
				'uvm_va_block_service_copy', 'migrate_vma_setup']);
		});
	});

	describe('the view shows the device model', () => {
		it('fault buffer, last batch decision, eviction order and causes', () => {
			const m = machine({ sms: 2, warps: 32 }, 4 * MiB);
			const [A] = blocks(m, 1);
			drain(m.launchKernel('gpu', 'k', [linear('write', A, 1, 0)]));
			const rec = m.view.device('gpu')!;
			assert.equal(rec.byCause['device-fault'].in, 512);
			const model = rec.model!;
			assert.equal(model.policy, 'migrate');
			assert.equal(model.warps, 64);
			assert.equal(model.faultBuffer.count, 0);
			assert.equal(model.faultBuffer.written, 512 * 32);
			const b = model.lastBatch!;
			assert.equal(b.blocks.length, 1);
			assert.deepEqual([b.blocks[0].start, b.blocks[0].residency, b.blocks[0].migrated], [A.addr, 'gpu', 2]);
			assert.ok(b.timeNs > 0 && b.cost.service > 0);
			assert.deepEqual(model.rootChunks, { total: 2, used: 1, free: 1 });
			assert.deepEqual(model.evictionOrder.map(c => [c.start, c.end, c.resident]), [[A.addr, A.addr + BLOCK, 512]]);
			assert.equal(rec.extra.policy, 'migrate');
			const again = m.view.device('gpu')!.model!;
			again.evictionOrder.length = 0;
			assert.equal(m.view.device('gpu')!.model!.evictionOrder.length, 1, 'records are fresh copies');
		});
	});

	describe('one semantics', () => {
		it('watched (every event, every call) and unwatched runs agree on time, counters, residency and bytes', () => {
			const run = (watch: boolean) => {
				const m = machine({ sms: 2, warps: 32, evict: 'lru' }, 4 * MiB);
				m.addDevice({ ...defaultDeviceConfig('gpu2', 64 * MiB), policy: 'migrate', sms: 2, warps: 32 });
				m.setEvents({ wants: () => watch });
				const X = anon(m, 6 * MiB);
				m.createFile('f', MiB, { kind: 'linear', a: 5, b: 0 });
				const F = m.mmap({ len: MiB, prot: 'r', backing: 'file', file: 'f', shared: false });
				drain(m.cpuWrite({ addr: X.addr, len: MiB }, { kind: 'linear', a: 1, b: 0 }));
				drain(m.launchKernel('gpu', 'a', [linear('write', { addr: X.addr + MiB, len: 5 * MiB }, 2, 1), line('read', F)]));
				drain(m.launchKernel('gpu2', 'b', [line('read', { addr: X.addr, len: 3 * MiB })]));
				drain(m.prefetch({ addr: X.addr, len: 2 * MiB }, 'gpu'));
				drain(m.cpuRead({ addr: X.addr + 4 * MiB, len: MiB }));
				drain(m.migrate(X, 'ram'));
				sane(m);
				return JSON.stringify({
					t: m.time, d: m.k.devices.map(d => [d.stats, d.byCause, d.usedPages]), k: m.kernels,
					w: [m.where(X), m.matches({ addr: X.addr + MiB, len: 5 * MiB }, i => 2 * i + 1), m.matches({ addr: X.addr, len: MiB }, i => i)],
				});
			};
			assert.equal(run(true), run(false));
		});
	});

	describe('machine API edges', () => {
		it('policy=migrate needs one root chunk; prefetch needs a policy=migrate device', () => {
			assert.throws(() => machine({}, 1 * MiB), /2 MiB root chunk/);
			const m = machine({ policy: 'mirror' });
			const X = anon(m, MiB);
			assert.throws(() => drain(m.prefetch(X, 'gpu')), /policy=migrate/);
		});
		it('a kernel touching unmapped memory fails with EFAULT', () => {
			const m = machine({ sms: 1, warps: 4 });
			const X = anon(m, MiB);
			drain(m.munmap(X));
			assert.throws(() => drain(m.launchKernel('gpu', 'k', [line('read', X)])), /no readable mapping/);
			assert.equal(m.last.error, 'EFAULT');
		});
		it('snapshots keep kernels and the UVM state', () => {
			const m = machine({ sms: 2, warps: 32 });
			const [X] = blocks(m, 1);
			const s = m.saveState();
			drain(m.launchKernel('gpu', 'k', [linear('write', X, 1, 0)]));
			assert.equal(m.kernels.length, 1);
			m.loadState(s);
			assert.equal(m.kernels.length, 0);
			assert.equal(m.where(X), 'none');
			drain(m.launchKernel('gpu', 'k', [linear('write', X, 1, 0)]));
			assert.ok(m.matches(X, i => i));
			sane(m);
		});
	});
});

function page(r: ByteRange, first: number, n: number): ByteRange { return { addr: r.addr + first * PAGE, len: n * PAGE }; }
