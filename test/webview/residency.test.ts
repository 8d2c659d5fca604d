// The residency webview in a real browser (Debian's Chromium through playwright-core): legend
// counts, canvas colors at known cells, the hover tooltip, messages to the extension, CSP
// cleanliness and drawing speed at 4M pages. Screenshots go to out/screenshots/.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ResidencyBody, ToWebview } from '../../webview/protocol';
import { CHROMIUM, CHROMIUM_ARGS, type Harness, THEME, startHarness } from './harness';

// Browser globals for the page.evaluate callbacks: the Node test program has no DOM lib, and
// pulling it in would hide DOM misuse in Node code.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any, document: any, getComputedStyle: any, MessageEvent: any;
type HTMLCanvasElement = any;

const root = process.cwd();
const shots = path.join(root, 'out/screenshots');
const BASE = 0x10000000;
const PAGE = 4096;

/** 1024 one-page cells: two VMAs with a 12-page hole between them. */
const SAMPLE: ResidencyBody = {
	process: 'p', pid: 2, start: BASE, end: BASE + 1024 * PAGE, pagesPerCell: 1, time: 1234,
	legend: ['none', 'zero', 'ram', 'swap', 'gpu', 'mixed'],
	// cells: ram [0,300) gpu [300,512) none [512,524) swap [524,574) zero [574,594) ram [594,694) mixed 694 gpu [695,1024)
	runs: [2, 300, 4, 212, 0, 12, 3, 50, 1, 20, 2, 100, 5, 1, 4, 329],
	vmas: [
		{ start: BASE, end: BASE + 512 * PAGE, prot: 'rw-', kind: 'anon', name: 'X' },
		{ start: BASE + 524 * PAGE, end: BASE + 1024 * PAGE, prot: 'r--', kind: 'file', name: 'data.bin' },
	],
};
const MESSAGE: ToWebview = {
	type: 'residency', body: SAMPLE, session: 'Debug t.hmmw', view: { maxCells: 4096 },
	processes: [{ name: 'p', pid: 2 }, { name: 'q', pid: 3 }],
};

