// hmmw: run or check a workload script from the command line (docs/language.md#command-line).
import { compileSource } from '../lang/frontend';
import { isBoundarySwitchList } from '../lang/threads';
import { DEFAULT_MAX_SCRIPT, readScript, traceProblem } from './scriptFile';
import { formatDiagnostic, hasErrors } from '../lang/diagnostics';
import { runWorkload } from './run';
import { summary } from './report';
import { buildRunDocument } from './jsonReport';
import { FileTraceSink } from './traceFile';
import { startServer } from '../lsp/server';
import * as path from 'node:path';

/** print lines kept in the --json document (all of them still go to stderr) */
const MAX_OUTPUT_LINES = 10_000;
import { profileTable } from './profile';
import { paramValues, splitAssignment, unknownParamsMessage } from '../lang/params';
import { SWEEP_USAGE, sweepMain } from './sweep';
import { REPORT_USAGE, reportMain } from './htmlReportMain';
import { EXPLORE_USAGE, exploreMain, type ScheduleFile } from './explore';
import { readFileSync } from 'node:fs';

const USAGE = `usage: hmmw run FILE [--json] [--trace OUT.json] [--profile] [--timeline] [--set NAME=VALUE ...] [--max-steps N] [--timeout SECONDS] [--max-script-size BYTES] [--schedule S.json]
       hmmw check FILE [--set NAME=VALUE ...] [--max-script-size BYTES]
${SWEEP_USAGE}
${REPORT_USAGE}
${EXPLORE_USAGE}
       hmmw lsp [--stdio | --node-ipc | --socket=PORT]   (the language server)`;

function usage(msg?: string): number {
	if (msg) { process.stderr.write(`hmmw: ${msg}\n`); }
	process.stderr.write(USAGE + '\n');
	return 64;
}

interface Args { cmd: string; file: string; json: boolean; profile: boolean; timeline: boolean; set: Record<string, string>; trace?: string; maxSteps?: number; timeoutMs?: number; maxScriptSize: number; schedule?: string }

function parseArgs(argv: string[]): Args | string {
	const [cmd, ...rest] = argv;
	if (cmd !== 'run' && cmd !== 'check') { return cmd ? `unknown command '${cmd}'` : 'missing command'; }
	const a: Args = { cmd, file: '', json: false, profile: false, timeline: false, set: {}, maxScriptSize: DEFAULT_MAX_SCRIPT };
	for (let i = 0; i < rest.length; i++) {
		const x = rest[i];
		const value = () => { if (i + 1 >= rest.length) { throw new Error(`${x} needs a value`); } return rest[++i]; };
		try {
			if (x === '--set') {
				const kv = splitAssignment(value());
				if (typeof kv === 'string') { return kv; }
				a.set[kv.name] = kv.value;
			} else if (x === '--profile' && cmd === 'run') { a.profile = true; } else if (x === '--timeline' && cmd === 'run') { a.timeline = true; } else if (x === '--json' && cmd === 'run') { a.json = true; } else if (x === '--trace' && cmd === 'run') { a.trace = value(); } else if (x === '--max-steps' && cmd === 'run') {
				const n = Number(value());
				if (!Number.isInteger(n) || n <= 0) { return '--max-steps needs a positive integer'; }
				a.maxSteps = n;
			} else if (x === '--timeout' && cmd === 'run') {
				const n = Number(value());
				if (!(n > 0)) { return '--timeout needs a positive number of seconds'; }
				a.timeoutMs = n * 1000;
			} else if (x === '--schedule' && cmd === 'run') {
				a.schedule = value();
			} else if (x === '--max-script-size') {
				const n = Number(value());
				if (!Number.isSafeInteger(n) || n <= 0) { return '--max-script-size needs a positive number of bytes'; }
				a.maxScriptSize = n;
			} else if (x.startsWith('-')) { return `unknown option '${x}'`; } else if (a.file) { return 'only one FILE'; } else { a.file = x; }
		} catch (e) {
			return (e as Error).message;
		}
	}
	if (!a.file) { return 'missing FILE'; }
	if (a.timeline && !a.json) { return '--timeline goes into the JSON document: use it with --json'; }
	return a;
}

