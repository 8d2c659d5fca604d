// Runs a sweep's configurations, one `hmmw run --json` child process each, at most `jobs` at once:
// separate processes keep runs independent (no shared engine state, a crash costs one row) and
// use every core.
import { spawn } from 'node:child_process';
import type { Config } from './sweepArgs';
import { metricOf, parseRunOutput, type RunDoc } from './runDoc';

export interface SweepRun {
	config: Config;
	/** the child's exit code: 0 every expectation held, 1 some failed, 2 an error */
	exit: number;
	wall_ms: number;
	metrics: Record<string, number | null>;
	/** why there is no run document, or the run's error */
	error?: string;
	run?: RunDoc;
}

/** The arguments of `hmmw run` for one configuration. */
export function runArgs(file: string, config: Config, timeoutS?: number): string[] {
	const sets = Object.entries(config).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
	return ['run', file, '--json', ...sets, ...(timeoutS !== undefined ? ['--timeout', String(timeoutS)] : [])];
}

/** One configuration's row, from its run document (or its absence). */
export function sweepRow(config: Config, doc: RunDoc | undefined, exit: number, wallMs: number, metrics: string[], stderr = ''): SweepRun {
	const row: SweepRun = { config, exit, wall_ms: Math.round(wallMs), metrics: {} };
	for (const m of metrics) { row.metrics[m] = doc ? metricOf(doc, m) ?? null : null; }
	if (doc) {
		row.run = doc;
		if (doc.error) { row.error = `line ${doc.error.line}: ${doc.error.message}`; }
	} else {
		row.error = stderr.trim().split('\n').slice(-3).join(' | ') || `exit code ${exit}, no JSON output`;
	}
	return row;
}

function runOne(cli: string, file: string, config: Config, metrics: string[], timeoutS?: number): Promise<SweepRun> {
	const t0 = performance.now();
	return new Promise(resolve => {
		const child = spawn(process.execPath, [cli, ...runArgs(file, config, timeoutS)], { stdio: ['ignore', 'pipe', 'pipe'] });
		const out: Buffer[] = [];
		const err: Buffer[] = [];
		child.stdout.on('data', (b: Buffer) => out.push(b));
		child.stderr.on('data', (b: Buffer) => err.push(b));
		child.on('error', e => resolve(sweepRow(config, undefined, 2, performance.now() - t0, metrics, e.message)));
		child.on('close', code => {
			const doc = parseRunOutput(Buffer.concat(out).toString('utf8'));
			resolve(sweepRow(config, doc, code ?? 2, performance.now() - t0, metrics, Buffer.concat(err).toString('utf8')));
		});
	});
}

/** Every configuration, `jobs` child processes at a time; rows come back in configuration order. */
export async function runAll(cli: string, file: string, configs: Config[], opts: { jobs: number; metrics: string[]; timeoutS?: number; onDone?: (r: SweepRun, done: number) => void }): Promise<SweepRun[]> {
	const rows: SweepRun[] = new Array(configs.length);
	let next = 0;
	let done = 0;
	const worker = async () => {
		while (next < configs.length) {
			const i = next++;
			rows[i] = await runOne(cli, file, configs[i], opts.metrics, opts.timeoutS);
			opts.onDone?.(rows[i], ++done);
		}
	};
	await Promise.all(Array.from({ length: Math.min(opts.jobs, configs.length) }, worker));
	return rows;
}
