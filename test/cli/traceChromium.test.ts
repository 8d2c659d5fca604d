// A `hmmw run --trace` file loads into Chromium's own trace viewer (issue 12, item 1). This
// Chromium (Debian's) has no chrome://tracing any more (it answers ERR_FAILED), and the Perfetto UI
// cannot be served offline here; what Chromium does ship is DevTools, whose Performance panel reads
// Chrome trace-event JSON through its trace engine (devtools://devtools/bundled/models/trace). The
// test parses the trace with that engine and checks what it made of it (one process per device,
// process and script, the named threads, every span, flows bound to both ends), then loads the same
// file into the Performance panel and saves a screenshot under test-results/.
import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { compileSource } from '../../src/lang/frontend';
import { runWorkload } from '../../src/cli/run';
import { FileTraceSink } from '../../src/cli/traceFile';
import type { TraceEvent } from '../../src/lang/trace';
import { CHROMIUM, CHROMIUM_ARGS } from '../webview/harness';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DEVTOOLS = 'devtools://devtools/bundled/devtools_app.html';

async function traceOf(file: string): Promise<string> {
	const source = readFileSync(file, 'utf8');
	const out = path.join(mkdtempSync(path.join(tmpdir(), 'hmmw-trace-')), 'trace.json');
	const sink = new FileTraceSink(out);
	const r = await runWorkload(compileSource(source, file).program, source, { print: () => undefined, onFailure: () => undefined, trace: sink, scriptName: path.basename(file) });
	sink.close({ engineEvents: r.trace!.engineEvents });
	return readFileSync(out, 'utf8');
}

// Page code is given as source text: it runs in DevTools' page, where `import()` must stay a real
// dynamic import of DevTools' own modules (the compiled test would turn it into require()).

/** The DevTools trace engine (what the Performance panel loads traces with) on the trace's records. */
const PARSE_IN_PAGE = `async (doc) => {
	const T = await import('./models/trace/trace.js');
	const model = T.TraceModel.Model.createWithAllHandlers();
	await model.parse(doc.traceEvents);
	const d = model.parsedTrace(0).data;
	return {
		procs: [...d.Renderer.processes].map(([pid, p]) => [pid, [...p.threads].map(([tid, t]) => [tid, t.name ?? '', t.entries.length])]),
		flows: d.Flows.flows.length,
		bounds: { min: d.Meta.traceBounds.min, max: d.Meta.traceBounds.max },
	};
}`;

/** The Performance panel shown, and the trace loaded into it as a file the user opened. */
const LOAD_IN_PANEL = `async (doc) => {
	const UI = await import('./ui/legacy/legacy.js');
	await UI.ViewManager.ViewManager.instance().showView('timeline');
	const TL = await import('./panels/timeline/timeline.js');
	await TL.TimelinePanel.TimelinePanel.instance().loadFromFile(new File([JSON.stringify(doc)], 'trace.json', { type: 'application/json' }));
	return 'loaded';
}`;

interface Parsed { procs: [number, [number, string, number][]][]; flows: number; bounds: { min: number; max: number } }

