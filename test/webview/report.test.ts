// `hmmw sweep` of a device-model example over a 3 x 3 grid, run in parallel, then `hmmw report`
// opened in Chromium from a file:// URL (no server, no network): every chart must be drawn (its
// canvas holds non-background pixels) and the page must log no error. A single run's report draws
// its timeline, memory chart and heatmap too. Screenshots go to test-results/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './harness';

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;

const root = process.cwd();
const CLI = path.join(root, 'dist/cli.js');
const EXAMPLE = path.join(root, 'examples/device-model/oversubscription-sweep.hmmw');
const shots = path.join(root, 'test-results');

function hmmw(args: string[]): { status: number | null; stdout: string; stderr: string } {
	return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
}

/** Per canvas: how many sampled pixels differ from the top-left one (the background). */
function inkPerCanvas(): number[] {
	return [...document.querySelectorAll('canvas')].map((c: any) => {
		const g = c.getContext('2d');
		const d = g.getImageData(0, 0, c.width, c.height).data;
		let ink = 0;
		for (let i = 0; i < d.length; i += 4 * 7) { if (d[i + 3] !== 0 && (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2] || d[i + 3] !== d[3])) { ink++; } }
		return ink;
	});
}

describe('hmmw report in Chromium', function () {
	this.timeout(180_000);
	let browser: Browser;
	const dir = mkdtempSync(path.join(tmpdir(), 'hmmw-report-'));

	before(async () => {
		assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (CI installs it)`);
		mkdirSync(shots, { recursive: true });
		const { chromium } = await import('playwright-core');
		browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
	});
	after(async () => { await browser?.close(); });

	async function open(html: string, shot: string): Promise<{ charts: number; ink: number[]; problems: string[]; requests: string[] }> {
		const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
		const problems: string[] = [];
		const requests: string[] = [];
		page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') { problems.push(m.text()); } });
		page.on('pageerror', e => problems.push(String(e)));
		page.on('request', r => { if (!r.url().startsWith('file:')) { requests.push(r.url()); } });
		await page.goto('file://' + html);
		await page.waitForSelector('body[data-charts]');
		const charts = Number(await page.getAttribute('body', 'data-charts'));
		const ink = await page.evaluate(inkPerCanvas);
		await page.screenshot({ path: path.join(shots, shot), fullPage: true });
		await page.close();
		return { charts, ink, problems, requests };
	}

	it('a 3 x 3 sweep runs in parallel and its report draws one bar chart per metric', async () => {
		const results = path.join(dir, 'sweep.json');
		const metrics = ['time_ns', 'faults', 'fault_batches', 'evicted'];
		const r = hmmw(['sweep', EXAMPLE, '--set', 'MEM=8MiB,16MiB,32MiB', '--set', 'LINK=pcie3,pcie4,pcie5',
			'-j', '3', '--metrics', metrics.join(','), '-o', results]);
		assert.equal(r.status, 0, r.stderr);
		assert.match(r.stderr, /9 configurations, 3 at a time/);
		const sweep = JSON.parse(readFileSync(results, 'utf8')) as { runs: { config: Record<string, string>; metrics: Record<string, number> }[] };
		assert.equal(sweep.runs.length, 9);
		// oversubscription shows: 8 MiB evicts, 32 MiB does not; a faster link is faster
		const row = (mem: string, link: string) => sweep.runs.find(x => x.config.MEM === mem && x.config.LINK === link)!;
		assert.ok(row('8MiB', 'pcie4').metrics.evicted > 0 && row('32MiB', 'pcie4').metrics.evicted === 0);
		assert.ok(row('16MiB', 'pcie5').metrics.time_ns < row('16MiB', 'pcie3').metrics.time_ns);

		const html = path.join(dir, 'sweep.html');
		const rep = hmmw(['report', results, '-o', html]);
		assert.equal(rep.status, 0, rep.stderr);
		const text = readFileSync(html, 'utf8');
		assert.ok(!/<script[^>]+src=|<link[^>]+href=/i.test(text), 'the report loads nothing from outside');
		const seen = await open(html, 'report-sweep.png');
		assert.deepEqual(seen.problems, []);
		assert.deepEqual(seen.requests, []);
		assert.equal(seen.charts, metrics.length);
		assert.equal(seen.ink.length, metrics.length);
		for (const ink of seen.ink) { assert.ok(ink > 50, `a chart canvas is blank: ${seen.ink.join(', ')}`); }
	});

	it('a single run with --timeline gets a timeline, a memory chart and a heatmap per device', async () => {
		const run = hmmw(['run', path.join(root, 'examples/device-model/stencil-eviction.hmmw'), '--json', '--timeline']);
		assert.equal(run.status, 0, run.stderr);
		const json = path.join(dir, 'run.json');
		writeFileSync(json, run.stdout);
		const html = path.join(dir, 'run.html');
		assert.equal(hmmw(['report', json, '-o', html]).status, 0);
		const seen = await open(html, 'report-run.png');
		assert.deepEqual(seen.problems, []);
		// timeline + memory + one heatmap for each of the example's two devices
		assert.equal(seen.charts, 4);
		for (const ink of seen.ink) { assert.ok(ink > 50, `a chart canvas is blank: ${seen.ink.join(', ')}`); }
	});
});
