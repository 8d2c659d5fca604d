// The proposal modes against mainline (issue 14, docs/proposals.md): each example under
// examples/proposals/ is run as written and with its `experimental=` option removed, on the same
// workload, and the figures a kernel developer compares are printed side by side. These are
// simulated figures from the cost model, not timings of this machine.
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { compileSource } from '../src/lang/frontend';
import { hasErrors } from '../src/lang/diagnostics';
import { Interpreter } from '../src/lang/interp';

export interface ProposalRow {
	example: string;
	mode: string;
	/** simulated ns */
	timeNs: number;
	faults: number;
	bytesMoved: number;
	structPageBytes: number;
	invalidateNs: number;
	invalidations: number;
	evicted: number;
	/** bytes of file pages written back to disk (sync and reclaim) or, for DAX pages copied to a
	 * device, into persistent memory */
	writtenBack: number;
	/** bytes of file data (page cache and DAX) the example's `crash` lost; 0 without a crash */
	lostBytes: number;
}

const MAINLINE = 'mainline';

function run(source: string, file: string, mode: string): ProposalRow {
	const { program, diagnostics } = compileSource(source, file);
	if (hasErrors(diagnostics)) { throw new Error(`${file}: ${diagnostics[0].message}`); }
	const interp = new Interpreter(program, source, { print: () => undefined });
	interp.runToEnd();
	if (interp.error) { throw new Error(`${file}: ${interp.error.message}`); }
	const v = interp.machine.view;
	const sys = v.system();
	const devices = v.devices();
	const count = (f: (c: Record<string, number>) => number) => devices.reduce((n, d) => n + f(d.counters), 0);
	return {
		example: path.basename(file, '.hmmw'), mode, timeNs: sys.time,
		faults: count(c => c.faults) + v.processes().reduce((n, p) => n + p.faults, 0),
		bytesMoved: count(c => c.migrated_in + c.migrated_out) * 4096,
		evicted: count(c => c.evicted), structPageBytes: sys.structPageBytes, invalidateNs: sys.invalidation.chargedNs, invalidations: sys.invalidation.updates,
		writtenBack: (sys.fileMigration.writebackPages + sys.persistence.daxWrittenBack) * 4096,
		lostBytes: sys.persistence.lostFileBytes,
	};
}

/** The same workload in mainline: what a mode added to the language becomes what mainline offers
 * instead (a pin in device memory becomes a plain migration there). */
function mainline(source: string): string {
	return source
		.replace(/^(\s*)pin (\S+) -> (\S+)(?: for \S+)?\s*$/gm, '$1migrate $2 -> $3')
		.replace(/ *(?:pin_device|file_writeback)=[a-z]+/g, '');
}

/** Every example in `dir`, as written and as mainline. */
export function benchProposals(dir: string): ProposalRow[] {
	const rows: ProposalRow[] = [];
	for (const name of readdirSync(dir).filter(n => n.endsWith('.hmmw')).sort()) {
		const file = path.join(dir, name);
		const source = readFileSync(file, 'utf8');
		// the option on the `system` line, not the comments that name it
		const option = /^(system\b[^\n#]*?) *experimental=([a-z_,]+)/m;
		const mode = option.exec(source)?.[2];
		if (!mode) { continue; }
		rows.push(run(mainline(source.replace(option, '$1')), file, MAINLINE));
		rows.push(run(source, file, mode));
	}
	return rows;
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

export function formatProposals(rows: ProposalRow[]): string[] {
	const head = ['example', 'mode', 'simulated time', 'faults', 'bytes moved', 'evicted', 'struct pages (host RAM)', 'invalidation wait', 'per update', 'written back', 'lost on crash'];
	const body = rows.map(r => [
		r.example, r.mode, `${(r.timeNs / 1e6).toFixed(3)} ms`, String(r.faults), mib(r.bytesMoved), mib(r.evicted * 4096), mib(r.structPageBytes),
		`${(r.invalidateNs / 1e3).toFixed(1)} us`, r.invalidations ? `${(r.invalidateNs / r.invalidations / 1e3).toFixed(1)} us` : '-', mib(r.writtenBack), r.lostBytes >= 2 ** 20 ? mib(r.lostBytes) : `${r.lostBytes} B`,
	]);
	const w = head.map((h, i) => Math.max(h.length, ...body.map(b => b[i].length)));
	const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
	return [line(head), `|${w.map(n => '-'.repeat(n + 2)).join('|')}|`, ...body.map(line)];
}
