// oom_score_adj and the OOM killer for allocations outside the CPU fault path (mm/oom_kill.c).
import * as assert from 'node:assert/strict';
import { run } from './helpers';
import { oom_badness } from '../../src/engine/mm/oom_kill';

const victims = (i: ReturnType<typeof run>): string[] => i.machine.k.oomKills.map(l => /\((\w+)\)/.exec(l)![1]);

describe('oom_score_adj (oom_badness: adj *= totalpages / 1000)', () => {
	it('the kill message prints the adjustment, and the adjusted score picks the victim', () => {
		const i = run([
			'system ram=16MiB', 'process a', 'X = mmap 1024 pages anon rw', 'cpu write X = 1',
			'process b', 'Y = mmap 100 pages anon rw', 'cpu write Y = 1', 'oom_score_adj b 300',
			'process c', 'oom_score_adj c -1000', 'Z = mmap 3000 pages anon rw', 'cpu write Z = 1',
		].join('\n'));
		assert.deepEqual(victims(i), ['b']);
		assert.match(i.machine.k.oomKills[0], / oom_score_adj:300$/);
	});

	it('the division comes first: with fewer than 1000 pages of RAM and swap an adjustment adds nothing', () => {
		const i = run([
			'system ram=256 pages', 'process a', 'X = mmap 150 pages anon rw', 'cpu write X = 1',
			'process b', 'Y = mmap 20 pages anon rw', 'cpu write Y = 1', 'oom_score_adj b 1000',
			'process c', 'oom_score_adj c -1000', 'Z = mmap 100 pages anon rw', 'cpu write Z = 1',
		].join('\n'));
		assert.deepEqual(victims(i), ['a'], 'b\'s +1000 is 1000 * (256 / 1000) = 0 points');
	});

	it('totalpages counts swap: the same adjustment weighs more with a swap area', () => {
		const i = run('system ram=16MiB swap=16MiB\nprocess a\noom_score_adj a 10\nprocess b');
		const a = i.machine.proc('a'), b = i.machine.proc('b');
		assert.equal(oom_badness(i.machine.k, a)!.points - oom_badness(i.machine.k, b)!.points, 10 * Math.floor(8192 / 1000));
		i.machine.setOomScoreAdj('a', -1000);
		assert.equal(oom_badness(i.machine.k, a), undefined, 'OOM_SCORE_ADJ_MIN: LONG_MIN, never chosen');
	});
});

describe('the OOM killer outside the CPU fault path', () => {
	it('fork of pinned pages kills another process, never the child being built', () => {
		const i = run([
			'system ram=64 pages', 'process h', 'A = mmap 20 pages anon rw', 'cpu write A = 1',
			'process p', 'oom_score_adj p -1000', 'X = mmap 30 pages anon rw', 'cpu write X = i', 'pin X',
			'fork c', 'use c', 'expect matches(X, i)',
		].join('\n'));
		assert.deepEqual(victims(i), ['h']);
	});

	it('fork of pinned pages with nobody to kill still fails with ENOMEM', () => {
		run([
			'system ram=64 pages', 'process p', 'oom_score_adj p -1000', 'X = mmap 40 pages anon rw', 'cpu write X = i', 'pin X',
			'expect error ENOMEM {\n fork c\n}',
		].join('\n'));
	});

	it('MIGRATE_TO_SYS kills the current process when it is the worst: SIGKILL, its pages freed', () => {
		const i = run([
			'system ram=64 pages', 'device gpu memory=1MiB kind=private huge=off', 'process p', 'gpu mirror p',
			'D = mmap 32 pages anon rw', 'cpu write D = i', 'migrate D -> gpu', 'F = mmap 60 pages anon rw', 'cpu write F = 1',
			'expect error SIGKILL {\n migrate D -> ram\n}', 'expect gpu.used == 0',
		].join('\n'));
		assert.deepEqual(victims(i), ['p']);
		assert.equal(i.machine.k.frames.ramUsed, 0);
	});
});
