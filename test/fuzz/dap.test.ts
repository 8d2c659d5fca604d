// DAP robustness (issue "Reliability", part 2): random request sequences with malformed arguments
// against `node dist/debugAdapter.js`. Every request gets a response (success or an error with a
// message) within a timeout, and the adapter never exits on its own. Sequences run in parallel,
// one adapter process each; a failing one is shrunk greedily (drop requests while it still fails)
// and saved as JSON under test/fuzz/regressions/ (npm run fuzz), which the last test replays.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { FUZZ, ROOT, runs, seed } from './config';
import { pauseSequence, type Req, sequence } from './dapGen';
import { RawDapClient } from './dapClient';
import { runSequence } from './dapRun';
import { longSession } from './dapLong';

const ADAPTER = path.join(ROOT, 'dist', 'debugAdapter.js');
const REGRESSIONS = path.join(ROOT, 'test', 'fuzz', 'regressions');
const WORKERS = Math.max(2, Math.min(8, os.cpus().length));

async function pool<T>(items: T[], work: (x: T, i: number) => Promise<void>, stop: () => boolean): Promise<void> {
	let next = 0;
	await Promise.all(Array.from({ length: WORKERS }, async () => {
		while (next < items.length && !stop()) {
			const i = next++;
			await work(items[i], i);
		}
	}));
}

/** Drops requests one at a time, from the end, while the sequence still fails. A failure that does
 * not come back (timing) is reported as it was first seen, with the whole sequence. */
async function shrink(seq: Req[], budget: number, first: string): Promise<{ seq: Req[]; problem: string }> {
	let cur = seq;
	const again = (await runSequence(ADAPTER, cur, 8000, false)).problem;
	if (!again) { return { seq, problem: `did not fail again when replayed (timing?); first seen as: ${first}` }; }
	let problem = again;
	for (let i = cur.length - 1; i >= 0 && budget > 0; i--, budget--) {
		const cand = [...cur.slice(0, i), ...cur.slice(i + 1)];
		const r = await runSequence(ADAPTER, cand, 8000, false);
		if (r.problem) { cur = cand; problem = r.problem; }
	}
	return { seq: cur, problem };
}

function saved(): string[] {
	try { return readdirSync(REGRESSIONS).filter(f => f.startsWith('dap-') && f.endsWith('.json')).sort(); } catch { return []; }
}

