// An optional log of the DAP traffic, for debugging the adapter itself: only when asked (the
// HMM_DAP_LOG environment variable names the file), written as it goes, and rotated at a size
// limit (FILE becomes FILE.1, the previous FILE.1 is dropped), so a long session holds no queue
// in memory and at most two files on disk.
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';

/** Size of one log file before it rotates. */
const MAX_FILE = 8 << 20;
/** Longest single record (a 4 MiB readMemory response is cut to this). */
const MAX_RECORD = 64 << 10;

export class ProtocolLog {
	private fd = -1;
	private size = 0;

	constructor(private readonly file: string | undefined, private readonly maxFile = MAX_FILE) {
		if (file) { this.open('w'); }
	}

	static fromEnv(): ProtocolLog { return new ProtocolLog(process.env.HMM_DAP_LOG || undefined); }

	get enabled(): boolean { return this.fd >= 0; }

	private open(flags: string): void {
		try {
			this.fd = openSync(this.file!, flags);
			this.size = 0;
		} catch {
			// an unwritable log must not stop the debugger
			this.fd = -1;
		}
	}

	/** One record: direction and the message (cut at MAX_RECORD). */
	write(direction: '<-' | '->' | '!!', what: unknown): void {
		if (this.fd < 0) { return; }
		let text = typeof what === 'string' ? what : JSON.stringify(what);
		if (text.length > MAX_RECORD) { text = `${text.slice(0, MAX_RECORD)}... (${text.length} characters)`; }
		const line = `${new Date().toISOString()} ${direction} ${text}\n`;
		if (this.size + line.length > this.maxFile) { this.rotate(); }
		if (this.fd < 0) { return; }
		try {
			this.size += writeSync(this.fd, line);
		} catch {
			this.close();
		}
	}

	private rotate(): void {
		this.close();
		try { renameSync(this.file!, `${this.file}.1`); } catch { /* nothing to rotate */ }
		this.open('w');
	}

	close(): void {
		if (this.fd >= 0) { try { closeSync(this.fd); } catch { /* already gone */ } }
		this.fd = -1;
	}
}
