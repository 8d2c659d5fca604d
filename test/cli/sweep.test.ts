// Profiles, params and sweeps from the command line (docs/language.md#profiles-params-sweeps-and-reports):
// the profile adds up to the run, --set reaches the engine, a sweep's grid, tables, exit codes,
// and --emit-jobs commands run by a shell merge back through --collect into the same table.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { grid, parseSweepArgs } from '../../src/cli/sweepArgs';
import { formatTable, type SweepResults } from '../../src/cli/sweepTable';
import { metricOf, parseRunOutput, type RunDoc } from '../../src/cli/runDoc';
import { shq } from '../../src/cli/sweep';
import { readReportInput } from '../../src/cli/htmlReportMain';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';
import { Driver } from '../../src/lang/driver';
import { LineProfiler } from '../../src/lang/profile';
import { MIGRATION_CAUSES } from '../../src/engine/device/uvm/types';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'hmmw-sweep-'));
const SCRIPT = path.join(dir, 's.hmmw');
writeFileSync(SCRIPT, [
	'param MEM = 16MiB',
	'param PF = none',
	'param PAGES = 2048',
	'device gpu memory=MEM policy=migrate prefetch=PF',
	'process p',
	'gpu mirror p',
	'X = mmap PAGES * 4KiB anon rw',
	'cpu write X = i',
	'repeat 2 {',
	'  kernel gpu "k" { read X }',
	'}',
	'print "pages", npages(X)',
	'expect matches(X, i)',
].join('\n') + '\n');

