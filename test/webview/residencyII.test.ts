// Residency panel II in Chromium: exact counts and mixed cells, device views (resident, mapped in
// place, read-duplicated copies) with marks, change outlines, memory gauges, the timeline and its
// click-to-travel, hover details from the adapter, drag-to-zoom with back/forward, the context
// menu, and drawing 4M pages with every layer. Colors are checked on screenshots (decoded PNGs),
// which are kept under test-results/.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { PageDetail, ResidencyBody, TimelineBody, ToWebview } from '../../webview/protocol';
import { CHROMIUM, CHROMIUM_ARGS, type Harness, THEME, startHarness } from './harness';
import { decodePng, pixel, type Image } from './png';

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const window: any, document: any, MessageEvent: any;

const root = process.cwd();
const results = path.join(root, 'test-results');
const BASE = 0x10000000;
const PAGE = 4096;
const PPC = 4;

// 64 cells of 4 pages: ram [0,16) gpu [16,32) mixed 32 ram [33,64)
const BODY: ResidencyBody = {
	process: 'p', pid: 2, start: BASE, end: BASE + 64 * PPC * PAGE, pagesPerCell: PPC, time: 600,
	legend: ['none', 'zero', 'ram', 'swap', 'gpu', 'uvm', 'mixed'],
	runs: [2, 16, 4, 16, 6, 1, 2, 31],
	counts: [0, 0, 190, 0, 66, 0, 0],
	vmas: [{ start: BASE, end: BASE + 64 * PPC * PAGE, prot: 'rw-', kind: 'anon', name: 'X' }],
	// cells 2-3 mapped in place by gpu, 8 pinned, 10 device-exclusive
	marks: [0, 2, 2, 2, 0, 4, 32, 1, 0, 1, 16, 1, 0, 53],
	devices: [
		{ device: 'gpu', runs: [0, 2, 2, 2, 0, 12, 1, 16, 0, 32], pages: { resident: 64, remote: 8, copy: 0, readonly: 0, atomic: 0 } },
		{ device: 'uvm', runs: [12, 4, 0, 60], pages: { resident: 0, remote: 0, copy: 16, readonly: 16, atomic: 0 } },
	],
	gauges: [{ name: 'gpu', usedPages: 64, capacityPages: 16384 }, { name: 'uvm', usedPages: 1024, capacityPages: 3072, chunks: { used: 2, total: 6 } }],
	changed: { pages: 5, runs: [0, 40, 1, 2, 0, 22] },
};
const TIMELINE: TimelineBody = {
	start: 0, end: 1000, now: 600, bins: 100, lanes: ['page-fault', 'migration: migrate', 'fault-batch'],
	cells: [0, 10, 3, 3, 5, 100, 1, 50, 3, 4, 7, 500, 2, 80, 3, 128, 9, 800], nth: [-1, 0, 2], totals: [3, 3, 3], dropped: 0,
};
const MESSAGE: ToWebview = { type: 'residency', body: BODY, timeline: TIMELINE, session: 'Debug t.hmmw', view: { maxCells: 4096 }, processes: [{ name: 'p', pid: 2 }] };

const rgb = (hex: string): [number, number, number] => {
	const n = parseInt(hex.slice(1), 16);
	return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
};
const posted = (page: Page) => page.evaluate(() => window.__posted as { type: string; [k: string]: unknown }[]);
/** The last message other than a hover request (moving the mouse over the grid asks the adapter
 * for the page under it, whenever the pointer passes a cell on its way to a button). */
const lastPosted = async (page: Page) => (await posted(page)).filter(m => m.type !== 'hover').at(-1)!;

