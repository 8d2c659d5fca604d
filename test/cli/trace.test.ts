// `hmmw run --trace` (issue 12, item 1): the streamed Chrome trace of real scripts passes the
// structure check (test/cli/traceValidate.ts), holds exactly as many engine records as the engine
// raised (no cap), and carries the tracks, spans, flows, counters and instants docs/language.md lists.
import * as assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { compileSource } from '../../src/lang/frontend';
import { runWorkload } from '../../src/cli/run';
import { FileTraceSink } from '../../src/cli/traceFile';
import { Interpreter } from '../../src/lang/interp';
import { Driver } from '../../src/lang/driver';
import { ENGINE_CAT, MemoryTraceSink, TRACED, type TraceEvent } from '../../src/lang/trace';
import { hmmwFiles } from '../hmmwFiles';
import { validateTrace } from './traceValidate';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'hmmw-trace-'));
let n = 0;

interface Trace { traceEvents: TraceEvent[]; otherData: { engineEvents: number; records: number; dropped: number } }

async function traced(source: string, name = 'script.hmmw'): Promise<{ t: Trace; file: string; out: Awaited<ReturnType<typeof runWorkload>> }> {
	const { program, diagnostics } = compileSource(source, name);
	assert.ok(!diagnostics.some(d => d.severity === 'error'), JSON.stringify(diagnostics));
	const file = path.join(dir, `t${n++}.json`);
	const sink = new FileTraceSink(file);
	const out = await runWorkload(program, source, { print: () => undefined, onFailure: () => undefined, trace: sink, scriptName: name });
	sink.close({ engineEvents: out.trace!.engineEvents });
	return { t: JSON.parse(readFileSync(file, 'utf8')) as Trace, file, out };
}

/** The engine's own count: the same script run with nothing but a counter on the traced kinds. */
function engineCount(source: string): Map<string, number> {
	const it = new Interpreter(compileSource(source, 'c.hmmw').program, source);
	const d = new Driver(it, { sliceMs: Infinity });
	d.watch(TRACED);
	const by = new Map<string, number>();
	d.run({ event: ev => { by.set(ev.kind, (by.get(ev.kind) ?? 0) + 1); return undefined; } });
	return by;
}

/** The engine event kind a record was made from (flows and other records have none). */
const kindOf = (e: TraceEvent) => (e.cat === ENGINE_CAT && e.ph !== 's' && e.ph !== 'f' ? e.args?.kind as string : undefined);

function recordsByKind(t: Trace): Map<string, number> {
	const by = new Map<string, number>();
	for (const e of t.traceEvents) {
		const k = kindOf(e);
		if (k !== undefined) { by.set(k, (by.get(k) ?? 0) + 1); }
	}
	return by;
}

const KERNEL = `device gpu memory=8MiB policy=migrate
process app
gpu mirror app
X = mmap 4MiB anon rw
cpu write X = i
kernel gpu "touch" {
	write X = 2 * i
}
cpu read X
x = 1
munmap X
`;

