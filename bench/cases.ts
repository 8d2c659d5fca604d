// Individual benchmark cases, each run in its own process by run.ts so that peak memory and
// timings do not leak between them. Prints one JSON line: {name, seconds, pages, maxRssMB, ...}.
import { Machine } from '../src/engine/machine';
import { defaultDeviceConfig } from '../src/engine/device/device';
import type { K } from '../src/engine/sim/events';
import { compileSource } from '../src/lang/frontend';
import { Interpreter } from '../src/lang/interp';

const GiB = 2 ** 30;
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

const cases: Record<string, () => object> = {
	/** memcpy of `bytes` in 4 KiB pages between two preallocated buffers: the baseline */
	memcpy() {
		const bytes = GiB;
		const src = new Uint8Array(bytes), dst = new Uint8Array(bytes);
		for (let i = 0; i < bytes; i += PAGE) { src[i] = i & 0xff; }
		const run = () => { for (let o = 0; o < bytes; o += PAGE) { dst.set(src.subarray(o, o + PAGE), o); } };
		run();
		const s = timed(run);
		return { seconds: s, pages: bytes / PAGE };
	},
	/** `cpu write X = i` over 1 GiB of fresh anonymous memory */
	cpuWrite() {
		const m = new Machine();
		m.configure({ ramBytes: 4 * GiB });
		m.process('p');
		const X = m.mmap({ len: GiB, prot: 'rw', backing: 'anon', shared: false });
		const s = timed(() => drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 })));
		if (m.word(X, 12345) !== 12345) { throw new Error('wrong content'); }
		return { seconds: s, pages: GiB / PAGE };
	},
	/** `cpu write X = (i * i) & 0xFFFF` over 1 GiB: not linear, so every word is computed and stored */
	cpuWriteBytes() {
		const m = new Machine();
		m.configure({ ramBytes: 4 * GiB });
		m.process('p');
		const X = m.mmap({ len: GiB, prot: 'rw', backing: 'anon', shared: false });
		const s = timed(() => drain(m.cpuWrite(X, { kind: 'fn', fn: i => (i * i) & 0xffff })));
		if (m.word(X, 1000) !== (1000 * 1000) % 65536) { throw new Error('wrong content'); }
		return { seconds: s, pages: GiB / PAGE };
	},
	/** a 1 TiB mapping with 4096 pages touched: peak RSS */
	sparse() {
		const m = new Machine();
		m.process('p');
		const X = m.mmap({ len: 1024 * GiB, prot: 'rw', backing: 'anon', shared: false });
		const s = timed(() => {
			for (let k = 0; k < 4096; k++) { drain(m.cpuWrite({ addr: X.addr + k * 256 * 2 ** 20, len: PAGE }, { kind: 'linear', a: 0, b: k })); }
		});
		return { seconds: s, pages: 4096 };
	},
	/** migrate 1 GiB of touched memory to a device and back */
	migrateRoundTrip() {
		const m = new Machine();
		m.configure({ ramBytes: 4 * GiB });
		m.addDevice(defaultDeviceConfig('gpu', 2 * GiB));
		m.process('p');
		drain(m.mirror('gpu', 'p'));
		const X = m.mmap({ len: GiB, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		const roundTrip = () => {
			drain(m.migrate(X, 'gpu'));
			if (m.last.cpages !== GiB / PAGE) { throw new Error(`cpages ${m.last.cpages}`); }
			drain(m.migrate(X, 'ram'));
		};
		// warm-up, as for the memcpy baseline: device chunks get allocated, code gets compiled
		roundTrip();
		roundTrip();
		const rounds = 3;
		const s = timed(() => { for (let r = 0; r < rounds; r++) { roundTrip(); } }) / rounds;
		if (m.word(X, 777) !== 777 || m.where(X) !== 'ram') { throw new Error('round trip lost data'); }
		return { seconds: s, pages: 2 * GiB / PAGE };
	},
	/** a device read through its mirror of 16 GiB of untouched memory */
	deviceRead() {
		const m = new Machine();
		m.addDevice(defaultDeviceConfig('gpu', GiB));
		m.process('p');
		drain(m.mirror('gpu', 'p'));
		const X = m.mmap({ len: 16 * GiB, prot: 'rw', backing: 'anon', shared: false });
		const s = timed(() => drain(m.devRead('gpu', X, false)));
		if (m.last.cpages !== 16 * GiB / PAGE) { throw new Error(`cpages ${m.last.cpages}`); }
		return { seconds: s, pages: 16 * GiB / PAGE };
	},
	/** a streaming kernel writing 1 GiB of untouched memory on a policy=migrate device (no prefetch):
	 * every page faults, is batched, migrated and mapped */
	uvmStream() {
		const m = new Machine();
		m.configure({ ramBytes: 4 * GiB });
		m.addDevice({ ...defaultDeviceConfig('gpu', 2 * GiB), policy: 'migrate' });
		m.process('p');
		const X = m.mmap({ len: GiB, prot: 'rw', backing: 'anon', shared: false });
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

const LINES_4M = 4_000_000;
function script4m(): string {
	const lines = ['process p'];
	for (let i = 0; i < LINES_4M; i++) { lines.push(`x = ${i % 10}`); }
	lines[LINES_4M] = `x = ${LINES_4M - 1}`;
	return lines.join('\n') + '\n';
}

const name = process.argv[2];
const f = cases[name];
if (!f) { process.stderr.write(`unknown case ${name}\n`); process.exit(64); }
const r = f();
process.stdout.write(JSON.stringify({ name, ...r, maxRssMB: process.resourceUsage().maxRSS / 1024 }) + '\n');
