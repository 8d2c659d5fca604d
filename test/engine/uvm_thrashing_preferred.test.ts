// The fault service hands the range's preferred location to uvm_perf_thrashing_get_hint, as
// uvm_va_block_service_locked does: get_hint_for_migration_thrashing pins a thrashing page at the
// preferred location when every thrashing processor can map it, and a faulting processor that is
// the preferred location gets the pin once it was spared pin_threshold times. Under HMM the CPU
// cannot map device memory and a CPU fault always brings the page home (block_select_residency),
// so a page pinned at the GPU keeps moving on the CPU's faults, but the GPU is no longer throttled.
import * as assert from 'node:assert/strict';
import { run } from './helpers';

const PINGPONG = (advice: string) => 'device gpu memory=1GiB policy=migrate thrashing_threshold=3 thrashing_lapse=1ms thrashing_pin_threshold=4\n'
	+ `process app\ngpu mirror app\nX = mmap 64KiB anon rw\ncpu write X = i\n${advice}`
	+ 'v = 0\nrepeat 30 {\n\tv = v + 1\n\tkernel gpu { write page(X, 0) = i + v }\n\tcpu write page(X, 0) = i - v\n}\n'
	+ 'expect word(page(X, 0), 5) == 5 - v\n';

describe('thrashing hints see the preferred location (uvm_perf_thrashing_get_hint from uvm_va_block_service_locked)', () => {
	it('without advice the ping-pong page is pinned to system memory and the GPU maps it remotely', () => {
		const gpu = run(PINGPONG('')).machine.k.device('gpu');
		assert.ok(gpu.stats.thrash_pins > 0);
		assert.ok(gpu.stats.remote_bytes > 0);
		assert.ok(gpu.stats.migrated_in < 30, `${gpu.stats.migrated_in}`);
	});

	it('get_hint_for_migration_thrashing: with preferred=gpu the pin is at the GPU, which then migrates the page without throttles or remote access', () => {
		const plain = run(PINGPONG('')).machine.k.device('gpu');
		const gpu = run(PINGPONG('advise X preferred=gpu\n')).machine.k.device('gpu');
		assert.ok(gpu.stats.thrash_pins > 0, 'the page was pinned');
		assert.equal(gpu.stats.remote_bytes, 0, 'never mapped in system memory');
		assert.equal(gpu.stats.migrated_in, 30, 'every GPU turn brings the page back: the CPU\'s HMM faults still take it home');
		assert.ok(gpu.stats.throttled <= plain.stats.throttled);
	});
});
