// `hmmw report RESULTS.json|DIR -o report.html`: a sweep's results document, a directory of run
// documents (as `hmmw sweep --collect` reads), or one run's `hmmw run --json [--timeline]` output.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { reportHtml, type ReportInput } from './htmlReport';
import { badMetric, DEFAULT_METRICS, metricOf, parseRunOutput } from './runDoc';
import { collectDir } from './sweep';
import type { SweepResults } from './sweepTable';

export const REPORT_USAGE = '       hmmw report RESULTS.json|DIR|RUN.json -o REPORT.html [--metrics a,b,...]';

function fail(msg: string, code: number): number {
	process.stderr.write(`hmmw report: ${msg}\n`);
	if (code === 64) { process.stderr.write(`usage:\n${REPORT_USAGE}\n`); }
	return code;
}

/** Chart.js's browser build: next to dist/cli.js once built, else from node_modules. */
function chartJs(): string {
	const beside = path.join(__dirname, 'chart.umd.min.js');
	return readFileSync(existsSync(beside) ? beside : require.resolve('chart.js/dist/chart.umd.min.js'), 'utf8');
}

/** What a report shows, from a path: a sweep, a directory of runs, or a single run. */
export function readReportInput(input: string, metrics: string[] | undefined): ReportInput | string {
	let isDir: boolean;
	try {
		isDir = statSync(input).isDirectory();
	} catch (e) {
		return `cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
	}
	if (isDir) {
		const res = collectDir(input, metrics ?? DEFAULT_METRICS);
		return typeof res === 'string' ? res : { kind: 'sweep', sweep: res };
	}
	const text = readFileSync(input, 'utf8');
	try {
		const doc = JSON.parse(text) as Partial<SweepResults>;
		if (doc.kind === 'hmmw-sweep') {
			const sweep = doc as SweepResults;
			if (!metrics) { return { kind: 'sweep', sweep }; }
			// other metrics than the sweep printed: computed again from each run's document
			const runs = sweep.runs.map(r => ({ ...r, metrics: Object.fromEntries(metrics.map(m => [m, r.run ? metricOf(r.run, m) ?? null : r.metrics[m] ?? null])) }));
			return { kind: 'sweep', sweep: { ...sweep, metrics, runs } };
		}
	} catch { /* not one JSON document: perhaps a run's stdout with print lines */ }
	const run = parseRunOutput(text);
	return run ? { kind: 'run', run, name: path.basename(input) } : `${input} holds neither a sweep's results nor a run's JSON document`;
}

export function reportMain(argv: string[]): Promise<number> {
	let input: string | undefined;
	let out: string | undefined;
	let metrics: string[] | undefined;
	for (let i = 0; i < argv.length; i++) {
		const x = argv[i];
		if ((x === '-o' || x === '--out' || x === '--metrics') && i + 1 >= argv.length) { return Promise.resolve(fail(`${x} needs a value`, 64)); }
		if (x === '-o' || x === '--out') { out = argv[++i]; } else if (x === '--metrics') {
			metrics = argv[++i].split(',').map(m => m.trim()).filter(m => m !== '');
			const bad = metrics.map(badMetric).find(m => m !== undefined);
			if (bad) { return Promise.resolve(fail(bad, 64)); }
		} else if (x.startsWith('-')) { return Promise.resolve(fail(`unknown option '${x}'`, 64)); } else if (input !== undefined) {
			return Promise.resolve(fail('only one input', 64));
		} else { input = x; }
	}
	if (input === undefined) { return Promise.resolve(fail('missing RESULTS.json or DIR', 64)); }
	if (out === undefined) { return Promise.resolve(fail('missing -o REPORT.html', 64)); }
	const what = readReportInput(input, metrics);
	if (typeof what === 'string') { return Promise.resolve(fail(what, 2)); }
	try {
		writeFileSync(out, reportHtml(what, chartJs()));
	} catch (e) {
		return Promise.resolve(fail(`cannot write ${out}: ${(e as Error).message}`, 2));
	}
	process.stderr.write(`hmmw report: wrote ${out}\n`);
	return Promise.resolve(0);
}