function rgb(hex: string): [number, number, number] {
	const n = parseInt(hex.slice(1), 16);
	return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Center of a cell in page coordinates, from the layout the page publishes on the canvas. */
async function cellCenter(page: Page, cell: number): Promise<{ x: number; y: number }> {
	return page.evaluate(c => {
		const canvas = document.getElementById('grid') as HTMLCanvasElement;
		const cols = Number(canvas.dataset.cols);
		const size = Number(canvas.dataset.cell);
		const r = canvas.getBoundingClientRect();
		return { x: r.left + (c % cols) * size + size / 2 - 0.5, y: r.top + Math.floor(c / cols) * size + size / 2 - 0.5 };
	}, cell);
}

async function pixelAtCell(page: Page, cell: number): Promise<[number, number, number]> {
	return page.evaluate(c => {
		const canvas = document.getElementById('grid') as HTMLCanvasElement;
		const cols = Number(canvas.dataset.cols);
		const size = Number(canvas.dataset.cell);
		const dpr = canvas.width / canvas.getBoundingClientRect().width;
		// Sample a little inside the cell, away from the 1px gutter.
		const x = Math.floor(((c % cols) * size + size / 3) * dpr);
		const y = Math.floor((Math.floor(c / cols) * size + size / 3) * dpr);
		const d = canvas.getContext('2d')!.getImageData(x, y, 1, 1).data;
		return [d[0], d[1], d[2]] as [number, number, number];
	}, cell);
}

async function send(page: Page, msg: ToWebview): Promise<void> {
	await page.evaluate(m => window.postMessage(m, '*'), msg);
	await page.waitForFunction(() => Number((document.getElementById('grid') as HTMLCanvasElement).dataset.cells) > 0);
}

describe('residency webview (Chromium)', function () {
	this.timeout(60000);
	let browser: Browser | undefined;
	let harness: Harness | undefined;
	let page: Page;
	const problems: string[] = [];

	before(async () => {
		assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (CI installs it)`);
		const { chromium } = await import('playwright-core');
		harness = await startHarness(root);
		browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
		page = await browser.newPage({ viewport: { width: 900, height: 600 }, deviceScaleFactor: 1 });
		page.on('console', m => {
			if (m.type() === 'error' || /Content Security Policy|Refused/.test(m.text())) {
				problems.push(m.text());
			}
		});
		page.on('pageerror', e => problems.push(String(e)));
		await page.goto(harness.url);
		await page.waitForFunction(() => (window as unknown as { __posted: unknown[] }).__posted.length > 0);
	});

	after(async () => {
		await browser?.close();
		await harness?.close();
	});

	it('says hello with its view and shows a waiting status', async () => {
		const posted = await page.evaluate(() => (window as unknown as { __posted: { type: string; view: { maxCells: number } }[] }).__posted);
		assert.equal(posted[0].type, 'ready');
		assert.ok(posted[0].view.maxCells >= 1024, `maxCells ${posted[0].view.maxCells}`);
		assert.match(await page.textContent('#status') ?? '', /Waiting/);
	});

	it('shows legend counts per location', async () => {
		await send(page, MESSAGE);
		const legend = await page.$$eval('#legend li', lis => lis.map(li =>
			[li.querySelector('.label')!.textContent, li.querySelector('.count')!.textContent]));
		assert.deepEqual(legend, [['none', '12'], ['zero', '20'], ['ram', '400'], ['swap', '50'], ['gpu', '541'], ['mixed', '1']]);
		assert.match(await page.textContent('#range') ?? '', /^0x10000000–0x103fffff · 1 page\/cell · t=1234$/);
		assert.equal(await page.textContent('#status'), '');
	});

	it('colors cells by location from the theme', async () => {
		const expect: [number, string][] = [
			[0, '--vscode-charts-blue'], [299, '--vscode-charts-blue'], [300, '--vscode-charts-green'],
			[515, '--vscode-editorWidget-border'], [530, '--vscode-charts-orange'], [580, '--vscode-charts-foreground'],
			[694, '--vscode-charts-red'], [1023, '--vscode-charts-green'],
		];
		for (const [cell, variable] of expect) {
			assert.deepEqual(await pixelAtCell(page, cell), rgb(THEME[variable]), `cell ${cell} should be ${variable}`);
		}
		const swatches = await page.$$eval('#legend .swatch', s => s.map(e => getComputedStyle(e).backgroundColor));
		assert.equal(swatches[2], 'rgb(55, 148, 255)');
	});

	it('labels the VMAs as bands', async () => {
		const bands = await page.$$eval('#bands .band', bs => bs.map(b => b.textContent));
		assert.deepEqual(bands, ['X (anon) rw-', 'data.bin (file) r--']);
	});

	it('shows address range and location on hover', async () => {
		const { x, y } = await cellCenter(page, 530);
		await page.mouse.move(x, y);
		await page.waitForSelector('#tooltip:not([hidden])');
		const text = await page.textContent('#tooltip');
		const at = BASE + 530 * PAGE;
		assert.equal(text, `0x${at.toString(16)}–0x${(at + PAGE - 1).toString(16)} (1 page)\nswap\ndata.bin (file) r--`);
		const hole = await cellCenter(page, 515);
		await page.mouse.move(hole.x, hole.y);
		assert.match(await page.textContent('#tooltip') ?? '', /\nnone\nunmapped$/);
		mkdirSync(shots, { recursive: true });
		await page.screenshot({ path: path.join(shots, 'webview-residency.png') });
		await page.mouse.move(5, 5);
		assert.equal(await page.isHidden('#tooltip'), true);
	});

	it('reveals a page on a click, zooms on a VMA band and switches process from the picker', async () => {
		const { x, y } = await cellCenter(page, 350);
		await page.mouse.click(x, y);
		await page.click('#bands .band >> nth=1');
		assert.deepEqual(await page.selectOption('#process', 'q'), ['q']);
		// in order: the reveal, the band's click, the process switch (a resize of a loaded window may
		// post a setView of its own in between: looked past, as hover requests are)
		const all = await page.evaluate(() => (window as unknown as { __posted: { type: string; [k: string]: unknown }[] }).__posted.filter(m => m.type !== 'hover'));
		const reveal = all.map(m => m.type).lastIndexOf('pageAction');
		assert.deepEqual(all[reveal], { type: 'pageAction', action: 'reveal', process: 'p', address: BASE + 350 * PAGE, pages: 1 });
		const at = all.findIndex((m, i) => i > reveal && m.type === 'cellClicked');
		const click = all[at] as unknown as { type: string; address: number; view: { process: string } };
		assert.ok(at > reveal, JSON.stringify(all.slice(reveal)));
		assert.equal(click.address, BASE + 524 * PAGE);
		assert.equal(click.view.process, 'p');
		const last = all.at(-1) as unknown as { type: string; view: { process: string } };
		assert.equal(last.type, 'setView');
		assert.equal(last.view.process, 'q');
		// The view is what survives a hide/show (retainContextWhenHidden is off).
		const state = await page.evaluate(() => (window as unknown as { __state: { view: { process: string } } }).__state);
		assert.equal(state.view.process, 'q');
	});

	it('draws 4M pages from runs quickly', async () => {
		// 4Mi pages at 64 pages/cell = 65536 cells, every cell its own run: the worst case.
		const cells = 65536;
		const runs: number[] = [];
		for (let i = 0; i < cells; i++) {
			runs.push(i % 7 === 0 ? 3 : 2 + (i % 3), 1);
		}
		const body: ResidencyBody = { ...SAMPLE, pagesPerCell: 64, start: BASE, end: BASE + cells * 64 * PAGE, runs,
			vmas: [{ start: BASE, end: BASE + cells * 64 * PAGE, prot: 'rw-', kind: 'anon', name: 'big' }] };
		const ms = await page.evaluate(data => {
			const t0 = performance.now();
			window.dispatchEvent(new MessageEvent('message', { data }));
			return performance.now() - t0;
		}, { ...MESSAGE, body } as ToWebview);
		assert.ok(ms < 1000, `render took ${ms.toFixed(0)} ms`);
		assert.equal(await page.getAttribute('#grid', 'data-cells'), String(cells));
		const ram = await page.$eval('#legend li[data-location="ram"] .count', e => e.textContent);
		assert.match(ram ?? '', /^≈/);
		await page.screenshot({ path: path.join(shots, 'webview-residency-4M.png') });
		console.log(`      (65536 runs drawn in ${ms.toFixed(0)} ms)`);
	});

	it('raised no CSP violation or script error', () => {
		assert.deepEqual(problems, []);
	});
});
