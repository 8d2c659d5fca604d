// The adapter's reading side of the wire: Content-Length framing that survives anything a client
// (or a broken pipe) sends. @vscode/debugadapter's own reader ends the process on the first body
// that is not JSON; this one hands each well-formed message on and reports every bad frame (with
// the request's seq and command when they can still be read from it, so it can be answered),
// then goes on with the next frame. Nothing it reads is buffered beyond MAX_BODY: a larger body
// is reported and skipped as it streams past.

import { isUtf8 } from 'node:buffer';
import { writeSync } from 'node:fs';

/** The largest body read (a 1 MiB writeMemory is ~1.4 MB of base64). */
export const MAX_BODY = 16 << 20;
/** A header block longer than this has no end in sight: it is dropped. */
const MAX_HEADER = 8192;
const SEP = Buffer.from('\r\n\r\n');
/** an empty buffer (never written to) */
const EMPTY = Buffer.alloc(0);

export interface BadFrame { why: string; seq?: number; command?: string }

export interface FrameSink {
	message(msg: Record<string, unknown>): void;
	bad(b: BadFrame): void;
}

/** seq and command of a request that could not be parsed whole, if they are legible */
function salvage(text: string): { seq?: number; command?: string } {
	const seq = /"seq"\s*:\s*(\d{1,15})\b/.exec(text.slice(0, 4096));
	const command = /"command"\s*:\s*"([A-Za-z0-9_]{1,80})"/.exec(text.slice(0, 4096));
	return { seq: seq ? Number(seq[1]) : undefined, command: command?.[1] };
}

const PLAIN = 'Content-Length: ';

/** The header every client sends, `Content-Length: N` alone, read with builtins only (at every
 * request, often before the JIT has compiled this); undefined for anything else, which
 * headerLength reads in full. */
const PLAIN_DIGITS = /^\d{1,16}$/;
function plainLength(header: string): number | undefined {
	if (!header.startsWith(PLAIN)) { return undefined; }
	const digits = header.slice(PLAIN.length);
	if (!PLAIN_DIGITS.test(digits)) { return undefined; }
	const n = Number(digits);
	return Number.isSafeInteger(n) ? n : undefined;
}

export class Framer {
	private buf: Buffer = EMPTY;
	/** bytes of an oversized body still to skip */
	private skip = 0;
	/** length of the body being collected (-1: reading a header), and its chunks so far */
	private want = -1;
	private chunks: Buffer[] = [];
	private have = 0;

	constructor(private readonly sink: FrameSink) { }

	feed(data: Buffer): void {
		if (this.want >= 0) {
			// collecting a body: keep the chunks, join them once (no quadratic copying)
			this.chunks.push(data);
			this.have += data.length;
			if (this.have < this.want) { return; }
			data = Buffer.concat(this.chunks);
			this.chunks = [];
			this.have = 0;
			const len = this.want;
			this.want = -1;
			this.body(data.subarray(0, len));
			// a copy, so the joined body is not kept alive by what follows it
			this.buf = Buffer.from(data.subarray(len));
		} else {
			this.buf = this.buf.length === 0 ? data : Buffer.concat([this.buf, data]);
		}
		this.frames();
	}

	private frames(): void {
		for (;;) {
			if (this.skip > 0) {
				const n = Math.min(this.skip, this.buf.length);
				this.skip -= n;
				this.buf = this.buf.subarray(n);
				if (this.skip > 0) { return; }
			}
			// a chunk most often ends with the frame it brought: nothing left to search
			if (this.buf.length === 0) { return; }
			const sep = this.buf.indexOf(SEP);
			if (sep < 0) {
				if (this.buf.length > MAX_HEADER) {
					this.sink.bad({ why: `a header of more than ${MAX_HEADER} bytes without an end: ${this.buf.length} bytes dropped` });
					this.buf = EMPTY;
				}
				return;
			}
			// the common case, a whole frame in the buffer, reads it in place: one view, of the body
			const header = this.buf.toString('latin1', 0, sep);
			const start = sep + SEP.length;
			const len = plainLength(header) ?? this.headerLength(header);
			if (len === undefined || len > MAX_BODY || this.buf.length - start < len) {
				this.buf = this.buf.subarray(start);
				if (len === undefined) { continue; }
				if (len > MAX_BODY) {
					this.sink.bad({ why: `a message of ${len} bytes is over the ${MAX_BODY}-byte limit: skipped` });
					this.skip = len;
					continue;
				}
				this.want = len;
				this.chunks = this.buf.length ? [this.buf] : [];
				this.have = this.buf.length;
				this.buf = EMPTY;
				return;
			}
			const end = start + len;
			const body = this.buf.subarray(start, end);
			this.buf = end === this.buf.length ? EMPTY : this.buf.subarray(end);
			this.body(body);
		}
	}

