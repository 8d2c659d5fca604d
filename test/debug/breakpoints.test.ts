// Engine-event breakpoints: exception filters (with per-option conditions, exceptionInfo and the
// Event scope), the 'error' and 'expect' filters, function breakpoints on simulated kernel
// functions (with the kernel call stack) and data breakpoints on VMAs, pages and ranges.
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, type Session, useSession } from './helpers';

async function eventScope(s: Session): Promise<Map<string, string>> {
	const scope = (await s.scopes()).get('Event');
	assert.ok(scope, 'an Event scope while stopped on an event');
	return new Map((await s.vars(scope.variablesReference)).map(v => [v.name, v.value]));
}

const names = (frames: DebugProtocol.StackFrame[]) => frames.map(f => f.name.replace(/\(.*/, ''));

describe('debug adapter: event, function and data breakpoints', function () {
	this.timeout(20000);
	const s = useSession();
	const EVENTS = fixture('events.hmmw');

	it('the migration filter stops when the migration is raised, with exceptionInfo and the Event scope', async () => {
		await s().launch(EVENTS, { filters: ['migration'] });
		const st = await s().stopped('exception', 9);
		assert.deepEqual(names(st.frames), ['migrate_vma_setup', 'dmirror_migrate_to_device', 'migrate X -> gpu']);
		const info = (await s().dc.exceptionInfoRequest({ threadId: 1 })).body;
		assert.equal(info.exceptionId, 'migration');
		assert.match(info.description ?? '', /^migration of 4 pages at 0x7effffffc000 \(ram -> gpu\)/);
		assert.equal(info.breakMode, 'always');
		assert.match(info.details?.stackTrace ?? '', /migrate_vma_setup[^\n]*\ndmirror_migrate_to_device/);
		const ev = await eventScope(s());
		assert.deepEqual([ev.get('kind'), ev.get('address'), ev.get('pages'), ev.get('device'), ev.get('process')], ['migration', '0x7effffffc000', '4', 'gpu', 'p']);
		assert.equal(await s().evaluate('event.npages * 2'), '8');
		// before the engine acts: the pages are still in RAM
		assert.equal(await s().evaluate('where(X)'), '"ram"');
		await s().cont();
		await s().stopped('exception', 10);
		assert.match((await s().dc.exceptionInfoRequest({ threadId: 1 })).body.description ?? '', /gpu -> ram/);
		await s().cont();
		await s().next('terminated');
	});

	it('each filter option uses its own condition', async () => {
		await s().launch(EVENTS, {
			filterOptions: [{ filterId: 'migration', condition: 'event.npages == 1' }, { filterId: 'device-fault', condition: 'event.npages == 4 and event.device == "gpu"' }],
		});
		await s().stopped('exception', 7);
		assert.equal((await s().dc.exceptionInfoRequest({ threadId: 1 })).body.exceptionId, 'device-fault');
		await s().cont();
		await s().stopped('exception', 10);
		assert.equal((await eventScope(s())).get('pages'), '1');
		await s().cont();
		await s().next('terminated');
	});

	it('rejects a filter condition that does not parse or names what the language does not have, and filters it does not offer', async () => {
		await s().launch(EVENTS, { stopOnEntry: true });
		const r = await s().dc.setExceptionBreakpointsRequest({ filters: ['swap-out'], filterOptions: [
			{ filterId: 'migration', condition: 'event.npages ==' }, { filterId: 'invalidation', condition: 'event.detail == "CLEAR" and event.colour == 1' },
			{ filterId: 'device-fault', condition: 'event.fn == "dmirror_fault" and where(X) == "ram"' }] });
		assert.deepEqual(r.body?.breakpoints?.map(b => [b.verified, b.message]), [
			[false, "unknown filter 'swap-out'"], [false, 'expected an expression, found end of file'],
			[false, "'event' has no property 'colour' (expected one of kind, addr, npages, device, process, write, fn, detail, cause, warp, sm, page, line)"], [true, undefined]]);
	});

	it('cpu-fault, device-fault and invalidation filters', async () => {
		await s().launch(EVENTS, { filters: ['cpu-fault', 'device-fault', 'invalidation'] });
		let st = await s().stopped('exception', 7);
		assert.deepEqual(names(st.frames), ['dmirror_fault', 'dmirror_read', 'B = gpu read X']);
		assert.equal((await eventScope(s())).get('kind'), 'device-fault');
		await s().cont();
		await s().stopped('exception', 8);
		const inv = await eventScope(s());
		assert.deepEqual([inv.get('kind'), inv.get('detail')], ['invalidation', 'PROTECTION_VMA']);
		await s().cont();
		st = await s().stopped('exception', 10);
		assert.deepEqual(names(st.frames), ['handle_mm_fault', 'cpu read page']);
		const cf = await eventScope(s());
		assert.deepEqual([cf.get('kind'), cf.get('access'), cf.get('device')], ['cpu-fault', 'read', 'gpu']);
		await s().cont();
		await s().next('terminated');
	});

	it('the page-fault filter stops on CPU page faults', async () => {
		await s().launch(EVENTS, { filters: ['page-fault'] });
		await s().stopped('exception', 6);
		assert.equal((await eventScope(s())).get('kind'), 'page-fault');
	});

	it("'expect' stops before a failing expectation, 'error' when a statement fails (not inside expect error)", async () => {
		const prog = fixture('errors.hmmw');
		await s().launch(prog);
		await s().stopped('exception', 7);
		let info = (await s().dc.exceptionInfoRequest({ threadId: 1 })).body;
		assert.equal(info.exceptionId, 'expect');
		assert.match(info.description ?? '', /expect 1 == 2/);
		await s().cont();
		const st = await s().stopped('exception', 8);
		info = (await s().dc.exceptionInfoRequest({ threadId: 1 })).body;
		assert.equal(info.exceptionId, 'SIGSEGV', 'a failed statement is titled with its errno');
		assert.equal(info.details?.typeName, 'error');
		assert.match(info.description ?? '', /^SIGSEGV: write to 0x7effffffe000, mapped r--/);
		assert.equal(st.frames[st.frames.length - 1].line, 8);
		// the run has not ended yet: the state can be inspected
		assert.equal(await s().evaluate('len(X)'), '8192');
		const errs = s().drain('output').map(e => (e as DebugProtocol.OutputEvent).body).filter(o => o.category === 'stderr').map(o => o.output);
		assert.deepEqual(errs, [`${prog}:7:1: deliberately false (expect 1 == 2, "deliberately false")\n`, `${prog}:8:1: SIGSEGV: write to 0x7effffffe000, mapped r--\n`]);
		await s().cont();
		assert.equal((await s().next<DebugProtocol.ExitedEvent>('exited')).body.exitCode, 2);
	});

	it('with the error and expect filters off the run goes to its end', async () => {
		await s().launch(fixture('errors.hmmw'), { filters: [] });
		assert.equal((await s().next<DebugProtocol.ExitedEvent>('exited')).body.exitCode, 2);
		assert.equal(s().drain('stopped').length, 0);
	});

	it('function breakpoints stop in simulated kernel functions, showing the kernel call path', async () => {
		await s().launch(fixture('migrate.hmmw'), { functionBreakpoints: [{ name: 'migrate_to_ram' }, { name: 'no_such_function' }] });
		const st = await s().stopped('function breakpoint', 9);
		assert.deepEqual(names(st.frames), ['migrate_to_ram', 'do_swap_page', 'handle_mm_fault', 'cpu read page']);
		assert.match(st.frames[0].name, /migrate_to_ram\(0x7effffffd000, 1 page, gpu/);
		assert.equal(st.frames[3].line, 9);
		// kernel frames have no source to load (no error tab in VS Code) and are dimmed, so the
		// editor focuses the script line; the script frame has the script
		for (const f of st.frames.slice(0, 3)) {
			assert.equal(f.source, undefined, `${f.name} has no source`);
			assert.equal(f.presentationHint, 'subtle');
		}
		assert.match(st.frames[3].source?.path ?? '', /migrate\.hmmw$/);
		// the kernel frame has an Arguments scope
		const args = await s().vars((await s().scopes(st.frames[0].id)).get('Arguments')!.variablesReference);
		assert.deepEqual(args.map(a => [a.name, a.value]).slice(0, 3), [['function', 'migrate_to_ram'], ['address', '0x7effffffd000'], ['pages', '1']]);
		await s().cont();
		await s().next('terminated');
	});

	it('function breakpoints: unknown names are unverified, conditions see event.*', async () => {
		await s().launch(EVENTS, { stopOnEntry: true });
		await s().stopped('entry');
		const r = await s().dc.setFunctionBreakpointsRequest({ breakpoints: [{ name: 'hmm_range_fault', condition: 'event.npages == 4' }, { name: 'bogus' }] });
		assert.deepEqual(r.body.breakpoints.map(b => b.verified), [true, false]);
		assert.match(r.body.breakpoints[1].message ?? '', /no simulated kernel function 'bogus'/);
		await s().cont();
		const st = await s().stopped('function breakpoint', 7);
		assert.deepEqual(names(st.frames), ['hmm_range_fault', 'dmirror_fault', 'dmirror_read', 'B = gpu read X']);
		await s().cont();
		await s().next('terminated');
	});

	it('data breakpoints on a VMA: write access by the CPU', async () => {
		const prog = fixture('migrate.hmmw');
		await s().launch(prog, { breakpoints: [{ line: 6 }] });
		await s().stopped('breakpoint', 6);
		const vmas = await s().lookup('Processes', 'p', 'VMAs');
		const vma = (await s().vars(vmas.variablesReference))[0];
		assert.equal(vma.name, '0x7effffffc000 X');
		const info = (await s().dc.dataBreakpointInfoRequest({ variablesReference: vmas.variablesReference, name: vma.name })).body;
		assert.ok(info.dataId);
		assert.match(info.description, /VMA 0x7effffffc000-0x7f0000000000 \(X\) of p/);
		assert.deepEqual(info.accessTypes, ['read', 'write', 'readWrite']);
		const set = await s().dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: info.dataId!, accessType: 'write' }] });
		assert.equal(set.body.breakpoints[0].verified, true);
		await s().dc.setBreakpointsRequest({ source: { path: prog }, breakpoints: [] });
		await s().cont();
		const st = await s().stopped('data breakpoint', 6);
		assert.match(st.description ?? '', /VMA .* of p: CPU write access to 4 pages at 0x7effffffc000/);
		assert.deepEqual(st.hitBreakpointIds, [set.body.breakpoints[0].id]);
		assert.equal((await eventScope(s())).get('access'), 'write');
		await s().cont();
		await s().next('terminated');
	});

	it('data breakpoints on a page: read access; and on a range variable for device accesses', async () => {
		await s().launch(EVENTS, { breakpoints: [{ line: 6 }] });
		await s().stopped('breakpoint', 6);
		const vmas = await s().lookup('Processes', 'p', 'VMAs');
		const vma = (await s().vars(vmas.variablesReference))[0];
		const pages = await s().vars(vma.variablesReference, { filter: 'indexed', start: 1, count: 1 });
		assert.equal(pages[0].name, '0x7effffffd000');
		const pageInfo = (await s().dc.dataBreakpointInfoRequest({ variablesReference: vma.variablesReference, name: pages[0].name })).body;
		assert.match(pageInfo.description, /page 0x7effffffd000 of p/);
		const locals = (await s().scopes()).get('Locals')!.variablesReference;
		await s().vars(locals);
		const rangeInfo = (await s().dc.dataBreakpointInfoRequest({ variablesReference: locals, name: 'X' })).body;
		assert.ok(rangeInfo.dataId);
		const notMemory = (await s().dc.dataBreakpointInfoRequest({ name: '1 + 2' })).body;
		assert.equal(notMemory.dataId, null);
		await s().dc.setDataBreakpointsRequest({ breakpoints: [{ dataId: pageInfo.dataId!, accessType: 'read' }, { dataId: rangeInfo.dataId!, accessType: 'readWrite', condition: 'event.device == "gpu"' }] });
		await s().cont();
		let st = await s().stopped('data breakpoint', 7);
		assert.match(st.description ?? '', /device gpu read access to 4 pages/);
		await s().cont();
		st = await s().stopped('data breakpoint', 10);
		assert.match(st.description ?? '', /page 0x7effffffd000 of p: CPU read access to 1 page/);
		await s().cont();
		await s().stopped('data breakpoint', 11);
		await s().cont();
		await s().next('terminated');
	});
});