async function main(argv: string[]): Promise<number> {
	const a = parseArgs(argv);
	if (typeof a === 'string') { return usage(a); }
	const read = readScript(a.file, a.maxScriptSize);
	if (!read.ok) {
		if (read.kind === 'too-big') { process.stderr.write(read.message + '\n'); return 2; }
		return usage(read.message);
	}
	const source = read.source;
	// a trace that cannot be written is found out before the run, not after it
	const traceBad = a.trace !== undefined ? traceProblem(a.trace) : undefined;
	if (traceBad) { return usage(traceBad); }
	const { program, diagnostics } = compileSource(source, a.file, a.set);
	const unknownParam = unknownParamsMessage(program, Object.keys(a.set));
	if (unknownParam) { return usage(unknownParam); }
	for (const d of diagnostics) { process.stderr.write(formatDiagnostic(d) + '\n'); }
	if (hasErrors(diagnostics)) { return 2; }
	if (a.cmd === 'check') { return 0; }

	let picks: string[] | undefined;
	let switches: ScheduleFile['switches'];
	if (a.schedule !== undefined) {
		try {
			const doc = JSON.parse(readFileSync(a.schedule, 'utf8')) as ScheduleFile;
			if (!Array.isArray(doc.picks) || !doc.picks.every(p => typeof p === 'string')) { return usage(`${a.schedule}: not a schedule file (no picks)`); }
			picks = doc.picks;
			if (doc.switches !== undefined && !isBoundarySwitchList(doc.switches)) {
				return usage(`${a.schedule}: "switches" must be an array of { "at": boundary, "thread": name }`);
			}
			switches = doc.switches;
		} catch (e) {
			return usage(`cannot read schedule ${a.schedule}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
		}
	}
	let interrupted = false;
	process.on('SIGINT', () => { interrupted = true; });
	let sink: FileTraceSink | undefined;
	if (a.trace !== undefined) {
		try {
			sink = new FileTraceSink(a.trace);
		} catch (e) {
			return usage(`cannot write trace ${a.trace}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
		}
	}
	// with --json, stdout holds the document alone: print lines go to stderr and into the document
	const output: string[] = [];
	let outputDropped = 0;
	const print = a.json
		? (line: string) => {
				process.stderr.write(line + '\n');
				if (output.length < MAX_OUTPUT_LINES) { output.push(line); } else { outputDropped++; }
			}
		: (line: string) => { process.stdout.write(line + '\n'); };
	const out = await runWorkload(program, source, {
		maxSteps: a.maxSteps, timeoutMs: a.timeoutMs, trace: sink, scriptName: path.basename(a.file), profile: a.profile, timeline: a.timeline,
		checkInvariants: process.env.HMMW_CHECK_INVARIANTS === '1', schedule: picks, switches,
		print,
		onFailure: f => process.stderr.write(`${a.file}:${f.line}:${f.col}: ${f.message}\n`),
		interrupted: () => interrupted,
	});
	if (out.error) { process.stderr.write(`${a.file}:${out.error.line}:${out.error.col}: ${out.error.message}\n`); }
	if (sink && out.trace) {
		try {
			sink.close({ engineEvents: out.trace.engineEvents });
		} catch (e) {
			process.stderr.write(`hmmw: cannot write trace ${a.trace}: ${(e as Error).message}\n`);
		}
	}
	const code = out.error ? 2 : out.interp.failed > 0 ? 1 : 0;
	const prof = out.profile?.result();
	if (a.json) {
		const trace = sink && out.trace ? { path: a.trace!, records: sink.count, engineEvents: out.trace.engineEvents } : undefined;
		const params = paramValues(program, source, a.set);
		const timeline = out.timeline?.result();
		process.stdout.write(JSON.stringify(buildRunDocument(out, {
			file: a.file, source, output, outputDropped, exitCode: code, trace,
			...(Object.keys(params).length > 0 ? { params } : {}), ...(prof ? { profile: prof } : {}), ...(timeline ? { timeline } : {}),
		})) + '\n');
	} else {
		process.stderr.write(summary(out));
		if (prof) { process.stdout.write(profileTable(prof, source.split(/\r?\n/))); }
	}
	return code;
}

if (process.argv[2] === 'lsp') {
	// the language server owns the process from here; its transport comes from the remaining flags
	startServer();
} else if (process.argv[2] === 'explore') {
	process.exitCode = exploreMain(process.argv.slice(3), usage);
} else if (process.argv[2] === 'sweep' || process.argv[2] === 'report') {
	const sub = process.argv[2] === 'sweep' ? sweepMain : reportMain;
	void sub(process.argv.slice(3)).then(code => { process.exitCode = code; }, e => {
		process.stderr.write(`hmmw: internal error: ${(e as Error).stack ?? e}\n`);
		process.exitCode = 2;
	});
} else {
	void run();
}

function run(): Promise<void> {
	return main(process.argv.slice(2)).then(code => { process.exitCode = code; }, e => {
		process.stderr.write(`hmmw: internal error: ${(e as Error).stack ?? e}\n`);
		process.exitCode = 2;
	});
}
