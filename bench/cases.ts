// Individual benchmark cases, each run in its own process by run.ts so that peak memory and
// timings do not leak between them. Prints one JSON line: {name, seconds, pages, maxRssMB, ...}.
import { type ByteRange, Machine } from '../src/engine/machine';
import { defaultDeviceConfig, type DeviceConfig } from '../src/engine/device/device';
import type { K } from '../src/engine/sim/events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { compileSource } from '../src/lang/frontend';
import { runWorkload } from '../src/cli/run';
import { FileTraceSink } from '../src/cli/traceFile';
import { Interpreter } from '../src/lang/interp';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const GiB = 2 ** 30;

/** A machine with process p and `len` bytes of private anonymous memory mapped (untouched) in it;
 * with a device, added before the process and mirroring it unless `mirror` is false. */
function setup(o: { len: number; ramBytes?: number; device?: DeviceConfig; mirror?: boolean }): { m: Machine; X: ByteRange } {
	const m = new Machine();
	if (o.ramBytes !== undefined) { m.configure({ ramBytes: o.ramBytes }); }
	if (o.device) { m.addDevice(o.device); }
	m.process('p');
	if (o.device && o.mirror !== false) { drain(m.mirror(o.device.name, 'p')); }
	return { m, X: m.mmap({ len: o.len, prot: 'rw', backing: 'anon', shared: false }) };
}
const PAGE = 4096;

function drain<T>(g: K<T>): T {
	let r = g.next();
	while (!r.done) { r = g.next(); }
	return r.value;
}