	/** Content-Length of any header other than the plain one; undefined (reported) if none. */
	private headerLength(header: string): number | undefined {
		// bytes left over from a bad frame run into the next header: resynchronise on it
		const at = header.search(/Content-Length:/i);
		if (at > 0 && !/^Content-Length:/im.test(header)) {
			this.sink.bad({ why: `${at} stray bytes before a header: skipped` });
			header = header.slice(at);
		}
		const m = /^Content-Length:[ \t]*(\S*)[ \t]*$/im.exec(header);
		const len = m && /^\d{1,16}$/.test(m[1]) ? Number(m[1]) : NaN;
		if (!m || !Number.isSafeInteger(len)) {
			this.sink.bad({ why: m ? `bad Content-Length '${m[1].slice(0, 40)}'` : `a header without Content-Length: ${JSON.stringify(header.slice(0, 80))}` });
			return undefined;
		}
		return len;
	}

	private body(bytes: Buffer): void {
		// a native check, then a native decode: TextDecoder's fatal mode runs JS argument checks
		// at every call
		if (!isUtf8(bytes)) {
			this.sink.bad({ why: 'a message that is not valid UTF-8', ...salvage(bytes.toString('latin1')) });
			return;
		}
		let text = bytes.toString('utf8');
		// a leading byte order mark is dropped, as TextDecoder did
		if (text.charCodeAt(0) === 0xfeff) { text = text.slice(1); }
		let msg: unknown;
		try {
			msg = JSON.parse(text);
		} catch (e) {
			this.sink.bad({ why: `a message that is not JSON (${(e as Error).message})`, ...salvage(text) });
			return;
		}
		if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
			this.sink.bad({ why: `a message that is not a JSON object: ${JSON.stringify(msg)?.slice(0, 60)}` });
			return;
		}
		this.sink.message(msg as Record<string, unknown>);
	}
}

/** The writing side: the messages of one turn of the event loop leave in one write. Every
 * write that wakes the client costs a system call and a wake-up (tens of microseconds on this
 * kind of machine), so a step answers with its response and its stopped event together when the
 * step ends within its first time slice (the session queues the response, then runs that slice
 * at once; a job scheduled in the same turn also leaves with it). `flush` writes at once what waits (a continue's response, which must
 * not wait for the run). Order is kept; `end` flushes first.
 *
 * What is sent while a chunk read from the client is handled (`batch`) leaves when that chunk is
 * done, without waiting for the end of the turn: no timer job per request. With `fd` (the
 * adapter's stdout), a write goes to the file descriptor directly while the stream holds nothing
 * queued (order is kept): the stream's machinery costs more than the write itself for messages
 * of a few hundred bytes, most of all in the first steps, before the JIT has compiled it. What
 * the pipe cannot take at once (it is full, or the write fails) goes through the stream as before. */
export class BatchedWriter {
	private pending: string[] = [];
	private scheduled = false;
	/** inside `batch`: the write happens at its end */
	private batching = false;

	constructor(private readonly out: NodeJS.WritableStream, private readonly fd?: number) { }

	write(chunk: string): boolean {
		this.pending.push(chunk);
		if (!this.scheduled && !this.batching) {
			this.scheduled = true;
			setImmediate(() => this.flush());
		}
		return true;
	}

	/** Runs `f` (the handling of what the client sent); what it sends leaves in one write at its end. */
	batch(f: () => void): void {
		if (this.batching) { f(); return; }
		this.batching = true;
		try {
			f();
		} finally {
			this.batching = false;
			this.flush();
		}
	}

	flush(): void {
		this.scheduled = false;
		if (this.pending.length === 0) { return; }
		const text = this.pending.length === 1 ? this.pending[0] : this.pending.join('');
		this.pending = [];
		if (this.fd !== undefined && (this.out as Partial<NodeJS.WriteStream>).writableLength === 0 && this.direct(text)) { return; }
		this.out.write(text, 'utf8');
	}

	/** Writes to the file descriptor; false (nothing written) when the stream must take it all. */
	private direct(text: string): boolean {
		let n: number;
		try {
			n = writeSync(this.fd!, text);
		} catch {
			// EAGAIN (the pipe is full) or an error the stream reports as it always did
			return false;
		}
		if (n < Buffer.byteLength(text)) { this.out.write(Buffer.from(text, 'utf8').subarray(n)); }
		return true;
	}

	end(): void {
		this.flush();
		this.out.end();
	}

	on(event: string, listener: (...args: unknown[]) => void): this {
		this.out.on(event, listener);
		return this;
	}
}
