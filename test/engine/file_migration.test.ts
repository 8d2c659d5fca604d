// experimental=file_migration (issue 14): what the view shows of a page-cache page in device
// memory, and that mainline with the mode compiled in but off keeps file pages in RAM.
import * as assert from 'node:assert/strict';
import { Interpreter } from '../../src/lang/interp';
import { parse } from '../../src/lang/parser';
import { FILE_MIGRATION_HOOKS } from '../../src/engine/mm/file_migration';
import { MARK } from '../../src/engine/view_residency';

const PAGE = 4096;

function run(src: string): Interpreter {
	const it = new Interpreter(parse(src, 'f.hmmw').program, src, { print: () => undefined });
	it.runToEnd();
	assert.equal(it.error, undefined, it.error?.message);
	return it;
}

const workload = (mode: string) => `${mode}
device gpu memory=16MiB policy=migrate
file data size=64KiB = i
process p
gpu mirror p
a = mmap 64KiB file data rw shared
cpu write a[0:4KiB] = 1
cpu read a[4KiB:64KiB]
migrate a -> gpu
`;

describe('experimental=file_migration in the view', () => {
	it('a page-cache page in device memory shows its file, index and dirty state', () => {
		const it = run(workload('system experimental=file_migration'));
		const v = it.machine.view;
		const first = v.system().fileMigration;
		assert.equal(first.devicePages, 16);
		assert.equal(first.deviceDirty, 1);
		const start = (it.vars.get('a') as { addr: number }).addr / PAGE;
		const dirty = v.page('p', start)!.page!;
		assert.equal(dirty.memory, 'gpu');
		assert.deepEqual(dirty.pageCache, { file: 'data', index: 0, dirty: true });
		assert.deepEqual(v.page('p', start + 5)!.page!.pageCache, { file: 'data', index: 5, dirty: false });
	});

	it('the residency panel marks the dirty page in device memory as not written back, and no mark after sync', () => {
		const it = run(workload('system experimental=file_migration'));
		const start = (it.vars.get('a') as { addr: number }).addr / PAGE;
		assert.deepEqual(it.machine.view.residencyLayers('p', start, start + 16, 1)!.cpu, [MARK.UNPERSISTED, 1, 0, 15]);
		const synced = run(workload('system experimental=file_migration') + 'sync data\n');
		const s2 = (synced.vars.get('a') as { addr: number }).addr / PAGE;
		assert.equal(synced.machine.view.system().fileMigration.deviceDirty, 0);
		assert.deepEqual(synced.machine.view.residencyLayers('p', s2, s2 + 16, 1)!.cpu, [0, 16]);
	});

	it('with the mode off the same workload leaves every page in the RAM page cache', () => {
		const it = run(workload(''));
		const v = it.machine.view;
		const start = (it.vars.get('a') as { addr: number }).addr / PAGE;
		assert.equal(v.system().fileMigration.devicePages, 0);
		assert.equal(v.page('p', start)!.page!.memory, 'ram');
		assert.deepEqual(v.page('p', start)!.page!.pageCache, { file: 'data', index: 0, dirty: true });
	});

	it('names the kernel functions the mode changed', () => {
		assert.ok(FILE_MIGRATION_HOOKS.some(h => h.startsWith('migrate_vma_pages')));
		assert.ok(FILE_MIGRATION_HOOKS.some(h => h.startsWith('filemap_get_folio')));
	});
});
