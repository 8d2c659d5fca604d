// Time travel (the debugger's stepBack / reverseContinue / restart) on random checked programs:
// run to a random statement, snapshot, run on; restore the snapshot and run on again. Both runs
// must end in the same state, since the simulator is deterministic and a snapshot must capture
// everything (page contents, page tables, mirrors, counters, clock, script variables).
import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';
import { checkInvariants, contentChecksum } from '../../src/engine/sim/invariants';
import { FUZZ, runs, seed } from './config';
import { program } from './programs';

const MAX_STEPS = 400;

function runOn(interp: Interpreter): void {
	while (!interp.done && interp.steps < MAX_STEPS) {
		const g = interp.step();
		while (!g.next().done) { /* nobody watches */ }
	}
}

/** Everything a user could observe after the run, as one comparable value. */
function fingerprint(interp: Interpreter, printed: string[]): unknown {
	const k = interp.machine.k;
	return {
		pc: interp.pc, steps: interp.steps, passed: interp.passed, failed: interp.failed, failures: interp.failures, error: interp.error,
		printed, clock: k.clock, sum: contentChecksum(k), current: interp.machine.current?.name,
		last: { ...interp.machine.last },
		devices: k.devices.map(d => ({ name: d.name, used: d.usedPages, stats: { ...d.stats }, mirrors: [...d.mirrors.keys()].map(m => m.name) })),
		procs: k.mms.map(m => ({ name: m.name, alive: m.alive, faults: m.faults, vmas: m.vmas.list.map(v => `${v.start}-${v.end} ${v.protString()} ${v.kindString()}`) })),
		invariants: checkInvariants(k),
	};
}

describe('fuzz: time travel (snapshot, run on, restore, run on again)', () => {
	const numRuns = runs(300, 5000, 'FUZZ_TT_RUNS');
	it(`a restored snapshot replays to the same end state (${numRuns} programs)`, function () {
		this.timeout(FUZZ ? 0 : 60_000);
		let checked = 0;
		fc.assert(fc.property(program, fc.nat({ max: 40 }), (source, at) => {
			const { program: prog, diagnostics } = compileSource(source, 'tt.hmmw');
			if (diagnostics.some(d => d.severity === 'error')) { return; }
			checked++;
			const printed: string[] = [];
			const interp = new Interpreter(prog, source, { print: l => printed.push(l) });
			while (!interp.done && interp.steps < at) {
				const g = interp.step();
				while (!g.next().done) { /* to the snapshot point */ }
			}
			const snap = interp.snapshot();
			const mark = printed.length;
			runOn(interp);
			const first = fingerprint(interp, printed.slice(mark));
			for (let round = 0; round < 2; round++) {
				// twice: restoring must leave the snapshot itself untouched
				printed.length = mark;
				interp.restore(snap);
				runOn(interp);
				assert.deepEqual(fingerprint(interp, printed.slice(mark)), first, `replay ${round + 1} from statement ${at} differs`);
			}
		}), { numRuns, seed: seed(501) });
		// programs that do not compile are passed over: most must compile, or nothing is tested
		assert.ok(checked >= numRuns / 2, `only ${checked} of ${numRuns} generated programs compiled`);
	});
});