describe('a --trace file in Chromium\'s trace viewer (DevTools Performance panel)', function () {
	this.timeout(120_000);
	let browser: Browser | undefined;
	let text: string;

	before(async () => {
		assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (CI installs it)`);
		text = await traceOf(path.join(ROOT, 'examples', 'device-model', 'vector-add.hmmw'));
		const { chromium } = await import('playwright-core');
		browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
	});

	after(async () => { await browser?.close(); });

	it('is parsed by the DevTools trace engine into the tracks, spans and flows it holds', async () => {
		const page = await browser!.newPage();
		const errors: string[] = [];
		page.on('pageerror', e => errors.push(String(e)));
		await page.goto(DEVTOOLS);
		const got = await page.evaluate(`(${PARSE_IN_PAGE})(${text})`) as Parsed;
		assert.deepEqual(errors, []);
		const events = (JSON.parse(text) as { traceEvents: TraceEvent[] }).traceEvents;
		// every thread with spans is there, under its name, with every one of its spans
		const want = new Map<string, number>();
		for (const e of events) { if (e.ph === 'X') { want.set(`${e.pid}:${e.tid}`, (want.get(`${e.pid}:${e.tid}`) ?? 0) + 1); } }
		const threadName = (pid: number, tid: number) => events.find(e => e.ph === 'M' && e.name === 'thread_name' && e.pid === pid && e.tid === tid)?.args?.name;
		const seen = new Map<string, number>();
		for (const [pid, threads] of got.procs) {
			for (const [tid, name, n] of threads) {
				seen.set(`${pid}:${tid}`, n);
				assert.equal(name, threadName(pid, tid), `thread ${pid}:${tid}`);
			}
		}
		assert.deepEqual(new Map([...seen].filter(([k]) => want.has(k))), want);
		assert.ok(got.procs.some(([pid]) => pid === 1) && got.procs.some(([pid]) => pid === 10) && got.procs.some(([pid]) => pid === 1000), JSON.stringify(got.procs));
		// flows: DevTools binds each end to the record of the flow's category at the same time and
		// thread, and keeps a flow whose ends lie at two different times (it keys the ends by time);
		// a fault serviced at the simulated instant it was raised makes a flow Perfetto shows but
		// DevTools leaves out
		const starts = new Map(events.filter(e => e.ph === 's').map(e => [e.id, e.ts]));
		const spread = events.filter(e => e.ph === 'f' && starts.get(e.id) !== e.ts).length;
		assert.ok(starts.size > 0);
		assert.equal(got.flows, spread, `${got.flows} flows bound, ${spread} with two ends at different times, of ${starts.size}`);
		// DevTools works in microseconds, as the file does
		const last = Math.max(...events.filter(e => e.ph === 'X').map(e => e.ts + e.dur!));
		assert.ok(Math.abs(got.bounds.max - last) <= 1, `${got.bounds.max} vs ${last}`);
		await page.close();
	});

	it('opens in the Performance panel (screenshot in test-results/)', async () => {
		const page = await browser!.newPage({ viewport: { width: 1400, height: 700 } });
		const errors: string[] = [];
		page.on('pageerror', e => errors.push(String(e)));
		await page.goto(DEVTOOLS);
		// DevTools registers its locale data after the page loads: a loaded host can reach the
		// evaluate first ("No locale data registered"), so that one error is waited out
		let r: unknown;
		for (let attempt = 0; ; attempt++) {
			try { r = await page.evaluate(`(${LOAD_IN_PANEL})(${text})`); break; } catch (e) {
				if (attempt >= 20 || !/No locale data registered/.test(String(e))) { throw e; }
				await page.waitForTimeout(500);
			}
		}
		assert.equal(r, 'loaded');
		// the flame chart draws the tracks on a canvas once the trace is parsed
		await page.waitForFunction('document.querySelector("canvas") !== null || [...document.querySelectorAll("*")].some(el => el.shadowRoot && el.shadowRoot.querySelector("canvas"))', undefined, { timeout: 30_000 });
		await page.waitForTimeout(2000);
		// the first visit shows a keyboard-shortcuts card; then open the tracks, bottom up, so the
		// picture shows the script's statements and the device's kernels, batches and migrations
		await page.mouse.click(1371, 77);
		for (const y of [171, 150, 129]) { await page.mouse.click(250, y); await page.waitForTimeout(300); }
		for (const y of [263, 225, 184]) { await page.mouse.click(260, y); await page.waitForTimeout(300); }
		await page.mouse.move(800, 450);
		mkdirSync(path.join(ROOT, 'test-results'), { recursive: true });
		await page.screenshot({ path: path.join(ROOT, 'test-results', 'trace-devtools-performance.png') });
		assert.deepEqual(errors, []);
		await page.close();
	});
});