describe('residency webview II (Chromium)', function () {
	this.timeout(60000);
	let browser: Browser | undefined;
	let harness: Harness | undefined;
	let page: Page;
	const problems: string[] = [];

	/** A screenshot of one element, saved under test-results/ and decoded. */
	async function shot(selector: string, name: string): Promise<Image> {
		const png = await page.locator(selector).screenshot();
		mkdirSync(results, { recursive: true });
		writeFileSync(path.join(results, name), png);
		return decodePng(png);
	}

	/** Center (or an offset inside) of a grid cell, in the grid's own pixels. */
	async function cellAt(cell: number, fx = 0.5, fy = 0.5): Promise<{ x: number; y: number; size: number }> {
		return page.evaluate(([c, ax, ay]) => {
			const canvas = document.getElementById('grid');
			const cols = Number(canvas.dataset.cols);
			const size = Number(canvas.dataset.cell);
			return { x: (c % cols) * size + size * ax, y: Math.floor(c / cols) * size + size * ay, size };
		}, [cell, fx, fy]);
	}

	async function send(msg: ToWebview): Promise<void> {
		await page.evaluate(m => window.postMessage(m, '*'), msg);
		await page.waitForFunction(() => Number(document.getElementById('grid').dataset.cells) > 0);
	}

	before(async () => {
		assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (CI installs it)`);
		const { chromium } = await import('playwright-core');
		harness = await startHarness(root);
		browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
		page = await browser.newPage({ viewport: { width: 900, height: 760 }, deviceScaleFactor: 1 });
		page.on('console', m => { if (m.type() === 'error' || /Content Security Policy|Refused/.test(m.text())) { problems.push(m.text()); } });
		page.on('pageerror', e => problems.push(String(e)));
		await page.goto(harness.url);
		await page.waitForFunction(() => window.__posted.length > 0);
		await send(MESSAGE);
	});

	after(async () => {
		await browser?.close();
		await harness?.close();
	});

	it('legend: exact pages per location, mixed cells counted as cells; gauges; changed count', async () => {
		const legend = await page.$$eval('#legend li', lis => lis.map((li: any) => [li.querySelector('.label').textContent, li.querySelector('.count')?.textContent]));
		assert.deepEqual(legend, [['none', '0'], ['zero', '0'], ['ram', '190'], ['swap', '0'], ['gpu', '66'], ['uvm', '0'], ['mixed', '1 cell']]);
		const gauges = await page.$$eval('.gauge-text', es => es.map((e: any) => e.textContent));
		assert.deepEqual(gauges, ['64 / 16,384 pages (0.4%)', '1,024 / 3,072 pages (33.3%) · root chunks 2/6']);
		assert.equal(await page.$$eval('.gauge[data-device="uvm"] .chunk.used', es => es.length), 2);
		assert.equal(await page.$$eval('.gauge[data-device="uvm"] .chunk', es => es.length), 6);
		assert.equal(await page.textContent('.changed-count'), '5 pages changed location since the last stop');
		const ticks = await page.$$eval('#axis .tick', es => es.map((e: any) => e.textContent));
		assert.equal(ticks[0], '0x10000000  #0');
	});

	it('screenshot: colors by location, the mapped-in-place mark and the change outline', async () => {
		const img = await shot('#grid', 'residency-cpu.png');
		const at = async (cell: number, fx = 0.5, fy = 0.5) => { const p = await cellAt(cell, fx, fy); return pixel(img, p.x, p.y); };
		assert.deepEqual(await at(0), rgb(THEME['--vscode-charts-blue']), 'ram');
		assert.deepEqual(await at(20), rgb(THEME['--vscode-charts-green']), 'gpu');
		assert.deepEqual(await at(32), rgb(THEME['--vscode-charts-red']), 'mixed');
		assert.deepEqual(await at(2), rgb(THEME['--vscode-charts-blue']), 'a mapped-in-place cell keeps its location color');
		const { size } = await cellAt(0);
		assert.deepEqual(await at(2, (size - 2) / size, 1 / size), [255, 255, 255], 'with a mark in its top-right corner');
		assert.deepEqual(await at(0, (size - 2) / size, 1 / size), rgb(THEME['--vscode-charts-blue']), 'an unmarked cell has none');
		assert.deepEqual(await at(40, 1 / size, 0.5), rgb('#cca700'), 'a changed cell is outlined');
		assert.deepEqual(await at(38, 1 / size, 0.5), rgb(THEME['--vscode-charts-blue']));
	});

	it('a device view colors what the device maps: resident, in place, read-duplicated copies', async () => {
		await page.selectOption('#layer', 'gpu');
		let img = await shot('#grid', 'residency-gpu-view.png');
		const at = async (cell: number) => { const p = await cellAt(cell); return pixel(img, p.x, p.y); };
		assert.deepEqual(await at(0), rgb(THEME['--vscode-editorWidget-border']), 'not mapped');
		assert.deepEqual(await at(2), rgb('#bc3fbc'), 'mapped in place');
		assert.deepEqual(await at(20), rgb(THEME['--vscode-charts-green']), 'resident on gpu');
		const legend = await page.$$eval('#legend li', lis => lis.map((li: any) => [li.dataset.location, li.dataset.pages]));
		assert.deepEqual(legend.slice(0, 4), [['not mapped', undefined], ['resident', '64'], ['mapped in place', '8'], ['read-duplicated copy', '0']]);
		await page.selectOption('#layer', 'uvm');
		img = await shot('#grid', 'residency-uvm-view.png');
		assert.deepEqual(await at(1), rgb('#29b8db'), 'a read-duplicated copy');
		await page.selectOption('#layer', 'cpu');
		assert.equal(await page.getAttribute('#grid', 'data-layer'), 'cpu');
	});

	it('screenshot: the timeline has a lane per kind, the stop marked; a click travels to the event', async () => {
		const img = await shot('#timeline', 'residency-timeline.png');
		const geo = await page.evaluate(() => ({ w: document.getElementById('timeline').getBoundingClientRect().width }));
		const plot = geo.w - 150;
		const x = (bin: number) => 150 + (bin + 0.5) * (plot / 100);
		// lanes: page-fault, fault-batch (faults first), then migration: migrate
		assert.deepEqual(pixel(img, x(10), 7), rgb(THEME['--vscode-charts-red']));
		assert.deepEqual(pixel(img, x(80), 21), rgb(THEME['--vscode-charts-yellow']));
		assert.deepEqual(pixel(img, x(50), 35), rgb(THEME['--vscode-charts-blue']));
		assert.deepEqual(pixel(img, x(30), 7), rgb(THEME['--vscode-editor-background']), 'an empty bin');
		assert.deepEqual(pixel(img, 150 + 0.6 * plot + 1, 30), rgb('#cca700'), 'the current stop');
		const box = await page.locator('#timeline').boundingBox();
		await page.mouse.move(box!.x + x(80), box!.y + 21);
		assert.match(await page.textContent('#tooltip') ?? '', /^fault-batch: 3 events, 128 pages/);
		await page.mouse.click(box!.x + x(80), box!.y + 21);
		const last = (await posted(page)).at(-1);
		assert.deepEqual(last, { type: 'timelineClicked', step: 9, nth: 2, label: 'fault-batch at 800 ns' }, 'the event itself: the third of its statement');
	});

	it('hover asks the adapter for the page and shows PTE, counts, mappers and the mixed breakdown', async () => {
		const box = await page.locator('#grid').boundingBox();
		const c = await cellAt(32);
		await page.mouse.move(box!.x + c.x, box!.y + c.y);
		await page.waitForFunction(() => window.__posted.some((m: any) => m.type === 'hover' && m.pages === 4));
		const hover = (await posted(page)).filter(m => m.type === 'hover').at(-1)!;
		assert.deepEqual({ ...hover, seq: 0 }, { type: 'hover', seq: 0, process: 'p', address: BASE + 32 * PPC * PAGE, pages: 4 });
		const detail: PageDetail = {
			process: 'p', address: BASE + 32 * PPC * PAGE, vpn: (BASE >> 12) + 128, location: 'ram', pte: { type: 'present', flags: ['write', 'dirty'], pfn: 0x2a },
			refcount: 1, mapcount: 1, pincount: 0, mappedBy: [{ device: 'gpu', perm: 'rw', how: 'remote' }], breakdown: { ram: 2, gpu: 2 }, pages: 4,
		};
		await page.evaluate(m => window.postMessage(m, '*'), { type: 'page', seq: hover.seq, detail } as ToWebview);
		await page.waitForFunction(() => /refcount/.test(document.getElementById('tooltip').textContent));
		const text = await page.textContent('#tooltip');
		assert.match(text!, /^0x10080000–0x10083fff \(4 pages\)\nmixed\nX \(anon\) rw-\npage #65,664 at 0x10080000: ram\nPTE present write dirty pfn 0x2a\nrefcount 1, mapcount 1, pincount 0\nmapped by gpu \(rw, remote\)\ncell: ram 2, gpu 2$/);
		await page.screenshot({ path: path.join(results, 'residency-hover.png') });
		await page.mouse.move(2, 2);
	});

	it('drag zooms to the cells covered; back and forward walk the zoom history', async () => {
		const box = await page.locator('#grid').boundingBox();
		const a = await cellAt(1);
		const b = await cellAt(9);
		await page.mouse.move(box!.x + a.x, box!.y + a.y);
		await page.mouse.down();
		await page.mouse.move(box!.x + b.x, box!.y + b.y, { steps: 4 });
		assert.equal(await page.isVisible('#selection'), true);
		await page.mouse.up();
		let view = await lastPosted(page);
		assert.equal(view.type, 'setView');
		assert.deepEqual([(view.view as any).start, (view.view as any).end], [BASE + PPC * PAGE, BASE + 10 * PPC * PAGE]);
		assert.equal(await page.isDisabled('#back'), false);
		await page.click('#back');
		view = await lastPosted(page);
		assert.deepEqual([(view.view as any).start, (view.view as any).end], [undefined, undefined]);
		assert.equal(await page.isDisabled('#forward'), false);
		await page.keyboard.press('Alt+ArrowRight');
		view = await lastPosted(page);
		assert.equal((view.view as any).start, BASE + PPC * PAGE);
	});

	it('the context menu watches the page (a data breakpoint the adapter keeps), evaluates or reveals it', async () => {
		await send(MESSAGE);
		const box = await page.locator('#grid').boundingBox();
		const c = await cellAt(5);
		for (const action of ['watchWrite', 'watchAccess', 'evaluate', 'reveal']) {
			await page.mouse.click(box!.x + c.x, box!.y + c.y, { button: 'right' });
			assert.equal(await page.isVisible('#menu'), true);
			// an unwatched cell offers no removal
			assert.equal(await page.isHidden('#menu [data-action="unwatch"]'), true);
			await page.click(`#menu [data-action="${action}"]`);
			assert.deepEqual(await lastPosted(page), { type: 'pageAction', action, process: 'p', address: BASE + 5 * PPC * PAGE, pages: 4 });
			assert.equal(await page.isHidden('#menu'), true);
		}
	});

	it('page watches: outlined cells, listed with a remove button, in the tooltip, removable from the menu', async () => {
		// a watch on cells 40-41 (8 pages) and one partly out of view (starts before the span)
		const watches = [
			{ id: 7, process: 'p', start: BASE + 40 * PPC * PAGE, end: BASE + 42 * PPC * PAGE, access: 'write' as const, hits: 2, description: 'w' },
			{ id: 9, process: 'p', start: BASE - 8 * PAGE, end: BASE + PAGE, access: 'readWrite' as const, hits: 0, description: 'a' },
		];
		await send({ ...MESSAGE, body: { ...BODY, changed: undefined, watches } });
		// the grid had cells already: wait for this message's picture (postMessage is delivered later)
		await page.waitForFunction(() => document.getElementById('grid').dataset.watched === '2');
		assert.deepEqual(await page.locator('#watches .watch').allTextContents(), [
			'#7 write: 0x100a0000–0x100a7fff (8 pages), 2 hits✕', '#9 any access: 0xfff8000–0x10000fff (9 pages), 0 hits✕',
		]);
		// the dashed outline is drawn in the focus color on the watched cell's edge, not inside it
		const img = await shot('#grid', 'residency-watches.png');
		const c = await cellAt(40, 0, 0);
		const edge = pixel(img, Math.round(c.x + 1), Math.round(c.y + 1));
		const inside = pixel(img, Math.round(c.x + c.size / 2), Math.round(c.y + c.size / 2));
		assert.notDeepEqual(edge, inside, `outline ${edge} vs cell ${inside}`);
		const box = await page.locator('#grid').boundingBox();
		const m = await cellAt(41);
		await page.mouse.move(box!.x + m.x, box!.y + m.y);
		await page.waitForSelector('#tooltip:not([hidden])');
		assert.match(await page.innerText('#tooltip'), /page watch #7 write: 0x100a0000/);
		await page.mouse.click(box!.x + m.x, box!.y + m.y, { button: 'right' });
		assert.equal(await page.isVisible('#menu [data-action="unwatch"]'), true);
		await page.click('#menu [data-action="unwatch"]');
		assert.deepEqual(await lastPosted(page), { type: 'unwatch', id: 7 });
		await page.click('#watches .watch[data-id="9"] button');
		assert.deepEqual(await lastPosted(page), { type: 'unwatch', id: 9 });
		// no watches: no list
		await send(MESSAGE);
		await page.waitForFunction(() => document.getElementById('grid').dataset.watched === '0');
		assert.equal(await page.isHidden('#watches'), true);
	});

	it('draws 4M pages with every layer in under 100 ms', async () => {
		// 65536 cells of 64 pages, every cell its own run, marked and half of them changed; built in
		// the page (passing 500k numbers through the test protocol would take seconds)
		const times = await page.evaluate(([base, msg]) => {
			const cells = 65536;
			const runs: number[] = [];
			const marks: number[] = [];
			const changed: number[] = [];
			const gpu: number[] = [];
			for (let i = 0; i < cells; i++) {
				runs.push(i % 7 === 0 ? 3 : 2 + (i % 3), 1);
				marks.push(i % 2 === 0 ? 2 : 40, 1);
				changed.push(i % 2, 1);
				gpu.push(1 + (i % 3), 1);
			}
			const b = msg.body;
			const end = base + cells * 64 * 4096;
			const body = {
				...b, pagesPerCell: 64, end, runs, marks, changed: { pages: cells * 32, runs: changed }, counts: [0, 0, 1, 1, 1, 1, 0],
				devices: [{ ...b.devices![0], runs: gpu }], vmas: [{ start: base, end, prot: 'rw-', kind: 'anon', name: 'big' }],
			};
			const handled: number[] = [];
			const drawn: number[] = [];
			for (let k = 0; k < 3; k++) {
				const t0 = performance.now();
				window.dispatchEvent(new MessageEvent('message', { data: { ...msg, body } }));
				handled.push(performance.now() - t0);
				drawn.push(Number(document.getElementById('grid').dataset.drawMs));
			}
			return { handled, drawn };
		}, [BASE, MESSAGE] as const);
		// best of three, as the benches take it (the machine running the tests may be busy)
		const draw = Math.min(...times.drawn);
		const best = Math.min(...times.handled);
		assert.equal(await page.getAttribute('#grid', 'data-cells'), '65536');
		await shot('#grid', 'residency-4M.png');
		console.log(`      (4M pages, 65536 runs + marks + outlines: message handled in ${best.toFixed(0)} ms, grid drawn in ${draw.toFixed(0)} ms)`);
		assert.ok(draw < 100, `drawing took ${draw} ms`);
		assert.ok(best < 200, `handling the message took ${best} ms`);
	});

	it('raised no CSP violation or script error', () => {
		assert.deepEqual(problems, []);
	});
});
