// Time travel at scale (issue 13, targets 5-7), each figure next to its same-run baseline:
//   - stepBack with 16 GiB touched < 50 ms: the first one (cold: the replay's code and the scan
//     of the segment run for the first time) and the worst of the next three (warm);
//   - the debug adapter's peak RSS after 1M statements with 1 GiB touched < 2x the peak of the
//     same script under `hmmw run` (no history, no adapter);
//   - `next` over DAP >= 85% of the steps/s of an adapter that does nothing but answer (the same
//     client, the same requests: next, then threads and stackTrace at each stop, as VS Code asks),
//     both adapters alive at once and stepped in alternating blocks, the median of several rounds
//     (the machine is shared: a burst of load must not land on one adapter only).
// The adapter figures are whole processes spoken to over stdio, as a user runs them.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HmmRuntime, type StopInfo } from '../src/debug/runtime';
import type { BenchRow } from './debug';

const MiB = 2 ** 20;
// HMMW_DIST: another build's dist/ (to measure a before/after pair)
const dist = (f: string) => path.join(process.env.HMMW_DIST ?? path.join(__dirname, '..', '..', 'dist'), f);
const stopped = (rt: HmmRuntime) => new Promise<StopInfo>(resolve => rt.once('stopped', resolve));

/** 16 GiB touched (pattern pages: 4M struct pages, 8192 page-table leaves), a loop writing a page
 * every 1000 iterations, one more page write, and a loop that does not touch the machine. */
export const STEP_BACK_16G = ['system ram=32GiB', 'process p', 'X = mmap 16GiB anon rw', 'cpu write X = i', 'n = 0',
	'for j in 0..20000 {', '\tif j % 1000 == 0 { cpu write page(X, j * 97) = j }', '\tn = n + 1', '}',
	'cpu write page(X, 5) = 1', 'm = 0', 'for k in 0..3000 { m = m + k }', 'print n + m'].join('\n');

async function stepBack16G(): Promise<BenchRow[]> {
	const rt = new HmmRuntime();
	const file = '/bench/tt16.hmmw';
	const bad = rt.load(file, STEP_BACK_16G);
	if (bad) { throw new Error(bad.join('\n')); }
	rt.bps.setLineBreakpoints(file, [{ line: 11 }, { line: 13 }]);
	rt.bps.setFilters([], []);
	const t0 = performance.now();
	const at = async (f: () => unknown) => { const t = performance.now(); const w = stopped(rt); void f(); await w; return performance.now() - t; };
	await at(() => rt.start(false));
	await at(() => rt.resume('continue'));
	const runMs = performance.now() - t0;
	if (rt.interp.loc?.line !== 13) { throw new Error(`stopped on line ${rt.interp.loc?.line}, not 13`); }
	const back = () => at(() => rt.stepBack());
	const cold = await back();
	const warm = Math.max(await back(), await back(), await back());
	const held = rt.tt.bytes / MiB;
	// back to line 11, then one step back over the page write: the machine before it is restored
	await at(() => rt.reverseContinue());
	const line = (): number | undefined => rt.interp.loc?.line;
	if (line() !== 11) { throw new Error(`reverse-continued to line ${rt.interp.loc?.line}, not 11`); }
	const across = await back();
	rt.terminate();
	const what = `${rt.tt.checkpoints} checkpoints, ${held.toFixed(0)} MiB held; the run to the stop took ${(runMs / 1000).toFixed(1)} s`;
	return [
		{ name: `time travel: stepBack with 16 GiB touched, cold (${what})`, value: cold, unit: 'ms', target: '< 50 ms', ok: cold < 50 },
		{ name: 'time travel: stepBack with 16 GiB touched, warm (worst of the next 3)', value: warm, unit: 'ms', target: '< 50 ms', ok: warm < 50 },
		{ name: '  same, stepping back over a statement that wrote a page (the machine restored)', value: across, unit: 'ms' },
	];
}

