// experimental=dax_migration (issue 14): what the view shows of a DAX page copied to device memory
// (its struct page and the residency panel's CPU marks), that mainline with the mode compiled in
// but off refuses the migration, and the kernel functions the mode changed.
import * as assert from 'node:assert/strict';
import { Interpreter } from '../../src/lang/interp';
import { parse } from '../../src/lang/parser';
import { DAX_MIGRATION_HOOKS } from '../../src/engine/mm/dax_migration';
import { MARK } from '../../src/engine/view_residency';

const PAGE = 4096;

function run(src: string): Interpreter {
	const it = new Interpreter(parse(src, 'd.hmmw').program, src, { print: () => undefined });
	it.runToEnd();
	assert.equal(it.error, undefined, it.error?.message);
	return it;
}

const workload = (mode: string) => `${mode}
device gpu memory=16MiB policy=mirror
file pm size=64KiB = i
process p
gpu mirror p
a = mmap 64KiB dax pm rw shared
cpu read a
expect error EINVAL { migrate a -> gpu }
gpu write a[0:4KiB] = 1
`;

describe('experimental=dax_migration in the view', () => {
	it('a DAX page copied to a device says whether persistent memory holds its bytes, in the struct page and the marks', () => {
		const it = run(workload('system experimental=dax_migration'));
		assert.equal(it.failed, 1, 'the migration succeeds with the mode');
		const v = it.machine.view;
		const start = (it.vars.get('a') as { addr: number }).addr / PAGE;
		const dirty = v.page('p', start)!.page!;
		assert.equal(dirty.memory, 'gpu');
		assert.deepEqual(dirty.daxCopy, { file: 'pm', index: 0, persisted: false });
		assert.equal(dirty.pageCache, undefined, 'a DAX file has no page cache');
		assert.deepEqual(v.page('p', start + 1)!.page!.daxCopy, { file: 'pm', index: 1, persisted: true });
		const marks = v.residencyLayers('p', start, start + 16, 1)!.cpu;
		assert.deepEqual(marks, [MARK.UNPERSISTED, 1, 0, 15]);
		const sys = v.system().persistence;
		assert.deepEqual([sys.daxDevicePages, sys.daxUnpersisted], [16, 1]);
	});

	it('with the mode off migrate_vma_setup refuses the DAX VMA and the device writes persistent memory in place', () => {
		const it = run(workload(''));
		assert.equal(it.failed, 0);
		const v = it.machine.view;
		const start = (it.vars.get('a') as { addr: number }).addr / PAGE;
		const pg = v.page('p', start)!.page!;
		assert.equal(pg.memory, 'ram');
		assert.equal(pg.daxCopy, undefined);
		assert.ok(pg.flags.includes('DAX'));
		const marks = v.residencyLayers('p', start, start + 16, 1)!.cpu;
		assert.ok(marks.every((m, i) => i % 2 === 1 || (m & MARK.UNPERSISTED) === 0), 'nothing is unpersisted');
		assert.equal(marks[0] & MARK.REMOTE, MARK.REMOTE, 'the device maps the DAX page in place');
		assert.equal(v.system().persistence.daxDevicePages, 0);
	});

	it('names the kernel functions the mode changed', () => {
		assert.ok(DAX_MIGRATION_HOOKS.some(h => h.startsWith('migrate_vma_setup')));
		assert.ok(DAX_MIGRATION_HOOKS.some(h => h.startsWith('dax_writeback_mapping_range')));
	});
});
