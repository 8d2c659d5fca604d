// What a time-travel checkpoint costs after a small change (issue 13, item 4): the machine's
// typed arrays are kept in blocks shared with the previous snapshot (engine/sim/snapshot.ts), so a
// second snapshot after a one-page write holds a few new blocks, not a second copy of the
// struct-page arrays and page tables. Measured in bytes held (the buffers a snapshot reaches that
// the previous one does not), never in wall time. Restores stay exact whichever blocks are shared.
import assert from 'node:assert/strict';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter, type InterpSnapshot } from '../../src/lang/interp';
import { snapshotHoldings } from '../../src/debug/timeTravel';
import { HmmRuntime } from '../../src/debug/runtime';

const MiB = 2 ** 20;

function interp(source: string): Interpreter {
	const { program, diagnostics } = compileSource(source, 'cost.hmmw');
	assert.deepEqual(diagnostics, []);
	return new Interpreter(program, source);
}

/** Runs `n` more instructions. */
function run(it: Interpreter, n: number): void { it.runToEnd(it.steps + n); }

function buffers(s: InterpSnapshot): Set<ArrayBufferLike> { return snapshotHoldings(s).buffers; }
function bytes(set: Iterable<ArrayBufferLike>): number { let n = 0; for (const b of set) { n += b.byteLength; } return n; }

describe('time travel: a checkpoint costs what changed since the last', () => {
	const SOURCE = 'process p\nX = mmap 256MiB anon rw\ncpu write X = i\ncpu write page(X, 5000) = 7\ncpu write page(X, 60000) = 3 * i\nprint "done"\n';

	it('a snapshot after a one-page write holds a few new blocks, not a second copy of the metadata', () => {
		const it = interp(SOURCE);
		run(it, 3);
		const a = it.snapshot();
		run(it, 1);
		const b = it.snapshot();
		const held = buffers(a);
		const all = bytes(held);
		const fresh = bytes([...buffers(b)].filter(x => !held.has(x)));
		// 65536 pages of struct page, page tables and pattern slots: megabytes
		assert.ok(all > 2 * MiB, `the first snapshot holds the whole metadata (${(all / MiB).toFixed(1)} MiB)`);
		assert.ok(fresh < 512 * 1024, `the second adds ${(fresh / 1024).toFixed(0)} KiB for one page written`);
		// a snapshot with nothing changed in between adds nothing but the interpreter's state
		const c = it.snapshot();
		const again = bytes([...buffers(c)].filter(x => !buffers(b).has(x)));
		assert.ok(again < 16 * 1024, `an unchanged machine adds ${again} bytes`);
	});

	it('restores are exact whichever blocks are shared, in any order, again and again', () => {
		const it = interp(SOURCE);
		run(it, 3);
		const a = it.snapshot();
		run(it, 1);
		const b = it.snapshot();
		run(it, 1);
		const c = it.snapshot();
		const X = () => ({ addr: it.machine.view.vmas(it.machine.view.process('p')!.id)[0].start, len: 256 * MiB });
		const word = (page: number, w: number) => it.machine.word({ addr: X().addr + page * 4096, len: 4096 }, w);
		const check = (five: number, sixty: number) => {
			assert.equal(word(5000, 3), five);
			assert.equal(word(60000, 4), sixty);
			assert.equal(word(1234, 9), 1234 * 1024 + 9);
			assert.deepEqual(it.machine.checkInvariants(), []);
		};
		for (const [s, five, sixty] of [[a, 5000 * 1024 + 3, 60000 * 1024 + 4], [c, 7, 12], [b, 7, 60000 * 1024 + 4], [a, 5000 * 1024 + 3, 60000 * 1024 + 4], [c, 7, 12]] as const) {
			it.restore(s);
			check(five, sixty);
		}
		// the state restored runs on exactly as it did
		it.restore(b);
		run(it, 1);
		check(7, 12);
	});

	it('a debugger run writing one page per iteration keeps one metadata copy plus the changes', async () => {
		const rt = new HmmRuntime();
		// full checkpoints as often as their spacing allows
		rt.tt.opts.intervalMs = 0;
		rt.tt.opts.intervalSteps = 1;
		const src = 'process p\nX = mmap 256MiB anon rw\ncpu write X = i\nfor j in 0..400 {\n\tcpu write page(X, j * 97) = j\n}\nprint "done"\n';
		assert.equal(rt.load('/tmp/cost.hmmw', src), undefined);
		const it = rt.interp;
		run(it, 3);
		const one = bytes(buffers(it.snapshot()));
		await new Promise<void>(resolve => { rt.once('end', () => resolve()); rt.start(false); });
		const n = rt.tt.machineSnapshots;
		assert.ok(n >= 3, `${n} machine snapshots held`);
		// every further machine snapshot holds its changed blocks (64 KiB each, a handful per page write)
		assert.ok(rt.tt.peakBytes < one + n * 1 * MiB, `held ${(rt.tt.peakBytes / MiB).toFixed(1)} MiB at most for ${n} machine snapshots of ${(one / MiB).toFixed(1)} MiB each`);
	});
});
