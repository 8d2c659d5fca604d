// hmmw explore FILE: runs every interleaving of a threaded script's threads (src/lang/explore.ts;
// `--preemptions K` bounds the search, `--max N` the runs) and writes each schedule that breaks an expectation, ends in an error
// or breaks an invariant as a replayable schedule file (`hmmw run FILE --schedule S.json`).
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { compileSource } from '../lang/frontend';
import { formatDiagnostic, hasErrors } from '../lang/diagnostics';
import { explore } from '../lang/explore';
import { splitAssignment, unknownParamsMessage } from '../lang/params';
import { DEFAULT_MAX_SCRIPT, readScript } from './scriptFile';
import type { BoundarySwitch } from '../lang/threads';

export const EXPLORE_USAGE = '       hmmw explore FILE [--max N] [--preemptions K] [--out DIR] [--no-reduction] [--set NAME=VALUE ...]   (every interleaving of the script\'s threads)';

/** A schedule file: the script it belongs to and the thread picked at each switch point with a choice. */
export interface ScheduleFile { script: string; picks: string[]; failures: { line: number; message: string }[]; error?: string; switches?: BoundarySwitch[] }

interface Args { file: string; max: number; preemptions: number; out?: string; set: Record<string, string>; reduce: boolean }

function parse(argv: string[]): Args | string {
	const a: Args = { file: '', max: 1000, preemptions: Infinity, set: {}, reduce: true };
	for (let i = 0; i < argv.length; i++) {
		const x = argv[i];
		const value = (): string | undefined => argv[++i];
		if (x === '--max' || x === '--preemptions') {
			const n = Number(value());
			if (!Number.isInteger(n) || n < (x === '--max' ? 1 : 0)) { return `${x} needs a${x === '--max' ? ' positive' : ' non-negative'} integer`; }
			if (x === '--max') { a.max = n; } else { a.preemptions = n; }
		} else if (x === '--out') {
			const v = value();
			if (v === undefined) { return '--out needs a directory'; }
			a.out = v;
		} else if (x === '--no-reduction') {
			a.reduce = false;
		} else if (x === '--set') {
			const kv = splitAssignment(value() ?? '');
			if (typeof kv === 'string') { return kv; }
			a.set[kv.name] = kv.value;
		} else if (x.startsWith('-')) { return `unknown option '${x}'`; } else if (a.file) { return 'only one FILE'; } else { a.file = x; }
	}
	return a.file ? a : 'missing FILE';
}

export function exploreMain(argv: string[], usage: (msg: string) => number): number {
	const a = parse(argv);
	if (typeof a === 'string') { return usage(a); }
	const read = readScript(a.file, DEFAULT_MAX_SCRIPT);
	if (!read.ok) { process.stderr.write(read.message + '\n'); return 2; }
	const { program, diagnostics } = compileSource(read.source, a.file, a.set);
	const unknown = unknownParamsMessage(program, Object.keys(a.set));
	if (unknown) { return usage(unknown); }
	for (const d of diagnostics) { process.stderr.write(formatDiagnostic(d) + '\n'); }
	if (hasErrors(diagnostics)) { return 2; }
	const r = explore(program, read.source, { max: a.max, preemptions: a.preemptions, reduce: a.reduce });
	const dir = a.out ?? path.dirname(a.file);
	const base = path.basename(a.file, '.hmmw');
	r.bad.forEach((b, i) => {
		const file = path.join(dir, `${base}.schedule-${i + 1}.json`);
		const doc: ScheduleFile = {
			script: path.basename(a.file), picks: b.picks, failures: b.failures.map(f => ({ line: f.line, message: f.message })),
			...(b.error ? { error: `${b.error.line}:${b.error.col}: ${b.error.message}` } : {}),
		};
		writeFileSync(file, JSON.stringify(doc, null, 1) + '\n');
		const what = b.error ? `${a.file}:${b.error.line}:${b.error.col}: ${b.error.message}` : b.failures.map(f => `${a.file}:${f.line}:${f.col}: ${f.message}`).join('\n  ');
		process.stdout.write(`schedule ${i + 1} (${b.picks.length} picks) -> ${file}\n  ${what}\n`);
	});
	const bound = Number.isFinite(a.preemptions) ? ` within ${a.preemptions} preemption${a.preemptions === 1 ? '' : 's'}` : '';
	const cover = r.truncated ? `stopped at --max ${a.max}, not every interleaving${bound}` : `every interleaving${bound}`;
	const reduction = a.reduce ? `, partial-order reduction: ${r.pruned} picks pruned, ${r.blocked} runs cut short` : ', no reduction';
	process.stdout.write(`explored ${r.explored} schedules (${cover}, ${r.points} switch points with a choice${reduction}) in ${(r.ms / 1000).toFixed(2)} s: ${r.bad.length === 0 ? 'all clean' : `${r.bad.length} broke an expectation or invariant`}\n`);
	return r.bad.length > 0 ? 1 : 0;
}
