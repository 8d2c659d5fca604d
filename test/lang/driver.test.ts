// The driver: the one loop the CLI, the debugger and replay run the interpreter through. Its
// reports must be exactly what draining the interpreter by hand sees, however the run is cut
// into slices or stopped by hooks.
import * as assert from 'node:assert/strict';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';
import { Driver, type DriverHooks, type DriveResult } from '../../src/lang/driver';
import { InvariantCheck, preserves } from '../../src/lang/invariantCheck';
import { TRACED, TraceRecorder } from '../../src/lang/trace';
import type { EventKind } from '../../src/engine/sim/events';
import { contentChecksum } from '../../src/engine/sim/invariants';

const ALL: EventKind[] = ['page-fault', 'cpu-fault', 'device-fault', 'migration', 'eviction', 'invalidation', 'call', 'access', 'tick'];

const MIGRATE = [
	'system ram=1GiB',
	'device gpu memory=64MiB kind=private',
	'process p',
	'gpu mirror p',
	'X = mmap 16KiB anon rw',
	'cpu write X = i',
	'migrate X -> gpu',
	'expect where(X) == "gpu"',
	'cpu read page(X, 1)',
	'for k in 0..2 {',
	'  cpu write page(X, k) = k',
	'}',
	'print "back in ram:", count(X, ram)',
].join('\n') + '\n';

/** 64 MiB = 16384 pages: the engine offers ticks inside the write, so slices split the statement. */
const LONG = 'process p\nX = mmap 64MiB anon rw\ncpu write X = i\nmigrate X[0:4MiB] -> ram\nexpect word(X, 5) == 5\n';

function interp(source: string, printed: string[] = []): Interpreter {
	const { program, diagnostics } = compileSource(source, 'driver.hmmw');
	assert.deepEqual(diagnostics.filter(d => d.severity === 'error'), []);
	return new Interpreter(program, source, { print: l => printed.push(l) });
}

/** What a run reports, as text: events as `kind@addr`, boundaries as `|line step start-end`. */
function reference(source: string, kinds: EventKind[]): string[] {
	const it = interp(source);
	it.machine.setEvents({ wants: k => kinds.includes(k) });
	const out: string[] = [];
	while (!it.done) {
		const ins = it.instr;
		const start = it.machine.time;
		const g = it.step();
		for (let r = g.next(); !r.done; r = g.next()) { out.push(`${r.value.kind}@${r.value.addr}`); }
		out.push(`|${ins?.loc.line} ${it.steps} ${start}-${it.machine.time}`);
	}
	return out;
}

/** Hooks that log what the driver reports in the same text form. */
function logging(log: string[]): DriverHooks<never> {
	return {
		event: ev => { log.push(`${ev.kind}@${ev.addr}`); return undefined; },
		tick: () => { log.push('tick@?'); return undefined; },
		boundary: s => { if (s) { log.push(`|${s.ins?.loc.line} ${s.step} ${s.startNs}-${s.endNs}`); } return undefined; },
	};
}

/** Ticks carry no address through the tick hook; the reference logs them with theirs. */
const untick = (xs: string[]) => xs.map(x => (x.startsWith('tick@') ? 'tick@?' : x));

