// Model-based data integrity (issue "Reliability", part 3): random programs of CPU and device
// writes, migrations both ways across a private and a coherent device, fork, mprotect, munmap,
// exclusive access, pins, release and MADV_DONTNEED, checked after every step against a model
// that only knows what each process should read. Shrunk counterexamples become .hmmw scripts under
// test/model/regressions/, which the last test replays.
import * as assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { FUZZ, ROOT, runs, seed } from '../fuzz/config';
import { run } from '../engine/helpers';
import { op } from './arbitraries';
import { Cmd, setup, toScript } from './runner';

const REGRESSIONS = path.join(ROOT, 'test', 'model', 'regressions');

function regressionFiles(): string[] {
	try { return readdirSync(REGRESSIONS).filter(f => f.endsWith('.hmmw')).sort(); } catch { return []; }
}

describe('model: data integrity against a reference model', function () {
	const numRuns = runs(1500, 20_000, 'FUZZ_MODEL_RUNS');
	const maxCommands = FUZZ ? 80 : 40;

	it(`every process reads what Linux says, after every step (${numRuns} programs of up to ${maxCommands} steps)`, function () {
		this.timeout(FUZZ ? 0 : 120_000);
		const s = seed(301);
		const out = fc.check(fc.property(fc.nat({ max: 7 }), fc.commands([op.map(o => new Cmd(o))], { maxCommands, size: 'max' }), (variant, cmds) => {
			fc.modelRun(() => setup(variant), cmds);
		}), { numRuns, seed: s });
		if (!out.failed) { return; }
		// the shrunk program, replayed into a script that fails the same way
		const [variant, cmds] = out.counterexample as unknown as [number, Iterable<Cmd>];
		const { script, failure } = toScript(cmds, [`found by test/model/integrity.test.ts, seed ${s}, ${out.numRuns} runs, ${out.numShrinks} shrinks`], variant);
		const dir = FUZZ || process.env.FUZZ_SAVE === '1' ? REGRESSIONS : mkdtempDir();
		mkdirSync(dir, { recursive: true });
		const file = path.join(dir, `found-${s >>> 0}.hmmw`);
		writeFileSync(file, script);
		assert.fail(`${failure ?? (out.errorInstance as Error)?.message}\n\ncounterexample saved as ${file}:\n${script}`);
	});

	it('the recorded script of a passing program replays through the interpreter', () => {
		// keeps toScript honest: a program the model accepts must also pass as a script
		const cmds = fc.sample(fc.commands([op.map(o => new Cmd(o))], { maxCommands: 30, size: 'max' }), { numRuns: 40, seed: 7 });
		for (const [k, c] of cmds.entries()) {
			const { script, failure } = toScript(c as Iterable<Cmd>, ['sample'], k);
			if (failure) { continue; }
			run(script, { invariants: true });
		}
	});

	describe('regressions (test/model/regressions/*.hmmw)', () => {
		for (const f of regressionFiles()) {
			it(f, function () {
				this.timeout(30_000);
				run(readFileSync(path.join(REGRESSIONS, f), 'utf8'), { invariants: true });
			});
		}
	});
});

function mkdtempDir(): string {
	return path.join(os.tmpdir(), `hmm-model-${process.pid}`);
}
