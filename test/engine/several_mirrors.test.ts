// Several open files of one dmirror device on one process (lib/test_hmm.c dmirror_fops_open): each
// its own table and notifier; dmirror_interval_invalidate's MIGRATE skip compares the device, so
// the files that did not migrate keep stale entries (device/mirror_stale.ts). What the view and
// the debugger see of each file.
import * as assert from 'node:assert/strict';
import { run } from './helpers';

const PAGE = 4096;

const SCRIPT = [
	'device gpu memory=1GiB kind=private',
	'process p',
	'gpu mirror p',
	'gpu mirror p as f1',
	'X = mmap 4 pages anon rw',
	'cpu write X = i',
	'f1 read X',
	'migrate X -> gpu',
].join('\n');

describe('several open files of one device (dmirror_fops_open)', () => {
	it('lists every file with its own table, and the entries the MIGRATE skip left stale', () => {
		const i = run(SCRIPT);
		const d = i.machine.view.device('gpu')!;
		assert.deepEqual(d.mirrors.map(m => [m.process, m.handle, m.entries, m.stale]), [['p', undefined, 4, undefined], ['p', 'f1', 4, 4]]);
		const x = i.machine.proc('p').vmas.list[0].start;
		const rec = i.machine.view.page('p', x)!;
		assert.deepEqual(rec.mirrors.map(e => [e.handle, e.perm, e.own ?? false, e.stale ?? false]), [[undefined, 'rw', true, false], ['f1', 'rw', false, true]]);
		const table = i.machine.view.mirrorEntries('gpu', 'p', { handle: 'f1' });
		assert.equal(table.length, 4);
		assert.ok(table.every(e => e.stale && e.address >= x * PAGE));
	});

	it('an invalidation that reaches the file erases its stale entries; a fault maps the page anew', () => {
		const i = run(SCRIPT + '\nmigrate X -> ram\nf1 read X');
		// migrate -> ram goes through the device's first file (fd0), skipped by f1 again; f1's
		// READ then finds its stale entries and needs no fault, so they stay stale
		assert.equal(i.machine.view.device('gpu')!.mirrors[1].stale, 4);
		assert.equal(i.machine.last.faults, 0);
		// mprotect's PROTECTION_VMA invalidation is not a MIGRATE: f1 drops its entries, and its
		// next READ faults the device's own pages in (dmirror_do_fault)
		const j = run(SCRIPT + '\nmprotect X r\nf1 read X');
		const f1 = j.machine.view.device('gpu')!.mirrors[1];
		assert.deepEqual([f1.entries, f1.stale, j.machine.last.faults], [4, undefined, 1]);
		const x = j.machine.proc('p').vmas.list[0].start;
		assert.deepEqual(j.machine.view.page('p', x)!.mirrors.map(e => [e.handle, e.perm, e.own ?? false]), [[undefined, 'none', false], ['f1', 'r', true]]);
	});

	it('exit releases every file, the named ones included (mmu_notifier_release)', () => {
		const i = run(SCRIPT + '\nexit p');
		assert.deepEqual(i.machine.view.device('gpu')!.mirrors, []);
	});

	it('refuses a second unnamed mirror and a policy=migrate device', () => {
		const i = run('device gpu memory=1GiB\nprocess p\ngpu mirror p\nexpect error EINVAL {\n\tgpu mirror p\n}\ndevice u memory=1GiB policy=migrate\nexpect error EINVAL {\n\tu mirror p as f2\n}');
		assert.deepEqual(i.failures, []);
	});
});
