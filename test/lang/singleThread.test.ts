// Issue 15, "done when": single-threaded scripts behave and cost exactly as before. Every
// conformance script and example without threads runs twice: as written (no thread runtime is
// ever made: no lock is taken, no switch point offered) and with the thread machinery switched on
// for its whole run (a first line `thread st_idle { }; join st_idle`: from there every statement
// runs as a turn of the main thread (src/lang/threads.ts), every kernel path takes its locks
// (sim/sched.ts) and offers its switch points, with nobody else to switch to). Both runs must
// agree on expectations, the error, simulated time, every device and process counter, the page
// tables, the bytes, and every engine event in order, the lock functions' own entries aside.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { compileSource } from '../../src/lang/frontend';
import { hasErrors } from '../../src/lang/diagnostics';
import { Interpreter } from '../../src/lang/interp';
import { NO_EVENTS, type EventFilter } from '../../src/engine/sim/events';
import { contentChecksum } from '../../src/engine/sim/invariants';
import { PTE } from '../../src/engine/mm/pagetable';
import { lockFns } from '../../src/engine/sim/sched';
import { hmmwFiles } from '../hmmwFiles';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const EVERYTHING: EventFilter = { wants: () => true };
const MAX_STEPS = 200_000;
const IDLE = 'thread st_idle { }; join st_idle; ';

interface Run { outcome: Record<string, unknown>; threaded: boolean; lockCalls: number }

function run(source: string, file: string, threads: boolean, filter: EventFilter): Run {
	const src = threads ? IDLE + source : source;
	const { program, diagnostics } = compileSource(src, file);
	assert.ok(!hasErrors(diagnostics), `${file} does not compile${threads ? ' with the idle thread' : ''}`);
	const it = new Interpreter(program, src, {});
	it.machine.setEvents(filter);
	const events: string[] = [];
	let lockCalls = 0;
	while (!it.done && it.steps < MAX_STEPS) {
		const g = it.step();
		for (let r = g.next(); !r.done; r = g.next()) {
			const e = r.value;
			if (e.kind === 'call' && lockFns.has(e.fn ?? '')) { lockCalls++; continue; }
			events.push([e.kind, e.fn, e.addr, e.npages, e.device, e.process, e.write, e.detail, e.cause, e.warp, e.sm, e.page, e.line].join('|'));
		}
	}
	const k = it.machine.k;
	let pages = 0;
	for (const mm of k.mms) {
		if (!mm.alive) { continue; }
		mm.pt.forEach(0, Number.MAX_SAFE_INTEGER, (vpn, pfn, pte) => {
			const mem = (pte & PTE.TYPE_MASK) === PTE.SWAP ? -3 : k.frames.isZero(pfn) ? -2 : pfn;
			pages = (Math.imul(pages, 31) + (vpn % 1_000_003) * 7 + pte * 131 + mem * 17 + (mm.pt.isHuge(vpn) ? 5 : 0)) | 0;
		});
	}
	const e = it.error;
	// the idle thread's prefix shifts columns of line 1 only
	const error = e ? `${e.line}:${e.line === 1 ? '-' : e.col} ${e.code} ${e.message}` : '';
	return {
		outcome: {
			passed: it.passed, failed: it.failed, error, time: it.machine.time, last: { ...it.machine.last },
			devices: k.devices.map(d => `${d.name} ${JSON.stringify(d.stats)} used=${d.usedPages}`),
			processes: k.mms.map(mm => `${mm.name} pid=${mm.pid} alive=${mm.alive} faults=${mm.faults} rss=${mm.rss(p => k.frames.isZero(p))}`),
			pages, bytes: contentChecksum(k), events,
		},
		threaded: k.threaded, lockCalls,
	};
}

/** Scripts that start threads themselves, or use what threads refuse (`crash`), are not single-threaded. */
const threaded = (source: string): boolean => /^\s*(thread\s+\w+\s*\{|schedule\s|crash\b)/m.test(source);

describe('single-threaded scripts behave as before with the thread machinery on', function () {
	this.timeout(120_000);
	let compared = 0, locked = 0;
	for (const dir of ['test/conformance', 'examples']) {
		for (const file of hmmwFiles(path.join(ROOT, dir))) {
			const rel = path.relative(ROOT, file);
			const source = readFileSync(file, 'utf8');
			if (threaded(source)) { continue; }
			it(rel, () => {
				for (const filter of [NO_EVENTS, EVERYTHING]) {
					const plain = run(source, rel, false, filter);
					const withThreads = run(source, rel, true, filter);
					assert.equal(plain.threaded, false, 'the plain run never made a thread runtime');
					assert.equal(withThreads.threaded, true, 'the idle thread switched the machinery on');
					assert.equal(plain.lockCalls, 0);
					assert.deepEqual(withThreads.outcome, plain.outcome, `${rel}: the run differs with the thread machinery on`);
					if (filter === EVERYTHING && withThreads.lockCalls > 0) { locked++; }
				}
				compared++;
			});
		}
	}

	it('compared most of the corpus, and locks were really taken in it', () => {
		assert.ok(compared > 100, `only ${compared} scripts compared`);
		assert.ok(locked > compared / 2, `locks taken in only ${locked} of ${compared} scripts`);
	});
});
