// A timeline click lands at the event itself: time travel to the boundary before the statement
// that raised it, then the statement runs forward to that event (src/debug/timelineGoto.ts). The
// machine is then as it was at the event, halfway through a long statement: a policy=migrate
// device's kernel services 38 fault batches (uvm_parent_gpu_service_replayable_faults; the SMs'
// faults interleaved, docs/device-model.md), each migrating its pages (uvm_va_block_make_resident),
// in one statement.
import assert from 'node:assert/strict';
import { fixture, useSession } from './helpers';

interface Timeline { start: number; end: number; now: number; bins: number; lanes: string[]; cells: number[]; nth: number[]; totals: number[]; dropped: number }
interface Cell { lane: string; bin: number; events: number; pages: number; step: number; time: number; nth: number }

const cellsOf = (t: Timeline): Cell[] => t.nth.map((nth, c) => {
	const [lane, bin, events, pages, step, time] = t.cells.slice(c * 6, c * 6 + 6);
	return { lane: t.lanes[lane], bin, events, pages, step, time, nth };
});

describe('debug adapter: a timeline click lands at the event', function () {
	this.timeout(30000);
	const s = useSession();
	const PANEL = fixture('panel.hmmw');
	const timeline = async (args: Record<string, number> = {}) => (await s().dc.customRequest('timeline', { bins: 20, ...args })).body as Timeline;
	const uvmResident = async () => {
		const r = (await s().dc.customRequest('residency', { process: 'p' })).body as { devices: { device: string; pages: { resident: number } }[] };
		return r.devices.find(d => d.device === 'uvm')!.pages.resident;
	};
	/** pages the timeline shows migrated to uvm by its faults before `t` (ns) */
	const migratedBefore = async (t: number) => cellsOf(await timeline({ start: 0, end: t, bins: 4096 }))
		.filter(c => c.lane === 'migration: device-fault').reduce((n, c) => n + c.pages, 0);

	it('a fault batch halfway through a kernel: stopped inside the statement, the pages migrated so far match', async () => {
		await s().launch(PANEL, { breakpoints: [{ line: 18 }] });
		await s().stopped('breakpoint', 18);
		const t = await timeline();
		const batches = cellsOf(t).filter(c => c.lane === 'fault-batch');
		assert.ok(batches.length >= 10, `the kernel's batches spread over the bins (${batches.length})`);
		const mid = batches[Math.floor(batches.length / 2)];
		// each batch raises its timeline events in order: the batch, then its migration(s)
		assert.ok(mid.nth > 10, `the batch is deep inside the statement (event ${mid.nth})`);
		await s().dc.customRequest('timelineGoto', { step: mid.step, nth: mid.nth, label: 'fault-batch' });
		// the client learns the thread ran, so it shows the stop that follows as a new one
		assert.equal((await s().next('continued')).body.allThreadsContinued, true);
		const stop = await s().stopped('step', 15);
		const batchPages = /^timeline: at fault batch: (\d+) pages from \d+ entries at 0x7effff/.exec(stop.description ?? '');
		assert.ok(batchPages, stop.description);
		assert.equal(stop.frames[0].name.startsWith('uvm_parent_gpu_service_replayable_faults('), true, 'stopped in the kernel path, not at the statement');
		// the Event scope and the machine are as at that event
		assert.equal(await s().evaluate('event.kind'), '"fault-batch"');
		assert.equal(await s().evaluate('event.npages'), batchPages[1]);
		const resident = await uvmResident();
		assert.equal(resident, await migratedBefore(mid.time), 'the earlier batches\' pages, as the timeline counts them');
		assert.ok(resident > 0 && resident < 1024);
		const here = await timeline();
		assert.equal(here.now, mid.time, 'the panel marks the event\'s time');
		assert.deepEqual(here.totals, t.totals, 'the recorded run is kept');

		// the next event of the same statement: its migration, raised before the pages move
		await s().dc.customRequest('timelineGoto', { step: mid.step, nth: mid.nth + 1, label: 'migration' });
		const m = await s().stopped('step', 15);
		assert.match(m.description ?? '', /^timeline: at migration of \d+ pages .*cause device-fault/);
		assert.equal(await uvmResident(), resident);

		// stepping back from inside lands at the statement's start, where nothing has moved
		await s().dc.stepBackRequest({ threadId: 1 });
		await s().stopped('step', 15);
		assert.equal(await uvmResident(), 0);

		// back to the batch, then running on raises the rest of the statement once
		await s().dc.customRequest('timelineGoto', { step: mid.step, nth: mid.nth, label: 'fault-batch' });
		await s().stopped('step', 15);
		await s().cont();
		await s().stopped('breakpoint', 18);
		const again = await timeline();
		assert.deepEqual([again.totals, again.cells, again.nth], [t.totals, t.cells, t.nth], 'the same timeline, no event twice');
		assert.equal(await uvmResident(), 1024);
	});

	it('an event that no longer happens stops after its statement; a per-statement count at its start', async () => {
		await s().launch(PANEL, { breakpoints: [{ line: 18 }] });
		await s().stopped('breakpoint', 18);
		const t = cellsOf(await timeline());
		const batch = t.find(c => c.lane === 'fault-batch')!;
		await s().dc.customRequest('timelineGoto', { step: batch.step, nth: 100000, label: 'fault-batch' });
		const stop = await s().stopped('step', 18);
		assert.match(stop.description ?? '', /did not happen again/);
		const faults = t.find(c => c.lane === 'page-fault')!;
		assert.equal(faults.nth, -1);
		await s().dc.customRequest('timelineGoto', { step: faults.step, nth: faults.nth, label: 'page-fault' });
		const f = await s().stopped('step', 8);
		assert.match(f.description ?? '', /timeline: before page-fault/);
	});
});
