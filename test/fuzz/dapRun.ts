// Runs one request sequence against a fresh `node dist/debugAdapter.js` and says what went wrong,
// if anything: a request without a response, a malformed response, the adapter exiting (other
// than after disconnect), a protocol error, a stack trace on stderr, or an "internal error" the
// adapter reported as output.
import { harvest, type Pool, type Req, resolveRefs } from './dapGen';
import { type DapMessage, RawDapClient } from './dapClient';

/** launch waits up to 5 s for configurationDone; everything else answers at once */
const SLOW = new Set(['launch', 'restart']);
const STACK = /^\s+at .*(\(.*:\d+:\d+\)|:\d+:\d+)$/m;

/** With FUZZ_SKIP_KNOWN=1, requests that would hit an already reported bug are rewritten so a
 * campaign can look past it (never in strict mode, the replay of saved sequences); an entry goes
 * once its bug is fixed. Empty: every bug found so far is fixed. (The last one was
 * dap-variables-indexed-unbounded.json, defused by giving `variables` a count of 100.) */
const DEFUSE: ((command: string, args: Record<string, unknown>) => Record<string, unknown> | undefined)[] = [];

function defuse(command: string, args: unknown, strict: boolean): unknown {
	if (strict || process.env.FUZZ_SKIP_KNOWN !== '1' || !args || typeof args !== 'object') { return args; }
	let a = args as Record<string, unknown>;
	for (const f of DEFUSE) { a = f(command, a) ?? a; }
	return a;
}

/** notes: error responses that come from an exception in a handler rather than a validation */
export interface SeqResult { problem?: string; responses: number; failed: number; events: number; notes: string[] }

/** strict: a request left unanswered because a later disconnect ended the adapter is a failure
 * (the replay of saved sequences); otherwise it is a note, so a campaign goes on looking for
 * other problems once that one is known (docs/reliability.md lists it). */
export async function runSequence(adapter: string, seq: Req[], timeoutMs = 8000, strict = true): Promise<SeqResult> {
	const c = new RawDapClient(adapter);
	const pools = new Map<Pool, unknown[]>();
	let responses = 0, failed = 0, disconnected = false, disconnectSent = false;
	const notes: string[] = [];
	const problem = await (async (): Promise<string | undefined> => {
		for (let i = 0; i < seq.length; i++) {
			const q = seq[i];
			const args = defuse(q.command, resolveRefs(q.args, pools), strict);
			if (q.command === 'disconnect') { disconnectSent = true; }
			// launch is answered after configurationDone: send what follows before waiting for it
			const pending = c.request(q.command, args, SLOW.has(q.command) ? timeoutMs + 6000 : timeoutMs, q.omitArgs);
			const r = SLOW.has(q.command) ? await Promise.race([pending, sleep(50).then(() => 'later' as const)]) : await pending;
			if (r === 'later') {
				const rest = pending.then(m => check(q, m, i));
				const tail = await runTail(i + 1);
				const p = await rest;
				return p ?? tail;
			}
			const p = check(q, r, i);
			if (p) { return p; }
			if (q.command === 'disconnect') { disconnected = true; break; }
		}
		return undefined;

		async function runTail(from: number): Promise<string | undefined> {
			for (let j = from; j < seq.length; j++) {
				const q = seq[j];
				if (q.command === 'disconnect') { disconnectSent = true; }
				const r = await c.request(q.command, defuse(q.command, resolveRefs(q.args, pools), strict), SLOW.has(q.command) ? timeoutMs + 6000 : timeoutMs, q.omitArgs);
				const p = check(q, r, j);
				if (p) { return p; }
				if (q.command === 'disconnect') { disconnected = true; break; }
			}
			return undefined;
		}
	})();

	function check(q: Req, r: DapMessage | undefined, i: number): string | undefined {
		const at = `request #${i} ${q.command} ${JSON.stringify(resolveRefs(q.args, pools))?.slice(0, 300)}`;
		if (!r && c.exited !== undefined && disconnectSent && q.command !== 'disconnect' && !strict) {
			notes.push(`${q.command}: left unanswered when disconnect ended the adapter`);
			return undefined;
		}
		if (!r) { return c.exited !== undefined ? `adapter exited (${c.exited}) before answering ${at}` : `no response within the timeout to ${at}`; }
		responses++;
		if (r.command !== q.command) { return `response names command '${r.command}' for ${at}`; }
		if (typeof r.success !== 'boolean') { return `response without success flag for ${at}`; }
		if (!r.success) {
			failed++;
			if (typeof r.message !== 'string' || r.message === '') { return `error response without a message for ${at}`; }
			// answered, but by guard() catching a TypeError: malformed input not validated. Not a
			// failure of the property (the request was answered); collected for the report
			if (/is not a function|cannot read prop|undefined is not|of undefined|of null|is not iterable/i.test(r.message)) { notes.push(`${q.command}: ${r.message}`); }
			if (/internal error/i.test(r.message)) { return `error response reports an internal error: '${r.message}' for ${at}`; }
		}
		harvest(r.body, pools);
		return undefined;
	}

	let final = problem;
	if (!final) {
		if (disconnected) {
			// disconnect may end the adapter: that is the one exit allowed
		} else {
			// still alive and answering?
			const alive = await c.request('threads', {}, timeoutMs);
			if (!alive) { final = c.exited !== undefined ? `adapter exited (${c.exited}) during the sequence` : 'adapter stopped answering (threads after the sequence)'; }
		}
	}
	for (const e of c.events) {
		harvest(e.body, pools);
		const out = (e.body as { output?: string } | undefined)?.output;
		if (!final && e.event === 'output' && typeof out === 'string' && /internal error/i.test(out)) { final = `output event reports an internal error: ${out.slice(0, 500)}`; }
	}
	if (!final && c.protocolErrors.length > 0) { final = `protocol: ${c.protocolErrors[0]}`; }
	if (!final && (STACK.test(c.stderr) || /uncaught|unhandled/i.test(c.stderr))) { final = `stderr: ${c.stderr.slice(0, 1500)}`; }
	c.kill();
	await c.waitExit(2000);
	return { problem: final, responses, failed, events: c.events.length, notes };
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