function timed(f: () => void): number {
	const t0 = process.hrtime.bigint();
	f();
	return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Runs a script; returns the seconds each instruction on one of `lines` took (in order). */
function scriptTimes(source: string, lines: number[]): number[] {
	const { program, diagnostics } = compileSource(source, 'bench.hmmw');
	if (diagnostics.length > 0) { throw new Error(diagnostics.map(d => `${d.line}: ${d.message}`).join('\n')); }
	const it = new Interpreter(program, source);
	const out: number[] = [];
	while (!it.done) {
		const line = it.loc?.line ?? 0;
		const s = timed(() => { const g = it.step(); while (!g.next().done) { /* unwatched */ } });
		if (lines.includes(line)) { out.push(s); }
	}
	if (it.error || it.failed > 0) { throw new Error(`bench script failed: ${it.error?.message ?? it.failures[0].message}`); }
	return out;
}

const cases: Record<string, () => object | Promise<object>> = {
	/** memcpy of `bytes` in 4 KiB pages between two preallocated buffers: the baseline */
	memcpy() {
		const bytes = GiB;
		const src = new Uint8Array(bytes), dst = new Uint8Array(bytes);
		for (let i = 0; i < bytes; i += PAGE) { src[i] = i & 0xff; }
		const run = () => { for (let o = 0; o < bytes; o += PAGE) { dst.set(src.subarray(o, o + PAGE), o); } };
		run();
		// the best of five: on a shared machine one copy of 1 GiB is easily slowed by others
		const s = Math.min(timed(run), timed(run), timed(run), timed(run), timed(run));
		return { seconds: s, pages: bytes / PAGE };
	},
	/** `cpu write X = i` over 1 GiB of fresh anonymous memory */
	cpuWrite() {
		const { m, X } = setup({ len: GiB, ramBytes: 4 * GiB });
		const s = timed(() => drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 })));
		if (m.word(X, 12345) !== 12345) { throw new Error('wrong content'); }
		return { seconds: s, pages: GiB / PAGE };
	},
	/** `cpu write X = (i * i) & 0xFFFF` over 1 GiB: not linear, so every word is computed and stored */
	cpuWriteBytes() {
		const { m, X } = setup({ len: GiB, ramBytes: 4 * GiB });
		const s = timed(() => drain(m.cpuWrite(X, { kind: 'fn', fn: i => (i * i) & 0xffff })));
		if (m.word(X, 1000) !== (1000 * 1000) % 65536) { throw new Error('wrong content'); }
		return { seconds: s, pages: GiB / PAGE };
	},
	/** the same fill from script text, compiled by the interpreter: the first statement in a fresh
	 * process (cold: host page faults, JIT) and the same statement again over the written range (warm) */
	scriptFill() {
		const [cold, warm] = scriptTimes(['system ram=4GiB', 'process p', 'X = mmap 1GiB anon rw',
			'cpu write X = (i * i) & 0xFFFF', 'cpu write X = (i * i) & 0xFFFF',
			'expect word(X, 1000) == 16960', 'expect word(X, 200000000) == (200000000 * 200000000) & 0xFFFF',
			'expect matches(X, (i * i) & 0xFFFF)'].join('\n'), [4, 5]);
		return { seconds: cold, warmSeconds: warm, pages: GiB / PAGE };
	},
	/** simple statements per second through the CLI's run loop (driver, time slices): the first run
	 * in a fresh process (cold) and a second one (warm), in CPU time, which a loaded machine
	 * distorts less than wall time */
	async statements() {
		const source = ['n = 0', 'for j in 0..1000000 {', '\tif j % 3 == 0 {', '\t\tn = n + j', '\t} else {', '\t\tn = n - 1', '\t}', '}',
			'expect n == 166666833333 - 666666'].join('\n');
		const { program } = compileSource(source, 'bench.hmmw');
		const once = async () => {
			const c0 = process.cpuUsage();
			const { interp, error } = await runWorkload(program, source, { print: () => undefined, onFailure: f => { throw new Error(f.message); } });
			const c = process.cpuUsage(c0);
			if (error || interp.failed > 0) { throw new Error(`statements: ${error?.message ?? 'expectation failed'}`); }
			return { steps: interp.steps, seconds: (c.user + c.system) / 1e6 };
		};
		const cold = await once();
		const warm = await once();
		return { seconds: cold.seconds, warmSeconds: warm.seconds, pages: 0, steps: cold.steps };
	},
	/** fork of a process with 1 GiB touched (every page private anonymous, copied COW): the first
	 * fork in a fresh process (cold) and a second one (warm) */
	fork() {
		const { m, X } = setup({ len: GiB, ramBytes: 4 * GiB });
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		const cold = timed(() => drain(m.fork('c1')));
		const warm = timed(() => drain(m.fork('c2')));
		if (m.view.processSummary('c2') === undefined || m.word(X, 4242) !== 4242) { throw new Error('fork lost the child or the data'); }
		return { seconds: cold, warmSeconds: warm, pages: GiB / PAGE };
	},
	/** a 1 TiB mapping with 4096 pages touched: peak RSS */
	sparse() {
		const { m, X } = setup({ len: 1024 * GiB });
		const s = timed(() => {
			for (let k = 0; k < 4096; k++) { drain(m.cpuWrite({ addr: X.addr + k * 256 * 2 ** 20, len: PAGE }, { kind: 'linear', a: 0, b: k })); }
		});
		return { seconds: s, pages: 4096 };
	},
	/** migrate 1 GiB of touched memory to a device and back, nobody watching (the CLI's case):
	 * every migrate_vma range takes dmirror's whole-leaf path (device/dmirror_migrate_leaf.ts) */
	migrateRoundTrip() {
		const { m, X } = setup({ len: GiB, ramBytes: 4 * GiB, device: defaultDeviceConfig('gpu', 2 * GiB) });
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		const roundTrip = () => {
			drain(m.migrate(X, 'gpu'));
			if (m.last.cpages !== GiB / PAGE) { throw new Error(`cpages ${m.last.cpages}`); }
			drain(m.migrate(X, 'ram'));
		};
		// the first round trip in a fresh process is the cold figure; then one to warm up and the
		// best of five, measured as the memcpy baseline is (on a shared machine one round trip is
		// easily slowed by others)
		const cold = timed(roundTrip);
		roundTrip();
		const s = Math.min(timed(roundTrip), timed(roundTrip), timed(roundTrip), timed(roundTrip), timed(roundTrip));
		if (m.word(X, 777) !== 777 || m.where(X) !== 'ram') { throw new Error('round trip lost data'); }
		return { seconds: s, coldSeconds: cold, pages: 2 * GiB / PAGE };
	},
	/** host memory the simulator holds per GiB touched and migrated (issue 13: at most 64 bytes per
	 * 4 KiB page, all included: struct pages of RAM and device frames, page tables, the mirror,
	 * content bookkeeping; not the page contents). Heap plus array buffers after a full GC, before
	 * and after touching 1 GiB and migrating it to a device; and again after migrating it back. */
	metadataMemory() {
		setFlagsFromString('--expose-gc');
		const gc = runInNewContext('gc') as () => void;
		const used = () => { gc(); gc(); const u = process.memoryUsage(); return u.heapUsed + u.arrayBuffers; };
		const { m, X } = setup({ len: GiB, ramBytes: 4 * GiB, device: defaultDeviceConfig('gpu', 2 * GiB) });
		const before = used();
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		const touched = used();
		drain(m.migrate(X, 'gpu'));
		if (m.last.cpages !== GiB / PAGE || m.where(X) !== 'gpu') { throw new Error('metadataMemory: the migration did not happen'); }
		const migrated = used();
		drain(m.migrate(X, 'ram'));
		const back = used();
		if (m.word(X, 4321) !== 4321) { throw new Error('metadataMemory: the round trip lost data'); }
		return { seconds: 0, pages: GiB / PAGE, touchedBytes: touched - before, migratedBytes: migrated - before, backBytes: back - before };
	},
	/** a device read through its mirror of 16 GiB of untouched memory */
	deviceRead() {
		const { m, X } = setup({ len: 16 * GiB, device: defaultDeviceConfig('gpu', GiB) });
		const s = timed(() => drain(m.devRead('gpu', X, false)));
		if (m.last.cpages !== 16 * GiB / PAGE) { throw new Error(`cpages ${m.last.cpages}`); }
		return { seconds: s, pages: 16 * GiB / PAGE };
	},
	/** a device read of 2 GiB of untouched memory with page-fault events watched, as a debugger
	 * with the page-fault filter on sees it: every fault takes the general path and raises its
	 * event (here each is looked at and let pass). The first read in a fresh process (cold) and a
	 * second one over another 2 GiB (warm) */
	deviceReadWatched() {
		const { m, X } = setup({ len: 4 * GiB, device: defaultDeviceConfig('gpu', GiB) });
		let faults = 0;
		m.setEvents({ wants: k => k === 'page-fault' });
		const read = (r: { addr: number; len: number }) => {
			const g = m.devRead('gpu', r, false);
			for (let e = g.next(); !e.done; e = g.next()) { if (e.value.kind === 'page-fault') { faults++; } }
		};
		const cold = timed(() => read({ addr: X.addr, len: 2 * GiB }));
		const warm = timed(() => read({ addr: X.addr + 2 * GiB, len: 2 * GiB }));
		if (faults !== 4 * GiB / PAGE) { throw new Error(`saw ${faults} page-fault events`); }
		return { seconds: cold, warmSeconds: warm, pages: 2 * GiB / PAGE };
	},
	/** a streaming kernel writing 1 GiB of untouched memory on a policy=migrate device (no prefetch):
	 * every page faults, is batched, migrated and mapped */
	uvmStream() {
		const { m, X } = setup({ len: GiB, ramBytes: 4 * GiB, device: { ...defaultDeviceConfig('gpu', 2 * GiB), policy: 'migrate' }, mirror: false });
		const line = { kind: 'write' as const, start: X.addr / PAGE, end: (X.addr + X.len) / PAGE, fill: { fill: { kind: 'linear' as const, a: 1, b: 0 }, addr: X.addr, len: X.len } };
		let report: { batches: number; faultEntries: number; timeNs: number } | undefined;
		const s = timed(() => { report = drain(m.launchKernel('gpu', 'stream', [line])); });
		if (m.word(X, 123457) !== 123457 || m.where(X) !== 'gpu') { throw new Error('stream kernel lost data'); }
		return { seconds: s, pages: GiB / PAGE, batches: report!.batches, entries: report!.faultEntries, simSeconds: report!.timeNs / 1e9 };
	},
	/** checking a script of 4M lines (24 MB, `x = 1` each): lexing, parsing and checking are one
	 * linear pass with a streaming lexer (issue 16, item 5) */
	check4m() {
		const source = script4m();
		let errors = 0;
		const s = timed(() => { errors = compileSource(source, 'big.hmmw').diagnostics.length; });
		if (errors !== 0) { throw new Error('the 4M-line script does not check'); }
		return { seconds: s, pages: 0, lines: LINES_4M };
	},
	/** the same script checked and run to its end */
	run4m() {
		const source = script4m();
		let value: unknown;
		const s = timed(() => {
			const it = new Interpreter(compileSource(source, 'big.hmmw').program, source);
			it.runToEnd();
			value = it.vars.get('x');
		});
		if (value !== LINES_4M - 1) { throw new Error('the 4M-line script did not run to its end'); }
		return { seconds: s, pages: 0, lines: LINES_4M };
	},
};

