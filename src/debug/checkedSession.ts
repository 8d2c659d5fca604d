// The protocol plumbing under HmmDebugSession: frames read by transport.ts, every request checked
// by validate.ts before a handler sees it, one response per request, errors as error responses,
// and the traffic logged only when asked (protocolLog.ts).
//
// It is a DebugSession, not a LoggingDebugSession: that one keeps every message in a queue for
// a logger that is never set up, so memory grew with every request and event.
import { DebugSession, ErrorDestination, OutputEvent, Response } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { type BadFrame, BatchedWriter, Framer } from './transport';
import { requestProblem } from './validate';
import { ProtocolLog } from './protocolLog';

/** The handlers DebugSession.dispatchRequest calls for the requests a client sends at every
 * stop or step (protected there: reached through this view of the session). */
interface HotHandlers {
	nextRequest(r: DebugProtocol.Response, a: unknown, q: DebugProtocol.Request): void;
	stepInRequest(r: DebugProtocol.Response, a: unknown, q: DebugProtocol.Request): void;
	stepOutRequest(r: DebugProtocol.Response, a: unknown, q: DebugProtocol.Request): void;
	continueRequest(r: DebugProtocol.Response, a: unknown, q: DebugProtocol.Request): void;
	stepBackRequest(r: DebugProtocol.Response, a: unknown, q: DebugProtocol.Request): void;
	threadsRequest(r: DebugProtocol.Response, q: DebugProtocol.Request): void;
	stackTraceRequest(r: DebugProtocol.Response, a: unknown, q: DebugProtocol.Request): void;
	scopesRequest(r: DebugProtocol.Response, a: unknown, q: DebugProtocol.Request): void;
	variablesRequest(r: DebugProtocol.Response, a: unknown, q: DebugProtocol.Request): void;
}
type Hot = (s: HotHandlers, r: DebugProtocol.Response, q: DebugProtocol.Request) => void;

/** Each call exactly as DebugSession.dispatchRequest makes it (threads gets no arguments). */
const HOT: Record<string, Hot | undefined> = Object.assign(Object.create(null) as Record<string, Hot | undefined>, {
	next: (s, r, q) => s.nextRequest(r, q.arguments, q),
	stepIn: (s, r, q) => s.stepInRequest(r, q.arguments, q),
	stepOut: (s, r, q) => s.stepOutRequest(r, q.arguments, q),
	continue: (s, r, q) => s.continueRequest(r, q.arguments, q),
	stepBack: (s, r, q) => s.stepBackRequest(r, q.arguments, q),
	threads: (s, r, q) => s.threadsRequest(r, q),
	stackTrace: (s, r, q) => s.stackTraceRequest(r, q.arguments, q),
	scopes: (s, r, q) => s.scopesRequest(r, q.arguments, q),
	variables: (s, r, q) => s.variablesRequest(r, q.arguments, q),
} satisfies Record<string, Hot>);

export class CheckedSession extends DebugSession {
	/** request seqs answered, in two generations (the older dropped when the newer fills), so a
	 * long session neither grows nor copies the set */
	private responded = new Set<number>();
	private respondedBefore = new Set<number>();
	private readonly log = ProtocolLog.fromEnv();
	private readonly framer = new Framer({ message: m => this.handleMessage(m as unknown as DebugProtocol.ProtocolMessage), bad: b => this.badFrame(b) });

	constructor() {
		super();
		// ProtocolServer's stream reader calls this._handleData for every chunk it reads
		(this as unknown as { _handleData(d: Buffer): void })._handleData = d => {
			if (this.writer) { this.writer.batch(() => this.framer.feed(d)); } else { this.framer.feed(d); }
		};
	}

	/** the client's stream, when not inline: messages of one turn of the event loop in one write (transport.ts) */
	private writer?: BatchedWriter;

	override start(inStream: NodeJS.ReadableStream, outStream: NodeJS.WritableStream): void {
		this.writer = new BatchedWriter(outStream, outStream === process.stdout ? process.stdout.fd : undefined);
		super.start(inStream, this.writer as unknown as NodeJS.WritableStream);
	}

	/** Writes now what this turn of the event loop has sent so far. */
	protected flushOutput(): void { this.writer?.flush(); }

	override sendResponse(response: DebugProtocol.Response): void {
		if (this.answered(response.request_seq)) { return; }
		this.responded.add(response.request_seq);
		if (this.responded.size >= 5000) { this.respondedBefore = this.responded; this.responded = new Set(); }
		this.log.write('->', response);
		super.sendResponse(response);
	}

	private answered(seq: number): boolean { return this.responded.has(seq) || this.respondedBefore.has(seq); }

	override sendEvent(event: DebugProtocol.Event): void {
		this.log.write('->', event);
		super.sendEvent(event);
	}

	/** Every request is checked before a handler sees it: unserved commands and arguments of the
	 * wrong type or range get an error response here. */
	protected override dispatchRequest(request: DebugProtocol.Request): void {
		this.log.write('<-', request);
		if (!Number.isSafeInteger(request.seq)) {
			this.badFrame({ why: `a request without a valid seq: ${JSON.stringify(request).slice(0, 120)}` });
			return;
		}
		// the response for an error found here (the handler makes its own)
		const response = (): Response => {
			const r = new Response(request);
			if (typeof r.command !== 'string') { r.command = ''; }
			return r;
		};
		const problem = requestProblem(request);
		if (problem) { return this.fail(response(), problem); }
		// every argument is optional for this command: handlers read fields of an empty object
		request.arguments ??= {};
		const hot = HOT[request.command];
		if (hot) { return this.dispatchHot(hot, request); }
		try {
			super.dispatchRequest(request);
		} catch (e) {
			this.fail(response(), `${request.command} failed: ${(e as Error)?.message ?? String(e)}`);
		}
	}

	/** A request of every step, straight to its handler as DebugSession.dispatchRequest would
	 * call it (its chain of ~50 command comparisons, a large function the JIT compiles late, is
	 * most of what a request costs before the JIT warms up); a handler that throws gets the
	 * error response that chain would give. */
	private dispatchHot(hot: Hot, request: DebugProtocol.Request): void {
		const response = new Response(request);
		try {
			hot(this as unknown as HotHandlers, response, request);
		} catch (e) {
			this.sendErrorResponse(response, 1104, '{_stack}', { _exception: (e as Error)?.message, _stack: (e as Error)?.stack }, ErrorDestination.Telemetry);
		}
	}

	/** A frame that could not be read: answered when its seq is legible, else reported. */
	private badFrame(b: BadFrame): void {
		this.log.write('!!', b.why);
		if (b.seq !== undefined && !this.answered(b.seq)) {
			const response = new Response({ seq: b.seq, type: 'request', command: b.command ?? '' });
			return this.fail(response, `the adapter could not read this request: ${b.why}`);
		}
		this.sendEvent(new OutputEvent(`hmm debug adapter: ignored ${b.why}\n`, 'stderr'));
	}

	protected fail(response: DebugProtocol.Response, message: string, showUser = false): void {
		this.sendErrorResponse(response, { id: 3000, format: '{_message}', variables: { _message: message }, showUser });
	}

	/** Runs a handler; whatever it throws or rejects becomes an error response. */
	protected guard(response: DebugProtocol.Response, body: () => void | Promise<void>): void {
		const onError = (e: unknown) => this.fail(response, `${response.command} failed: ${(e as Error)?.message ?? String(e)}`);
		try {
			const r = body();
			if (r instanceof Promise) { r.catch(onError); }
		} catch (e) {
			onError(e);
		}
	}
}
