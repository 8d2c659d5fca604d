// Issue 15, item 5: the races of examples/concurrency, explored over every interleaving (no
// preemption bound), each schedule's outcome read off the expectations it failed. The examples pin
// one interleaving per outcome with a seeded schedule; these tests show that the outcomes they pin
// are all there are, and that none of the interleavings breaks an invariant. Last, item 1: threads
// switch only where a kernel function is entered or a lock is waited for.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { compileSource } from '../../src/lang/frontend';
import { explore, type ExploreResult } from '../../src/lang/explore';
import { Interpreter } from '../../src/lang/interp';
import { randomChooser, type ScriptThread } from '../../src/lang/threads';
import { lockFns } from '../../src/engine/sim/sched';
import type { SimEvent } from '../../src/engine/sim/events';

const EX = path.resolve(__dirname, '..', '..', '..', 'examples', 'concurrency');

function everyInterleaving(source: string): ExploreResult {
	const { program, diagnostics } = compileSource(source, 'race.hmmw');
	assert.deepEqual(diagnostics.filter(d => d.severity === 'error'), []);
	const r = explore(program, source, { max: 5000, preemptions: Infinity });
	assert.equal(r.truncated, false, 'every interleaving was run');
	return r;
}

/** How many schedules ended with each set of failed expectations (by message); no schedule may
 * end in an error or a broken invariant. */
function outcomes(r: ExploreResult): Map<string, number> {
	const seen = new Map<string, number>();
	for (const b of r.bad) { assert.equal(b.error, undefined, `a schedule ended in an error: ${b.error?.message}`); }
	const clean = r.explored - r.bad.length;
	if (clean > 0) { seen.set('', clean); }
	for (const b of r.bad) {
		const key = [...new Set(b.failures.map(f => f.message.replace(/ \(.*\)$/, '')))].sort().join(' + ');
		seen.set(key, (seen.get(key) ?? 0) + 1);
	}
	return seen;
}

const SETUP = 'device gpu memory=64MiB\nprocess p\ngpu mirror p\na = mmap 64KiB anon rw\n';