/** `hmmw run` of a 1 GiB streaming workload (CPU fill, then a policy=migrate kernel rewriting it),
 * through the CLI's own run loop, with or without `--trace` (issue 12: traced completely, bounded
 * memory, at most 2x the untraced run). */
export const STREAM_1GIB = 'system ram=4GiB\ndevice gpu memory=2GiB policy=migrate\nprocess app\ngpu mirror app\nX = mmap 1GiB anon rw\n'
	+ 'cpu write X = i\nkernel gpu "stream" {\n\twrite X = 2 * i\n}\nexpect where(X) == "gpu"\n';

async function traceStream(traced: boolean): Promise<object> {
	const { program } = compileSource(STREAM_1GIB, 'stream.hmmw');
	const dir = mkdtempSync(path.join(tmpdir(), 'hmmw-bench-'));
	const file = path.join(dir, 'trace.json');
	const sink = traced ? new FileTraceSink(file) : undefined;
	const t0 = process.hrtime.bigint();
	const out = await runWorkload(program, STREAM_1GIB, { print: () => undefined, onFailure: () => undefined, trace: sink });
	if (sink && out.trace) { sink.close({ engineEvents: out.trace.engineEvents }); }
	const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
	if (out.error || out.interp.passed !== 1) { throw new Error(`stream run failed: ${out.error?.message}`); }
	const r = { seconds, pages: 2 * GiB / PAGE, records: sink?.count ?? 0, engineEvents: out.trace?.engineEvents ?? 0, traceBytes: traced ? statSync(file).size : 0 };
	rmSync(dir, { recursive: true, force: true });
	return r;
}

const asyncCases: Record<string, () => Promise<object>> = {
	traceStreamOff: () => traceStream(false),
	traceStreamOn: () => traceStream(true),
};

const LINES_4M = 4_000_000;
function script4m(): string {
	const lines = ['process p'];
	for (let i = 0; i < LINES_4M; i++) { lines.push(`x = ${i % 10}`); }
	lines[LINES_4M] = `x = ${LINES_4M - 1}`;
	return lines.join('\n') + '\n';
}

const name = process.argv[2];
const f = cases[name] ?? asyncCases[name];
if (!f) { process.stderr.write(`unknown case ${name}\n`); process.exit(64); }
void Promise.resolve(f()).then(r => {
	process.stdout.write(JSON.stringify({ name, ...r, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
});