describe('driver', () => {
	it('delivers the watched engine events in order, each statement boundary after its events', () => {
		const want = untick(reference(MIGRATE, ALL));
		assert.ok(want.some(x => x.startsWith('migration@')) && want.some(x => x.startsWith('call@')), 'the script raises events');
		const d = new Driver(interp(MIGRATE), { sliceMs: Infinity });
		d.watch(ALL);
		const log: string[] = [];
		assert.deepEqual(d.run(logging(log)), { kind: 'done' });
		assert.deepEqual(log, want);
	});

	it('reports only the watched kinds (and keeps the filter after `system` replaces the kernel)', () => {
		const kinds: EventKind[] = ['migration', 'cpu-fault'];
		const want = reference(MIGRATE, [...kinds, 'tick']).filter(x => !x.startsWith('tick@'));
		assert.ok(want.some(x => x.startsWith('migration@')) && want.some(x => x.startsWith('cpu-fault@')));
		const d = new Driver(interp(MIGRATE), { sliceMs: Infinity });
		d.watch(kinds);
		const log: string[] = [];
		d.run(logging(log));
		assert.deepEqual(log.filter(x => x !== 'tick@?'), want);
		assert.ok(d.watching.has('tick'), 'tick is always watched: slicing needs it');
	});

	it('gives every boundary its instruction, step number and simulated start and end time', () => {
		const it = interp(MIGRATE);
		const d = new Driver(it, { sliceMs: Infinity }, true);
		const spans: ({ line?: number; step: number; start: number; end: number } | undefined)[] = [];
		d.run({ boundary: s => { spans.push(s && { line: s.ins?.loc.line, step: s.step, start: s.startNs, end: s.endNs }); return undefined; } });
		assert.equal(spans[0], undefined, 'created with arrive: the starting boundary comes first, without a span');
		const rest = spans.slice(1) as { line?: number; step: number; start: number; end: number }[];
		assert.equal(rest.length, it.steps);
		rest.forEach((s, i) => {
			assert.equal(s.step, i + 1);
			assert.ok(s.end >= s.start);
			if (i > 0) { assert.equal(s.start, rest[i - 1].end, 'simulated time passes only inside statements'); }
		});
		assert.equal(rest[rest.length - 1].end, it.machine.time);
		const migrate = rest.find(s => s.line === 7)!;
		assert.ok(migrate.end > migrate.start, 'a migration takes simulated time');
		assert.deepEqual(rest.filter(s => s.line === 11).length, 2, 'the loop body runs twice');
	});

	it('returns at a slice and resumes exactly where it left off, inside a statement too', () => {
		const want = untick(reference(LONG, ALL));
		let clock = 0;
		const it = interp(LONG);
		const d = new Driver(it, { sliceMs: 0.5, now: () => clock++ });
		d.watch(ALL);
		const log: string[] = [];
		let slices = 0;
		let midSlices = 0;
		let r: DriveResult<never>;
		while ((r = d.run(logging(log))).kind === 'slice') {
			if (++slices > 100_000) { assert.fail('the slices make no progress'); }
			if (d.midStatement) { midSlices++; assert.equal(d.current?.loc.line, 3, 'only the long write is cut'); }
		}
		assert.equal(r.kind, 'done');
		assert.deepEqual(log, want);
		assert.ok(midSlices >= 1 && slices > midSlices, `slices at ticks (${midSlices}) and at boundaries (${slices - midSlices})`);
		const whole = interp(LONG);
		whole.runToEnd();
		assert.deepEqual([it.steps, it.machine.time, it.passed, it.failed, contentChecksum(it.machine.k)],
			[whole.steps, whole.machine.time, whole.passed, whole.failed, contentChecksum(whole.machine.k)]);
	});

	it('stops before a statement for max-steps, and runs on from there', () => {
		const it = interp(MIGRATE);
		const d = new Driver(it, { sliceMs: Infinity });
		const max = (n: number) => ({ before: () => (it.steps >= n ? `max ${n}` : undefined) });
		assert.deepEqual(d.run(max(3)), { kind: 'stop', stop: 'max 3' });
		assert.equal(it.steps, 3);
		assert.equal(d.midStatement, false);
		assert.equal(it.pc, 3, 'the fourth instruction has not started');
		assert.deepEqual(d.run(max(3)), { kind: 'stop', stop: 'max 3' }, 'asked again, it stops again');
		assert.deepEqual(d.run(max(Infinity)), { kind: 'done' });
		assert.equal(it.passed, 1);
	});

	it('stops at an event inside a statement and resumes with the rest of its events', () => {
		const want = reference(MIGRATE, ALL).filter(x => !x.startsWith('tick@'));
		const it = interp(MIGRATE);
		const d = new Driver(it, { sliceMs: Infinity });
		d.watch(ALL);
		const log: string[] = [];
		const hooks = logging(log);
		const r = d.run({ ...hooks, event: ev => { hooks.event!(ev); return ev.kind === 'migration' ? ev : undefined; } });
		assert.equal(r.kind, 'stop');
		assert.equal(d.midStatement, true);
		assert.equal(d.current?.loc.line, 7);
		assert.equal(it.machine.k.stack.length > 0, true, 'stopped inside the kernel');
		assert.deepEqual(d.run(hooks), { kind: 'done' });
		assert.deepEqual(log.filter(x => x !== 'tick@?'), want);
	});

	it('reset drops a suspended statement and decides whether the boundary is checked again', () => {
		const it = interp(MIGRATE);
		const d = new Driver(it, { sliceMs: Infinity });
		d.watch(['migration']);
		const snap = it.snapshot();
		assert.equal(d.run({ event: () => 'here' }).kind, 'stop');
		it.restore(snap);
		d.reset(true);
		assert.equal(d.midStatement, false);
		const seen: (number | undefined)[] = [];
		assert.deepEqual(d.run({ boundary: s => { seen.push(s?.step); return seen.length === 1 ? 'arrived' : undefined; } }), { kind: 'stop', stop: 'arrived' });
		assert.deepEqual([...seen], [undefined]);
		assert.deepEqual(d.run({ boundary: s => { seen.push(s?.step); return undefined; } }), { kind: 'done' });
		assert.equal(seen[1], 1, 'the boundary hook ran once for the start, then after each statement');
		assert.equal(it.passed, 1);
	});

	it('checks the invariants after every statement when asked, located at the statement', () => {
		const clean = new Driver(interp(MIGRATE), { sliceMs: Infinity, invariants: true });
		assert.deepEqual(clean.run({}), { kind: 'done' });
		const it = interp(MIGRATE);
		const d = new Driver(it, { sliceMs: Infinity, invariants: true });
		// corrupt RAM accounting while the `cpu read` on line 9 runs
		const r = d.run({ before: () => { if (it.instr?.loc.line === 9) { it.machine.k.frames.ramUsed += 1; } return undefined; } });
		assert.equal(r.kind, 'invariant');
		const e = (r as { error: { line: number; code: string; message: string } }).error;
		assert.equal(e.line, 9);
		assert.equal(e.code, 'invariant');
		assert.match(e.message, /^invariant violated after this statement: RAM accounting/);
	});

	it('InvariantCheck: statements that only move pages must not change what processes read', () => {
		const it = interp(MIGRATE);
		const migrate = it.prog.code.find(i => i.op === 'exec' && i.stmt.kind === 'migrate');
		const write = it.prog.code.find(i => i.op === 'exec' && i.stmt.kind === 'cpu-write' && i.loc.line === 11);
		assert.equal(preserves(migrate), true);
		assert.equal(preserves(write), false);
		it.runToEnd();
		const c = new InvariantCheck(it.machine);
		c.begin(migrate);
		assert.equal(c.end(migrate), undefined);
		// the contents change under a statement that claims to move them only
		c.begin(migrate);
		it.pc = it.prog.code.indexOf(write!);
		it.vars.set('k', 3);
		const g = it.step();
		while (!g.next().done) { /* the write */ }
		assert.match(c.end(migrate)?.message ?? '', /changed page contents that it must only move/);
	});
});