describe('race outcomes over every interleaving', function () {
	this.timeout(120_000);

	it('anon_teardown (a device read racing munmap) has exactly the three outcomes the example pins', () => {
		// the expectations name the outcome: the read won (the block did not fail), the driver went
		// round again (-EBUSY from mmu_interval_read_retry), and what must hold in every one
		const src = `${SETUP}cpu write a = i
got = 0
thread reader {
  expect error EFAULT {
    b = gpu read a
    got = 1
    expect matches(b, i), "never: the read returned other data"
  }
}
munmap a
join reader
expect got == 0, "read won"
expect gpu.retries == 0, "retried"
expect gpu.retries <= 1, "never: more than one retry"
expect p.rss == 0 and mapped(gpu, a) == 0, "never: something of the range is left"
`;
		const r = everyInterleaving(src);
		const seen = outcomes(r);
		const won = 'expected error EFAULT, but the block succeeded + read won';
		// example section 2 (seed 3): munmap first; section 3 (round robin): munmap between
		// mmu_interval_read_begin and the walk; section 1 (seed 11): the read first
		assert.deepEqual([...seen.keys()].sort(), ['', 'retried', won].sort(), JSON.stringify([...seen]));
		assert.ok(r.explored >= 3);
	});

	it('munmap racing a device fault: the device faults every page in or finds no VMA, nothing is left either way', () => {
		const src = readFileSync(path.join(EX, 'munmap-vs-device-fault.hmmw'), 'utf8');
		const seen = outcomes(everyInterleaving(src));
		const succeeded = 'expected error EFAULT, but the block succeeded';
		// the example's `expect p.rss == 0` holds in every interleaving; its EFAULT and its retry
		// count are the round-robin schedule's
		for (const k of seen.keys()) {
			assert.ok(!k.includes('expect p.rss'), k);
			for (const part of k.split(' + ').filter(Boolean)) {
				assert.ok(part === succeeded || part.startsWith('round robin: munmap ran between'), part);
			}
		}
		assert.ok([...seen.keys()].some(k => k.includes(succeeded)), 'some interleaving lets the device fault in first');
		assert.ok(seen.has(''), 'the pinned outcome is among them');
	});

	it('mremap racing a device read: mremap holds mmap_lock for writing, so no walk installs an entry in the range it moves away', () => {
		// without the lock (before): a fault resumed after the move mapped pages where no VMA is left
		// ("PTE outside any VMA") in most interleavings
		const src = `${SETUP}cpu write a = i
got = 0
thread reader {
  expect error EFAULT {
    b = gpu read a
    got = 1
    expect matches(b, i), "never: the read returned other data"
  }
}
c = mremap a 64KiB maymove fixed=0x100000000
join reader
expect got == 0, "read won"
expect matches(c, i), "never: the moved range lost its data"
`;
		const seen = outcomes(everyInterleaving(src));
		assert.deepEqual([...seen.keys()].sort(), ['', 'expected error EFAULT, but the block succeeded + read won'], JSON.stringify([...seen]));
	});

	it('fork racing a device read: both orders keep the data, in the parent and the child', () => {
		const src = `${SETUP}cpu write a = i
thread reader {
  b = gpu read a
  expect matches(b, i), "never: the read returned other data"
}
fork q
join reader
expect matches(a, i), "never: the parent lost its data"
use q
expect matches(a, i), "never: the child did not get it"
`;
		const r = everyInterleaving(src);
		assert.deepEqual([...outcomes(r).keys()], ['']);
		assert.ok(r.explored > 1);
	});

	it('a CPU write racing a migration to the device: every interleaving reads what the CPU wrote', () => {
		const r = everyInterleaving(readFileSync(path.join(EX, 'cpu-fault-vs-migration.hmmw'), 'utf8'));
		assert.equal(r.bad.length, 0);
		assert.ok(r.explored > 1);
	});
});

describe('switch points: at kernel function entries and locks, never inside a function', function () {
	this.timeout(120_000);

	it('whenever another thread runs next, the one before stopped at a function entry, a lock or migration-entry wait, or between statements', () => {
		const waits = new Set([...lockFns, 'migration_entry_wait']);
		let switches = 0;
		for (const name of ['missing-retry', 'cpu-fault-vs-migration', 'munmap-vs-device-fault', 'anon-teardown']) {
			const source = readFileSync(path.join(EX, `${name}.hmmw`), 'utf8');
			for (let seed = 1; seed <= 8; seed++) {
				const it = new Interpreter(compileSource(source, `${name}.hmmw`).program, source, {});
				it.useSchedule(randomChooser(seed));
				it.machine.setEvents({ wants: () => true });
				let prev: { thread: ScriptThread; ev: SimEvent } | undefined;
				while (!it.done && it.steps < 100_000) {
					const g = it.step();
					for (let r = g.next(); !r.done; r = g.next()) {
						const t = it.threads!.cur;
						if (prev && prev.thread !== t) {
							switches++;
							// the thread that stopped: its saved kernel stack ends in the function it just
							// entered (the event before was that entry), or in a wait, or is empty
							const stack = it.machine.view.stack(prev.thread.stack);
							const top = stack[stack.length - 1];
							const ok = stack.length === 0 || waits.has(top.fn) || (prev.ev.kind === 'call' && prev.ev.fn === top.fn);
							assert.ok(ok, `${name} seed ${seed}: '${prev.thread.name}' left in ${top?.fn} after a ${prev.ev.kind} event of ${prev.ev.fn}`);
						}
						prev = { thread: t, ev: r.value };
					}
				}
				assert.equal(it.error?.message.includes('invariant') ?? false, false);
			}
		}
		assert.ok(switches > 50, `only ${switches} switches seen`);
	});
});
