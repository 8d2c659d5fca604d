// `npm run fuzz [-- scripts dap model timetravel]`: the long reliability campaign
// (docs/reliability.md). Builds, compiles the tests, then runs the fuzz and model suites with
// HMM_FUZZ=1: 100k script cases, 10k DAP sequences, 20k model programs and 5k time-travel replays
// by default, with a fresh seed each time. FUZZ_RUNS, FUZZ_CLI_RUNS, FUZZ_DAP_RUNS,
// FUZZ_MODEL_RUNS, FUZZ_TT_RUNS and FUZZ_SEED override the defaults; counterexamples are saved
// under test/model/regressions/ and test/fuzz/regressions/.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const SUITES = {
	scripts: 'out/test/fuzz/scripts.test.js',
	dap: 'out/test/fuzz/dap.test.js',
	model: 'out/test/model/integrity.test.js',
	timetravel: 'out/test/fuzz/timetravel.test.js',
};
const wanted = process.argv.slice(2);
for (const w of wanted) {
	if (!(w in SUITES)) { console.error(`fuzz: unknown suite '${w}' (expected ${Object.keys(SUITES).join(', ')})`); process.exit(64); }
}
const suites = wanted.length > 0 ? wanted : Object.keys(SUITES);

function run(what, args, env = process.env) {
	const r = spawnSync(process.execPath, args, { stdio: 'inherit', env });
	if (r.status !== 0) { console.error(`fuzz: ${what} failed (exit ${r.status ?? r.signal})`); }
	return r.status === 0;
}

if (!run('build', ['scripts/build.mjs'])) { process.exit(2); }
if (!run('compile-tests', [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.test.json'])) { process.exit(2); }

const env = { ...process.env, HMM_FUZZ: '1' };
const results = [];
for (const s of suites) {
	const t0 = Date.now();
	const ok = run(s, [require.resolve('mocha/bin/mocha.js'), '--no-config', '--timeout', '0', '--reporter', 'spec', SUITES[s]], env);
	results.push(`${s}: ${ok ? 'passed' : 'FAILED'} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}
console.log(`\nfuzz summary\n  ${results.join('\n  ')}`);
process.exit(results.some(r => r.includes('FAILED')) ? 1 : 0);
