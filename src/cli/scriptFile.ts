// Reading a workload script from disk, bounded: only regular files (a device such as /dev/zero
// or a FIFO would be read forever), and at most a size limit, so a huge file is refused with a
// located message before any of it is lexed. The CLI and the debug adapter both read through it,
// and both check a trace path here before a run, so an unwritable one fails at once.
import { accessSync, closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import * as path from 'node:path';

/** Default largest script, in bytes (raised by `hmmw --max-script-size` or the launch attribute
 * `maxScriptSize`). */
export const DEFAULT_MAX_SCRIPT = 8 << 20;

export type ScriptRead =
	| { ok: true; source: string }
	/** not-regular and unreadable are usage errors; too-big is a located diagnostic */
	| { ok: false; kind: 'unreadable' | 'not-regular' | 'too-big'; message: string };

export function readScript(file: string, maxBytes = DEFAULT_MAX_SCRIPT): ScriptRead {
	let fd: number;
	try {
		fd = openSync(file, 'r');
	} catch (e) {
		return { ok: false, kind: 'unreadable', message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
	}
	try {
		const st = fstatSync(fd);
		if (!st.isFile()) { return { ok: false, kind: 'not-regular', message: `cannot read ${file}: not a regular file` }; }
		const tooBig = (n: number | string) => ({ ok: false as const, kind: 'too-big' as const, message: `${file}:1:1: the script is ${n} bytes, over the limit of ${maxBytes} bytes (raise it with --max-script-size, or maxScriptSize in a launch configuration)` });
		if (st.size > maxBytes) { return tooBig(st.size); }
		// the file may grow while it is read: read one byte past the limit to notice
		const buf = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
		let n = 0;
		for (;;) {
			const r = readSync(fd, buf, n, buf.length - n, null);
			if (r === 0) { break; }
			n += r;
			if (n === buf.length) { break; }
		}
		if (n > maxBytes) { return tooBig(`more than ${maxBytes}`); }
		return { ok: true, source: buf.toString('utf8', 0, n) };
	} catch (e) {
		return { ok: false, kind: 'unreadable', message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
	} finally {
		closeSync(fd);
	}
}

/** Why the trace file cannot be written, checked without creating it. */
export function traceProblem(file: string): string | undefined {
	try {
		const st = statSync(file, { throwIfNoEntry: false });
		if (st) {
			if (!st.isFile()) { return `cannot write trace ${file}: not a regular file`; }
			accessSync(file, constants.W_OK);
			return undefined;
		}
		const dir = path.dirname(path.resolve(file));
		if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) { return `cannot write trace ${file}: no directory ${dir}`; }
		accessSync(dir, constants.W_OK);
		return undefined;
	} catch (e) {
		return `cannot write trace ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
	}
}
