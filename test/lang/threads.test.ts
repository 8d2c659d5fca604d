// Script threads, the kernel's locks under them, and `hmmw explore` (docs/language.md#threads-and-schedules).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { check } from '../../src/lang/check';
import { Driver } from '../../src/lang/driver';
import { explore, runSchedule } from '../../src/lang/explore';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';
import { parse } from '../../src/lang/parser';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const MISSING_RETRY = path.join(ROOT, 'examples', 'concurrency', 'missing-retry.hmmw');

function compiled(src: string, set: Record<string, string> = {}): ReturnType<typeof compileSource>['program'] {
	const { program, diagnostics } = compileSource(src, 't.hmmw', set);
	assert.deepEqual(diagnostics.filter(d => d.severity === 'error'), []);
	return program;
}

function ran(src: string): Interpreter {
	const it = new Interpreter(compiled(src), src);
	it.runToEnd();
	return it;
}

const SETUP = 'device gpu memory=64MiB\nprocess p\ngpu mirror p\na = mmap 64KiB anon rw\ncpu write a = 7\n';

describe('script threads', () => {
	it('a script without threads compiles and runs as before: no thread-end, no locks, no switch points', () => {
		const src = `${SETUP}gpu read a\nmunmap a\n`;
		const it = ran(src);
		assert.ok(!it.prog.code.some(i => i.op === 'thread-end' || i.op === 'spawn'));
		assert.equal(it.threads, undefined);
		assert.equal(it.machine.k.threaded, false);
		assert.equal(it.error, undefined);
	});

	it('the script waits for its threads at its end, and join waits for one', () => {
		const it = ran(`${SETUP}x = 0\nthread t { cpu read a; x = 1 }\njoin t\ny = x\nthread u { cpu read a; x = 2 }\n`);
		assert.equal(it.error, undefined);
		assert.equal(it.vars.get('y'), 1);
		assert.equal(it.vars.get('x'), 2);
		assert.ok(it.done);
	});

	it('threads that wait for each other end the run with a deadlock error', () => {
		const it = ran(`${SETUP}thread t { cpu read a; join u }\nthread u { cpu read a; join t }\n`);
		assert.match(it.error?.message ?? '', /deadlock: every thread waits/);
	});

	it('join of a thread never started, or of itself, is a run error', () => {
		assert.match(ran(`${SETUP}if false { thread t { cpu read a } }\njoin t\n`).error?.message ?? '', /thread 't' was never started/);
		assert.match(ran(`${SETUP}thread t { cpu read a; join t }\n`).error?.message ?? '', /cannot join itself/);
		assert.match(ran(`${SETUP}for k in 0..2 { thread t { cpu read a } }\n`).error?.message ?? '', /thread 't' was already started/);
	});

	it('the checker knows thread names, schedule modes and the seed option', () => {
		const d = (src: string): string[] => check(parse(src, 't.hmmw').program).map(x => `${x.line}:${x.col}: ${x.message}`);
		assert.deepEqual(d('thread t { }\nthread t { }\njoin u\n'), ["2:8: thread 't' is declared twice", "3:6: unknown thread 'u'"]);
		assert.deepEqual(d('schedule fair\nschedule round_robin seed=3\nschedule random seed=2\n'), [
			"1:10: unknown schedule 'fair' (expected one of round_robin, random)", "2:22: 'schedule round_robin' takes no option 'seed'"]);
	});

	it('a device read racing munmap retries on -EBUSY (dmirror_range_fault) and counts it in last.retries and DEV.retries', () => {
		const it = ran(`${SETUP}r = -1\nthread t { expect error EFAULT { gpu read a } }\nmunmap a\njoin t\n`);
		assert.equal(it.error, undefined);
		assert.equal(it.passed, 1);
		assert.equal(it.machine.view.devices()[0].counters.retries, 1);
	});

	it('a CPU fault on a page another thread is migrating waits in migration_entry_wait, then sees the data', () => {
		const src = readFileSync(path.join(ROOT, 'examples', 'concurrency', 'cpu-fault-vs-migration.hmmw'), 'utf8');
		const it = new Interpreter(compiled(src), src);
		const d = new Driver(it, { invariants: true });
		d.watch(['call']);
		const calls: string[] = [];
		for (let r = d.run({ event: ev => { calls.push(ev.fn ?? ''); return undefined; } }, Infinity); r.kind !== 'done'; r = d.run({}, Infinity)) {
			assert.notEqual(r.kind, 'invariant');
		}
		assert.equal(it.error, undefined);
		assert.equal(it.failed, 0);
		assert.ok(calls.includes('migration_entry_wait'), 'seed 41 makes the write meet a migration entry');
	});
});

