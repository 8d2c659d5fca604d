// The one place that reads a run's `hmmw run --json` output, for sweeps, --collect and reports.
// Today's document shares stdout with `print` lines and has no schema of its own; when the clean
// JSON document (src/cli/jsonReport.ts, docs/ schema) lands, only `parseRunOutput` and the field
// names in `metricsOf` change.

/** What a sweep needs of one run: its totals, per device, per kernel, and its param values. */
export interface RunDoc {
	ok: boolean;
	passed: number;
	failed: number;
	time_ns: number;
	devices: Record<string, Record<string, number>>;
	kernels: { name: string; device: string; start_ns: number; time_ns: number; faults: number; batches: number; migrated: number }[];
	migrations: Record<string, Record<string, { in: number; out: number }>>;
	params?: Record<string, string>;
	profile?: unknown;
	timeline?: unknown;
	error?: { line: number; message: string };
}

/** The run document in a run's stdout: the last line that is a JSON object (print lines come first). */
export function parseRunOutput(stdout: string): RunDoc | undefined {
	const lines = stdout.split('\n');
	for (let i = lines.length - 1; i >= 0; i--) {
		const t = lines[i].trim();
		if (!t.startsWith('{')) { continue; }
		try {
			const doc = JSON.parse(t) as RunDoc;
			if (typeof doc === 'object' && doc !== null && typeof doc.time_ns === 'number') { return doc; }
		} catch { /* a print line that happens to start with a brace */ }
	}
	return undefined;
}

/** Metric names a sweep can tabulate: totals over every device, and DEV.COUNTER per device. */
export const METRICS: Readonly<Record<string, string>> = {
	time_ns: 'simulated time of the run, ns',
	kernel_ns: 'simulated time spent in kernels, ns',
	faults: 'device faults, pages after coalescing, all devices',
	fault_batches: 'fault batches serviced, all devices',
	migrated_in: 'pages migrated to devices',
	migrated_out: 'pages migrated from devices to RAM',
	evicted: 'pages evicted from devices',
	prefetched: 'pages prefetched',
	throttled: 'faults throttled by thrashing mitigation',
	remote_bytes: 'bytes devices accessed remotely over the link',
	bytes_moved: 'bytes migrated over the link (in + out) plus remote bytes',
	passed: 'expectations held',
	failed: 'expectations failed',
};

export const DEFAULT_METRICS = ['time_ns', 'faults', 'fault_batches', 'migrated_in', 'evicted', 'prefetched'];

/** `name` is one of METRICS, or DEV.COUNTER (`gpu.faults`), or a migration cause `cause.CAUSE`. */
export function metricOf(doc: RunDoc, name: string): number | undefined {
	const sum = (counter: string) => Object.values(doc.devices).reduce((s, d) => s + (d[counter] ?? 0), 0);
	switch (name) {
		case 'time_ns': return doc.time_ns;
		case 'kernel_ns': return doc.kernels.reduce((s, k) => s + k.time_ns, 0);
		case 'passed': return doc.passed;
		case 'failed': return doc.failed;
		case 'bytes_moved': return (sum('migrated_in') + sum('migrated_out')) * 4096 + sum('remote_bytes');
	}
	if (Object.prototype.hasOwnProperty.call(METRICS, name)) { return sum(name); }
	const dot = name.indexOf('.');
	if (dot < 0) { return undefined; }
	const [head, tail] = [name.slice(0, dot), name.slice(dot + 1)];
	if (head === 'cause') {
		return Object.values(doc.migrations).reduce((s, by) => s + (by[tail] ? by[tail].in + by[tail].out : 0), 0);
	}
	return doc.devices[head]?.[tail];
}

/** Why `name` cannot be a metric of `doc`, or undefined. */
export function badMetric(name: string): string | undefined {
	if (Object.prototype.hasOwnProperty.call(METRICS, name) || /^[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*$/.test(name)) { return undefined; }
	return `unknown metric '${name}' (expected one of ${Object.keys(METRICS).join(', ')}, DEV.COUNTER such as gpu.faults, or cause.CAUSE)`;
}