describe('trace recorder', () => {
	it('records statement spans and traced instants as Chrome trace events, and forgets an abandoned future', () => {
		const it = interp(MIGRATE);
		const t = new TraceRecorder();
		const d = new Driver(it, { sliceMs: Infinity });
		d.watch(ALL);
		d.run({
			event: ev => { t.event(ev, it.steps, it.machine.time); return undefined; },
			boundary: s => { if (s) { t.statement(s.ins, s.step, s.startNs, s.endNs); } return undefined; },
		});
		const all = JSON.parse(t.json());
		assert.equal(all.displayTimeUnit, 'ns');
		assert.equal(all.otherData.dropped, 0);
		assert.equal(all.otherData.engineEvents, t.engineEvents);
		const spans = all.traceEvents.filter((e: { cat: string }) => e.cat === 'statement');
		assert.ok(spans.every((e: { pid: number; tid: number }) => e.pid === 1 && e.tid === 1));
		assert.ok(spans.some((e: { name: string }) => e.name === 'migrate (line 7)'));
		assert.ok(!spans.some((e: { name: string }) => /^for/.test(e.name)), 'loop control leaves no span');
		const kinds = new Set(all.traceEvents.filter((e: { cat: string; ph: string }) => e.cat === 'engine' && e.ph !== 's' && e.ph !== 'f').map((e: { args: { kind: string } }) => e.args.kind));
		assert.ok(kinds.has('migration') && kinds.has('page-fault'));
		assert.ok([...kinds].every(k => TRACED.includes(k as EventKind)), 'call, access and tick are not traced');
		const before = all.traceEvents.length;
		t.truncate(6);
		const cut = JSON.parse(t.json()).traceEvents;
		assert.ok(cut.length < before && !cut.some((e: { name: string }) => e.name === 'migrate (line 7)'));
		assert.ok(cut.some((e: { name: string }) => e.name === 'cpu-write (line 6)'));
	});
});
