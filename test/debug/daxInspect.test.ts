// experimental=dax_migration in the debugger (issue 14): a DAX page's device copy says in its
// struct page whether persistent memory holds its bytes, the residency request marks the cells of
// unpersisted copies, and the Statistics scope shows the DAX and crash figures.
import assert from 'node:assert/strict';
import { fixture, useSession } from './helpers';

const UNPERSISTED = 64;

describe('debug adapter: DAX pages copied to device memory', function () {
	this.timeout(20000);
	const s = useSession();
	const DAX = fixture('dax.hmmw');

	it('a copy not written back reads "not persisted"; the others "persisted"; the panel marks the first', async () => {
		await s().launch(DAX, { breakpoints: [{ line: 10 }] });
		await s().stopped('breakpoint', 10);
		const vma = (await s().vars((await s().lookup('Processes', 'p', 'VMAs')).variablesReference))[0];
		const pages = await s().vars(vma.variablesReference, { filter: 'indexed', start: 0, count: 2 });
		const first = await s().children(pages[0].variablesReference);
		assert.equal(first.get('memory')?.value, 'gpu (device)');
		assert.match(first.get('DAX')?.value ?? '', /^pm page 0: copied to device, not persisted/);
		const second = await s().children(pages[1].variablesReference);
		assert.match(second.get('DAX')?.value ?? '', /^pm page 1: copied to device, persisted/);
		const r = (await s().dc.customRequest('residency', { process: 'p' })).body as { marks: number[] };
		assert.equal(r.marks[0] & UNPERSISTED, UNPERSISTED);
	});

	it('Statistics show the copies, and after the crash what it lost', async () => {
		await s().launch(DAX, { breakpoints: [{ line: 12 }] });
		await s().stopped('breakpoint', 12);
		assert.equal(await s().evaluate('system.crashes'), '1');
		assert.equal(await s().evaluate('lost(X)'), '4096');
		assert.equal(await s().evaluate('system.lost_bytes'), '4096');
		const stats = await s().children((await s().scopes()).get('Statistics')!.variablesReference);
		assert.equal(stats.get('crashes')?.value, '1');
	});
});