describe('hmmw run --trace: the streamed Chrome trace', function () {
	this.timeout(120_000);
	const corpus = [
		...hmmwFiles(path.join(ROOT, 'examples')),
		// every third conformance script: all five folders, a bounded run time
		...hmmwFiles(path.join(ROOT, 'test', 'conformance')).filter((_, i) => i % 3 === 0),
	];
	for (const f of corpus) {
		it(`is well-formed and complete for ${path.relative(ROOT, f)}`, async () => {
			const src = readFileSync(f, 'utf8');
			const { t } = await traced(src, path.basename(f));
			assert.deepEqual(validateTrace(t), []);
			assert.deepEqual(recordsByKind(t), engineCount(src), 'one record per engine event of a traced kind');
			assert.equal(t.otherData.records, t.traceEvents.length);
		});
	}

	it('names a track per device, per process and for the script, and puts spans, flows, counters and instants on them', async () => {
		const { t, out } = await traced(KERNEL, 'kernel.hmmw');
		assert.deepEqual(validateTrace(t), []);
		const ev = t.traceEvents;
		const procName = (pid: number) => ev.find(e => e.ph === 'M' && e.name === 'process_name' && e.pid === pid)?.args?.name;
		const thread = (e: TraceEvent) => ev.find(m => m.ph === 'M' && m.name === 'thread_name' && m.pid === e.pid && m.tid === e.tid)?.args?.name;
		assert.ok(ev.some(e => e.ph === 'M' && e.args?.name === 'script kernel.hmmw'));
		// a kernel span on the device's kernels track, as long as the launch record says
		const k = ev.find(e => e.cat === 'kernel')!;
		assert.equal(procName(k.pid), 'device gpu');
		assert.equal(thread(k), 'kernels');
		assert.equal(k.dur, out.interp.machine.kernels[0].timeNs / 1000);
		// fault batches: spans with entries and pages, inside the kernel's time, with a counter
		const batches = ev.filter(e => kindOf(e) === 'fault-batch');
		assert.equal(batches.length, out.interp.machine.view.deviceSummary('gpu')!.counters.fault_batches);
		for (const b of batches) {
			assert.equal(b.ph, 'X');
			assert.equal(thread(b), 'faults');
			assert.ok(b.ts >= k.ts && b.ts + b.dur! <= k.ts + k.dur! + 1e-6, 'a batch lies inside its kernel');
			assert.equal(b.args?.line, 6);
			assert.ok(typeof b.args?.entries === 'number' && typeof b.args?.pages === 'number');
		}
		assert.equal(ev.filter(e => e.ph === 'C' && e.name === 'faults per batch').length, batches.length);
		// migrations: spans with cause, pages and bytes; the kernel's come from a fault, by a flow
		const migs = ev.filter(e => kindOf(e) === 'migration');
		assert.ok(migs.some(m => m.args?.cause === 'device-fault' && thread(m) === 'migrations'));
		for (const m of migs) { assert.equal(m.args?.bytes, (m.args?.pages as number) * 4096); }
		const starts = ev.filter(e => e.ph === 's'), ends = ev.filter(e => e.ph === 'f');
		assert.ok(starts.length > 0 && starts.length === ends.length);
		assert.ok(starts.some(s => batches.some(b => b.pid === s.pid && b.tid === s.tid && b.ts === s.ts)), 'a flow leaves a fault batch');
		// the CPU read faults the pages back: cpu-fault spans on the process, flows to their migrations
		const cpu = ev.filter(e => kindOf(e) === 'cpu-fault');
		assert.ok(cpu.length > 0 && cpu.every(e => procName(e.pid) === 'process app' && e.args?.line === 9));
		assert.ok(starts.some(s => cpu.some(c => c.pid === s.pid && c.ts === s.ts)), 'a flow leaves a CPU fault');
		// invalidations are instants naming the notifier event
		const inv = ev.filter(e => kindOf(e) === 'invalidation');
		assert.ok(inv.length > 0 && inv.every(e => e.ph === 'i' && typeof e.args?.event === 'string'));
		// counters: device memory goes up with the kernel and back to 0 after munmap; RSS is sampled
		const mem = ev.filter(e => e.ph === 'C' && e.name === 'memory used').map(e => e.args?.bytes);
		assert.ok(mem.includes(4 << 20) && mem[mem.length - 1] === 0, JSON.stringify(mem));
		const rss = ev.filter(e => e.ph === 'C' && e.name === 'rss');
		assert.ok(rss.length >= 2 && rss[rss.length - 1].args?.bytes === 0);
		// a statement that took no time is an instant; one that did is a span
		assert.equal(ev.find(e => e.cat === 'statement' && e.args?.line === 10)?.ph, 'i');
		assert.equal(ev.find(e => e.cat === 'statement' && e.args?.line === 6)?.ph, 'X');
		// every record an engine event made names the script line that raised it
		assert.ok(ev.filter(e => kindOf(e) !== undefined).every(e => typeof e.args?.line === 'number' && (TRACED as readonly string[]).includes(kindOf(e)!)));
	});

	it('keeps every event of a run far over the old 200,000-record cap, streaming it to disk', async () => {
		const src = 'process p\nX = mmap 1000MiB anon rw\ncpu write X = i\nexpect where(X) == "ram"\n';
		const { t, file, out } = await traced(src);
		const faults = t.traceEvents.filter(e => kindOf(e) === 'page-fault').length;
		assert.equal(faults, 256_000);
		assert.equal(faults, out.interp.machine.view.processSummary('p')!.faults);
		assert.equal(t.otherData.engineEvents, 256_000);
		assert.ok(!('dropped' in t.otherData) || t.otherData.dropped === 0);
		assert.ok(statSync(file).size > 256_000 * 100);
	});

	it('reports a write that fails (disk full) when the file is closed, and drops the rest', () => {
		const sink = new FileTraceSink('/dev/full');
		const ev: TraceEvent = { name: 'x', cat: 'statement', ph: 'i', s: 't', ts: 0, pid: 1, tid: 1, args: { pad: 'p'.repeat(1000) } };
		for (let i = 0; i < 3000; i++) { sink.write(ev); }
		assert.throws(() => sink.close({}), /ENOSPC/);
	});

	it('the debugger\'s in-memory sink keeps metadata always, counts what its cap drops, and forgets a future', () => {
		const sink = new MemoryTraceSink(3);
		const ev = (step: number): TraceEvent => ({ name: `s${step}`, cat: 'statement', ph: 'i', s: 't', ts: step, pid: 1, tid: 1 });
		sink.write({ name: 'process_name', cat: '__metadata', ph: 'M', ts: 0, pid: 1, args: { name: 'p' } }, -1);
		for (let step = 1; step <= 4; step++) { sink.write(ev(step), step); }
		let j = JSON.parse(sink.json()) as Trace;
		assert.deepEqual(j.traceEvents.map(e => e.name), ['process_name', 's1', 's2']);
		assert.equal(j.otherData.dropped, 2);
		sink.truncate(1);
		j = JSON.parse(sink.json()) as Trace;
		assert.deepEqual(j.traceEvents.map(e => e.name), ['process_name', 's1']);
	});
});