/** Peak RSS (VmHWM) of a live process, in bytes; 0 once it is gone. */
function peakRss(pid: number): number {
	try {
		const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
		return m ? Number(m[1]) * 1024 : 0;
	} catch { return 0; }
}

/** CPU time (user + system) a live process has used, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
	try {
		const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
		return (Number(f[11]) + Number(f[12])) * 10;
	} catch { return 0; }
}

/** The initialize arguments VS Code sends (so the adapter answers it, and does per step what it
 * does for VS Code: progress reporting among others). */
const VSCODE_INITIALIZE = {
	clientID: 'vscode', clientName: 'Visual Studio Code', adapterID: 'hmm', pathFormat: 'path', linesStartAt1: true, columnsStartAt1: true,
	supportsVariableType: true, supportsVariablePaging: true, supportsRunInTerminalRequest: true, locale: 'en', supportsProgressReporting: true,
	supportsInvalidatedEvent: true, supportsMemoryReferences: true, supportsArgsCanBeInterpretedByShell: true, supportsMemoryEvent: true, supportsStartDebuggingRequest: true,
};

/** A lean DAP client (no checks on what it reads: the bench measures the adapter). */
class Dap {
	readonly proc: ChildProcess;
	private buf: Buffer = Buffer.alloc(0);
	private seq = 1;
	private waiting = new Map<number, () => void>();
	private eventWaiters: { event: string; resolve: () => void }[] = [];
	ended = false;

	constructor(file: string) {
		this.proc = spawn(process.execPath, [file], { stdio: ['pipe', 'pipe', 'ignore'] });
		this.proc.stdout!.on('data', (d: Buffer) => this.data(d));
		this.proc.on('exit', () => { this.ended = true; });
	}

	private data(d: Buffer): void {
		this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
		for (;;) {
			const sep = this.buf.indexOf('\r\n\r\n');
			if (sep < 0) { return; }
			const len = Number(/Content-Length: (\d+)/i.exec(this.buf.subarray(0, sep).toString('ascii'))![1]);
			if (this.buf.length < sep + 4 + len) { return; }
			const msg = JSON.parse(this.buf.subarray(sep + 4, sep + 4 + len).toString('utf8')) as { type: string; event?: string; request_seq?: number };
			this.buf = this.buf.subarray(sep + 4 + len);
			if (msg.type === 'response') { const w = this.waiting.get(msg.request_seq!); this.waiting.delete(msg.request_seq!); w?.(); }
			if (msg.type === 'event') {
				if (msg.event === 'terminated' || msg.event === 'exited') { this.ended = true; }
				const i = this.eventWaiters.findIndex(w => w.event === msg.event);
				if (i >= 0) { this.eventWaiters.splice(i, 1)[0].resolve(); }
			}
		}
	}

	request(command: string, args: unknown): Promise<void> {
		const seq = this.seq++;
		const json = JSON.stringify({ seq, type: 'request', command, arguments: args });
		return new Promise(resolve => {
			this.waiting.set(seq, resolve);
			this.proc.stdin!.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
		});
	}

	event(event: string): Promise<void> { return new Promise(resolve => this.eventWaiters.push({ event, resolve })); }

	/** Launches as VS Code does: breakpoints and configurationDone once the adapter says it is
	 * initialized; with `breakAt`, a breakpoint on that line, and the first stop there is shown
	 * (threads, stackTrace) before this returns. */
	async start(program: string, stopOnEntry: boolean, breakAt?: number): Promise<void> {
		await this.request('initialize', VSCODE_INITIALIZE);
		const stops = stopOnEntry || breakAt !== undefined;
		const first = stops ? this.event('stopped') : Promise.resolve();
		const initialized = this.event('initialized');
		const launched = this.request('launch', { program, stopOnEntry });
		await initialized;
		if (breakAt !== undefined) { await this.request('setBreakpoints', { source: { path: program }, breakpoints: [{ line: breakAt }] }); }
		await this.request('configurationDone', {});
		await launched;
		await first;
		if (stops) {
			await this.request('threads', {});
			await this.request('stackTrace', { threadId: 1, startFrame: 0, levels: 20 });
		}
	}