function hmmw(...args: string[]) {
	const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
	return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('hmmw run --profile and --set', function () {
	this.timeout(60_000);

	it('charges every line, and the lines add up to the run', () => {
		const { program } = compileSource(readScript(), SCRIPT, { MEM: '4MiB' });
		const interp = new Interpreter(program, readScript(), {});
		const prof = new LineProfiler(() => interp.machine);
		const d = new Driver(interp);
		while (d.run({ boundary: span => { if (span) { prof.statement(span); } return undefined; } }).kind === 'slice') { /* next slice */ }
		const p = prof.result();
		const m = interp.machine;
		const gpu = m.view.deviceSummary('gpu')!;
		const sum = (f: (l: typeof p.lines[0]) => number) => p.lines.reduce((s, l) => s + f(l), 0);
		assert.equal(p.totalNs, m.time);
		assert.equal(sum(l => l.timeNs), m.time);
		assert.equal(sum(l => l.deviceFaults), gpu.counters.faults);
		assert.equal(sum(l => l.batches), gpu.counters.fault_batches);
		for (const c of MIGRATION_CAUSES) { assert.equal(sum(l => l.migrated[c]), gpu.byCause[c].in + gpu.byCause[c].out, c); }
		// the kernel line ran twice and launched both kernels; an oversubscribed device evicts
		const k = p.lines.find(l => l.line === 10)!;
		assert.equal(k.runs, 2);
		assert.equal(k.kernels, 2);
		assert.ok(k.migrated.eviction > 0);
		assert.deepEqual(p.kernels.map(x => [x.line, x.name]), [[10, 'k'], [10, 'k']]);
		assert.equal(p.lines[0].line, 10, 'the most expensive line comes first');
	});

	it('prints the profile table after the run', () => {
		const r = hmmw('run', SCRIPT, '--profile');
		assert.equal(r.code, 0, r.err);
		const lines = r.out.split('\n');
		assert.equal(lines[0], 'pages 2048');
		assert.match(lines[1], /^-- profile: simulated time [\d.]+ ms over \d+ lines/);
		assert.match(lines[2], /^\s+line\s+time\s+%\s+runs\s+cpu faults\s+dev faults\s+batches\s+migrated pages by cause\s+bytes moved\s+statement$/);
		assert.match(lines[3], /^\s+10\s+[\d.]+ ms\s+9\d\.\d%\s+2\s+0\s+2048\s+75\s+device-fault 2048\s+8\.00 MiB\s+kernel gpu "k" \{ read X \}$/);
		assert.match(r.out, /-- kernels: 2\n\s+line\s+kernel\s+device/);
	});

	it('--set changes the run and the JSON says which values it ran with', () => {
		const r = hmmw('run', SCRIPT, '--json', '--set', 'PAGES=512', '--set', 'PF=density');
		assert.equal(r.code, 0, r.err);
		const doc = parseRunOutput(r.out)!;
		assert.deepEqual(doc.params, { MEM: '16MiB', PF: 'density', PAGES: '512' });
		assert.ok(doc.devices.gpu.prefetched > 0);
	});

	it('an unknown param is bad usage; a bad value is a located error', () => {
		const u = hmmw('run', SCRIPT, '--set', 'LINK=pcie5');
		assert.equal(u.code, 64);
		assert.match(u.err, /^hmmw: unknown param 'LINK' in --set \(the script declares MEM, PF, PAGES\)/);
		const b = hmmw('run', SCRIPT, '--set', 'PF=sideways');
		assert.equal(b.code, 2);
		assert.match(b.err, /s\.hmmw:4:47: 'prefetch' must be one of none, density/);
		assert.equal(hmmw('check', SCRIPT, '--set', 'MEM=64MiB').code, 0);
		assert.equal(hmmw('run', SCRIPT, '--set', 'MEM').code, 64);
	});
});

function readScript(): string {
	return readFileSync(SCRIPT, 'utf8');
}

describe('hmmw sweep', function () {
	this.timeout(120_000);

	it('parses its arguments and spans the cartesian product, first axis slowest', () => {
		const a = parseSweepArgs(['f.hmmw', '--set', 'A=1,2', '--set', 'B=x,y,z', '-j', '3', '--metrics', 'time_ns,gpu.faults,cause.eviction', '--format', 'csv']);
		assert.ok(typeof a !== 'string');
		assert.equal(a.jobs, 3);
		assert.deepEqual(grid(a.axes).map(c => `${c.A}${c.B}`), ['1x', '1y', '1z', '2x', '2y', '2z']);
		assert.equal(typeof parseSweepArgs(['f', '--set', 'A=1']), 'object', 'a one-axis, one-value sweep is fine');
		assert.equal(parseSweepArgs(['f']), 'a sweep needs at least one --set NAME=V1,V2,...');
		assert.equal(parseSweepArgs(['f', '--set', 'A=1,,2']), "--set A: empty value in '1,,2'");
		assert.equal(parseSweepArgs(['f', '--set', 'A=1', '-j', '0']), '-j needs a positive integer');
		assert.match(parseSweepArgs(['f', '--set', 'A=1', '--metrics', 'speed']) as string, /^unknown metric 'speed'/);
		assert.equal(parseSweepArgs(['--collect', 'd', '--set', 'A=1']), '--collect takes only its directory (and --metrics, --format, -o)');
	});

	it('reads the run document after print lines, and computes metrics from it', () => {
		const doc: RunDoc = {
			ok: true, passed: 1, failed: 0, time_ns: 50, kernels: [{ name: 'k', device: 'g', start_ns: 0, time_ns: 20, faults: 1, batches: 1, migrated: 1 }],
			devices: { g: { faults: 3, migrated_in: 2, migrated_out: 1, remote_bytes: 10 }, h: { faults: 4 } },
			migrations: { g: { eviction: { in: 0, out: 1 } } },
		};
		const parsed = parseRunOutput(`{ not json\nhello\n${JSON.stringify(doc)}\n`)!;
		assert.deepEqual(parsed, doc);
		assert.equal(metricOf(parsed, 'faults'), 7);
		assert.equal(metricOf(parsed, 'kernel_ns'), 20);
		assert.equal(metricOf(parsed, 'bytes_moved'), 3 * 4096 + 10);
		assert.equal(metricOf(parsed, 'h.faults'), 4);
		assert.equal(metricOf(parsed, 'cause.eviction'), 1);
		assert.equal(parseRunOutput('print only\n'), undefined);
	});

	it('formats its table as text, CSV and Markdown', () => {
		const res: SweepResults = {
			kind: 'hmmw-sweep', version: 1, script: 's', params: ['A'], metrics: ['time_ns'],
			runs: [{ config: { A: '1,5' }, exit: 0, wall_ms: 1, metrics: { time_ns: 10 } }, { config: { A: 'x|y' }, exit: 2, wall_ms: 1, metrics: { time_ns: null }, error: 'boom' }],
		};
		assert.equal(formatTable(res, 'text'), 'A    time_ns  status\n1,5       10  ok\nx|y        -  error: boom\n');
		assert.equal(formatTable(res, 'csv'), 'A,time_ns,status\n"1,5",10,ok\nx|y,-,error: boom\n');
		assert.equal(formatTable(res, 'md'), '| A | time_ns | status |\n| --- | ---: | --- |\n| 1,5 | 10 | ok |\n| x\\|y | - | error: boom |\n');
		assert.equal(shq("it's"), `'it'\\''s'`);
		assert.equal(shq('MEM=8MiB'), 'MEM=8MiB');
	});

	it('runs a grid in parallel and prints the chosen metrics per configuration', () => {
		const r = hmmw('sweep', SCRIPT, '--set', 'MEM=4MiB,16MiB', '--set', 'PF=none,density', '-j', '2', '--metrics', 'evicted,prefetched,gpu.fault_batches', '--format', 'csv');
		assert.equal(r.code, 0, r.err);
		assert.match(r.err, /4 configurations, 2 at a time/);
		const rows = r.out.trim().split('\n').map(l => l.split(','));
		assert.deepEqual(rows[0], ['MEM', 'PF', 'evicted', 'prefetched', 'gpu.fault_batches', 'status']);
		assert.deepEqual(rows.slice(1).map(x => [x[0], x[1], x[5]]), [['4MiB', 'none', 'ok'], ['4MiB', 'density', 'ok'], ['16MiB', 'none', 'ok'], ['16MiB', 'density', 'ok']]);
		assert.ok(Number(rows[1][2]) > 0 && Number(rows[3][2]) === 0, 'only the 4 MiB device evicts');
		assert.ok(Number(rows[2][3]) > 0 && Number(rows[1][3]) === 0, 'only density prefetches');
	});

	it('refuses an unknown param (64) and a configuration that does not check (2) before running anything', () => {
		const u = hmmw('sweep', SCRIPT, '--set', 'NOPE=1,2');
		assert.equal(u.code, 64);
		assert.match(u.err, /unknown param 'NOPE'/);
		const b = hmmw('sweep', SCRIPT, '--set', 'PF=none,sideways');
		assert.equal(b.code, 2);
		assert.match(b.err, /'prefetch' must be one of none, density\nhmmw sweep: configuration PF=sideways does not check/);
	});

	it('--emit-jobs commands, run by a shell, merge back through --collect into the same table', () => {
		const out = path.join(dir, 'jobs out');
		const e = hmmw('sweep', SCRIPT, '--set', 'MEM=4MiB,16MiB', '--set', 'PF=none', '--emit-jobs', out);
		assert.equal(e.code, 0, e.err);
		const cmds = e.out.trim().split('\n');
		assert.equal(cmds.length, 2);
		for (const c of cmds) {
			const sh = spawnSync('sh', ['-c', c], { encoding: 'utf8' });
			assert.equal(sh.status, 0, sh.stderr);
		}
		assert.deepEqual(readdirSync(out).sort(), ['run-1.json', 'run-2.json']);
		const direct = hmmw('sweep', SCRIPT, '--set', 'MEM=4MiB,16MiB', '--format', 'md');
		const merged = hmmw('sweep', '--collect', out, '--format', 'md');
		assert.equal(merged.code, 0, merged.err);
		assert.equal(merged.out, direct.out);
	});

	it('a report can chart other metrics than the sweep printed, from the runs it kept', () => {
		const run: RunDoc = { ok: true, passed: 1, failed: 0, time_ns: 9, kernels: [], devices: { gpu: { evicted: 5 } }, migrations: {} };
		const res: SweepResults = { kind: 'hmmw-sweep', version: 1, script: 's', params: ['A'], metrics: ['time_ns'], runs: [{ config: { A: '1' }, exit: 0, wall_ms: 1, metrics: { time_ns: 9 }, run }] };
		const file = path.join(dir, 'res.json');
		writeFileSync(file, JSON.stringify(res));
		const got = readReportInput(file, ['evicted', 'gpu.evicted']);
		assert.ok(typeof got !== 'string' && got.kind === 'sweep');
		assert.deepEqual(got.sweep.runs[0].metrics, { evicted: 5, 'gpu.evicted': 5 });
		assert.equal(readReportInput(path.join(dir, 'nope.json'), undefined), `cannot read ${path.join(dir, 'nope.json')}: ENOENT`);
	});
});
