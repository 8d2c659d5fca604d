// Debugger latency targets (the debug adapter issue), measured in-process on the runtime and the
// variable builders the DAP session uses, without protocol overhead:
//   - stepBack after 100k executed statements < 100 ms
//   - expanding a VMA of 4M pages (named children + the first and last chunk) < 50 ms
//   - residency of a 4M-page process < 50 ms and < 1 MB of JSON, also in the worst case (every
//     32nd page different), as the residency panel asks for it (at most 65536 cells)
// Each figure is the best of three calls, except stepBack: the worst of three successive ones.
import { HmmRuntime, type StopInfo } from '../src/debug/runtime';
import { VariableStore } from '../src/debug/variables';
import { Inspector } from '../src/debug/inspect';
import { ResidencyHistory, residency } from '../src/debug/residency';

export interface BenchRow { name: string; value: number; unit: string; target?: string; ok?: boolean }

/** Loads a script and runs it to the breakpoint on `line`. */
async function runTo(source: string, line: number): Promise<HmmRuntime> {
	const rt = new HmmRuntime();
	const bad = rt.load('/bench/debug.hmmw', source);
	if (bad) { throw new Error(bad.join('\n')); }
	rt.bps.setLineBreakpoints('/bench/debug.hmmw', [{ line }]);
	rt.bps.setFilters([], []);
	await new Promise<StopInfo>(resolve => { rt.once('stopped', resolve); rt.start(false); });
	return rt;
}

async function ms(f: () => Promise<unknown> | unknown): Promise<number> {
	const t0 = performance.now();
	await f();
	return performance.now() - t0;
}

/** Best of three, as bench/run.ts does for its cases (the first call also pays for JIT warm-up). */
async function best(f: () => unknown): Promise<number> {
	return Math.min(await ms(f), await ms(f), await ms(f));
}

const stopped = (rt: HmmRuntime) => new Promise<StopInfo>(resolve => rt.once('stopped', resolve));

async function stepBack(): Promise<BenchRow[]> {
	const rt = await runTo([
		'process p', 'X = mmap 1MiB anon rw', 'n = 0',
		'for j in 0..100000 {', '\tif j % 1000 == 0 { cpu write page(X, (j / 1000) % 256) = j }', '\tn = n + 1', '}',
		'print n',
	].join('\n'), 8);
	const back = () => { const s = stopped(rt); void rt.stepBack(); return s; };
	const first = await ms(back);
	const second = await ms(back);
	const third = await ms(back);
	const worst = Math.max(first, second, third);
	return [{ name: `debug: stepBack after ${rt.interp.steps} executed instructions (worst of 3; ${rt.tt.checkpoints} checkpoints)`, value: worst, unit: 'ms', target: '< 100 ms', ok: worst < 100 }];
}

const BIG = ['system ram=32GiB', 'device gpu memory=1GiB', 'process p', 'gpu mirror p', 'X = mmap 16GiB anon rw',
	'cpu write X[0:1GiB] = i', 'migrate X[0:256MiB] -> gpu', 'cpu write X[8GiB:9GiB] = 1', 'print "ok"'].join('\n');

async function bigVma(rt: HmmRuntime): Promise<BenchRow[]> {
	const vs = new VariableStore(rt);
	const ins = new Inspector(vs, () => undefined);
	const view = rt.interp.machine.view;
	const p = view.process('p')!;
	const t = await best(() => {
		vs.reset();
		const vma = ins.vma(p, view.vmas(p.id)[0]);
		vs.list(vma.variablesReference, 'named');
		// VS Code asks for named children, then chunk by chunk: the first and the last of 100
		vs.list(vma.variablesReference, 'indexed', 0, 100);
		vs.list(vma.variablesReference, 'indexed', vma.indexedVariables! - 100, 100);
	});
	return [{ name: 'debug: expand a VMA of 4M pages (named + first/last 100 pages)', value: t, unit: 'ms', target: '< 50 ms', ok: t < 50 }];
}

/** The residency request as the session answers it at a new stop: cells, exact counts, marks
 * layers, gauges, and the diff against the previous stop's page locations. */
function panelAnswer(rt: HmmRuntime, history: ResidencyHistory, stop: number): string {
	return JSON.stringify(residency(rt.interp.machine.view, {}, () => undefined, history, stop));
}

async function residencyRows(rt: HmmRuntime): Promise<BenchRow[]> {
	let json = '';
	const history = new ResidencyHistory();
	let stop = 0;
	const t = await best(() => { json = panelAnswer(rt, history, ++stop); });
	// the worst layout: every 32nd page written, so no page-table leaf can be skipped and every
	// cell of 64 pages is mixed; at one page a cell the runs alternate (2^18 of them)
	const striped = await runTo(['system ram=32GiB', 'process p', 'X = mmap 16GiB anon rw',
		'for j in 0..131072 { cpu write page(X, j * 32) }', 'print "ok"'].join('\n'), 5);
	const h2 = new ResidencyHistory();
	let json2 = '';
	const t2 = await best(() => { json2 = panelAnswer(striped, h2, ++stop); });
	return [
		{ name: 'debug: residency of 4M pages (RAM, device, untouched; with marks, gauges and the diff)', value: t, unit: 'ms', target: '< 50 ms', ok: t < 50 },
		{ name: 'debug: residency of 4M pages: response size', value: json.length / 1024, unit: 'KiB', target: '< 1 MB', ok: json.length < 1 << 20 },
		{ name: 'debug: residency of 4M pages, worst case (every 32nd page different)', value: t2, unit: 'ms', target: '< 50 ms', ok: t2 < 50 },
		{ name: 'debug: residency of 4M pages, worst case: response size', value: json2.length / 1024, unit: 'KiB', target: '< 1 MB', ok: json2.length < 1 << 20 },
	];
}

export async function benchDebug(): Promise<BenchRow[]> {
	const rows = await stepBack();
	const rt = await runTo(BIG, 9);
	rows.push(...await bigVma(rt), ...await residencyRows(rt));
	return rows;
}

if (require.main === module) {
	benchDebug().then(rows => {
		for (const r of rows) { process.stdout.write(`${r.name}: ${r.value.toFixed(2)} ${r.unit}${r.target ? ` (target ${r.target}: ${r.ok ? 'meets' : 'MISSES'})` : ''}\n`); }
	}, e => { process.stderr.write(String(e?.stack ?? e) + '\n'); process.exitCode = 1; });
}
