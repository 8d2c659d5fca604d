// The device model in the Variables view: a policy=migrate device shows its fault buffer, the last
// fault batch with each VA block's decision (residency, prefetch regions with the tree's counts,
// cost by term), the eviction order of its root chunks and its migrations by cause.
import assert from 'node:assert/strict';
import { fixture, useSession } from './helpers';

describe('debug adapter: the device model in the Variables view', function () {
	this.timeout(30000);
	const s = useSession();

	it('shows the last batch, the VA block decisions with prefetch regions, root chunks and causes', async () => {
		await s().launch(fixture('kernel.hmmw'), { breakpoints: [{ line: 7 }] });
		await s().stopped('breakpoint', 7);
		const gpu = await s().lookup('Devices', 'gpu');
		const kids = await s().children(gpu.variablesReference);
		assert.match(kids.get('migrations by cause')!.value, /device-fault \d+\/0, prefetch \d+\/0/);
		const model = await s().children(kids.get('device model')!.variablesReference);
		assert.match(kids.get('device model')!.value, /^migrate, prefetch density, evict fifo, \d+ batches$/);
		assert.match(model.get('root chunks')!.value, /^2 used of \d+/);
		const order = await s().vars(model.get('eviction order')!.variablesReference);
		assert.equal(order.length, 2);
		assert.match(order[0].value, /^p 0x[0-9a-f]+-0x[0-9a-f]+: \d+ pages resident, allocated #\d+/);
		const last = model.get('last batch')!;
		assert.match(last.value, /^#\d+: \d+ entries, \d+ pages, \d+ VA blocks?, /);
		const lb = await s().children(last.variablesReference);
		const blocks = await s().vars(lb.get('VA blocks')!.variablesReference);
		assert.ok(blocks.length >= 1);
		const b = await s().children(blocks[0].variablesReference);
		assert.equal(b.get('residency chosen')?.value, 'gpu');
		assert.match(lb.get('cost by term')!.value, /service/);
		// the prefetch tree's regions of a block that prefetched
		const withPrefetch = [];
		for (const blk of blocks) {
			const k = await s().children(blk.variablesReference);
			if (Number(k.get('prefetched')?.value) > 0) { withPrefetch.push(k); }
		}
		assert.ok(withPrefetch.length > 0, 'the last batch prefetched in some VA block');
		for (const k of withPrefetch) {
			const regions = await s().vars(k.get('prefetch regions')!.variablesReference);
			assert.ok(regions.length > 0);
			assert.match(regions[0].value, /^pages \d+-\d+ of the block: \d+\/\d+ resident or faulting$/);
		}
	});

	it('lists the pages thrashing or pinned (uvm_perf_thrashing) and the advice per range (uvm_va_policy)', async () => {
		await s().launch(fixture('devicestate.hmmw'), { breakpoints: [{ line: 8 }] });
		await s().stopped('breakpoint', 8);
		const gpu = await s().lookup('Devices', 'gpu');
		const model = await s().children((await s().children(gpu.variablesReference)).get('device model')!.variablesReference);
		assert.equal(model.get('thrashing pages')!.value, '1 (1 pinned)');
		const pages = await s().vars(model.get('thrashing pages')!.variablesReference);
		assert.match(pages[0].value, /^p 0x[0-9a-f]+: \d+ events, \d+ throttles, pinned to ram until /);
		assert.equal(model.get('advice')!.value, '1 range');
		const advice = await s().vars(model.get('advice')!.variablesReference);
		assert.match(advice[0].value, /^p 0x[0-9a-f]+-0x[0-9a-f]+: preferred=ram$/);
	});

	it('a dmirror device has no device-model section, only its causes', async () => {
		await s().launch(fixture('migrate.hmmw'), { breakpoints: [{ line: 9 }] });
		await s().stopped('breakpoint', 9);
		const kids = await s().children((await s().lookup('Devices', 'gpu')).variablesReference);
		assert.equal(kids.get('device model'), undefined);
		assert.match(kids.get('migrations by cause')!.value, /migrate 4\/0/);
	});
});
