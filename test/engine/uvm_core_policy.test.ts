// How the fault service obeys its policy helpers (uvm_va_block_service_locked): the prefetch hint
// (uvm_perf_prefetch_get_hint) widens the migration with cause 'prefetch', and the thrashing hints
// (uvm_perf_thrashing_get_hint) throttle the faulting device or pin pages to system memory. The
// helpers are DM-policy's; here they are replaced by scripted ones, so what is tested is the
// service's side of the contract.
import * as assert from 'node:assert/strict';
import { drain, line, linear, machine, MiB, PAGE } from './uvm_core_helpers';
import * as prefetchModule from '../../src/engine/device/uvm/perf_prefetch';
import type { PrefetchHint, PrefetchInput, ThrashingHint } from '../../src/engine/device/uvm/types';
import type { SimEvent } from '../../src/engine/sim/events';
import { checkInvariants } from '../../src/engine/sim/invariants';
import type { Machine } from '../../src/engine/machine';

function block(m: Machine): { addr: number; len: number } {
	const r = m.mmap({ len: 4 * MiB, prot: 'rw', backing: 'anon', shared: false });
	return { addr: Math.ceil(r.addr / (2 * MiB)) * 2 * MiB, len: 2 * MiB };
}

describe('device model core: policy hints', () => {
	it('prefetch=density: the hint\'s pages migrate with cause prefetch, inside the VMA, and a prefetch event names the region', () => {
		const mod = prefetchModule as { uvm_perf_prefetch_get_hint: (i: PrefetchInput) => PrefetchHint };
		const real = mod.uvm_perf_prefetch_get_hint;
		const inputs: PrefetchInput[] = [];
		// a scripted tree: the whole [first, last) clip is one region
		mod.uvm_perf_prefetch_get_hint = (i: PrefetchInput) => {
			inputs.push(i);
			const pages = new Uint8Array(i.resident.length);
			let count = 0;
			for (let p = i.first; p < i.last; p++) { if (!i.faulted[p] && !i.resident[p]) { pages[p] = 1; count++; } }
			return { pages, count, regions: [{ first: i.first, last: i.last, occupied: 1, size: i.last - i.first }] };
		};
		try {
			const m = machine({ prefetch: 'density', sms: 1, warps: 32 });
			const X = block(m);
			const evs: SimEvent[] = [];
			m.setEvents({ wants: k => k === 'prefetch' });
			const g = m.launchKernel('gpu', 'k', [line('read', X)]);
			let r = g.next();
			while (!r.done) { evs.push(r.value); r = g.next(); }
			const rep = r.value;
			assert.equal(inputs[0].threshold, 51);
			assert.deepEqual([inputs[0].first, inputs[0].last], [0, 512]);
			assert.equal(rep.batches, 1, 'the first batch brought the whole block');
			assert.equal(rep.prefetched, 511);
			assert.equal(m.device('gpu').byCause.prefetch.in, 511);
			assert.equal(m.device('gpu').byCause['device-fault'].in, 1);
			assert.equal(m.device('gpu').stats.prefetched, 511);
			assert.equal(evs.length, 1);
			assert.equal(evs[0].npages, 511);
			const d = m.view.device('gpu')!.model!.lastBatch!.blocks[0];
			assert.deepEqual([d.migrated, d.prefetched, d.prefetch[0].size], [1, 511, 512]);
			assert.deepEqual(checkInvariants(m.k), []);
		} finally {
			mod.uvm_perf_prefetch_get_hint = real;
		}
	});

	it('thrashing throttle: the device naps and its fault is replayed; pin: the page stays in RAM, mapped remotely', () => {
		const m = machine({ sms: 1, warps: 32 });
		const X = block(m);
		const P = { addr: X.addr + PAGE, len: PAGE };
		drain(m.cpuWrite(P, { kind: 'linear', a: 1, b: 0 }));
		const pinned = P.addr / PAGE;
		const calls: string[] = [];
		let throttles = 1;
		const tracker = m.device('gpu').uvm!.tracker as unknown as Record<string, unknown>;
		tracker.uvm_perf_thrashing_get_hint = (key: number, _p: number, _now: number): { hint: ThrashingHint; napNs: number } => {
			const vpn = key % 2 ** 36;
			if (vpn === pinned) { calls.push('pin'); return { hint: 'pin', napNs: 0 }; }
			if (throttles > 0) { throttles--; calls.push('throttle'); return { hint: 'throttle', napNs: 500_000 }; }
			return { hint: 'none', napNs: 0 };
		};
		const t0 = m.time;
		const r = drain(m.launchKernel('gpu', 'k', [line('read', { addr: X.addr, len: 2 * PAGE })]));
		assert.deepEqual(calls.slice(0, 1), ['throttle']);
		assert.ok(m.time - t0 >= 500_000, 'the nap is in the kernel\'s time');
		assert.equal(r.batches, 3, 'throttled batch, then page 0, then the pinned page');
		assert.equal(m.where({ addr: X.addr, len: PAGE }), 'gpu');
		assert.equal(m.where(P), 'ram', 'pinned to system memory');
		assert.equal(m.mapped('gpu', P), 1);
		assert.equal(r.remoteBytes, PAGE);
		assert.ok(m.view.device('gpu')!.model!.lastBatch!.blocks.some(b => b.thrashing === 'pin'));
		assert.deepEqual(checkInvariants(m.k), []);
	});

	it('advice preferred=ram: faults map system memory in place instead of migrating', () => {
		const m = machine({ sms: 1, warps: 32 });
		const X = block(m);
		// the placeholder AdviceTree keeps nothing; a scripted one answers for every page
		const tree = m.uvm.adviceOf(m.cur().id) as unknown as Record<string, unknown>;
		tree.get = () => ({ preferred: 'ram', accessedBy: [], readMostly: false });
		const r = drain(m.launchKernel('gpu', 'k', [linear('write', { addr: X.addr, len: 4 * PAGE }, 1, 0)]));
		assert.deepEqual([r.migrated, r.remoteBytes], [0, 4 * PAGE]);
		assert.equal(m.where({ addr: X.addr, len: 4 * PAGE }), 'ram');
		assert.ok(m.matches({ addr: X.addr, len: 4 * PAGE }, i => i));
	});
});
