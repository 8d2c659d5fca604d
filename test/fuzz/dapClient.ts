// A raw DAP client over stdio (Content-Length framing), for fuzzing: unlike DebugClient it sends
// arguments of any shape (null, arrays, wrong types), never validates what it sends, and keeps
// everything the adapter says (responses, events, stderr) for the checks.
import { type ChildProcess, spawn } from 'node:child_process';
import { schemaViolation } from '../debug/schema';

export interface DapMessage { seq: number; type: string; command?: string; event?: string; request_seq?: number; success?: boolean; message?: string; body?: unknown }

export class RawDapClient {
	readonly proc: ChildProcess;
	readonly events: DapMessage[] = [];
	stderr = '';
	/** set when the process exits: the code, or the signal that ended it */
	exited?: string;
	/** every byte that was not a well-formed message */
	protocolErrors: string[] = [];
	/** messages from the adapter that break the DAP schema */
	schemaErrors: string[] = [];
	private buf = Buffer.alloc(0);
	private seq = 1;
	private pending = new Map<number, (m: DapMessage) => void>();
	private exitWaiters: (() => void)[] = [];
	/** how many events had arrived when a response did: events parsed from the same chunk are
	 * pushed before the awaiting code resumes, so `events.length` after `await` can be too late */
	private readonly eventsAtArrival = new WeakMap<DapMessage, number>();

	/** The events that came before `response` (in the adapter's order). */
	eventsBefore(response: DapMessage): number { return this.eventsAtArrival.get(response) ?? this.events.length; }

	constructor(adapter: string, env: NodeJS.ProcessEnv = process.env) {
		this.proc = spawn(process.execPath, [adapter], { stdio: ['pipe', 'pipe', 'pipe'], env });
		this.proc.stdout!.on('data', (d: Buffer) => this.onData(d));
		this.proc.stderr!.on('data', (d: Buffer) => { this.stderr += d.toString(); });
		// a write after the adapter died must not crash the fuzzer; the exit is what gets reported
		this.proc.stdin!.on('error', () => undefined);
		this.proc.on('exit', (code, signal) => {
			this.exited = signal ?? String(code);
			for (const w of this.exitWaiters) { w(); }
		});
	}

	private onData(d: Buffer): void {
		this.buf = Buffer.concat([this.buf, d]);
		for (;;) {
			const sep = this.buf.indexOf('\r\n\r\n');
			if (sep < 0) { return; }
			const header = this.buf.subarray(0, sep).toString('ascii');
			const m = /Content-Length: (\d+)/i.exec(header);
			if (!m) {
				this.protocolErrors.push(`bad header ${JSON.stringify(header.slice(0, 200))}`);
				this.buf = this.buf.subarray(sep + 4);
				continue;
			}
			const len = Number(m[1]);
			if (this.buf.length < sep + 4 + len) { return; }
			const body = this.buf.subarray(sep + 4, sep + 4 + len).toString('utf8');
			this.buf = this.buf.subarray(sep + 4 + len);
			let msg: DapMessage;
			try { msg = JSON.parse(body) as DapMessage; } catch {
				this.protocolErrors.push(`bad JSON ${JSON.stringify(body.slice(0, 200))}`);
				continue;
			}
			const bad = schemaViolation(msg);
			if (bad && this.schemaErrors.length < 20) { this.schemaErrors.push(bad); }
			if (msg.type === 'response') {
				const w = this.pending.get(msg.request_seq ?? -1);
				if (w) { this.eventsAtArrival.set(msg, this.events.length); this.pending.delete(msg.request_seq!); w(msg); } else { this.protocolErrors.push(`response to no pending request: ${body.slice(0, 200)}`); }
			} else if (msg.type === 'event') {
				this.events.push(msg);
			} else if (msg.type === 'request') {
				// reverse requests (runInTerminal, startDebugging): answer them as a client that cannot
				this.write({ seq: this.seq++, type: 'response', request_seq: msg.seq, command: msg.command, success: false, message: 'not supported by the fuzzer' });
			} else {
				this.protocolErrors.push(`unknown message type ${JSON.stringify(body.slice(0, 200))}`);
			}
		}
	}

	private write(msg: object): void {
		const json = JSON.stringify(msg);
		if (!this.proc.stdin!.writable) { return; }
		this.proc.stdin!.write(`Content-Length: ${Buffer.byteLength(json, 'utf8')}\r\n\r\n${json}`);
	}

	/** Sends raw bytes, framed or not (malformed frames for the fuzzer). */
	writeRaw(bytes: Buffer | string): void {
		if (this.proc.stdin!.writable) { this.proc.stdin!.write(bytes); }
	}

	/** Waits for the response to a seq sent by writeRaw; undefined after timeoutMs or on exit. */
	response(seq: number, timeoutMs: number): Promise<DapMessage | undefined> {
		return new Promise(resolve => {
			const timer = setTimeout(() => { this.pending.delete(seq); resolve(undefined); }, timeoutMs);
			const done = (m: DapMessage | undefined) => { clearTimeout(timer); resolve(m); };
			this.pending.set(seq, done);
			if (this.exited !== undefined) { this.pending.delete(seq); done(undefined); return; }
			this.exitWaiters.push(() => { if (this.pending.has(seq)) { this.pending.delete(seq); done(undefined); } });
		});
	}

	/** Reserves a seq for a raw frame. */
	takeSeq(): number { return this.seq++; }

	/** Sends a request; resolves with its response, or with undefined after `timeoutMs` or on exit. */
	request(command: string, args: unknown, timeoutMs: number, omitArgs = false): Promise<DapMessage | undefined> {
		const seq = this.takeSeq();
		const msg: Record<string, unknown> = { seq, type: 'request', command };
		if (!omitArgs) { msg.arguments = args; }
		// the wait is registered (synchronously) before the frame goes out
		const answer = this.response(seq, timeoutMs);
		if (this.exited === undefined) { this.write(msg); }
		return answer;
	}

	/** Resolves when the process has exited, or after timeoutMs; true if it exited. */
	waitExit(timeoutMs: number): Promise<boolean> {
		if (this.exited !== undefined) { return Promise.resolve(true); }
		return new Promise(resolve => {
			const timer = setTimeout(() => resolve(false), timeoutMs);
			this.exitWaiters.push(() => { clearTimeout(timer); resolve(true); });
		});
	}

	kill(): void { if (this.exited === undefined) { this.proc.kill('SIGKILL'); } }
}
