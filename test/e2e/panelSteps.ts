// The residency panel's second part in the real workbench, step by step, on panel.hmmw: opened
// during a session, exact legend counts per location, a hover answered by the adapter, the change
// outline after a step, drag-to-zoom and back, and a timeline click that moves the debugger to
// the event inside a kernel statement. Registered inside e2e.test.ts's describe (one code-server
// per theme).
import assert from 'node:assert/strict';
import type { FrameLocator, Page } from 'playwright-core';
import { consoleLine, openFile, residencyFrame, runCommand } from './workbench';

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;

export interface StepContext { page(): Page; shot(name: string): Promise<void> }

/** F10, then wait until the Call Stack shows the script at `line`. */
async function next(page: Page, line: number): Promise<void> {
	await page.keyboard.press('F10');
	await page.locator('.debug-call-stack .monaco-list-row', { hasText: `${line}:1` }).first().waitFor({ timeout: 30000 });
}

/** Pages per legend entry of the CPU view, e.g. { ram: 16, gpu: 0, … }. */
async function legend(frame: FrameLocator): Promise<Record<string, number>> {
	const items = await frame.locator('#legend li[data-pages]').evaluateAll((lis: any[]) => lis.map(li => [li.dataset.location, Number(li.dataset.pages)]));
	return Object.fromEntries(items) as Record<string, number>;
}

/** The page coordinates of a cell's centre in the residency grid. */
async function cellCentre(frame: FrameLocator, cell: number): Promise<{ x: number; y: number }> {
	const grid = frame.locator('#grid');
	const box = await grid.boundingBox();
	assert.ok(box !== null, 'the grid is visible');
	const cols = Number(await grid.getAttribute('data-cols'));
	const size = Number(await grid.getAttribute('data-cell'));
	return { x: box.x + ((cell % cols) + 0.5) * size, y: box.y + (Math.floor(cell / cols) + 0.5) * size };
}

