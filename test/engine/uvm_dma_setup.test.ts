// dma_setup is block_gpu_state_get_alloc (uvm_va_block.c): the per-GPU state of a VA block and the
// DMA mappings of its CPU pages are set up once per block and GPU and kept until the block is
// destroyed (uvm_va_block_destroy -> block_destroy_gpu_state). The measured first-touch batch pays
// it (uvm_core_cost.test.ts reproduces its 112 us); later batches of the same block, its eviction
// and a second GPU's first copy of it show whether the term is charged per block per GPU.
import * as assert from 'node:assert/strict';
import { anon, drain, machine, MiB, PAGE } from './uvm_core_helpers';
import { defaultDeviceConfig } from '../../src/engine/device/device';
import { DEFAULT_DEVICE_COSTS } from '../../src/engine/device/cost';
import { uvm_parent_gpu_service_replayable_faults } from '../../src/engine/device/uvm/service';
import { ACCESS } from '../../src/engine/device/uvm/fault_buffer';
import type { Machine } from '../../src/engine/machine';

const DMA = DEFAULT_DEVICE_COSTS.dmaSetupNs;

function block(m: Machine): { addr: number; len: number } {
	const r = anon(m, 4 * MiB);
	return { addr: Math.ceil(r.addr / (2 * MiB)) * 2 * MiB, len: 2 * MiB };
}

/** Services one batch of `pages` pages starting at page `from` of X on `dev`; returns its dma_setup. */
function batch(m: Machine, dev: string, X: { addr: number }, from: number, pages: number): number {
	const d = m.device(dev);
	for (let p = 0; p < pages; p++) { d.uvm!.buffer.push(X.addr / PAGE + from + p, ACCESS.READ, p); }
	const out = drain(uvm_parent_gpu_service_replayable_faults(m.k, d, m.cur(), m.uvm, d.uvm!.buffer.fetch(256)));
	return out.record.cost.dmaSetup;
}

describe('dma_setup per block per GPU (block_gpu_state_get_alloc)', () => {
	it('the first copy of a block to a GPU pays it; later batches into the same block do not', () => {
		const m = machine({});
		const X = block(m);
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		assert.equal(batch(m, 'gpu', X, 0, 8), DMA);
		assert.equal(batch(m, 'gpu', X, 8, 8), 0, 'the block has its GPU state already');
		assert.equal(m.device('gpu').uvm!.blocksWithGpuState, 1);
	});

	it('each GPU pays it once for the same block', () => {
		const m = machine({});
		m.addDevice({ ...defaultDeviceConfig('gpu1', 64 * MiB), policy: 'migrate' });
		drain(m.mirror('gpu1', 'p'));
		const X = block(m);
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		assert.equal(batch(m, 'gpu', X, 0, 8), DMA);
		assert.equal(batch(m, 'gpu1', X, 0, 8), DMA, 'gpu1 sets up its own state (the pages come back through RAM)');
		assert.equal(batch(m, 'gpu1', X, 8, 8), 0);
		assert.ok(m.matches(X, i => i));
	});

	it('migrating the block back to RAM reuses the state; munmap destroys it and a new block pays again', () => {
		const m = machine({});
		const X = block(m);
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		batch(m, 'gpu', X, 0, 16);
		const t = m.time;
		drain(m.prefetch(X, 'ram'));
		const back = m.time - t;
		assert.ok(back < DMA, `migration back to RAM took ${back} ns: no second setup`);
		drain(m.munmap({ addr: X.addr, len: 2 * MiB }));
		assert.equal(m.device('gpu').uvm!.blocksWithGpuState, 0, 'the unmapped block is destroyed with its GPU state');
		const Y = block(m);
		drain(m.cpuWrite(Y, { kind: 'linear', a: 1, b: 0 }));
		assert.equal(batch(m, 'gpu', Y, 0, 8), DMA);
	});
});
