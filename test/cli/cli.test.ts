// The hmmw command line, as docs/language.md#command-line describes it: exit codes, message formats, --json, --trace.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
const dir = mkdtempSync(path.join(tmpdir(), 'hmmw-cli-'));

function script(name: string, text: string): string {
	const p = path.join(dir, name);
	writeFileSync(p, text);
	return p;
}

function hmmw(...args: string[]) {
	const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
	return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('hmmw CLI', function () {
	this.timeout(30_000);
	const good = script('good.hmmw', 'device gpu memory=64MiB\nprocess p\ngpu mirror p\nX = mmap 4 pages anon rw\ncpu write X = i\nprint "hello", npages(X)\nmigrate X -> gpu\nexpect where(X) == "gpu"\n');
	const failing = script('failing.hmmw', 'process p\nX = mmap 1 page anon rw\nexpect where(X) == "ram", "not populated yet"\nprint "after"\n');
	const crashing = script('crash.hmmw', 'process p\nX = mmap 1 page anon r\ncpu write X = 1\nprint "never"\n');
	const broken = script('broken.hmmw', 'process p\nX = mmap 4 pages anon rw\ncpu write X = (1 +\nmigrate X ->\n');

	it('exits 0 when every expectation holds, with print output on stdout', () => {
		const r = hmmw('run', good);
		assert.equal(r.code, 0, r.err);
		assert.equal(r.out, 'hello 4\n');
	});

	it('exits 1 on a failed expectation, reports it located, and keeps running', () => {
		const r = hmmw('run', failing);
		assert.equal(r.code, 1);
		assert.match(r.err, new RegExp(`^${failing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:1: not populated yet`, 'm'));
		assert.equal(r.out, 'after\n');
	});

	it('exits 2 on a failure outside expect error, naming the line', () => {
		const r = hmmw('run', crashing);
		assert.equal(r.code, 2);
		assert.match(r.err, /crash\.hmmw:3:1: SIGSEGV: write to 0x[0-9a-f]+, mapped r--/);
		assert.equal(r.out, '');
	});

	it('exits 2 on syntax errors, with every diagnostic located', () => {
		for (const cmd of ['run', 'check']) {
			const r = hmmw(cmd, broken);
			assert.equal(r.code, 2);
			const lines = r.err.trim().split('\n').filter(l => l.includes('broken.hmmw'));
			assert.ok(lines.length >= 2, r.err);
			for (const l of lines) { assert.match(l, /broken\.hmmw:\d+:\d+: /); }
		}
	});

	it('check exits 0 on a valid script without running it', () => {
		const r = hmmw('check', good);
		assert.equal(r.code, 0);
		assert.equal(r.out, '');
	});

	it('exits 64 on bad usage', () => {
		assert.equal(hmmw().code, 64);
		assert.equal(hmmw('frobnicate', good).code, 64);
		assert.equal(hmmw('run').code, 64);
		assert.equal(hmmw('run', good, '--bogus').code, 64);
		assert.equal(hmmw('run', path.join(dir, 'missing.hmmw')).code, 64);
		assert.equal(hmmw('run', good, '--max-steps', 'x').code, 64);
	});

	it('--json prints the report object', () => {
		const r = hmmw('run', good, '--json');
		assert.equal(r.code, 0);
		const j = JSON.parse(r.out.trim().split('\n').pop()!);
		assert.equal(j.ok, true);
		assert.equal(j.passed, 1);
		assert.equal(j.failed, 0);
		assert.ok(j.time_ns > 0);
		assert.equal(j.devices.gpu.migrated_in, 4);
		assert.equal(j.devices.gpu.used, 4 * 4096);
		assert.deepEqual(j.failures, []);
		const f = JSON.parse(hmmw('run', failing, '--json').out.trim().split('\n').pop()!);
		assert.equal(f.ok, false);
		assert.deepEqual(f.failures, [{ line: 3, message: 'not populated yet (expect where(X) == "ram", "not populated yet")' }]);
	});

	it('--trace writes Chrome trace events', () => {
		const out = path.join(dir, 'trace.json');
		assert.equal(hmmw('run', good, '--trace', out).code, 0);
		const t = JSON.parse(readFileSync(out, 'utf8'));
		const kinds = new Set(t.traceEvents.map((e: { args?: { kind?: string } }) => e.args?.kind));
		assert.ok(kinds.has('page-fault') && kinds.has('migration'), [...kinds].join());
		assert.ok(t.traceEvents.some((e: { ph: string; cat: string }) => e.ph === 'X' && e.cat === 'statement'));
	});

	it('--max-steps and --timeout stop a runaway loop with a located message', () => {
		const loop = script('loop.hmmw', 'n = 0\nrepeat 1000000000 {\n  n = n + 1\n}\n');
		const a = hmmw('run', loop, '--max-steps', '500');
		assert.equal(a.code, 2);
		assert.match(a.err, /loop\.hmmw:\d+:\d+: stopped after --max-steps 500/);
		const b = hmmw('run', loop, '--timeout', '0.5');
		assert.equal(b.code, 2);
		assert.match(b.err, /loop\.hmmw:\d+:\d+: stopped by --timeout/);
	});

	it('device-model statements check cleanly; when run, every kernel has a summary line and a --json entry', () => {
		const k = script('kernel.hmmw', 'device gpu memory=64MiB policy=migrate\nprocess p\ngpu mirror p\nX = mmap 4 pages anon rw\ncpu write X = i\n'
			+ 'kernel gpu "touch" {\n  read X\n}\nprefetch X -> ram\nadvise X preferred=gpu\nexpect copies(X, gpu) >= 0\n');
		assert.equal(hmmw('check', k).code, 0);
		const r = hmmw('run', k);
		assert.equal(r.code, 0, r.err);
		assert.match(r.err, /^ {3}kernel "touch" on gpu: .*, \d+ faults in \d+ batches, migrated 4, prefetched \d+, evicted 0 pages, remote 0 bytes$/m);
		assert.match(r.err, /^ {3}gpu migrations by cause: device-fault 4 in \/ 0 out/m);
		const j = JSON.parse(hmmw('run', k, '--json').out.trim().split('\n').pop()!);
		assert.deepEqual(j.kernels.map((x: { name: string; device: string; migrated: number }) => [x.name, x.device, x.migrated]), [['touch', 'gpu', 4]]);
		assert.equal(j.migrations.gpu['device-fault'].in, 4);
	});
	// issue "Reliability II", item 5: bounded inputs
	it('refuses a file that is not a regular file (exit 64), without reading it', () => {
		const r = hmmw('check', '/dev/zero');
		assert.equal(r.code, 64);
		assert.match(r.err, /not a regular file/);
		assert.equal(hmmw('run', dir).code, 64);
	});

	it('refuses a script over the size limit with a located error; --max-script-size raises it', () => {
		const big = script('big.hmmw', 'process p\n' + 'x = 1\n'.repeat(20_000));
		const r = hmmw('check', big, '--max-script-size', '1000');
		assert.equal(r.code, 2);
		assert.match(r.err, new RegExp(`^${big.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:1:1: the script is 120010 bytes, over the limit of 1000 bytes`));
		assert.equal(hmmw('check', big, '--max-script-size', '200000').code, 0);
		assert.equal(hmmw('check', big).code, 0, 'the default limit is a few MB');
		assert.equal(hmmw('check', big, '--max-script-size', '-3').code, 64);
	});

	it('checks an unwritable --trace path before the run (exit 64, nothing run)', () => {
		for (const bad of ['/nonexistent-dir/t.json', dir]) {
			const r = hmmw('run', good, '--trace', bad);
			assert.equal(r.code, 64, `${bad}: ${r.err}`);
			assert.match(r.err, /cannot write trace/);
			assert.equal(r.out, '', 'the workload did not run');
		}
	});
});
