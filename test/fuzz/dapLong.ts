// A long debug session (issue "Reliability II", item 7): thousands of steps against one adapter,
// as VS Code drives it at every stop (threads, stackTrace, scopes, sometimes variables, evaluate,
// readMemory, a step back), with the adapter's resident memory sampled from /proc. The adapter must
// answer every request, never exit, send only schema-valid messages, and its memory must level
// off: time-travel history is held to its byte budget and nothing else may grow with the steps.
import { readFileSync } from 'node:fs';
import * as fc from 'fast-check';
import { type DapMessage, RawDapClient } from './dapClient';

export interface LongResult { problem?: string; steps: number; stops: number; requests: number; backs: number; seconds: number; rss: { step: number; mb: number }[] }

type Action = 'next' | 'stepIn' | 'stepOut' | 'stepBack' | 'variables' | 'evaluate' | 'readMemory';
const ACTIONS = fc.constantFrom<Action>('next', 'next', 'next', 'next', 'next', 'next', 'stepIn', 'stepIn', 'stepOut', 'stepBack', 'variables', 'evaluate', 'readMemory');

function rssMB(pid: number): number {
	const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
	return m ? Number(m[1]) / 1024 : NaN;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Resolves with the first event from index `from` on that satisfies `ok`, or undefined. */
async function eventAfter(c: RawDapClient, from: number, ok: (e: DapMessage) => boolean, timeoutMs: number): Promise<DapMessage | undefined> {
	const end = Date.now() + timeoutMs;
	let i = from;
	for (;;) {
		for (; i < c.events.length; i++) { if (ok(c.events[i])) { return c.events[i]; } }
		if (Date.now() > end || c.exited !== undefined) { return undefined; }
		await sleep(1);
	}
}

/** Runs `steps` steps of `program` with a fixed seed; samples RSS `samples` times. */
export async function longSession(adapter: string, program: string, steps: number, seed: number, samples = 20): Promise<LongResult> {
	const c = new RawDapClient(adapter);
	const actions = fc.sample(ACTIONS, { numRuns: steps, seed });
	const res: LongResult = { steps: 0, stops: 0, requests: 0, backs: 0, seconds: 0, rss: [] };
	const t0 = Date.now();
	let memRef: string | undefined;
	/** frames at the last stop: a step out of the script's own frame would run the loop to its end */
	let depth = 1;
	async function req(command: string, args: unknown): Promise<DapMessage> {
		res.requests++;
		const r = await c.request(command, args, 30_000);
		if (!r) { throw new Error(c.exited !== undefined ? `adapter exited (${c.exited}) before answering ${command}` : `no response to ${command} within 30 s`); }
		return r;
	}
	/** what VS Code asks at every stop */
	async function look(): Promise<void> {
		await req('threads', {});
		const st = await req('stackTrace', { threadId: 1, startFrame: 0, levels: 20 });
		const frames = (st.body as { stackFrames?: { id: number }[] } | undefined)?.stackFrames ?? [];
		if (frames.length === 0) { throw new Error('a stop with no stack frame'); }
		depth = frames.length;
		const sc = await req('scopes', { frameId: frames[0].id });
		const scopes = (sc.body as { scopes?: { variablesReference: number; expensive: boolean }[] } | undefined)?.scopes ?? [];
		const cheap = scopes.find(s => !s.expensive);
		if (cheap) { await req('variables', { variablesReference: cheap.variablesReference }); }
	}
	try {
		await req('initialize', { adapterID: 'hmm', linesStartAt1: true, columnsStartAt1: true, supportsMemoryReferences: true });
		const from = c.events.length;
		const launched = c.request('launch', { program, stopOnEntry: true }, 30_000);
		await req('configurationDone', {});
		const l = await launched;
		if (!l?.success) { throw new Error(`launch failed: ${l?.message ?? 'no response'}`); }
		if (!await eventAfter(c, from, e => e.event === 'stopped', 30_000)) { throw new Error('no stop on entry'); }
		await look();
		const every = Math.max(1, Math.floor(steps / samples));
		for (let i = 0; i < steps; i++) {
			const a = actions[i] === 'stepOut' && depth < 2 ? 'next' : actions[i];
			if (a === 'variables' || a === 'evaluate' || a === 'readMemory') {
				if (a === 'variables') { await look(); }
				if (a === 'evaluate') {
					const e = await req('evaluate', { expression: 'addr(X)', context: 'watch' });
					memRef ??= (e.body as { memoryReference?: string } | undefined)?.memoryReference;
					await req('evaluate', { expression: 'gpu.migrated_in + p.rss', context: 'hover' });
				}
				if (a === 'readMemory' && memRef) { await req('readMemory', { memoryReference: memRef, offset: (i % 1024) * 4096, count: 4096 }); }
			} else {
				const before = c.events.length;
				const r = await req(a, { threadId: 1 });
				if (r.success) {
					const ev = await eventAfter(c, c.eventsBefore(r) < before ? before : c.eventsBefore(r), e => e.event === 'stopped' || e.event === 'terminated', 30_000);
					if (!ev) { throw new Error(`${a} (step ${i}) succeeded but no stopped event followed within 30 s`); }
					if (ev.event === 'terminated') { throw new Error(`the session ended at step ${i}: the script should outlast the campaign`); }
					res.stops++;
					if (a === 'stepBack') { res.backs++; }
					await look();
				}
			}
			res.steps++;
			if (i % every === 0 || i === steps - 1) { res.rss.push({ step: i + 1, mb: rssMB(c.proc.pid!) }); }
		}
		if (c.schemaErrors.length) { throw new Error(`schema violations: ${c.schemaErrors.join('; ')}`); }
		if (c.protocolErrors.length) { throw new Error(`protocol errors: ${c.protocolErrors.join('; ')}`); }
		await req('disconnect', {});
	} catch (e) {
		res.problem = `${(e as Error).message}\nstderr: ${c.stderr.slice(-2000)}`;
	} finally {
		c.kill();
		res.seconds = (Date.now() - t0) / 1000;
	}
	return res;
}
