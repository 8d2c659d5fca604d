// A sweep's table: one row per configuration, its param values then the chosen metrics, as
// aligned text, CSV or Markdown.
import type { SweepRun } from './sweepRun';
import type { TableFormat } from './sweepArgs';

/** The results document `hmmw sweep -o` writes and `hmmw report` reads. */
export interface SweepResults {
	kind: 'hmmw-sweep';
	version: 1;
	script: string;
	params: string[];
	metrics: string[];
	runs: SweepRun[];
}

function status(r: SweepRun): string {
	if (r.error) { return `error: ${r.error}`; }
	return r.exit === 0 ? 'ok' : r.exit === 1 ? 'expectations failed' : `exit ${r.exit}`;
}

export function sweepCells(res: SweepResults): { head: string[]; rows: string[][] } {
	const head = [...res.params, ...res.metrics, 'status'];
	const rows = res.runs.map(r => [
		...res.params.map(p => r.config[p] ?? ''),
		...res.metrics.map(m => { const v = r.metrics[m]; return v === null || v === undefined ? '-' : String(v); }),
		status(r),
	]);
	return { head, rows };
}

export function formatTable(res: SweepResults, format: TableFormat): string {
	const { head, rows } = sweepCells(res);
	switch (format) {
		case 'csv': return [head, ...rows].map(r => r.map(csvCell).join(',')).join('\n') + '\n';
		case 'md': {
			const esc = (c: string) => c.replace(/\|/g, '\\|');
			const align = head.map((_, i) => i >= res.params.length && i < head.length - 1 ? '---:' : '---');
			return [head, align, ...rows].map((r, i) => `| ${(i === 1 ? r : r.map(esc)).join(' | ')} |`).join('\n') + '\n';
		}
		case 'text': {
			const w = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
			const numeric = (i: number) => i >= res.params.length && i < head.length - 1;
			const line = (r: string[]) => r.map((c, i) => numeric(i) ? c.padStart(w[i]) : c.padEnd(w[i])).join('  ').trimEnd();
			return [line(head), ...rows.map(line)].join('\n') + '\n';
		}
	}
}

function csvCell(c: string): string {
	return /[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c;
}
