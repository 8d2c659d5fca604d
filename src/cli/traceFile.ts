// `hmmw run --trace OUT`: trace records streamed to the file as the run makes them, through a
// buffer flushed with synchronous writes, so memory stays bounded whatever the run's length and
// nothing is held back (no event cap). The file is valid JSON once `close` has run; a run that
// ends in an error is closed too.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { TraceEvent, TraceSink } from '../lang/trace';

/** bytes buffered before a write */
const FLUSH_AT = 1 << 20;

export class FileTraceSink implements TraceSink {
	private readonly fd: number;
	private buf = '';
	private n = 0;
	/** the first write error: later records are dropped, and `close` reports it */
	private error?: Error;
	/** records written so far */
	get count(): number { return this.n; }

	constructor(readonly path: string) {
		this.fd = openSync(path, 'w');
		this.buf = '{"displayTimeUnit":"ns","traceEvents":[\n';
	}

	write(ev: TraceEvent): void {
		if (this.error) { return; }
		this.buf += (this.n++ === 0 ? '' : ',\n') + JSON.stringify(ev);
		if (this.buf.length >= FLUSH_AT) { this.flush(); }
	}

	/** Ends the document with `otherData` and closes the file. */
	close(otherData: object): void {
		this.buf += `\n],"otherData":${JSON.stringify({ ...otherData, records: this.n })}}\n`;
		this.flush();
		closeSync(this.fd);
		if (this.error) { throw this.error; }
	}

	private flush(): void {
		const b = Buffer.from(this.buf, 'utf8');
		this.buf = '';
		if (this.error) { return; }
		try {
			for (let off = 0; off < b.length;) { off += writeSync(this.fd, b, off); }
		} catch (e) {
			this.error = e as Error;
		}
	}
}
