// The density prefetcher's first-touch rule (uvm_perf_prefetch_prenotify_fault_migrations): when a
// VA block is resident nowhere (va_block->resident empty) and the destination is the range's
// preferred location, the whole prefetch region is populated at once, without the tree.
import * as assert from 'node:assert/strict';
import { run } from './helpers';
import { uvm_perf_prefetch_get_hint } from '../../src/engine/device/uvm/perf_prefetch';

const kernelOf = (src: string) => run(src).machine.kernels.at(-1)!;
const FRESH = (opts: string, advice: string, fill = '') => `device gpu memory=64MiB policy=migrate${opts}\ndevice other memory=64MiB policy=migrate\n`
	+ `process p\nX = mmap 16MiB anon rw\n${fill}${advice}kernel gpu { write X = i }\nexpect matches(X, i)\n`;

describe('prefetch on a first touch by the preferred location (uvm_perf_prefetch_prenotify_fault_migrations)', () => {
	it('uvm_perf_prefetch_get_hint with firstTouch: the whole [first, last) but the faulted and resident pages, one region', () => {
		const faulted = new Uint8Array(512), resident = new Uint8Array(512);
		faulted[10] = 1; faulted[11] = 1; resident[300] = 1;
		const h = uvm_perf_prefetch_get_hint({ faulted, resident, first: 4, last: 500, threshold: 51, firstTouch: true });
		assert.equal(h.count, 496 - 3);
		assert.deepEqual(h.regions, [{ first: 4, last: 500, occupied: 2, size: 496 }]);
		assert.equal(h.pages[3], 0);
		assert.equal(h.pages[10], 0);
		assert.equal(h.pages[300], 0);
		assert.equal(h.pages[499], 1);
	});

	it('fresh memory, preferred=gpu, prefetch=density: one fault batch per 2 MiB VA block', () => {
		const k = kernelOf(FRESH(' prefetch=density', 'advise X preferred=gpu\n'));
		assert.equal(k.batches, 8);
		assert.equal(k.migrated, 4096);
	});

	it('without the preferred location, or with prefetch=none, the tree (or nothing) decides: many more batches', () => {
		const tree = kernelOf(FRESH(' prefetch=density', ''));
		const demand = kernelOf(FRESH('', 'advise X preferred=gpu\n'));
		assert.ok(tree.batches > 8 * 3, `${tree.batches}`);
		assert.ok(demand.batches >= 10 * 8, `${demand.batches}`);
		assert.equal(demand.prefetched, 0);
	});

	it('a block the CPU already wrote is no first touch: the tree decides', () => {
		const k = kernelOf(FRESH(' prefetch=density', 'advise X preferred=gpu\n', 'cpu write X = 0\n'));
		assert.ok(k.batches > 8 * 3, `${k.batches}`);
	});

	it('another GPU faulting on fresh memory whose preferred location is a peer populates whole blocks there (rule 7 with the first-touch prefetch)', () => {
		const it = run(FRESH(' prefetch=density', 'advise X preferred=other\n'));
		const k = it.machine.kernels.at(-1)!;
		assert.equal(k.batches, 8);
		assert.equal(it.machine.k.device('other').stats.migrated_in, 4096);
		assert.equal(it.machine.k.device('gpu').stats.migrated_in, 0);
	});
});
