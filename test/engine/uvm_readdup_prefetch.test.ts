// Read duplication through the density prefetcher: uvm_va_block_service_locked asks
// uvm_va_block_get_prefetch_hint (uvm_perf_prefetch_get_hint_va_block) for one tree over every page
// headed for the faulting GPU, copies included, and gives the pages it adds access type PREFETCH,
// which read-duplicates them in a read-mostly range (block_select_processor_residency), clipped to
// the VMA and the policy range (uvm_hmm_get_prefetch_region).
import * as assert from 'node:assert/strict';
import { run } from './helpers';
import { PAGE_SIZE } from '../../src/engine/mm/content';

function table(prefetch: 'none' | 'density', extra = 'advise T read_mostly=on\n', read = 'pages(T, 0, 40)') {
	const it = run(`device gpu0 memory=64MiB policy=migrate prefetch=${prefetch}\nprocess p\ngpu0 mirror p\n`
		+ `T = mmap 2MiB anon rw\ncpu write T = i * 3\n${extra}kernel gpu0 { read ${read} }\n`);
	const m = it.machine;
	const T = it.vars.get('T') as { addr: number; len: number };
	const copiesIn = (from: number, n: number) => m.copies({ addr: T.addr + from * PAGE_SIZE, len: n * PAGE_SIZE }, 'gpu0');
	return { m, gpu0: m.k.device('gpu0'), copiesIn, vpn: T.addr / PAGE_SIZE };
}

describe('read duplication through the prefetcher (uvm_perf_prefetch_get_hint_va_block)', () => {
	it('prefetch=none duplicates only the faulted pages', () => {
		const { gpu0, copiesIn } = table('none');
		assert.equal(copiesIn(0, 512), 40);
		assert.equal(gpu0.stats.prefetched, 0);
	});

	it('prefetch=density duplicates the region the tree selects, as read-only copies, migrating nothing', () => {
		const { m, gpu0, copiesIn, vpn } = table('density');
		const copies = copiesIn(0, 512);
		assert.equal(copiesIn(0, 40), 40, 'every faulted page has its copy');
		// 40 faulted pages grow to three big pages (48): [0, 64) is 75 % occupied, above 51 %
		assert.equal(copies, 64, 'the tree adds the big pages and the subtree around them');
		assert.equal(gpu0.stats.prefetched + gpu0.stats.faults, copies, 'every copy is a faulted page or a prefetched one');
		assert.ok(gpu0.stats.faults < 40, 'prefetched copies spared later faults');
		assert.equal(gpu0.stats.read_duplicated, copies);
		assert.equal(gpu0.stats.migrated_in, 0);
		assert.equal(m.view.where('p', vpn, vpn + 512), 'ram', 'the CPU keeps every page');
		const regions = gpu0.uvm!.last!.blocks[0].prefetch;
		assert.ok(regions.length > 0, 'the batch records the tree decision');
		assert.ok(m.matches({ addr: vpn * PAGE_SIZE, len: 2 * 2 ** 20 }, i => i * 3), 'the data is intact');
	});

	it('the region is clipped to the policy range: pages outside the read-mostly run are neither copied nor migrated', () => {
		const { gpu0, copiesIn } = table('density', 'advise pages(T, 0, 44) read_mostly=on\n');
		assert.equal(copiesIn(0, 44), 44, 'inside the range: faulted and prefetched pages are copies');
		assert.equal(copiesIn(44, 468), 0);
		assert.equal(gpu0.stats.migrated_in, 0, 'the other policy range is not prefetched into from here');
		assert.equal(gpu0.stats.prefetched + gpu0.stats.faults, 44);
	});

	it('a later read of the prefetched pages does not fault', () => {
		const { m } = table('density', 'advise T read_mostly=on\n', 'pages(T, 0, 40)\n}\nkernel gpu0 { read pages(T, 40, 24)');
		assert.equal(m.k.device('gpu0').uvm!.space.kernels.at(-1)!.faults, 0);
	});
});