describe('hmmw explore', () => {
	const src = readFileSync(MISSING_RETRY, 'utf8');

	it('finds the missing-retry bug, and the schedule it reports replays it', () => {
		// no preemption bound (hmmw explore's default): the whole tree, 28 interleavings
		const r = explore(compiled(src), src, { max: 1000, preemptions: Infinity });
		assert.equal(r.truncated, false);
		assert.equal(r.explored, 28);
		assert.ok(r.bad.length > 0, 'read_retry=skip maps a stale page in some interleaving');
		for (const b of r.bad) {
			assert.match(b.error?.message ?? '', /device gpu maps p 0x[0-9a-f]+ -> pfn \d+, the CPU has nothing/);
			const again = runSchedule(compiled(src), src, b.picks);
			assert.deepEqual(again.error, b.error);
		}
	});

	it('shows the correct driver clean over every interleaving', () => {
		const p = compiled(src, { retry: 'check' });
		const r = explore(p, src, { max: 1000, preemptions: Infinity });
		assert.equal(r.truncated, false);
		assert.equal(r.explored, 28);
		assert.deepEqual(r.bad.map(b => b.error?.message ?? b.failures[0]?.message), []);
	});

	it('from the command line: a schedule file per bad schedule, replayed by run --schedule; exit 0 when clean', function () {
		this.timeout(60_000);
		const dir = mkdtempSync(path.join(tmpdir(), 'hmmw-explore-'));
		try {
			const bad = spawnSync(process.execPath, [CLI, 'explore', MISSING_RETRY, '--out', dir], { encoding: 'utf8' });
			assert.equal(bad.status, 1, bad.stderr);
			assert.match(bad.stdout, /explored \d+ schedules \(every interleaving, \d+ switch points with a choice, partial-order reduction: \d+ picks pruned, \d+ runs cut short\) in [\d.]+ s: \d+ broke/);
			const file = path.join(dir, 'missing-retry.schedule-1.json');
			assert.ok(existsSync(file), bad.stdout);
			const replay = spawnSync(process.execPath, [CLI, 'run', MISSING_RETRY, '--schedule', file], { encoding: 'utf8' });
			assert.equal(replay.status, 1, replay.stderr);
			assert.match(replay.stderr, /the device reads what the CPU wrote/);
			const good = spawnSync(process.execPath, [CLI, 'explore', MISSING_RETRY, '--set', 'retry=check', '--out', dir], { encoding: 'utf8' });
			assert.equal(good.status, 0, good.stdout + good.stderr);
			assert.match(good.stdout, /all clean/);
			const plain = spawnSync(process.execPath, [CLI, 'explore', MISSING_RETRY, '--no-reduction', '--out', dir], { encoding: 'utf8' });
			assert.equal(plain.status, 1, plain.stdout + plain.stderr);
			assert.match(plain.stdout, /explored \d+ schedules \(every interleaving, \d+ switch points with a choice, no reduction\)/);
			// a bound says what it covered; --max says the tree was not covered
			const bounded = spawnSync(process.execPath, [CLI, 'explore', MISSING_RETRY, '--set', 'retry=check', '--preemptions', '1', '--out', dir], { encoding: 'utf8' });
			assert.match(bounded.stdout, /explored \d+ schedules \(every interleaving within 1 preemption, /);
			const capped = spawnSync(process.execPath, [CLI, 'explore', MISSING_RETRY, '--set', 'retry=check', '--max', '3', '--out', dir], { encoding: 'utf8' });
			assert.match(capped.stdout, /explored 3 schedules \(stopped at --max 3, not every interleaving, /);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});
