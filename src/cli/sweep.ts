// `hmmw sweep`: one script over the cartesian product of its params' values, one child process
// per configuration, as a table of chosen metrics (docs/observability.md#sweeping). For grids
// bigger than one machine, --emit-jobs prints a self-contained command per configuration and
// --collect merges the JSON files those commands wrote.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { compileSource } from '../lang/frontend';
import { formatDiagnostic, hasErrors } from '../lang/diagnostics';
import { unknownParamsMessage } from '../lang/params';
import { readScript } from './scriptFile';
import { type Config, grid, parseSweepArgs, type SweepArgs, SWEEP_USAGE } from './sweepArgs';
import { runAll, runArgs, sweepRow, type SweepRun } from './sweepRun';
import { formatTable, type SweepResults } from './sweepTable';
import { parseRunOutput } from './runDoc';

export { SWEEP_USAGE };

function fail(msg: string, code: number): number {
	process.stderr.write(`hmmw sweep: ${msg}\n`);
	if (code === 64) { process.stderr.write(`usage:\n${SWEEP_USAGE}\n`); }
	return code;
}

export async function sweepMain(argv: string[]): Promise<number> {
	const a = parseSweepArgs(argv);
	if (typeof a === 'string') { return fail(a, 64); }
	if (a.collect !== undefined) { return collect(a, a.collect); }
	const file = path.resolve(a.file!);
	const read = readScript(file);
	if (!read.ok) { return fail(read.message, read.kind === 'too-big' ? 2 : 64); }
	const configs = grid(a.axes);
	// every configuration is checked before any runs: a bad value is found in a second, not after an hour
	for (const c of configs) {
		const { program, diagnostics } = compileSource(read.source, a.file!, c);
		const unknown = unknownParamsMessage(program, Object.keys(c));
		if (unknown) { return fail(unknown, 64); }
		if (hasErrors(diagnostics)) {
			for (const d of diagnostics) { process.stderr.write(formatDiagnostic(d) + '\n'); }
			return fail(`configuration ${configText(c)} does not check`, 2);
		}
	}
	if (a.emitJobs !== undefined) { return emitJobs(a, file, configs, path.resolve(a.emitJobs)); }
	process.stderr.write(`hmmw sweep: ${configs.length} configurations, ${Math.min(a.jobs, configs.length)} at a time\n`);
	const runs = await runAll(path.resolve(process.argv[1]), file, configs, {
		jobs: a.jobs, metrics: a.metrics, timeoutS: a.timeoutS,
		onDone: (r, n) => process.stderr.write(`  [${n}/${configs.length}] ${configText(r.config)}: ${r.error ? 'error' : r.exit === 0 ? 'ok' : `exit ${r.exit}`} (${r.wall_ms} ms)\n`),
	});
	return finish(a, { kind: 'hmmw-sweep', version: 1, script: a.file!, params: a.axes.map(x => x.name), metrics: a.metrics, runs });
}

function configText(c: Config): string {
	return Object.entries(c).map(([k, v]) => `${k}=${v}`).join(' ');
}

function finish(a: SweepArgs, res: SweepResults): number {
	process.stdout.write(formatTable(res, a.format));
	if (a.out !== undefined) {
		try {
			writeFileSync(a.out, JSON.stringify(res) + '\n');
		} catch (e) {
			return fail(`cannot write ${a.out}: ${(e as Error).message}`, 2);
		}
	}
	if (res.runs.some(r => r.run === undefined)) { return 2; }
	return res.runs.some(r => r.exit !== 0) ? 1 : 0;
}

/** POSIX shell quoting: the commands go to sh, GNU parallel, a Slurm array or a Job's shell. */
export function shq(s: string): string {
	return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function emitJobs(a: SweepArgs, file: string, configs: Config[], dir: string): number {
	const cli = path.resolve(process.argv[1]);
	const width = String(configs.length).length;
	configs.forEach((c, i) => {
		const out = path.join(dir, `run-${String(i + 1).padStart(width, '0')}.json`);
		const cmd = [process.execPath, cli, ...runArgs(file, c, a.timeoutS)].map(shq).join(' ');
		process.stdout.write(`mkdir -p ${shq(dir)} && ${cmd} > ${shq(out)}\n`);
	});
	return 0;
}

/** The run documents in `dir`, in file-name order; their params that vary are the table's columns. */
export function collectDir(dir: string, metrics: string[]): SweepResults | string {
	let names: string[];
	try {
		names = readdirSync(dir).filter(n => n.endsWith('.json')).sort();
	} catch (e) {
		return `cannot read ${dir}: ${(e as Error).message}`;
	}
	const runs: SweepRun[] = [];
	for (const n of names) {
		const doc = parseRunOutput(readFileSync(path.join(dir, n), 'utf8'));
		runs.push(sweepRow(doc?.params ?? {}, doc, doc ? (doc.error ? 2 : doc.ok ? 0 : 1) : 2, 0, metrics, doc ? '' : `${n}: no run document`));
	}
	if (runs.length === 0) { return `no run documents (*.json) in ${dir}`; }
	const keys = [...new Set(runs.flatMap(r => Object.keys(r.config)))];
	const varying = keys.filter(k => new Set(runs.map(r => r.config[k])).size > 1);
	return { kind: 'hmmw-sweep', version: 1, script: dir, params: varying.length > 0 ? varying : keys, metrics, runs };
}

function collect(a: SweepArgs, dir: string): number {
	const res = collectDir(dir, a.metrics);
	return typeof res === 'string' ? fail(res, 2) : finish(a, res);
}
