// Stepping into a kernel access by access: stepIn on a kernel line enters the launch, and each
// access of the body is a stop as a warp first issues it (the warp frame points at the body
// statement, the Event scope names the warp, its SM, the page and the fault buffer); next from
// there goes to the kernel's next access over the driver's work; next on the kernel line steps
// over the whole kernel; stepping changes neither simulated time nor counters.
import assert from 'node:assert/strict';
import { fixture, Session, useSession } from './helpers';

describe('debug adapter: stepping into a kernel access by access', function () {
	this.timeout(30000);
	const s = useSession();
	const prog = fixture('kernelsteps.hmmw');

	/** Steps from the kernel line into the launch, to its first access. */
	async function toFirstAccess(): Promise<void> {
		await s().launch(prog, { breakpoints: [{ line: 6 }] });
		await s().stopped('breakpoint', 6);
		await s().dc.stepInRequest({ threadId: 1 });
		const st = await s().stopped('step', 6);
		assert.match(st.frames[0].name, /^kernel steps\(/, 'the launch is a kernel frame');
		await s().dc.stepInRequest({ threadId: 1 });
	}

	it('stops at each access as a warp issues it, with the warp frame on the body line', async () => {
		await toFirstAccess();
		let st = await s().stopped('step', 8);
		assert.deepEqual(st.frames.map(f => f.name.replace(/\(.*/, '')), ['warp 0 · SM 0: read pages', 'kernel steps', 'kernel gpu "steps" {']);
		assert.equal(st.frames[0].name, 'warp 0 · SM 0: read pages(X, k * 64, 64)');
		assert.equal(st.frames[0].column, 3);
		assert.match(st.description ?? '', /^warp 0 on SM 0 issues read access to 64 pages at 0x[0-9a-f]+ of p: page 0x[0-9a-f]+, read faults: fault buffer 1\/256 entries$/);
		const ev = await s().children((await s().scopes()).get('Event')!.variablesReference);
		assert.equal(ev.get('warp')?.value, '0');
		assert.equal(ev.get('SM')?.value, '0');
		assert.equal(ev.get('line')?.value, '8');
		assert.equal(ev.get('page')?.value, await s().evaluate('addr(X)'));
		assert.equal(ev.get('warp')?.evaluateName, 'event.warp');
		assert.equal(await s().evaluate('event.line'), '8');
		// next: over the batch the fault started, to the next access of the body
		const pages: string[] = [];
		for (const want of [8, 8, 10]) {
			await s().dc.nextRequest({ threadId: 1 });
			st = await s().stopped('step', want);
			assert.match(st.frames[0].name, /^warp \d+ · SM \d+: (read pages\(X, k \* 64, 64\)|write page\(X, 200\) = 7)$/);
			pages.push(await s().evaluate('event.page'));
		}
		assert.equal(new Set(pages).size, 3, 'each access touches its own pages');
		assert.match(st.description ?? '', /issues write access to 1 page/);
		// the last access done, next finishes the kernel
		await s().dc.nextRequest({ threadId: 1 });
		st = await s().stopped('step', 12);
		assert.equal(st.frames.length, 1);
	});

	it('stepIn from an access goes into the driver (the fault batch), stepOut leaves the kernel', async () => {
		await toFirstAccess();
		await s().stopped('step', 8);
		await s().dc.stepInRequest({ threadId: 1 });
		const st = await s().stopped('step');
		assert.ok(st.frames.some(f => f.name.startsWith('uvm_parent_gpu_service_replayable_faults')), st.frames.map(f => f.name).join(' <- '));
		assert.ok(!st.frames[0].name.startsWith('warp'), 'the driver is not a warp');
		await s().dc.stepOutRequest({ threadId: 1 });
		await s().dc.stepOutRequest({ threadId: 1 });
		await s().stopped('step');
	});

	it('stepping access by access changes neither simulated time nor counters', async () => {
		const figures = 'time + gpu.faults * 1000000 + gpu.fault_batches * 1000 + gpu.migrated_in';
		const straight = new Session();
		await straight.start();
		try {
			await straight.launch(prog, { breakpoints: [{ line: 12 }] });
			await straight.stopped('breakpoint', 12);
			const want = await straight.evaluate(figures);
			await toFirstAccess();
			await s().stopped('step', 8);
			for (let i = 0; i < 3; i++) {
				await s().dc.nextRequest({ threadId: 1 });
				await s().stopped('step');
			}
			await s().dc.setBreakpointsRequest({ source: { path: prog }, breakpoints: [{ line: 12 }] });
			await s().cont();
			await s().stopped('breakpoint', 12);
			assert.equal(await s().evaluate(figures), want);
		} finally {
			await straight.stop();
		}
	});

	it('next on the kernel line does not stop inside it', async () => {
		await s().launch(prog, { breakpoints: [{ line: 6 }] });
		await s().stopped('breakpoint', 6);
		await s().dc.nextRequest({ threadId: 1 });
		const st = await s().stopped('step', 12);
		assert.equal(st.frames.length, 1);
	});
});
