// Stepping (next, stepIn into kernel functions and events, stepOut of kernel frames and loops),
// pause inside a huge statement, and line breakpoints with conditions, hit counts, log messages
// and moved lines.
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, scriptFrame, useSession } from './helpers';

describe('debug adapter: stepping and line breakpoints', function () {
	this.timeout(20000);
	const s = useSession();

	it('next goes statement by statement, through the loop header each iteration', async () => {
		await s().launch(fixture('basic.hmmw'), { stopOnEntry: true });
		await s().stopped('entry', 2);
		const lines: number[] = [];
		for (let i = 0; i < 18; i++) {
			await s().dc.nextRequest({ threadId: 1 });
			const st = await s().stopped('step');
			lines.push(scriptFrame(st.frames)!.line);
		}
		assert.deepEqual(lines, [3, 4, 5, 6, 8, 9, 10, 11, 10, 11, 10, 11, 10, 11, 10, 13, 14, 15]);
		await s().dc.nextRequest({ threadId: 1 });
		await s().next('terminated');
	});

	it('stepIn enters the events and kernel functions of a statement, then the next statement', async () => {
		await s().launch(fixture('migrate.hmmw'), { breakpoints: [{ line: 7 }] });
		await s().stopped('breakpoint', 7);
		await s().dc.stepInRequest({ threadId: 1 });
		let st = await s().stopped('step', 7);
		assert.equal(st.frames.length, 2, 'one kernel frame above the script line');
		assert.match(st.frames[0].name, /^dmirror_migrate_to_device\(0x7efffff/);
		assert.match(st.frames[1].name, /^migrate X -> gpu/);
		await s().dc.stepInRequest({ threadId: 1 });
		st = await s().stopped('step', 7);
		assert.deepEqual(st.frames.map(f => f.name.replace(/\(.*/, '')), ['migrate_vma_setup', 'dmirror_migrate_to_device', 'migrate X -> gpu']);
		// the migration event itself is a stop of its own, with the Event scope
		await s().dc.stepInRequest({ threadId: 1 });
		st = await s().stopped('step', 7);
		assert.match(st.description ?? '', /migration of 4 pages/);
		const ev = await s().children((await s().scopes()).get('Event')!.variablesReference);
		assert.equal(ev.get('kind')?.value, 'migration');
		assert.equal(ev.get('device')?.value, 'gpu');
		assert.equal(ev.get('pages')?.value, '4');
		// stepOut of migrate_vma_setup lands in the next kernel function of the same caller
		await s().dc.stepOutRequest({ threadId: 1 });
		st = await s().stopped('step', 7);
		assert.deepEqual(st.frames.map(f => f.name.replace(/\(.*/, '')), ['migrate_vma_pages', 'dmirror_migrate_to_device', 'migrate X -> gpu']);
		// stepOut of the outermost frames finishes the statement
		await s().dc.stepOutRequest({ threadId: 1 });
		await s().stopped('step', 7);
		await s().dc.stepOutRequest({ threadId: 1 });
		st = await s().stopped('step', 8);
		assert.equal(st.frames.length, 1);
		// a statement without events is one stepIn; the CPU access and the fault are stops of their own
		await s().dc.stepInRequest({ threadId: 1 });
		st = await s().stopped('step', 9);
		assert.equal(st.frames.length, 1);
		await s().dc.stepInRequest({ threadId: 1 });
		st = await s().stopped('step', 9);
		assert.match(st.description ?? '', /CPU read access to 1 page/);
		await s().dc.stepInRequest({ threadId: 1 });
		st = await s().stopped('step', 9);
		assert.deepEqual(st.frames.map(f => f.name.replace(/\(.*/, '')), ['handle_mm_fault', 'cpu read page']);
		// next from inside a statement finishes it
		await s().dc.nextRequest({ threadId: 1 });
		await s().stopped('step', 10);
	});

	it('stepOut from a loop body runs the rest of the loop', async () => {
		await s().launch(fixture('basic.hmmw'), { breakpoints: [{ line: 11 }] });
		await s().stopped('breakpoint', 11);
		assert.equal(await s().evaluate('k'), '0');
		await s().dc.setBreakpointsRequest({ source: { path: fixture('basic.hmmw') }, breakpoints: [] });
		await s().dc.stepOutRequest({ threadId: 1 });
		await s().stopped('step', 13);
		assert.equal(await s().evaluate('k'), '3');
	});

	it('pauses inside one huge statement, promptly, showing where it is', async () => {
		await s().launch(fixture('long.hmmw'), { breakpoints: [{ line: 4 }] });
		await s().stopped('breakpoint', 4);
		await s().cont();
		await new Promise(r => setTimeout(r, 150));
		const t0 = Date.now();
		await s().dc.pauseRequest({ threadId: 1 });
		const st = await s().stopped('pause', 4);
		assert.ok(Date.now() - t0 < 1000, `pause took ${Date.now() - t0} ms`);
		const faults = Number((await s().lookup('Processes', 'p', 'faults')).value);
		assert.ok(faults > 0 && faults < 2097152, `stopped part-way through the statement (${faults} of 2097152 pages faulted)`);
		assert.equal(st.frames.length >= 1, true);
		await s().cont();
		await s().next('terminated');
	});

	it('line breakpoint conditions are script expressions', async () => {
		await s().launch(fixture('basic.hmmw'), { breakpoints: [{ line: 11, condition: 'k == 2' }] });
		await s().stopped('breakpoint', 11);
		assert.equal(await s().evaluate('k'), '2');
		await s().cont();
		await s().next('terminated');
	});

	it('hit counts: ">= 3" stops from the third hit, "%2" every second hit', async () => {
		await s().launch(fixture('basic.hmmw'), { breakpoints: [{ line: 11, hitCondition: '>= 3' }] });
		await s().stopped('breakpoint', 11);
		assert.equal(await s().evaluate('k'), '2');
		await s().cont();
		await s().stopped('breakpoint', 11);
		assert.equal(await s().evaluate('k'), '3');
		await s().dc.setBreakpointsRequest({ source: { path: fixture('basic.hmmw') }, breakpoints: [{ line: 11, hitCondition: 'nonsense' }] })
			.then(r => assert.equal(r.body.breakpoints[0].verified, false));
		await s().cont();
		await s().next('terminated');
	});

	it('hit count "3" stops on the third hit only', async () => {
		await s().launch(fixture('basic.hmmw'), { breakpoints: [{ line: 11, hitCondition: '3' }] });
		await s().stopped('breakpoint', 11);
		assert.equal(await s().evaluate('k'), '2');
		await s().cont();
		await s().next('terminated');
	});

	it('hit count "%2"', async () => {
		await s().launch(fixture('basic.hmmw'), { breakpoints: [{ line: 11, hitCondition: '%2' }] });
		await s().stopped('breakpoint', 11);
		assert.equal(await s().evaluate('k'), '1');
		await s().cont();
		await s().stopped('breakpoint', 11);
		assert.equal(await s().evaluate('k'), '3');
	});

	it('logpoints interpolate {expressions} and do not stop', async () => {
		await s().launch(fixture('basic.hmmw'), { breakpoints: [{ line: 11, logMessage: 'k={k} at {addr(page(X, k))} {{literal}} {nosuch}' }] });
		await s().next('terminated');
		const logs = s().drain('output').map(e => (e as DebugProtocol.OutputEvent).body).filter(o => o.category === 'console' && o.output.startsWith('k='));
		assert.equal(logs.length, 4);
		assert.match(logs[0].output, /^k=0 at 139637976711168 \{literal\} \{'nosuch' has no value here\}\n$/);
		assert.equal(logs[3].line, 11);
	});

	it('moves a breakpoint on an empty or comment line to the next statement; none after the last', async () => {
		const prog = fixture('basic.hmmw');
		await s().launch(prog, { breakpoints: [{ line: 7 }, { line: 1 }, { line: 99 }] });
		const bps = s().setBreakpointsResponse!.body.breakpoints;
		assert.deepEqual(bps.map(b => [b.verified, b.line]), [[true, 8], [true, 2], [false, 99]]);
		const where = await s().dc.send('breakpointLocations', { source: { path: prog }, line: 5, endLine: 9 }) as DebugProtocol.BreakpointLocationsResponse;
		assert.deepEqual(where.body.breakpoints.map(b => b.line), [5, 6, 8, 9]);
		await s().stopped('breakpoint', 2);
		await s().cont();
		const st = await s().stopped('breakpoint', 8);
		assert.deepEqual(st.hitBreakpointIds, [bps[0].id]);
	});

	it('verifies breakpoints set before launch with a BreakpointEvent once the program is known', async () => {
		const prog = fixture('basic.hmmw');
		await s().dc.initializeRequest();
		const early = await s().dc.setBreakpointsRequest({ source: { path: prog }, breakpoints: [{ line: 7 }] });
		assert.equal(early.body.breakpoints[0].verified, false);
		const launched = s().dc.launchRequest({ program: prog } as DebugProtocol.LaunchRequestArguments);
		const changed = await s().next<DebugProtocol.BreakpointEvent>('breakpoint');
		assert.equal(changed.body.reason, 'changed');
		assert.deepEqual([changed.body.breakpoint.id, changed.body.breakpoint.verified, changed.body.breakpoint.line], [early.body.breakpoints[0].id, true, 8]);
		await s().dc.configurationDoneRequest();
		await launched;
		await s().stopped('breakpoint', 8);
	});
});