describe('fuzz: debug adapter robustness (DAP over stdio)', function () {
	let tmp = '';
	before(() => {
		assert.ok(existsSync(ADAPTER), `${path.relative(ROOT, ADAPTER)} is missing: npm run build`);
		tmp = mkdtempSync(path.join(os.tmpdir(), 'hmm-dap-fuzz-'));
		writeFileSync(path.join(tmp, 'garbage.hmmw'), Buffer.from([0xff, 0xfe, 0, 0x7b, 0x22, 0x0a, 0x7d, 0xc3]));
		writeFileSync(path.join(tmp, 'empty.hmmw'), '');
	});
	after(() => { if (tmp) { rmSync(tmp, { recursive: true, force: true }); } });

	const numRuns = runs(120, 10_000, 'FUZZ_DAP_RUNS');
	it(`answers every request and stays up (${numRuns} random sequences, ${WORKERS} adapters at a time)`, async function () {
		this.timeout(FUZZ ? 0 : 300_000);
		const s = seed(401);
		// the sequences are drawn up front (deterministic for a seed), the tmp dir named inside them
		const seqs = fc.sample(sequence(tmp, FUZZ ? 40 : 20), { numRuns, seed: s });
		let failure: Req[] | undefined;
		let firstProblem = '';
		const totals = { sequences: 0, responses: 0, errors: 0, events: 0, raw: 0 };
		const notes = new Map<string, number>();
		await pool(seqs, async seq => {
			const r = await runSequence(ADAPTER, seq, 8000, false);
			totals.sequences++;
			totals.responses += r.responses;
			totals.errors += r.failed;
			totals.events += r.events;
			totals.raw += r.raw;
			// the message without quoted input, so one validation gap counts once
			for (const n of r.notes) { const k = n.replace(/\(reading '[^']*'\)/, '').slice(0, 120); notes.set(k, (notes.get(k) ?? 0) + 1); }
			if (r.problem && !failure) { failure = seq; firstProblem = r.problem; }
		}, () => failure !== undefined);
		if (FUZZ || process.env.FUZZ_VERBOSE) {
			console.log(`      DAP fuzzing: ${totals.sequences} sequences, ${totals.responses} responses (${totals.errors} error responses), ${totals.events} events, ${totals.raw} malformed frames; 0 schema violations`);
			for (const [n, k] of notes) { console.log(`      note: ${k}× ${n}`); }
		}
		if (!failure) { return; }
		const small = await shrink(failure, FUZZ ? 200 : 40, firstProblem);
		// tmp and checkout paths in the sequence become markers the replay fills in again
		const json = JSON.stringify(small.seq, null, 1).split(tmp).join('$TMP').split(ROOT).join('$ROOT');
		let where = '';
		if (FUZZ || process.env.FUZZ_SAVE === '1') {
			mkdirSync(REGRESSIONS, { recursive: true });
			where = path.join(REGRESSIONS, `dap-${s >>> 0}.json`);
			writeFileSync(where, json + '\n');
		}
		assert.fail(`${small.problem}\n\nshrunk sequence (${small.seq.length} requests)${where ? `, saved as ${where}` : ''}:\n${json}`);
	});

	const pauseRuns = runs(6, 300, 'FUZZ_DAP_PAUSE_RUNS');
	it(`a pause at a random point inside long statements stops the run (${pauseRuns} sessions)`, async function () {
		this.timeout(FUZZ ? 0 : 300_000);
		const seqs = fc.sample(pauseSequence(), { numRuns: pauseRuns, seed: seed(402) });
		const latencies: number[] = [];
		let failure: { seq: Req[]; problem: string } | undefined;
		await pool(seqs, async seq => {
			const r = await runSequence(ADAPTER, seq, 8000, true);
			latencies.push(...r.pauses);
			if (r.problem && !failure) { failure = { seq, problem: r.problem }; }
		}, () => failure !== undefined);
		if (failure) { assert.fail(`${failure.problem}\n${JSON.stringify(failure.seq, null, 1).split(ROOT).join('$ROOT')}`); }
		if (FUZZ || process.env.FUZZ_VERBOSE) {
			const sorted = [...latencies].sort((a, b) => a - b);
			const q = (f: number) => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))]?.toFixed(0);
			console.log(`      pauses inside long statements: ${sorted.length}, latency median ${q(0.5)} ms, 95th ${q(0.95)} ms, worst ${q(1)} ms`);
		}
	});

	const longSteps = runs(5_000, 40_000, 'FUZZ_DAP_LONG_STEPS');
	it(`a long session: ${longSteps} steps, looks and step backs, with the adapter's memory levelling off`, async function () {
		this.timeout(FUZZ ? 0 : 600_000);
		const r = await longSession(ADAPTER, path.join(ROOT, 'test/fuzz/fixtures/long-session.hmmw'), longSteps, seed(403));
		assert.equal(r.problem, undefined);
		assert.equal(r.steps, longSteps);
		// after a warm-up tenth, the adapter may grow by the history it keeps (bounded by its byte
		// budget, which this script's few pages keep small) and what the JIT and heap settle on,
		// but not with the number of steps: the second half grows less than a small constant
		const at = (f: number) => r.rss[Math.min(r.rss.length - 1, Math.floor(f * (r.rss.length - 1)))].mb;
		const peak = Math.max(...r.rss.map(s => s.mb));
		if (FUZZ || process.env.FUZZ_VERBOSE) {
			console.log(`      long session: ${r.steps} steps, ${r.stops} stops (${r.backs} back), ${r.requests} requests in ${r.seconds.toFixed(1)} s; RSS ${at(0).toFixed(0)} MB at the start, ${at(0.1).toFixed(0)} after a tenth, ${at(0.5).toFixed(0)} at half, ${at(1).toFixed(0)} at the end, peak ${peak.toFixed(0)}`);
		}
		assert.ok(at(1) - at(0.5) < 48, `RSS grew ${(at(1) - at(0.5)).toFixed(0)} MB over the second half: ${JSON.stringify(r.rss)}`);
		assert.ok(peak - at(0.1) < 160, `RSS rose ${(peak - at(0.1)).toFixed(0)} MB after the warm-up: ${JSON.stringify(r.rss)}`);
	});

	it('a stop in the same stdout chunk as the continue response counts as after it (the harness race behind a false "pause did not stop")', async function () {
		// a fake adapter answering every request with its response and a stopped event in one write:
		// the client has pushed the event before `await request()` resumes
		const fake = path.join(tmp, 'one-chunk-adapter.js');
		writeFileSync(fake, `const f = o => { const b = JSON.stringify(o); return 'Content-Length: ' + Buffer.byteLength(b) + '\\r\\n\\r\\n' + b; };
let buf = '';
process.stdin.on('data', d => { buf += d; const i = buf.indexOf('{'); if (i < 0 || !buf.endsWith('}')) { return; } const q = JSON.parse(buf.slice(i)); buf = '';
	process.stdout.write(f({ seq: 1, type: 'response', request_seq: q.seq, command: q.command, success: true }) + f({ seq: 2, type: 'event', event: 'stopped', body: { reason: 'exception', threadId: 1 } })); });`);
		const c = new RawDapClient(fake);
		try {
			const go = await c.request('continue', { threadId: 1 }, 5000);
			assert.ok(go?.success);
			assert.equal(c.events.length, 1, 'the event is already parsed when the response resolves');
			assert.equal(c.eventsBefore(go), 0, 'but it came after the response');
		} finally { c.proc.kill(); }
	});

	describe('saved failing sequences (test/fuzz/regressions/dap-*.json)', () => {
		for (const f of saved()) {
			it(f, async function () {
				this.timeout(60_000);
				const text = readFileSync(path.join(REGRESSIONS, f), 'utf8').split('$TMP').join(tmp).split('$ROOT').join(ROOT);
				const seq = JSON.parse(text) as Req[];
				const r = await runSequence(ADAPTER, seq);
				assert.equal(r.problem, undefined);
			});
		}
	});
});
