// The device model's per-page and per-range state in the view, for the debugger's Devices
// section: pages the thrashing detector tracks (uvm_perf_thrashing: thrashing, throttled, pinned)
// and the advice runs in effect (uvm_va_policy). An unmapped range loses its advice, as
// uvm_hmm_invalidate calls uvm_va_policy_clear on MMU_NOTIFY_UNMAP.
import * as assert from 'node:assert/strict';
import { run } from './helpers';
import { PAGE_SIZE } from '../../src/engine/mm/content';

const PINGPONG = 'device gpu memory=1GiB policy=migrate thrashing_threshold=3 thrashing_lapse=1ms thrashing_pin_threshold=4\n'
	+ 'process app\ngpu mirror app\nX = mmap 64KiB anon rw\ncpu write X = i\n'
	+ 'repeat 20 {\n\tkernel gpu { write page(X, 0) = i }\n\tcpu write page(X, 0) = i\n}\n';

describe('device model view: thrashing pages and advice (uvm_perf_thrashing, uvm_va_policy)', () => {
	it('thrashingPages: the ping-pong page is listed with its events, throttles and its pin to system memory', () => {
		const it = run(PINGPONG);
		const X = it.vars.get('X') as { addr: number };
		const t = it.machine.view.device('gpu')!.model!.thrashing;
		assert.equal(t.count, 1);
		assert.equal(t.pages[0].process, 'app');
		assert.equal(t.pages[0].address, X.addr);
		assert.equal(t.pages[0].pinnedTo, 'ram');
		assert.ok(t.pages[0].pinnedUntil! > it.machine.view.system().time);
		assert.ok(t.pages[0].events >= 3);
	});

	it('a page that never thrashed is not listed', () => {
		const it = run('device gpu memory=64MiB policy=migrate\nprocess p\ngpu mirror p\nX = mmap 2MiB anon rw\nkernel gpu { read X }\n');
		assert.deepEqual(it.machine.view.device('gpu')!.model!.thrashing, { count: 0, pages: [] });
	});

	it('advice runs: preferred, accessed_by and read_mostly over their ranges, merged per uvm_va_policy', () => {
		const it = run('device g0 memory=64MiB policy=migrate\ndevice g1 memory=64MiB policy=migrate\nprocess p\ng0 mirror p\ng1 mirror p\n'
			+ 'X = mmap 4MiB anon rw\nadvise X[0:2MiB] preferred=g1\nadvise X accessed_by=g0\nadvise X[2MiB:] read_mostly=on\n');
		const X = it.vars.get('X') as { addr: number; len: number };
		const advice = it.machine.view.device('g0')!.model!.advice;
		assert.deepEqual(advice, [
			{ process: 'p', start: X.addr, end: X.addr + 2 * 2 ** 20, preferred: 'g1', accessedBy: ['g0'], readMostly: false },
			{ process: 'p', start: X.addr + 2 * 2 ** 20, end: X.addr + X.len, accessedBy: ['g0'], readMostly: true },
		]);
		assert.deepEqual(it.machine.view.device('g1')!.model!.advice, advice, 'advice is machine-wide');
	});

	it('uvm_va_policy_clear: munmap of part of an advised range drops the advice there (MMU_NOTIFY_UNMAP)', () => {
		const it = run('device gpu memory=64MiB policy=migrate\nprocess p\ngpu mirror p\nX = mmap 4MiB anon rw\nadvise X preferred=ram\n'
			+ 'kernel gpu { read X }\nmunmap X[0:1MiB]\n');
		const X = it.vars.get('X') as { addr: number; len: number };
		const advice = it.machine.view.device('gpu')!.model!.advice;
		assert.equal(advice.length, 1);
		assert.equal(advice[0].start, X.addr + 256 * PAGE_SIZE);
		assert.equal(advice[0].end, X.addr + X.len);
	});
});
