// The language side of the device model, run against a Machine whose device-model methods are
// replaced by recorders: a kernel body becomes KernelAccess lines in program order (control flow
// and expressions evaluated, fills bound to the variables of their line), prefetch and advise pass
// their arguments through, and copies() asks the machine.
import * as assert from 'node:assert/strict';
import type { KernelAccess, KernelReport } from '../../src/engine/device/uvm/types';
import type { ByteRange } from '../../src/engine/machine';
import type { Fill } from '../../src/engine/mm/fill';
import type { K, SimEvent } from '../../src/engine/sim/events';
import { formatDiagnostic } from '../../src/lang/diagnostics';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';
import { MAX_KERNEL_LINES } from '../../src/lang/kernelBody';
import { parse } from '../../src/lang/parser';

interface Launch { dev: string; name: string; accesses: KernelAccess[] }

/** An interpreter for `src` whose machine records launches, prefetches, advice and copies() calls. */
function recording(src: string, checked = true) {
	const program = checked ? compileSource(src, 'k.hmmw') : parse(src, 'k.hmmw');
	if (checked) { assert.deepEqual(program.diagnostics.map(formatDiagnostic), []); }
	const it = new Interpreter(program.program, src);
	const m = it.machine;
	const launches: Launch[] = [];
	const calls: unknown[][] = [];
	const events: SimEvent[] = [];
	m.launchKernel = function* (dev: string, name: string, accesses: KernelAccess[]): K<KernelReport> {
		launches.push({ dev, name, accesses });
		yield { kind: 'fault-batch', addr: accesses[0]?.start ?? 0, npages: 1, device: dev, detail: '32' };
		return { name, device: dev, startNs: 0, timeNs: 1, faultEntries: 0, faults: 0, batches: 0, migrated: 0, prefetched: 0, evicted: 0, remoteBytes: 0, peerBytes: 0, peerCopyBytes: 0, throttled: 0 };
	};
	m.prefetch = function* (r: ByteRange, to: string) {
		calls.push(['prefetch', r, to]);
		return { cpages: 0, faults: 0 };
	};
	m.advise = function* (r: ByteRange, a: { preferred?: string | null; accessedBy?: string; readMostly?: boolean }): K {
		calls.push(['advise', r, a]);
	};
	m.copies = (r, loc) => { calls.push(['copies', r, loc]); return 7; };
	const run = () => {
		while (!it.done) {
			const g = it.step();
			for (let e = g.next(); !e.done; e = g.next()) { events.push(e.value); }
		}
		return it;
	};
	return { it, m, launches, calls, events, run };
}

const SETUP = 'device gpu memory=64MiB policy=migrate\nprocess p\ngpu mirror p\nX = mmap 8 pages anon rw\ncpu write X = i\nB = gpu read X\n';
const page = (it: Interpreter, k: number) => (it.vars.get('X') as { addr: number }).addr / 4096 + k;
const fillAt = (f: Fill | undefined, i: number) => {
	assert.ok(f);
	return f.kind === 'linear' ? f.a * i + f.b : f.fn(i);
};