	/** One `next` as VS Code does it: the request, the stop, then threads and the stack. */
	async next(): Promise<void> {
		const s = this.event('stopped');
		await this.request('next', { threadId: 1 });
		await s;
		await this.request('threads', {});
		await this.request('stackTrace', { threadId: 1, startFrame: 0, levels: 20 });
	}

	async close(): Promise<void> {
		await Promise.race([this.request('disconnect', {}), new Promise(resolve => setTimeout(resolve, 2000))]);
		this.proc.kill('SIGKILL');
	}
}

/** An adapter that does nothing: every request answered at once, every `next` stopped at once. */
const NULL_ADAPTER = `let buf = Buffer.alloc(0), seq = 1;
const send = o => { const b = JSON.stringify({ seq: seq++, ...o }); process.stdout.write('Content-Length: ' + Buffer.byteLength(b) + '\\r\\n\\r\\n' + b); };
const bodies = { threads: { threads: [{ id: 1, name: 'script' }] }, stackTrace: { stackFrames: [{ id: 1, name: 'main', line: 1, column: 1, source: { path: '/x.hmmw' } }], totalFrames: 1 } };
process.stdin.on('data', d => {
	buf = Buffer.concat([buf, d]);
	for (;;) {
		const sep = buf.indexOf('\\r\\n\\r\\n'); if (sep < 0) { return; }
		const len = Number(/Content-Length: (\\d+)/i.exec(buf.subarray(0, sep).toString())[1]);
		if (buf.length < sep + 4 + len) { return; }
		const m = JSON.parse(buf.subarray(sep + 4, sep + 4 + len).toString()); buf = buf.subarray(sep + 4 + len);
		send({ type: 'response', request_seq: m.seq, command: m.command, success: true, body: bodies[m.command] ?? {} });
		if (m.command === 'launch') { send({ type: 'event', event: 'initialized' }); }
		if (m.command === 'next' || (m.command === 'configurationDone')) { send({ type: 'event', event: 'stopped', body: { reason: 'step', threadId: 1 } }); }
		if (m.command === 'disconnect') { process.exit(0); }
	}
});`;

const NEXT_STEPS = Number(process.env.NEXT_STEPS ?? 4000);
/** rounds of `next`: single cold rounds spread over 80-105% of the baseline on this machine, so
 * the median takes seven */
const NEXT_ROUNDS = Number(process.env.NEXT_ROUNDS ?? 7);
/** the first steps of a fresh adapter (cold); then the steps while the JIT still compiles and
 * settles (shown, no target); then NEXT_STEPS (warm); and the block size of each */
const COLD = 500;
const WARMING = 1500;
const COLD_BLOCK = 50;
const WARM_BLOCK = 250;
/** a loop long enough for every `next` to land on a line of it; the clock starts at its first
 * line (a breakpoint), so the setup above it (a 64 MiB fill: simulation work, not the
 * debugger's) is not in the figure */
const NEXT_SCRIPT = ['process p', 'X = mmap 64MiB anon rw', 'cpu write X = i', 'n = 0', 'for j in 0..1000000 {', '\tn = n + j', '\tif j % 100 == 0 { cpu write page(X, j % 16384) = j }', '}', 'print n'].join('\n') + '\n';
const NEXT_FROM = 4;

/** Pins one thread (a process's main thread: its tid is its pid) to one CPU; false when that
 * cannot be done here (no taskset, one CPU). The process's other threads (the JIT's compiler
 * and the GC's helpers) keep every CPU. */
function pinThread(tid: number, cpus: string): boolean {
	if (os.cpus().length < 2) { return false; }
	try {
		execFileSync('taskset', ['-p', '-c', cpus, String(tid)], { stdio: 'ignore' });
		return true;
	} catch { return false; }
}

