// `hmmw sweep` arguments and the grid they describe: every `--set NAME=V1,V2,...` is one axis, the
// configurations are their cartesian product, first axis slowest.
import { availableParallelism } from 'node:os';
import { splitAssignment } from '../lang/params';
import { badMetric, DEFAULT_METRICS } from './runDoc';

export type TableFormat = 'text' | 'csv' | 'md';

export interface SweepArgs {
	file?: string;
	axes: { name: string; values: string[] }[];
	jobs: number;
	metrics: string[];
	format: TableFormat;
	/** write the results document (configurations, metrics and every run's JSON) here */
	out?: string;
	/** print one command per configuration, writing its JSON into this directory, instead of running */
	emitJobs?: string;
	/** merge the JSON files a set of emitted jobs wrote into this directory */
	collect?: string;
	timeoutS?: number;
}

export type Config = Record<string, string>;

export const SWEEP_USAGE = `       hmmw sweep FILE --set NAME=V1,V2,... [--set ...] [-j N] [--metrics a,b,...] [--format text|csv|md] [-o RESULTS.json] [--timeout SECONDS]
       hmmw sweep FILE --set ... --emit-jobs OUTDIR      (print one command per configuration)
       hmmw sweep --collect OUTDIR [--metrics ...] [--format ...] [-o RESULTS.json]`;

export function parseSweepArgs(argv: string[]): SweepArgs | string {
	const a: SweepArgs = { axes: [], jobs: availableParallelism(), metrics: DEFAULT_METRICS, format: 'text' };
	for (let i = 0; i < argv.length; i++) {
		const x = argv[i];
		if (x.startsWith('-') && i + 1 >= argv.length) { return `${x} needs a value`; }
		switch (x) {
			case '--set': {
				const kv = splitAssignment(argv[++i]);
				if (typeof kv === 'string') { return kv; }
				const values = kv.value.split(',').map(v => v.trim());
				if (values.some(v => v === '')) { return `--set ${kv.name}: empty value in '${kv.value}'`; }
				if (a.axes.some(ax => ax.name === kv.name)) { return `--set ${kv.name} given twice`; }
				a.axes.push({ name: kv.name, values });
				break;
			}
			case '-j': case '--jobs': {
				const n = Number(argv[++i]);
				if (!Number.isInteger(n) || n <= 0) { return `${x} needs a positive integer`; }
				a.jobs = n;
				break;
			}
			case '--metrics': {
				a.metrics = argv[++i].split(',').map(m => m.trim()).filter(m => m !== '');
				const bad = a.metrics.map(badMetric).find(m => m !== undefined);
				if (bad) { return bad; }
				if (a.metrics.length === 0) { return '--metrics needs at least one metric'; }
				break;
			}
			case '--format': {
				const f = argv[++i];
				if (f !== 'text' && f !== 'csv' && f !== 'md') { return `--format must be text, csv or md, not '${f}'`; }
				a.format = f;
				break;
			}
			case '-o': case '--out': a.out = argv[++i]; break;
			case '--emit-jobs': a.emitJobs = argv[++i]; break;
			case '--collect': a.collect = argv[++i]; break;
			case '--timeout': {
				const n = Number(argv[++i]);
				if (!(n > 0)) { return '--timeout needs a positive number of seconds'; }
				a.timeoutS = n;
				break;
			}
			default:
				if (x.startsWith('-')) { return `unknown option '${x}'`; }
				if (a.file !== undefined) { return 'only one FILE'; }
				a.file = x;
		}
	}
	if (a.collect !== undefined) {
		if (a.file !== undefined || a.axes.length > 0 || a.emitJobs !== undefined) { return '--collect takes only its directory (and --metrics, --format, -o)'; }
		return a;
	}
	if (a.file === undefined) { return 'missing FILE'; }
	if (a.axes.length === 0) { return 'a sweep needs at least one --set NAME=V1,V2,...'; }
	return a;
}

/** The cartesian product of the axes, first axis slowest. */
export function grid(axes: SweepArgs['axes']): Config[] {
	let out: Config[] = [{}];
	for (const ax of axes) { out = out.flatMap(c => ax.values.map(v => ({ ...c, [ax.name]: v }))); }
	return out;
}