describe('kernel bodies evaluate to access lines (DM-lang)', () => {
	it('read, write and atomic lines over whole pages of the current process, in program order', () => {
		const r = recording(`${SETUP}kernel gpu "saxpy" {\n  read X\n  write page(X, 1) = i + 5\n  atomic X[100:5000]\n  write X[8:16]\n}\n`);
		const it = r.run();
		assert.equal(it.error, undefined, it.error?.message);
		assert.equal(r.launches.length, 1);
		const { dev, name, accesses } = r.launches[0];
		assert.equal(dev, 'gpu');
		assert.equal(name, 'saxpy');
		const p0 = page(it, 0);
		assert.deepEqual(accesses.map(a => [a.kind, a.start - p0, a.end - p0, a.fill !== undefined]), [
			['read', 0, 8, false], ['write', 1, 2, true], ['atomic', 0, 2, false], ['write', 0, 1, false]]);
		const w = accesses[1].fill!;
		assert.equal(w.addr, (p0 + 1) * 4096);
		assert.equal(w.len, 4096);
		assert.equal(fillAt(w.fill, 0), 5);
		assert.equal(fillAt(w.fill, 1023), 1028);
	});

	it('for, repeat, if/else and assignments run before the launch; each fill sees its own line\'s variables', () => {
		const r = recording(`${SETUP}n = 0\nkernel gpu {\n  for k in 0..3 {\n    write page(X, k) = word(B, i) + k\n    n = n + 1\n  }\n`
			+ '  repeat 2 { if n > 3 { read page(X, 7) } else { atomic page(X, 6); n = n + 1 } }\n  for k in 6..0 step -3 { read page(X, k) }\n}\nexpect n == 4\n');
		const it = r.run();
		assert.equal(it.error, undefined, it.error?.message);
		assert.equal(it.passed, 1);
		const p0 = page(it, 0);
		const acc = r.launches[0].accesses;
		assert.deepEqual(acc.map(a => `${a.kind} ${a.start - p0}`), ['write 0', 'write 1', 'write 2', 'atomic 6', 'read 7', 'read 6', 'read 3']);
		// word(B, i) is not linear in i: the closure is evaluated when the device stores, yet k is
		// the k of its own iteration, not the loop's last value
		for (const k of [0, 1, 2]) { assert.equal(fillAt(acc[k].fill?.fill, 9), 9 + k, `k=${k}`); }
	});

	it('an unnamed kernel is named by its line; an empty body launches with no lines', () => {
		const r = recording(`${SETUP}kernel gpu { }\n`);
		r.run();
		assert.deepEqual(r.launches.map(l => [l.name, l.accesses.length]), [['line 7', 0]]);
	});

	it('passes the engine\'s events through to whoever drives the interpreter', () => {
		const r = recording(`${SETUP}kernel gpu { read X }\n`);
		r.run();
		const batch = r.events.filter(e => e.kind === 'fault-batch');
		assert.deepEqual(batch.map(e => [e.device, e.detail]), [['gpu', '32']]);
	});

	it('a misaligned written range is EINVAL before launch, which expect error catches', () => {
		const r = recording(`${SETUP}expect error EINVAL {\n  kernel gpu { read X; write X[2:10] = 1 }\n}\n`);
		const it = r.run();
		assert.equal(it.error, undefined, it.error?.message);
		assert.equal(it.passed, 1);
		assert.equal(r.launches.length, 0);
	});

	it('an empty range, a zero step and a runaway body stop the run with located errors', () => {
		const cases: [string, string][] = [
			['kernel gpu { read X[8:8] }', 'EINVAL: empty range'],
			['kernel gpu { for k in 0..2 step 0 { read X } }', 'a for loop cannot step by 0'],
			['kernel gpu { repeat -1 { read X } }', 'repeat -1 times'],
			[`kernel gpu { repeat ${MAX_KERNEL_LINES + 1} { read X } }`, `the kernel body has more than ${MAX_KERNEL_LINES} access lines`],
		];
		for (const [line, message] of cases) {
			const r = recording(`${SETUP}${line}\n`, false);
			const it = r.run();
			assert.equal(it.error?.message, message, line);
			assert.equal(it.error?.line, 7, line);
			assert.equal(r.launches.length, 0, line);
		}
	});

	it('an unchecked tree with print or expect in a kernel stops with the checker\'s message', () => {
		const src = `${SETUP}kernel gpu {\n  read X\n  print 1\n}\n`;
		const checked = compileSource(src, 'k.hmmw').diagnostics.map(d => `${d.line}:${d.col}: ${d.message}`);
		const r = recording(src, false);
		const it = r.run();
		assert.deepEqual([`${it.error?.line}:${it.error?.col}: ${it.error?.message}`], checked);
		assert.match(checked[0], /^9:3: 'print' is not allowed inside a kernel body/);
	});
});

describe('prefetch, advise and copies() reach the machine (DM-lang)', () => {
	it('prefetch passes the range and the destination', () => {
		const r = recording(`${SETUP}prefetch pages(X, 2, 3) -> gpu\nprefetch X -> ram\n`);
		const it = r.run();
		const a = (it.vars.get('X') as { addr: number }).addr;
		assert.deepEqual(r.calls, [['prefetch', { addr: a + 2 * 4096, len: 3 * 4096 }, 'gpu'], ['prefetch', { addr: a, len: 8 * 4096 }, 'ram']]);
	});

	it('advise maps preferred= to the engine\'s advice patch', () => {
		const r = recording(`${SETUP}advise X preferred=gpu\nadvise X preferred=ram\nadvise X preferred=none\n`);
		r.run();
		assert.deepEqual(r.calls.map(c => c[2]), [{ preferred: 'gpu' }, { preferred: 'ram' }, { preferred: null }]);
	});

	it('advise maps read_mostly= and accessed_by= to the engine\'s advice patch', () => {
		const r = recording(`${SETUP}advise X read_mostly=on\nadvise X read_mostly=off\nadvise X accessed_by=gpu\n`);
		r.run();
		assert.deepEqual(r.calls.map(c => c[2]), [{ readMostly: true }, { readMostly: false }, { accessedBy: 'gpu' }]);
	});

	it('copies(R, LOC) asks the machine about the range and location', () => {
		const r = recording(`${SETUP}expect copies(page(X, 1), gpu) == 7\nexpect copies(X, ram) == 7\n`);
		const it = r.run();
		assert.equal(it.passed, 2);
		assert.deepEqual(r.calls.map(c => c[2]), ['gpu', 'ram']);
	});
});
