// How many fault batches the density prefetcher saves on a streaming kernel, and why (docs/cost-model.md,
// "The prefetcher and the batch composition"). A demand batch holds fault_batch = 256 raw entries
// (fetch_fault_buffer_entries counts merged duplicates against max_batch_size too), about 27 pages of
// the streaming frontier. The tree (uvm_perf_prefetch_prenotify_fault_migrations) sees only what is
// resident plus this batch's faults, grown to 64 KiB big pages, and compute_prefetch_region keeps a
// subtree only above 51 %, so a contiguous frontier doubles the migrated region per batch: 32, 64,
// 128, 256, then all 512 pages of the VA block. After BATCH_FLUSH's flush and replay no stale entry
// reaches a batch (the page is resident, the warp does not fault again): every page is faulted or
// prefetched exactly once.
import * as assert from 'node:assert/strict';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';

const SRC = (prefetch: string, size = '2MiB') => `device g memory=64MiB policy=migrate prefetch=${prefetch}\nprocess p\ng mirror p\n`
	+ `X = mmap ${size} anon rw\ncpu write X = i\nkernel g { read X }\nexpect matches(X, i)\n`;

/** The run, and the prefetch region sizes the prefetch events name, batch by batch. */
function stream(prefetch: string, size?: string) {
	const source = SRC(prefetch, size);
	const it = new Interpreter(compileSource(source, 'stream.hmmw').program, source, {});
	it.machine.setEvents({ wants: k => k === 'prefetch' });
	const regions: number[] = [];
	while (!it.done) {
		const g = it.step();
		for (let r = g.next(); !r.done; r = g.next()) {
			// detail: "[first, last) occupied/size ..." per region; the last is the widest
			const sizes = [...(r.value.detail ?? '').matchAll(/(\d+)\/(\d+)/g)].map(m => Number(m[2]));
			regions.push(Math.max(...sizes));
		}
	}
	assert.equal(it.error, undefined);
	assert.equal(it.failed, 0);
	return { dev: it.machine.k.device('g'), regions };
}

describe('density prefetch on a streaming kernel: batches per VA block (uvm_perf_prefetch.c)', () => {
	it('the region doubles batch by batch: 32, 64, 128, 256, 512 pages, five batches for one 2 MiB block', () => {
		const { dev, regions } = stream('density');
		assert.deepEqual(regions, [32, 64, 128, 256, 512]);
		assert.equal(dev.stats.fault_batches, 5);
	});

	it('every page is faulted or prefetched exactly once: no stale entry is serviced after a prefetch', () => {
		for (const size of ['2MiB', '16MiB']) {
			const { dev } = stream('density', size);
			assert.equal(dev.stats.faults + dev.stats.prefetched, dev.stats.migrated_in, size);
		}
	});

	it('demand paging needs about 512 / 27 batches per block: under 4x the density prefetcher\'s', () => {
		const demand = stream('none').dev.stats.fault_batches;
		assert.equal(demand, 19);
		assert.ok(demand / 5 < 4);
	});
});
