// Cost model v2 (src/engine/device/cost.ts, docs/cost-model.md): the defaults reproduce the
// measured first-touch batch of uvm-eval (Allen & Ge: 32 faults on 3 pages, 736 us on a Titan V,
// PCIe Gen3), small migrations cost far more per byte than 2 MiB ones, and faster links finish
// the same migration sooner.
import * as assert from 'node:assert/strict';
import { anon, drain, line, machine, MiB, PAGE } from './uvm_core_helpers';
import { LINK_PEAK, type LinkKind, COST_OPTIONS, DEFAULT_DEVICE_COSTS, totalNs } from '../../src/engine/device/cost';
import { uvm_parent_gpu_service_replayable_faults } from '../../src/engine/device/uvm/service';
import { ACCESS } from '../../src/engine/device/uvm/fault_buffer';
import type { Machine } from '../../src/engine/machine';

const us = (ns: number) => ns / 1000;

function aligned(m: Machine, bytes: number): { addr: number; len: number } {
	const r = anon(m, bytes + 2 * MiB);
	return { addr: Math.ceil(r.addr / (2 * MiB)) * 2 * MiB, len: bytes };
}

describe('device cost model v2', () => {
	it('reproduces the measured first-touch batch: 32 entries, 3 pages, 736 us (uvm-eval, Titan V on PCIe Gen3)', () => {
		const m = machine({ link: 'pcie3', linkBw: LINK_PEAK.pcie3 });
		const X = aligned(m, 3 * PAGE);
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		const dev = m.device('gpu');
		const vpn = X.addr / PAGE;
		// fetch_fault_buffer_entries: 32 entries over the 3 pages, as the record had
		for (let e = 0; e < 32; e++) { dev.uvm!.buffer.push(vpn + (e % 3), ACCESS.READ, e); }
		const batch = dev.uvm!.buffer.fetch(256);
		assert.deepEqual([batch.entries, batch.npages], [32, 3]);
		const t0 = m.time;
		const out = drain(uvm_parent_gpu_service_replayable_faults(m.k, dev, m.cur(), m.uvm, batch));
		const c = out.record.cost;
		assert.equal(Math.round(us(c.zeroFill)), 315, 'zero-fill of the new chunk');
		assert.equal(Math.round(us(c.dmaSetup)), 112, 'block GPU state / DMA setup');
		assert.equal(Math.round(us(c.map)), 35, 'map');
		assert.equal(Math.round(us(c.transfer)), 16, 'the 12 KiB transfer');
		assert.equal(Math.round(us(c.service)), 258, 'the rest: fetch, preprocess, block service, replay');
		assert.equal(Math.round(us(totalNs(c))), 736);
		assert.equal(Math.round(us(m.time - t0)), 736);
		assert.equal(m.where(X), 'gpu');
		assert.ok(m.matches(X, i => i));
	});

	it('a single-page migration costs far more per byte than a 2 MiB one', () => {
		const m = machine({});
		const one = aligned(m, PAGE), big = aligned(m, 2 * MiB);
		drain(m.cpuWrite(one, { kind: 'linear', a: 1, b: 0 }));
		drain(m.cpuWrite(big, { kind: 'linear', a: 1, b: 0 }));
		let t = m.time;
		drain(m.prefetch(one, 'gpu'));
		const perByteOne = (m.time - t) / PAGE;
		t = m.time;
		drain(m.prefetch(big, 'gpu'));
		const perByteBig = (m.time - t) / (2 * MiB);
		assert.ok(perByteOne > 100 * perByteBig, `${perByteOne} vs ${perByteBig} ns/B`);
	});

	it('a faster link finishes the same migration sooner (pcie3 > pcie4 > pcie5 > c2c)', () => {
		const times = (['pcie3', 'pcie4', 'pcie5', 'c2c'] as LinkKind[]).map(link => {
			const m = machine({ link, linkBw: LINK_PEAK[link] });
			const X = aligned(m, 8 * MiB);
			drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
			const t = m.time;
			drain(m.prefetch(X, 'gpu'));
			return m.time - t;
		});
		for (let i = 1; i < times.length; i++) { assert.ok(times[i] < times[i - 1], times.join(' ')); }
	});

	it('remote access crosses the link; device-local access runs at local_bw', () => {
		const m = machine({ sms: 2, warps: 32 });
		m.createFile('f', 4 * MiB);
		const F = m.mmap({ len: 4 * MiB, prot: 'r', backing: 'file', file: 'f', shared: true });
		drain(m.launchKernel('gpu', 'warm', [line('read', F)]));
		const r = drain(m.launchKernel('gpu', 'again', [line('read', F)]));
		const d = m.device('gpu').cfg;
		assert.equal(r.batches, 0);
		const want = DEFAULT_DEVICE_COSTS.launchNs + 4 * MiB / (d.linkBw * 0.76) * 1e9;
		assert.ok(Math.abs(r.timeNs - want) < 64, `${r.timeNs} vs ${want}`);
	});

	it('a notifier callback that shoots down device entries costs `invalidate` (a TLB shootdown)', () => {
		const m = machine({ sms: 1, warps: 32, costs: { invalidateNs: 7_000 } });
		m.createFile('f', MiB);
		const F = m.mmap({ len: MiB, prot: 'r', backing: 'file', file: 'f', shared: true });
		drain(m.launchKernel('gpu', 'k', [line('read', F)]));
		const t = m.time;
		drain(m.munmap(F));
		assert.equal(m.device('gpu').stats.invalidations, 1);
		assert.equal(m.time - t, 7_000);
	});

	it('every cost term is overridable per device (COST_OPTIONS)', () => {
		for (const [opt, { key }] of Object.entries(COST_OPTIONS)) {
			assert.ok(key in DEFAULT_DEVICE_COSTS, opt);
		}
		const m = machine({ sms: 1, warps: 32, costs: { launchNs: 1_000_000 } });
		const X = anon(m, PAGE);
		drain(m.prefetch(X, 'gpu'));
		const r = drain(m.launchKernel('gpu', 'k', [line('read', X)]));
		assert.ok(r.timeNs >= 1_000_000 && r.timeNs < 1_001_000);
	});
});
