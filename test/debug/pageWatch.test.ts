// Page watches: the residency panel's own data breakpoints (`pageWatch` / `pageUnwatch`, kept by
// the adapter because VS Code's API cannot add a data breakpoint). They stop the run at the access
// event as a data breakpoint does (a CPU write, a device read through dmirror_read), survive VS Code's setDataBreakpoints, come with the residency map, and bad arguments get
// error responses.
import assert from 'node:assert/strict';
import { fixture, useSession } from './helpers';

interface Watch { id: number; process: string; start: number; end: number; access: string; hits: number; description: string }

describe('debug adapter: page watches from the residency panel', function () {
	this.timeout(20000);
	const s = useSession();
	const EVENTS = fixture('events.hmmw');
	const X = 0x7effffffc000;

	it('a write watch on one page stops at the CPU write to it, not at reads', async () => {
		await s().launch(EVENTS, { breakpoints: [{ line: 5 }] });
		await s().stopped('breakpoint', 5);
		const r = await s().dc.customRequest('pageWatch', { process: 'p', address: X + 0x1000 + 12, pages: 1, access: 'write' });
		const w = (r.body as { watch: Watch }).watch;
		assert.deepEqual([w.process, w.start, w.end, w.access, w.hits], ['p', X + 0x1000, X + 0x2000, 'write', 0]);
		assert.match(w.description, /^page watch on writes to \[0x7effffffd000, 0x7effffffe000\) of p \(1 page\)$/);
		// VS Code replacing its own data breakpoints leaves the panel's
		await s().dc.setDataBreakpointsRequest({ breakpoints: [] });
		await s().cont();
		const st = await s().stopped('data breakpoint', 6);
		assert.match(st.description ?? '', /^page watch on writes to .* of p \(1 page\): CPU write access to 4 pages at 0x7effffffc000/);
		assert.equal(st.hitBreakpointIds, undefined, 'no VS Code breakpoint to highlight');
		assert.equal(st.frames.at(-1)?.name, 'cpu write X = i');
		// the Event scope is the access that hit the watch
		const scope = (await s().scopes()).get('Event')!;
		const ev = new Map((await s().vars(scope.variablesReference)).map(v => [v.name, v.value]));
		assert.deepEqual([ev.get('kind'), ev.get('access'), ev.get('address')], ['access', 'write', '0x7effffffc000']);
		// the map carries the watch, with its hit
		const res = (await s().dc.customRequest('residency', { process: 'p' })).body as { watches: Watch[] };
		assert.deepEqual(res.watches.map(x => [x.id, x.hits]), [[w.id, 1]]);
		// the rest of the script reads and migrates X, and the CPU reads page 1 (line 10): no write, no stop
		await s().cont();
		await s().next('terminated');
	});

	it('an any-access watch stops at a device read; removing it lets the run finish', async () => {
		await s().launch(EVENTS, { breakpoints: [{ line: 5 }] });
		await s().stopped('breakpoint', 5);
		const r = await s().dc.customRequest('pageWatch', { process: 'p', address: X, pages: 4, access: 'readWrite' });
		const id = (r.body as { watch: Watch }).watch.id;
		// the same range and access again is the same watch
		const again = await s().dc.customRequest('pageWatch', { process: 'p', address: X, pages: 4, access: 'readWrite' });
		assert.equal((again.body as { watch: Watch }).watch.id, id);
		assert.equal((again.body as { watches: Watch[] }).watches.length, 1);
		await s().cont();
		await s().stopped('data breakpoint', 6);
		await s().cont();
		const st = await s().stopped('data breakpoint', 7);
		assert.match(st.description ?? '', /page watch on accesses to .*: device gpu read access to 4 pages/);
		const gone = await s().dc.customRequest('pageUnwatch', { id });
		assert.deepEqual((gone.body as { watches: Watch[] }).watches, []);
		await s().cont();
		await s().next('terminated');
	});

	it('bad arguments are error responses that name the problem', async () => {
		await s().launch(EVENTS, { breakpoints: [{ line: 6 }] });
		await s().stopped('breakpoint', 6);
		const fail = async (command: string, args: unknown, re: RegExp) => {
			await assert.rejects(s().dc.customRequest(command, args), (e: Error) => { assert.match(e.message, re); return true; });
		};
		await fail('pageWatch', { process: 'nobody', address: X }, /no process 'nobody'/);
		await fail('pageWatch', { address: X }, /'process' is required/);
		await fail('pageWatch', { process: 'p', address: -4096 }, /'address' must be an integer/);
		await fail('pageWatch', { process: 'p', address: X, pages: 0 }, /'pages' must be an integer in \[1, 268435456\]/);
		await fail('pageWatch', { process: 'p', address: X, access: 'execute' }, /'access' must be one of 'write', 'read', 'readWrite'/);
		await fail('pageUnwatch', { id: 999 }, /no page watch 999/);
		await fail('pageUnwatch', { id: 'x' }, /'id' must be/);
		// none of it left a watch behind, and the run goes on
		const res = (await s().dc.customRequest('residency', { process: 'p' })).body as { watches: Watch[] };
		assert.deepEqual(res.watches, []);
		await s().cont();
		await s().next('terminated');
	});
});
