// Eviction into a full RAM (evict_root_chunk -> migrate_vma to system memory): the pages get RAM
// the way the driver's CPU allocations do (migrate_alloc_on_cpu, reclaim allowed), so direct
// reclaim swaps cold anonymous pages out first and the eviction goes on: an oversubscribed
// device never fails with ENOMEM while swap has room, and no byte is lost.
import * as assert from 'node:assert/strict';
import { run } from './helpers';

describe('evict_root_chunk into a full RAM: direct reclaim to swap (try_to_free_pages)', () => {
	it('a kernel writing 24 MiB through an 8 MiB device with 16 MiB of RAM and swap completes, evicting and swapping, with every byte kept', () => {
		const it = run('system ram=16MiB swap=64MiB\ndevice gpu memory=8MiB policy=migrate\nprocess p\ngpu mirror p\n'
			+ 'X = mmap 24MiB anon rw\ncpu write X = i\nkernel gpu "w" { write X = i + 1 }\n'
			+ 'expect matches(X, i + 1)\nexpect count(X, swap) > 0 and count(X, gpu) > 0\n');
		const gpu = it.machine.k.device('gpu');
		assert.ok(gpu.stats.evicted > 0);
		assert.equal(it.machine.kernels.at(-1)!.evicted, gpu.stats.evicted);
		assert.ok(it.machine.view.system().swapOuts > 0, 'reclaim swapped pages out to make room');
	});
});
