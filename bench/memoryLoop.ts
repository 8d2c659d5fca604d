// Bounded adapter memory, full size (issue 16, item 3): a loop of 100,000 iterations rewriting a
// 256 MiB buffer page by page with stored bytes (every page rewritten more than once, so each
// checkpoint sees different contents) runs once in `hmmw run` and once in the debug adapter
// (launched without stopping, over DAP). The adapter's peak RSS must stay under the CLI's peak +
// the time-travel budget (512 MiB) + a small constant. The scaled version is
// test/debug/memoryBound.test.ts. Peak RSS is VmHWM from /proc, read just before each exits.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RawDapClient } from '../test/fuzz/dapClient';
import type { BenchRow } from './debug';

const MiB = 2 ** 20;
const BUDGET = 512 * MiB;
const CONSTANT = 200 * MiB;
const ITERATIONS = Number(process.env.MEMORY_LOOP_ITERATIONS ?? 100_000);

export const LOOP_SCRIPT = [
	'system ram=2GiB', 'process p', 'X = mmap 256MiB anon rw',
	`for j in 0..${ITERATIONS} {`, '\tcpu write page(X, j % 65536) = i * i + j', '}',
	`expect word(page(X, ${(ITERATIONS - 1) % 65536}), 3) == 9 + ${ITERATIONS - 1}`,
].join('\n') + '\n';

const dist = (f: string) => path.join(__dirname, '..', '..', 'dist', f);

/** Peak RSS (VmHWM) of a live process, in bytes; 0 once it is gone. */
function peakRss(pid: number): number {
	try {
		const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
		return m ? Number(m[1]) * 1024 : 0;
	} catch { return 0; }
}

/** `hmmw run` with a sampler: the last VmHWM read before it exits is its peak. */
function cliPeak(file: string): Promise<{ peak: number; ms: number; code: number | null }> {
	return new Promise(resolve => {
		const t = performance.now();
		const p = spawn(process.execPath, [dist('cli.js'), 'run', file], { stdio: 'ignore' });
		let peak = 0;
		const timer = setInterval(() => { peak = Math.max(peak, peakRss(p.pid!)); }, 25);
		p.on('exit', code => { clearInterval(timer); resolve({ peak, ms: performance.now() - t, code }); });
	});
}

async function adapterPeak(file: string): Promise<{ peak: number; ms: number; ended: boolean }> {
	const c = new RawDapClient(dist('debugAdapter.js'));
	let peak = 0;
	const timer = setInterval(() => { peak = Math.max(peak, peakRss(c.proc.pid!)); }, 25);
	const t = performance.now();
	try {
		await c.request('initialize', { adapterID: 'hmm', linesStartAt1: true, columnsStartAt1: true }, 10_000);
		await c.request('launch', { program: file, stopOnEntry: false }, 30_000);
		await c.request('configurationDone', {}, 10_000);
		let ended = false;
		for (let n = 0; n < 36_000 && !ended; n++) {
			await new Promise(resolve => setTimeout(resolve, 50));
			ended = c.events.some(e => e.event === 'terminated' || e.event === 'exited');
			peak = Math.max(peak, peakRss(c.proc.pid!));
		}
		const ms = performance.now() - t;
		await c.request('disconnect', {}, 10_000);
		return { peak, ms, ended };
	} finally {
		clearInterval(timer);
		c.kill();
	}
}

export async function benchMemoryLoop(): Promise<BenchRow[]> {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'hmmw-loop-'));
	try {
		const file = path.join(dir, 'loop.hmmw');
		writeFileSync(file, LOOP_SCRIPT);
		const cli = await cliPeak(file);
		if (cli.code !== 0) { throw new Error(`hmmw run of the loop exited with ${cli.code}`); }
		const dap = await adapterPeak(file);
		if (!dap.ended) { throw new Error('the loop did not end under the debug adapter'); }
		const bound = cli.peak + BUDGET + CONSTANT;
		const what = `${ITERATIONS} iterations rewriting 256 MiB`;
		return [
			{ name: `memory loop (${what}): hmmw run peak RSS (${(cli.ms / 1000).toFixed(1)} s)`, value: cli.peak / MiB, unit: 'MB' },
			{
				name: `memory loop (${what}): debug adapter peak RSS (${(dap.ms / 1000).toFixed(1)} s)`, value: dap.peak / MiB, unit: 'MB',
				target: `< CLI + budget ${BUDGET / MiB} + ${CONSTANT / MiB} = ${(bound / MiB).toFixed(0)} MB`, ok: dap.peak < bound,
			},
		];
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

if (require.main === module) {
	benchMemoryLoop().then(rows => {
		for (const r of rows) { process.stdout.write(`${r.name}: ${r.value.toFixed(0)} ${r.unit}${r.target ? ` (target ${r.target}: ${r.ok ? 'meets' : 'MISSES'})` : ''}\n`); }
	}, e => { process.stderr.write(String(e?.stack ?? e) + '\n'); process.exitCode = 1; });
}
