// `hmmw report`: one self-contained HTML file. The data goes in as JSON, Chart.js (inlined, no
// network when the file is opened) draws the bar and line charts, and a few lines of canvas code
// draw the residency heatmaps. Tables are rendered here, so they read without JavaScript.
import type { RunDoc } from './runDoc';
import { sweepCells, type SweepResults } from './sweepTable';
import { REPORT_PAGE_SCRIPT } from './htmlReportPage';

export type ReportInput = { kind: 'sweep'; sweep: SweepResults } | { kind: 'run'; run: RunDoc; name: string };

function esc(s: string): string {
	return s.replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
}

/** JSON safe inside a <script> element. */
function scriptJson(v: unknown): string {
	return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function htmlTable(head: string[], rows: string[][], numericFrom = -1, numericTo = Infinity): string {
	const cell = (c: string, i: number, tag: string) => `<${tag}${i >= numericFrom && numericFrom >= 0 && i < numericTo ? ' class="num"' : ''}>${esc(c)}</${tag}>`;
	return `<table><thead><tr>${head.map((h, i) => cell(h, i, 'th')).join('')}</tr></thead><tbody>${rows.map(r => `<tr>${r.map((c, i) => cell(c, i, 'td')).join('')}</tr>`).join('')}</tbody></table>`;
}

function sweepBody(s: SweepResults): string {
	const { head, rows } = sweepCells(s);
	return `<h1>Sweep: ${esc(s.script)}</h1>
<p>${s.runs.length} configurations of ${s.params.map(p => `<code>${esc(p)}</code>`).join(' × ')}; metrics from each run's JSON document.</p>
<h2>Results</h2>${htmlTable(head, rows, s.params.length, head.length - 1)}
<h2>Charts</h2><div id="charts" class="charts"></div>`;
}

function runBody(r: RunDoc, name: string): string {
	const devRows = Object.entries(r.devices).map(([d, c]) => [d, ...['faults', 'fault_batches', 'migrated_in', 'migrated_out', 'evicted', 'prefetched', 'used'].map(k => String(c[k] ?? 0))]);
	const kernels = r.kernels.map(k => [k.name, k.device, String(k.start_ns), String(k.time_ns), String(k.faults), String(k.batches), String(k.migrated)]);
	return `<h1>Run: ${esc(name)}</h1>
<p>${r.ok ? 'every expectation held' : 'expectations failed or the run stopped'} (${r.passed} held, ${r.failed} failed); simulated time ${(r.time_ns / 1e6).toFixed(3)} ms.${r.params ? ' Params: ' + Object.entries(r.params).map(([k, v]) => `<code>${esc(k)}=${esc(v)}</code>`).join(' ') : ''}</p>
<h2>Devices</h2>${htmlTable(['device', 'faults', 'fault_batches', 'migrated_in', 'migrated_out', 'evicted', 'prefetched', 'used bytes'], devRows, 1)}
${kernels.length > 0 ? `<h2>Kernels</h2>${htmlTable(['kernel', 'device', 'start ns', 'time ns', 'faults', 'batches', 'migrated'], kernels, 2)}` : ''}
${r.timeline ? '' : '<p class="note">No timeline in this document: run with <code>hmmw run --json --timeline</code> for the timeline and the residency heatmaps.</p>'}
<div id="charts" class="charts"></div>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d1d1f;background:#fff}
@media (prefers-color-scheme:dark){body{color:#e6e6e6;background:#1e1e1e}th{background:#2a2a2a!important}td,th{border-color:#444!important}}
table{border-collapse:collapse;margin:8px 0 16px}td,th{border:1px solid #ccc;padding:3px 8px}th{background:#f2f2f2;text-align:left}
.num{text-align:right;font-variant-numeric:tabular-nums}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:18px}
.chart{position:relative;height:320px}.chart.tall{height:auto}.note{color:#888}code{font-size:90%}h3{margin:6px 0;font-size:14px}`;

/** The whole report; `chartJs` is Chart.js's UMD build. */
export function reportHtml(input: ReportInput, chartJs: string): string {
	const body = input.kind === 'sweep' ? sweepBody(input.sweep) : runBody(input.run, input.name);
	const title = input.kind === 'sweep' ? `hmmw sweep report` : `hmmw run report: ${input.name}`;
	return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body>${body}
<script type="application/json" id="report-data">${scriptJson(input)}</script>
<script>${chartJs.replace(/<\/script/gi, '<\\/script')}</script>
<script>${REPORT_PAGE_SCRIPT}</script>
</body></html>
`;
}