export function residencyPanelSteps(ctx: StepContext): void {
	it('residency panel II: opened during a session, exact counts, hover details from the adapter, the change outline after a step', async () => {
		const page = ctx.page();
		await openFile(page, 'panel.hmmw');
		await runCommand(page, 'HMM: Debug Workload');
		await page.keyboard.press('Control+Shift+D');
		await page.getByText(/^paused on entry$/i).first().waitFor({ timeout: 30000 });
		for (const line of [4, 5, 6, 7, 8, 9, 10]) { await next(page, line); }

		// opened now, it shows this session at once: process p, the RAM pages of X, a device read's map
		await runCommand(page, 'HMM: Show Page Residency');
		const frame = residencyFrame(page);
		await frame.locator('#legend li[data-location="ram"][data-pages="16"]').waitFor({ timeout: 30000 });
		assert.match(await frame.locator('#process').innerText(), /^p \(pid \d+\)/);
		const before = await legend(frame);
		assert.equal(before.gpu, 0, `legend ${JSON.stringify(before)}`);
		// gauges: both devices, the policy=migrate one with its root chunks
		assert.match(await frame.locator('#gauges').innerText(), /gpu[\s\S]*uvm/);

		// hover the first page: what the panel knows at once, then the adapter's PTE and mappers
		const c0 = await cellCentre(frame, 0);
		await page.mouse.move(c0.x, c0.y);
		const tooltip = frame.locator('#tooltip');
		await frame.locator('#tooltip', { hasText: 'refcount' }).waitFor({ timeout: 15000 });
		const tip = await tooltip.innerText();
		assert.match(tip, /^page #[\d,]+ at 0x7eff[0-9a-f]+: ram$/m, tip);
		assert.match(tip, /^PTE \w+/m, tip);
		assert.match(tip, /mapped by gpu \([^)]*remote\)/, 'the device read maps it in place');
		await ctx.shot('12-panel-hover');

		// a step that migrates 4 pages: the legend's exact counts follow, the cells are outlined
		await page.mouse.move(5, 5);
		await next(page, 11);
		await frame.locator('.changed-count[data-pages="4"]').waitFor({ timeout: 15000 });
		const after = await legend(frame);
		assert.deepEqual([after.ram, after.gpu], [12, 4], `legend ${JSON.stringify(after)}`);
		assert.match(await frame.locator('.changed-count').innerText(), /4 pages changed location since the last stop/);
		await ctx.shot('13-panel-changed');
	});

	it('residency panel II: drag-to-zoom and back', async () => {
		const page = ctx.page();
		const frame = residencyFrame(page);
		const grid = frame.locator('#grid');
		const cells = Number(await grid.getAttribute('data-cells'));
		const range = await frame.locator('#range').innerText();
		assert.ok(cells >= 8, `${cells} cells`);
		const a = await cellCentre(frame, 0);
		const b = await cellCentre(frame, 3);
		await page.mouse.move(a.x, a.y);
		await page.mouse.down();
		await page.mouse.move(b.x, b.y, { steps: 4 });
		await page.mouse.up();
		// the adapter answers for the 4 pages dragged over
		await frame.locator('#grid[data-cells="4"]').waitFor({ timeout: 15000 });
		assert.notEqual(await frame.locator('#range').innerText(), range);
		assert.equal(await frame.locator('#back').isEnabled(), true);
		await ctx.shot('14-panel-zoomed');
		await frame.locator('#back').click();
		await frame.locator(`#grid[data-cells="${cells}"]`).waitFor({ timeout: 15000 });
		assert.equal(await frame.locator('#range').innerText(), range);
		assert.equal(await frame.locator('#forward').isEnabled(), true);
	});

	it('residency panel II: a timeline click moves the debugger to the event, inside the kernel', async () => {
		const page = ctx.page();
		const frame = residencyFrame(page);
		for (const line of [12, 13, 14, 15, 18]) { await next(page, line); }
		const timeline = frame.locator('#timeline');
		await frame.locator('#timeline-box:not([hidden])').waitFor({ timeout: 15000 });
		await frame.locator('#legend li[data-location="uvm"][data-pages="1024"]').waitFor({ timeout: 15000 });
		const lanes = (await timeline.getAttribute('data-lane-names'))!.split('|');
		const row = lanes.indexOf('fault-batch');
		assert.ok(row >= 0, `lanes ${lanes.join(', ')}`);
		const box = (await timeline.boundingBox())!;
		const nowBefore = Number(await timeline.getAttribute('data-now-x'));
		// the middle of the kernel's fault batches (they fill the run's later part; 38 ticks, each
		// hit within 6 px)
		const x = 150 + (box.width - 150) * 0.6;
		await page.mouse.click(box.x + x, box.y + row * 14 + 7);
		// the debugger stops at that batch, inside the kernel statement on line 15: the Event scope
		// names it (the Call Stack's header shows the stop's description when it has room for it)
		await page.locator('.debug-variables .monaco-list-row', { hasText: /kind\s*=\s*fault-batch/ }).first().waitFor({ timeout: 30000 });
		await page.locator('.debug-variables .monaco-list-row', { hasText: /pages\s*=\s*\d+$/ }).first().waitFor({ timeout: 15000 });
		await page.locator('.debug-call-stack .monaco-list-row', { hasText: /15:\d/ }).first().waitFor({ timeout: 15000 });
		await page.locator('.editor-instance .debug-top-stack-frame-line, .editor-instance .debug-focused-stack-frame-line').first().waitFor({ timeout: 15000 });
		// the panel shows the machine at that event: part of Y migrated, the stop marker moved back
		await frame.locator('#legend li[data-location="uvm"]:not([data-pages="1024"])').waitFor({ timeout: 15000 });
		const uvm = (await legend(frame)).uvm;
		assert.ok(uvm > 0 && uvm < 1024, `uvm pages at the event: ${uvm}`);
		const nowAt = Number(await timeline.getAttribute('data-now-x'));
		assert.ok(nowAt < nowBefore && Math.abs(nowAt - x) < 10, `stop marker at ${nowAt}, clicked at ${x}, was at ${nowBefore}`);
		// and the Event scope is that batch
		await consoleLine(page, 'event.kind');
		await page.waitForFunction(() => {
			const rows = [...document.querySelectorAll('.repl .monaco-list-row')].map((r: any) => r.innerText.trim());
			return rows[rows.length - 1] === '"fault-batch"';
		}, undefined, { timeout: 15000 });
		await ctx.shot('15-timeline-click');
	});

	it('residency panel II: the context menu\'s page watch stops the run at the write', async () => {
		const page = ctx.page();
		const frame = residencyFrame(page);
		// X's page 3, written by the script's last line: the last 16 cells of the whole span are X
		const cells = Number(await frame.locator('#grid').getAttribute('data-cells'));
		const c = await cellCentre(frame, cells - 16 + 3);
		await page.mouse.click(c.x, c.y, { button: 'right' });
		await frame.locator('#menu [data-action="watchWrite"]').click();
		// the adapter keeps it (VS Code 1.139's API cannot add a data breakpoint, docs/extension.md):
		// the panel lists it and outlines its cell
		await frame.locator('#watches .watch', { hasText: '#' }).first().waitFor({ timeout: 15000 });
		assert.match(await frame.locator('#watches .watch').first().innerText(), /write: 0x7effffff3000–0x7effffff3fff \(1 page\), 0 hits/);
		assert.equal(await frame.locator('#grid').getAttribute('data-watched'), '1');
		await ctx.shot('16-page-watch');
		await page.keyboard.press('F5');
		await page.locator('.debug-call-stack .monaco-list-row', { hasText: '19:1' }).first().waitFor({ timeout: 30000 });
		await page.getByText(/page watch on writes to .*: CPU write access to 1 page at 0x7effffff3000 of p$/).first().waitFor({ timeout: 15000 });
		await frame.locator('#watches .watch', { hasText: '1 hit' }).first().waitFor({ timeout: 15000 });
		// the Event scope (still expanded from the timeline step) is the access that hit the watch
		await page.locator('.debug-variables .monaco-list-row', { hasText: /kind\s*=\s*access/ }).first().waitFor({ timeout: 15000 });
		await ctx.shot('17-page-watch-stop');
		// back to before the write, and the watch removed from the panel's list
		await page.locator('.debug-toolbar .action-label[aria-label^="Step Back"]').first().click();
		// the Call Stack's header says why it paused: a step now, no longer the data breakpoint
		await page.getByText(/^Paused on step$/i).first().waitFor({ timeout: 30000 });
		await page.locator('.debug-call-stack .monaco-list-row', { hasText: '19:1' }).first().waitFor({ timeout: 30000 });
		await frame.locator('#watches .watch button').first().click();
		await frame.locator('#watches').waitFor({ state: 'hidden', timeout: 15000 });
	});

	it('residency panel II: the context menu\'s Reveal in Watch, then "Break on Value Change"', async () => {
		const page = ctx.page();
		const frame = residencyFrame(page);
		const cells = Number(await frame.locator('#grid').getAttribute('data-cells'));
		const c = await cellCentre(frame, cells - 16 + 3);
		await page.mouse.click(c.x, c.y, { button: 'right' });
		await frame.locator('#menu [data-action="reveal"]').click();
		// in Watch, VS Code's own menu item sets a data breakpoint through the adapter's dataBreakpointInfo
		const watch = page.locator('.debug-watch .monaco-list-row', { hasText: 'at(0x7effffff3000, 0x1000)' }).first();
		await watch.waitFor({ timeout: 15000 });
		await watch.click({ button: 'right' });
		// the workbench's own menu: focus the item with the mouse, take it with Enter
		const item = page.locator('.context-view .action-item', { hasText: 'Break on Value Change' }).first();
		await item.hover();
		await page.keyboard.press('Enter');
		await page.locator('.context-view .monaco-menu').waitFor({ state: 'detached', timeout: 15000 });
		await page.keyboard.press('F5');
		await page.locator('.debug-call-stack .monaco-list-row', { hasText: '19:1' }).first().waitFor({ timeout: 30000 });
		await page.getByText(/at\(0x7effffff3000, 0x1000\) .*: CPU write access to 1 page at 0x7effffff3000 of p$/).first().waitFor({ timeout: 15000 });
		await ctx.shot('18-data-breakpoint');
		await page.keyboard.press('Shift+F5');
		await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30000 });
	});
}