/** The CPU the client's and both adapters' main threads share (NEXT_PIN=off: no pinning). A
 * `next` is three request/response round trips, one process waiting on the other: on this
 * virtual machine a wake-up across CPUs costs about 60 us of CPU more per step than one on the
 * same CPU (measured with either adapter: 2-4 k steps/s instead of 13-15 k), and where the
 * scheduler puts each adapter at its start sticks (an idle previous CPU is kept), so unpinned
 * rounds measure a coin toss of placement as much as either adapter. */
const PIN_CPU = process.env.NEXT_PIN === 'off' ? undefined : '0';

export interface NextRound { cold: [number, number]; warming: [number, number]; warm: [number, number]; cpuUs: [number, number]; pinned: boolean }

/** One round: both adapters started, then `next` through each in alternating blocks, so that
 * a burst of load on the shared machine lands on both alike; `lead` (0: the baseline, 1: the
 * adapter) goes first in each pair of blocks, and the rounds take turns, so that the client's
 * own first requests (its code not yet compiled) fall on either alike. Steps/s of [baseline,
 * adapter]: the first COLD steps of each process, the WARMING after them and the NEXT_STEPS
 * after those; CPU per warm step. */
export async function nextRound(baseline: string, adapter: string, program: string, lead: 0 | 1 = 0): Promise<NextRound> {
	const cs = [new Dap(baseline), new Dap(adapter)];
	const client = PIN_CPU !== undefined && pinThread(process.pid, PIN_CPU);
	try {
		const pinned = client && cs.every(c => pinThread(c.proc.pid!, PIN_CPU!));
		for (const c of cs) { await c.start(program, false, NEXT_FROM); }
		const ms = [0, 0];
		const blocks = async (total: number, size: number): Promise<[number, number]> => {
			const t = [0, 0];
			for (let done = 0; done < total; done += size) {
				for (let j = 0; j < 2; j++) {
					const k = j ^ lead;
					const t0 = performance.now();
					for (let i = 0; i < size; i++) { await cs[k].next(); }
					t[k] += performance.now() - t0;
				}
			}
			return [total / t[0] * 1000, total / t[1] * 1000];
		};
		const cold = await blocks(COLD, COLD_BLOCK);
		const warming = await blocks(WARMING, WARM_BLOCK);
		for (let k = 0; k < 2; k++) { ms[k] = cpuMs(cs[k].proc.pid!); }
		const warm = await blocks(NEXT_STEPS, WARM_BLOCK);
		const cpuUs = [0, 1].map(k => (cpuMs(cs[k].proc.pid!) - ms[k]) * 1000 / NEXT_STEPS) as [number, number];
		return { cold, warming, warm, cpuUs, pinned };
	} finally {
		await Promise.all(cs.map(c => c.close()));
		if (client) { pinThread(process.pid, `0-${os.cpus().length - 1}`); }
	}
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function nextRows(dir: string): Promise<BenchRow[]> {
	const program = path.join(dir, 'next.hmmw');
	writeFileSync(program, NEXT_SCRIPT);
	const nul = path.join(dir, 'null-adapter.js');
	writeFileSync(nul, NULL_ADAPTER);
	const rounds: NextRound[] = [];
	for (let r = 0; r < NEXT_ROUNDS; r++) { rounds.push(await nextRound(nul, dist('debugAdapter.js'), program, (r & 1) as 0 | 1)); }
	const rows: BenchRow[] = [];
	const what = { cold: `cold (its first ${COLD} steps)`, warming: `warming (steps ${COLD + 1}-${COLD + WARMING})`, warm: `warm (the ${NEXT_STEPS} after those)` };
	for (const when of ['cold', 'warming', 'warm'] as const) {
		const b = median(rounds.map(x => x[when][0]));
		const h = median(rounds.map(x => x[when][1]));
		const ratios = rounds.map(x => x[when][1] / x[when][0]);
		const r = median(ratios);
		const spread = `${(100 * Math.min(...ratios)).toFixed(0)}-${(100 * Math.max(...ratios)).toFixed(0)}%`;
		const target = when === 'warming' ? {} : { target: '>= 85% of the do-nothing adapter', ok: r >= 0.85 };
		rows.push({ name: `debugger next over DAP, ${what[when]}: ${h.toFixed(0)} steps/s vs ${b.toFixed(0)} for an adapter that does nothing (median ratio of ${rounds.length} interleaved rounds, ${spread}${rounds.every(x => x.pinned) ? '; main threads on one CPU' : ''})`, value: 100 * r, unit: '%', ...target });
	}
	rows.push({ name: `  adapter CPU per warm next: ${median(rounds.map(x => x.cpuUs[0])).toFixed(0)} us for the do-nothing adapter`, value: median(rounds.map(x => x.cpuUs[1])), unit: 'us' });
	return rows;
}

/** ~1M statements: 1 GiB touched, then a loop writing a page every 1000 iterations. */
export const MILLION = ['system ram=4GiB', 'process p', 'X = mmap 1GiB anon rw', 'cpu write X = i', 'n = 0',
	'for j in 0..333333 {', '\tif j % 1000 == 0 { cpu write page(X, j % 262144) = j }', '\tn = n + 1', '}', 'expect n == 333333'].join('\n') + '\n';

function cliPeak(file: string): Promise<{ peak: number; code: number | null }> {
	return new Promise(resolve => {
		const p = spawn(process.execPath, [dist('cli.js'), 'run', file], { stdio: 'ignore' });
		let peak = 0;
		const timer = setInterval(() => { peak = Math.max(peak, peakRss(p.pid!)); }, 25);
		p.on('exit', code => { clearInterval(timer); resolve({ peak, code }); });
	});
}

async function adapterMemory(dir: string): Promise<BenchRow[]> {
	const file = path.join(dir, 'million.hmmw');
	writeFileSync(file, MILLION);
	const cli = await cliPeak(file);
	if (cli.code !== 0) { throw new Error(`hmmw run of the million-statement script exited with ${cli.code}`); }
	const c = new Dap(dist('debugAdapter.js'));
	let peak = 0;
	const t = performance.now();
	try {
		await c.start(file, false);
		while (!c.ended && performance.now() - t < 600_000) {
			await new Promise(resolve => setTimeout(resolve, 50));
			peak = Math.max(peak, peakRss(c.proc.pid!));
		}
	} finally {
		await c.close();
	}
	if (!c.ended) { throw new Error('the million-statement script did not end under the adapter'); }
	const r = peak / cli.peak;
	return [
		{ name: 'adapter memory, 1M statements with 1 GiB touched: hmmw run peak RSS (no history, baseline)', value: cli.peak / MiB, unit: 'MB' },
		{ name: `  same under the debug adapter, with history: ${(peak / MiB).toFixed(0)} MB in ${((performance.now() - t) / 1000).toFixed(1)} s (ratio)`, value: r, unit: 'x', target: '< 2x', ok: r < 2 },
	];
}

export const ttCases = { stepBack16G, adapterMemory, nextRows };

export async function benchTimeTravel(): Promise<BenchRow[]> {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'hmmw-tt-'));
	try {
		return [...await stepBack16G(), ...await adapterMemory(dir), ...await nextRows(dir)];
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

if (require.main === module) {
	benchTimeTravel().then(rows => {
		for (const r of rows) { process.stdout.write(`${r.name}: ${r.value.toFixed(2)} ${r.unit}${r.target ? ` (target ${r.target}: ${r.ok ? 'meets' : 'MISSES'})` : ''}\n`); }
		process.exit(rows.some(r => r.ok === false) ? 1 : 0);
	}, e => { process.stderr.write(String(e?.stack ?? e) + '\n'); process.exit(2); });
}
