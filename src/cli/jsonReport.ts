// The `hmmw run --json` document: one JSON object describing a whole run, so that it can go into a
// CI job, a sweep's table (src/cli/sweep*) or a paper's artefact as is. docs/run-result.schema.json
// is its JSON Schema; test/cli/jsonSchema.test.ts validates real runs against it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RunOutcome } from './run';
import { deviceCounters, kernelReports, migrationsByCause } from './report';
import { PAGE_SIZE } from '../engine/view';

/** The document's format version: bumped when a field changes meaning or goes away. */
export const RUN_DOCUMENT_FORMAT = 1;

export interface RunDocumentInput {
	/** the script path as given on the command line */
	file: string;
	/** the script's text as run (hashed) */
	source: string;
	/** `print` lines of the run, when the caller kept them */
	output?: string[];
	/** print lines that were not kept (over the caller's limit) */
	outputDropped?: number;
	/** the process exit status the run ends with */
	exitCode: number;
	/** the trace file written, if any */
	trace?: { path: string; records: number; engineEvents: number };
	/** the script's `param` values as run (defaults and --set) */
	params?: Record<string, unknown>;
	/** --profile: the flat profile */
	profile?: unknown;
	/** --timeline: samples for `hmmw report` */
	timeline?: unknown;
}

/** The tool's version, from the package.json next to the bundle (dist/) or the compiled tests (out/). */
export function toolVersion(): string {
	for (let dir = __dirname, i = 0; i < 5; i++, dir = path.dirname(dir)) {
		const p = path.join(dir, 'package.json');
		if (existsSync(p)) {
			try {
				const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
				if (pkg.name === 'hmm-debug' && pkg.version) { return pkg.version; }
			} catch { /* not ours: keep looking */ }
		}
	}
	return 'unknown';
}

export function sha256(text: string): string { return createHash('sha256').update(text, 'utf8').digest('hex'); }

/** The run document of docs/run-result.schema.json. */
export function buildRunDocument(out: RunOutcome, input: RunDocumentInput): Record<string, unknown> {
	const i = out.interp;
	const m = i.machine;
	const view = m.view;
	const sys = view.system();
	const failures = i.failures.map(f => ({ line: f.line, message: f.message }));
	if (out.error) { failures.push({ line: out.error.line, message: out.error.message }); }
	const processes: Record<string, object> = {};
	for (const s of view.processes()) {
		const p = view.process(s.id)!;
		processes[p.name] = { pid: p.pid, alive: p.alive, faults: p.faults, rss_pages: p.rss, rss_bytes: p.rss * PAGE_SIZE };
	}
	const deviceConfig: Record<string, object> = {};
	for (const d of view.devices()) { deviceConfig[d.name] = d.config; }
	return {
		format: RUN_DOCUMENT_FORMAT,
		tool: { name: 'hmmw', version: toolVersion() },
		script: { path: input.file, sha256: sha256(input.source), bytes: Buffer.byteLength(input.source, 'utf8') },
		ok: !out.error && i.failed === 0,
		exit_code: input.exitCode,
		passed: i.passed,
		failed: i.failed,
		time_ns: Math.round(m.time),
		steps: i.steps,
		wall_ms: Math.round(out.wallMs),
		config: {
			system: { ram_bytes: sys.ramBytes, swap_bytes: sys.swapBytes, thp: sys.thp, experimental: sys.experimental },
			devices: deviceConfig,
		},
		expectations: out.expectations.map(e => ({ line: e.line, col: e.col, kind: e.kind, result: e.ok ? 'passed' : 'failed', ...(e.message !== undefined ? { message: e.message } : {}) })),
		system: {
			ram_pages: sys.ramPages, ram_used_pages: sys.ramUsedPages, swap_pages: sys.swapPages, swap_used_pages: sys.swapUsedPages,
			swap_outs: sys.swapOuts, swap_ins: sys.swapIns,
			struct_page_bytes: sys.structPageBytes, invalidations: sys.invalidation.updates, invalidate_ns: sys.invalidation.chargedNs,
			invalidate_saved_ns: sys.invalidation.serialNs - sys.invalidation.chargedNs, pin_blocked: sys.pins.blocked, pin_wait_ns: sys.pins.waitedNs,
			file_device_pages: sys.fileMigration.devicePages, file_device_dirty: sys.fileMigration.deviceDirty, file_faulted_back: sys.fileMigration.faultedBack,
			file_writeback_pages: sys.fileMigration.writebackPages, file_writeback_device: sys.fileMigration.writebackFromDevice,
			dax_device_pages: sys.persistence.daxDevicePages, dax_unpersisted: sys.persistence.daxUnpersisted, dax_written_back: sys.persistence.daxWrittenBack,
			crashes: sys.persistence.crashes, lost_bytes: sys.persistence.lostFileBytes,
		},
		devices: deviceCounters(out),
		processes,
		kernels: kernelReports(m),
		migrations: migrationsByCause(m),
		failures,
		...(out.error ? { error: { line: out.error.line, col: out.error.col, code: out.error.code, message: out.error.message } } : {}),
		output: input.output ?? [],
		...(input.outputDropped ? { output_dropped: input.outputDropped } : {}),
		...(input.trace ? { trace: { path: input.trace.path, records: input.trace.records, engine_events: input.trace.engineEvents } } : {}),
		...(input.params ? { params: input.params } : {}),
		...(input.profile ? { profile: input.profile } : {}),
		...(input.timeline ? { timeline: input.timeline } : {}),
	};
}
