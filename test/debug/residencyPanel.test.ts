// The residency panel's adapter side: exact counts in mixed cells, the marks layers (what each
// device maps: resident, in place, read-only, atomic; CPU pins and exclusive entries), device
// memory gauges with root chunks, what changed since the previous stop, the tooltip's page
// request, and the timeline with its click-to-travel.
import assert from 'node:assert/strict';
import { fixture, useSession } from './helpers';

const X = 0x7effffff0000;
const PAGE = 4096;
// view_residency.ts MARK bits
const RESIDENT = 1, REMOTE = 2, EXCLUSIVE = 16, PINNED = 32;

interface Body {
	pagesPerCell: number; legend: string[]; runs: number[]; counts: number[]; marks: number[];
	devices: { device: string; runs: number[]; pages: Record<string, number> }[];
	gauges: { name: string; usedPages: number; capacityPages: number; chunks?: { used: number; total: number } }[];
	changed?: { pages: number; runs: number[] };
}
interface Timeline { start: number; end: number; now: number; bins: number; lanes: string[]; cells: number[]; totals: number[]; dropped: number }

describe('debug adapter: residency panel requests', function () {
	this.timeout(30000);
	const s = useSession();
	const PANEL = fixture('panel.hmmw');
	const res = async (args: Record<string, unknown> = {}) => (await s().dc.customRequest('residency', { process: 'p', ...args })).body as Body;
	const next = async (line: number) => { await s().dc.nextRequest({ threadId: 1 }); await s().stopped('step', line); };
	const X16 = { start: X, end: X + 16 * PAGE };

	it('a device read maps RAM pages in place: the map changes though no page moved (dmirror_fault)', async () => {
		await s().launch(PANEL, { breakpoints: [{ line: 9 }] });
		await s().stopped('breakpoint', 9);
		let r = await res(X16);
		assert.deepEqual([r.runs, r.marks, r.devices[0].runs, r.changed], [[2, 16], [0, 16], [0, 16], undefined]);
		await next(10);
		r = await res(X16);
		assert.deepEqual(r.runs, [2, 16], 'the read migrated nothing');
		assert.deepEqual(r.devices[0], { device: 'gpu', runs: [REMOTE, 4, 0, 12], pages: { resident: 0, remote: 4, copy: 0, readonly: 0, atomic: 0 } });
		assert.deepEqual(r.marks, [REMOTE, 4, 0, 12], 'the CPU layer shows pages a device maps in place');
		assert.deepEqual(r.changed, { pages: 0, runs: [0, 16] });
	});

	it('outlines what moved since the previous stop, with exact counts in mixed cells', async () => {
		await s().launch(PANEL, { breakpoints: [{ line: 10 }] });
		await s().stopped('breakpoint', 10);
		await res(X16);
		await next(11);
		let r = await res(X16);
		assert.deepEqual(r.changed, { pages: 4, runs: [0, 8, 1, 4, 0, 4] });
		assert.deepEqual(r.devices[0].runs, [REMOTE, 4, 0, 4, RESIDENT, 4, 0, 4]);
		// asking again at the same stop (a zoom) still compares with the previous stop
		r = await res({ start: X + 8 * PAGE, end: X + 12 * PAGE });
		assert.deepEqual(r.changed, { pages: 4, runs: [1, 4] });
		// 6 pages a cell: [6, 12) holds ram and gpu pages; counts stay exact whatever the cells
		r = await res({ ...X16, maxCells: 3 });
		assert.equal(r.pagesPerCell, 6);
		assert.deepEqual(r.runs, [2, 1, 6, 1, 2, 1]);
		assert.deepEqual(r.counts, [0, 0, 12, 0, 4, 0, 0]);
		assert.equal(r.legend[6], 'mixed');
	});

	it('marks pins and exclusive entries; the tooltip request gives PTE, counts, mappers and a breakdown', async () => {
		await s().launch(PANEL, { breakpoints: [{ line: 13 }] });
		await s().stopped('breakpoint', 13);
		const r = await res(X16);
		assert.deepEqual(r.marks, [REMOTE, 4, 0, 8, PINNED, 1, EXCLUSIVE | REMOTE, 1, 0, 2]);
		assert.deepEqual(r.devices[0].pages, { resident: 4, remote: 5, copy: 0, readonly: 0, atomic: 1 });
		const page = (await s().dc.customRequest('residencyPage', { process: 'p', address: X + 13 * PAGE + 100 })).body;
		assert.deepEqual(page, {
			process: 'p', address: X + 13 * PAGE, vpn: X / PAGE + 13, location: 'ram', pte: { type: 'excl', flags: ['write'], pfn: page.pte.pfn },
			refcount: 1, mapcount: 1, pincount: 0, mappedBy: [{ device: 'gpu', perm: 'atomic', how: 'remote' }],
			vma: 'anon private rw- 0x7effffff0000–0x7effffffffff', breakdown: { ram: 1 }, pages: 1,
		});
		const pinned = (await s().dc.customRequest('residencyPage', { address: X + 12 * PAGE })).body;
		assert.equal(pinned.pincount, 1);
		const gpuPage = (await s().dc.customRequest('residencyPage', { address: X + 8 * PAGE, pages: 16 })).body;
		assert.deepEqual([gpuPage.location, gpuPage.pte.type, gpuPage.mappedBy], ['gpu', 'devpriv', [{ device: 'gpu', perm: 'rw', how: 'resident' }]]);
		assert.deepEqual(gpuPage.breakdown, { gpu: 4, ram: 4, none: 8 }, 'pages [8, 24): 4 gpu, 4 ram, 8 past the VMA');
		await assert.rejects(s().dc.customRequest('residencyPage', { pages: 2 }), /address/);
	});

	it('gauges: device memory used, and root chunks of a policy=migrate device', async () => {
		await s().launch(PANEL, { breakpoints: [{ line: 18 }] });
		await s().stopped('breakpoint', 18);
		const r = await res();
		assert.deepEqual(r.gauges, [
			{ name: 'gpu', usedPages: 4, capacityPages: 16384 },
			{ name: 'uvm', usedPages: 1024, capacityPages: 3072, chunks: { used: 2, total: 6 } },
		]);
		assert.deepEqual(r.devices.map(d => [d.device, d.pages.resident]), [['gpu', 4], ['uvm', 1024]]);
	});

	it('timeline: faults, batches, migrations by cause, invalidations; a click travels to the event', async () => {
		await s().launch(PANEL, { breakpoints: [{ line: 18 }] });
		await s().stopped('breakpoint', 18);
		const t = (await s().dc.customRequest('timeline', { bins: 10 })).body as Timeline;
		const total = (lane: string) => t.totals[t.lanes.indexOf(lane)];
		// 38 batches of 256-thread blocks' interleaved faults (docs/device-model.md); one spans two VA blocks, so 39 migrations
		assert.deepEqual(['page-fault', 'device-fault', 'migration: migrate', 'fault-batch', 'migration: device-fault'].map(total), [1, 1, 1, 38, 39]);
		assert.ok(total('invalidation') > 0);
		assert.equal(t.bins, 10);
		assert.ok(t.now >= t.cells[5] && t.end > t.now);
		// every non-empty (lane, bin): the batches spread over the kernel's whole time
		const batches = t.cells.filter((_, i) => i % 6 === 0).filter(l => l === t.lanes.indexOf('fault-batch')).length;
		assert.ok(batches >= 9, `fault batches in ${batches} bins`);
		// the migration to gpu: travel back to the start of its statement (line 10)
		const k = t.lanes.indexOf('migration: migrate');
		const at = t.cells.findIndex((v, i) => i % 6 === 0 && v === k);
		await s().dc.customRequest('timelineGoto', { step: t.cells[at + 4], label: 'migration' });
		const stop = await s().stopped('step', 10);
		assert.match(stop.description ?? '', /timeline: before migration/);
		// the future stays clickable: travel forward to the first fault batch (the kernel, line 15)
		const b = t.cells.findIndex((v, i) => i % 6 === 0 && v === t.lanes.indexOf('fault-batch'));
		await s().dc.customRequest('timelineGoto', { step: t.cells[b + 4] });
		await s().stopped('step', 15);
		const after = (await s().dc.customRequest('timeline', { bins: 10 })).body as Timeline;
		assert.deepEqual(after.totals, t.totals, 'travel keeps the recorded run');
		// running forward from here records it again, once
		await s().cont();
		await s().stopped('breakpoint', 18);
		const again = (await s().dc.customRequest('timeline', { bins: 10 })).body as Timeline;
		assert.deepEqual(again.totals, t.totals);
	});
});
