// End-to-end: the packaged extension in a real VS Code workbench (code-server) driven through
// Debian's Chromium. Run with `npm run e2e`, which first runs scripts/e2e-setup.sh (installs
// code-server into .e2e/, packages and installs the .vsix, writes .e2e/env.json with one fresh
// profile and workspace per colour theme). Everything runs once in the dark theme and once in the
// light one; screenshots of each step go to test-results/e2e-<theme>/.

import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { compileSource } from '../../src/lang/frontend';
import { STATEMENTS } from '../../src/lang/vocabulary';
import { CHROMIUM, CHROMIUM_ARGS } from '../webview/harness';
import { residencyPanelSteps } from './panelSteps';
import { threadSteps } from './threadSteps';
import { assertNoDialog, consoleLine, type E2eEnv, openFile, type Profile, residencyFrame, runCommand, showConsole, startCodeServer } from './workbench';

// Browser globals for page.evaluate callbacks (the Node test program has no DOM lib).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any, getComputedStyle: any;

const root = process.cwd();
const e2eDir = process.env.E2E_DIR ?? path.join(root, '.e2e');
const results = path.join(root, 'test-results');

// E2E_THEMES=dark runs one theme only (while working on the test); CI runs both
const themes = (process.env.E2E_THEMES ?? 'dark,light').split(',') as ('dark' | 'light')[];
for (const theme of themes) {
	describe(`extension in code-server (e2e, ${theme} theme)`, function () {
		let env: E2eEnv;
		let profile: Profile;
		let server: { proc: ChildProcess; url: string; log: string[] } | undefined;
		let browser: Browser | undefined;
		let page: Page;
		const shots = path.join(results, `e2e-${theme}`);
		const shot = async (name: string): Promise<void> => {
			mkdirSync(shots, { recursive: true });
			await page.screenshot({ path: path.join(shots, `${name}.png`) });
		};

		before(async function () {
			assert.equal(process.env.HMM_E2E, '1', 'end-to-end tests run with `npm run e2e` (sets HMM_E2E=1 after scripts/e2e-setup.sh)');
			rmSync(shots, { recursive: true, force: true });
			const envFile = path.join(e2eDir, 'env.json');
			assert.ok(existsSync(envFile), `${envFile} is missing: run scripts/e2e-setup.sh`);
			assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
			env = JSON.parse(readFileSync(envFile, 'utf8')) as E2eEnv;
			profile = env.themes[theme];
			server = await startCodeServer(env, profile);
			const { chromium } = await import('playwright-core');
			browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
			page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
			await page.goto(server.url);
			await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
			// The explorer must show the workspace before Quick Open can find its files.
			await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'good.hmmw' }).waitFor({ timeout: 60000 });
		});

		afterEach(async function () {
			if (this.currentTest?.state === 'failed' && browser !== undefined) {
				await shot(`failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 40)}`);
			}
		});

		after(async () => {
			await browser?.close();
			if (server?.proc.pid !== undefined && server.proc.exitCode === null) {
				try {
					process.kill(-server.proc.pid, 'SIGTERM');
				} catch {
					// already gone
				}
			}
		});

		it(`runs in the ${theme} colour theme`, async () => {
			// the workbench's theme class: vs (light) or vs-dark, from workbench.colorTheme
			await page.locator(`.monaco-workbench.${profile.kind}`).waitFor({ timeout: 15000 });
		});

		it('opens a .hmmw file as HMM Workload with syntax highlighting', async () => {
			await openFile(page, 'good.hmmw');
			// The language mode in the status bar comes from contributes.languages.
			await page.locator('.statusbar-item', { hasText: 'HMM Workload' }).first().waitFor({ timeout: 15000 });
			// Tokens: the grammar splits lines into differently-scoped spans (mtkN classes).
			await page.waitForFunction(() => {
				const classes = new Set<string>();
				document.querySelectorAll('.editor-instance .view-lines span[class^="mtk"]').forEach((s: any) => classes.add(s.className));
				return classes.size >= 4;
			}, undefined, { timeout: 20000 });
			const colors = await page.evaluate(() => {
				const out: Record<string, string> = {};
				document.querySelectorAll('.editor-instance .view-lines span[class^="mtk"]').forEach((s: any) => {
					// The editor renders spaces as U+00A0.
					out[s.textContent.replace(/\u00a0/g, ' ').trim()] ??= getComputedStyle(s).color;
				});
				return out;
			});
			const comment = Object.entries(colors).find(([t]) => t.startsWith('# A small workload'));
			assert.ok(comment !== undefined, `no comment token in ${JSON.stringify(colors)}`);
			assert.notEqual(comment[1], colors.NPAGES, 'comments and names should be colored differently');
			assert.notEqual(colors.device, colors.gpu, 'keywords and names should be colored differently');
			await shot('1-highlighting');
		});

		it('activates and reports front-end errors in the Problems panel', async () => {
			await openFile(page, 'bad.hmmw');
			const source = readFileSync(path.join(profile.workspace, 'bad.hmmw'), 'utf8');
			const [expected] = compileSource(source, 'bad.hmmw').diagnostics;
			assert.ok(expected !== undefined, 'bad.hmmw should have an error');
			await page.locator('.editor-instance .squiggly-error').first().waitFor({ timeout: 30000 });
			await page.keyboard.press('Control+Shift+M');
			const row = page.locator('.markers-panel .monaco-list-row', { hasText: expected.message }).first();
			await row.waitFor({ timeout: 15000 });
			assert.match(await row.innerText(), new RegExp(`\\[Ln ${expected.line}, Col ${expected.col}\\]`));
			await shot('2-problems');
		});

		it('the language server completes statements and explains a keyword on hover', async () => {
			await openFile(page, 'good.hmmw');
			const editor = page.locator('.editor-instance .monaco-editor').first();
			// hover: the statement keyword at the head of a line gets its syntax and doc
			const migrate = STATEMENTS.migrate;
			const keyword = editor.locator('.view-line span span', { hasText: /^migrate$/ }).first();
			await keyword.hover();
			const hover = page.locator('.monaco-hover-content', { hasText: migrate.doc.slice(0, 30) }).first();
			await hover.waitFor({ timeout: 20000 });
			assert.match(await hover.innerText(), new RegExp(migrate.syntax.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
			await shot('3-hover');
			await page.mouse.move(5, 5);
			// completion: at the start of a new last line, `mig` offers the statement
			await editor.locator('.view-lines').click();
			await page.keyboard.press('Control+End');
			await page.keyboard.press('Enter');
			await page.keyboard.type('mig');
			await page.keyboard.press('Control+Space');
			const item = page.locator('.suggest-widget .monaco-list-row', { hasText: 'migrate' }).first();
			await item.waitFor({ timeout: 20000 });
			await shot('4-completion');
			await page.keyboard.press('Escape');
			// undo back to the saved text (the debug command would save an edited script)
			const edited = async (): Promise<boolean> => /\n\s*mig\s*$/.test(await editor.locator('.view-lines').innerText());
			for (let i = 0; i < 10 && await edited(); i++) {
				await page.keyboard.press('Control+z');
				await page.waitForTimeout(200);
			}
			assert.equal(await edited(), false, 'good.hmmw is back to its saved text');
		});

		it('debugs a workload: stops on entry, runs a console statement, shows page residency, toggles hex', async function () {
			assert.ok(env.debugAdapter, 'dist/debugAdapter.js was not built (npm run build)');
			await openFile(page, 'good.hmmw');
			await runCommand(page, 'HMM: Debug Workload');
			await page.locator('.debug-toolbar').waitFor({ timeout: 30000 });
			// The Run and Debug view (call stack, variables) does not open by itself in every layout.
			await page.keyboard.press('Control+Shift+D');
			// The thread state is shown in the Call Stack pane's header.
			await page.getByText(/^paused on entry$/i).first().waitFor({ timeout: 30000 });
			await page.locator('.editor-instance .debug-top-stack-frame-line').first().waitFor({ timeout: 15000 });
			await shot('5-stopped-on-entry');

			// Step to the `migrate` line: by then the process exists and its buffer is in RAM. Each step
			// is awaited by the line the call stack shows.
			for (const line of [4, 5, 6, 8, 9, 10]) {
				await page.keyboard.press('F10');
				await page.locator('.debug-call-stack .monaco-list-row', { hasText: `${line}:1` }).first().waitFor({ timeout: 30000 });
			}
			await page.getByText(/^paused on step$/i).first().waitFor({ timeout: 30000 });

			// A statement in the Debug Console runs on the machine at this stop; its effect shows.
			await consoleLine(page, 'migrate pages(X, 200, 8) -> gpu');
			await page.locator('.repl .monaco-list-row', { hasText: '▶ migrate pages(X, 200, 8) -> gpu' }).first().waitFor({ timeout: 15000 });
			await page.locator('.repl .monaco-list-row', { hasText: /ran at step \d+/ }).first().waitFor({ timeout: 15000 });
			await consoleLine(page, 'count(X, gpu) == 8 and where(page(X, 200)) == "gpu"');
			await page.waitForFunction(() => {
				const rows = [...document.querySelectorAll('.repl .monaco-list-row')].map((r: any) => r.innerText.trim());
				return rows[rows.length - 1] === 'true';
			}, undefined, { timeout: 15000 });
			await shot('6-console-statement');

			await runCommand(page, 'HMM: Show Page Residency');
			const frame = residencyFrame(page);
			await frame.locator('#legend li').first().waitFor({ timeout: 30000 });
			const legend = await frame.locator('#legend li .label').allInnerTexts();
			assert.ok(legend.includes('ram') && legend.includes('gpu'), `legend ${JSON.stringify(legend)}`);
			assert.ok(Number(await frame.locator('#grid').getAttribute('data-cells')) > 0, 'the grid has cells');
			assert.match(await frame.locator('#process').innerText(), /^p \(pid \d+\)/);
			await shot('7-residency');

			// Flip number formatting in the Variables view (NPAGES = 256 is a local by now).
			const locals = page.locator('.debug-variables .monaco-list-row', { hasText: 'Locals' }).first();
			if ((await locals.getAttribute('aria-expanded')) === 'false') {
				await locals.click();
			}
			const variables = page.locator('.debug-variables .monaco-list-rows');
			await variables.getByText(/\d/).first().waitFor({ timeout: 15000 });
			const before = await variables.innerText();
			await runCommand(page, 'HMM: Toggle Hex');
			await page.waitForFunction(b => {
				const el = document.querySelector('.debug-variables .monaco-list-rows');
				return el !== null && el.innerText !== b && /0x[0-9a-f]+/i.test(el.innerText);
			}, before, { timeout: 15000 });
			await shot('8-hex');

			await page.keyboard.press('Shift+F5');
			await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30000 });
			await frame.locator('#status', { hasText: 'session ended' }).waitFor({ timeout: 15000 });
		});

		it('a second session: steps into a kernel, stops on a fault batch with the kernel stack, no error tab; the panel shows its process', async () => {
			await openFile(page, 'second.hmmw');
			await runCommand(page, 'HMM: Debug Workload');
			await page.keyboard.press('Control+Shift+D');
			await page.getByText(/^paused on entry$/i).first().waitFor({ timeout: 30000 });
			// step to the kernel line, then into the kernel: the launch, then its access as warp 0
			// issues it, with a warp frame on the body statement
			for (const line of [4, 5, 6, 7]) {
				await page.keyboard.press('F10');
				await page.locator('.debug-call-stack .monaco-list-row', { hasText: `${line}:1` }).first().waitFor({ timeout: 30000 });
			}
			await page.keyboard.press('F11');
			// the stop's description heads the Call Stack
			await page.getByText(/^call kernel touch\(/).first().waitFor({ timeout: 30000 });
			await page.keyboard.press('F11');
			const warp = page.locator('.debug-call-stack .monaco-list-row', { hasText: 'warp 0 · SM 0: read Y' }).first();
			await warp.waitFor({ timeout: 30000 });
			assert.match(await warp.innerText(), /7:22/);
			await page.getByText(/warp 0 on SM 0 issues read access to 256 pages/).first().waitFor({ timeout: 15000 });
			await shot('9-kernel-access');
			// "break on" the driver's fault batches, from the Breakpoints view
			const filter = page.locator('.debug-breakpoints .monaco-list-row', { hasText: 'Device fault batch' }).first();
			await filter.waitFor({ timeout: 15000 });
			// VS Code draws its own checkbox (role="checkbox"), older ones an <input>
			const box = filter.locator('input[type="checkbox"], [role="checkbox"]').first();
			await box.click();
			await filter.locator('input:checked, [role="checkbox"][aria-checked="true"]').first().waitFor({ timeout: 15000 });
			await page.keyboard.press('F5');
			// the exception widget names the filter and lists the kernel stack
			const widget = page.locator('.exception-widget', { hasText: 'fault-batch' }).first();
			await widget.waitFor({ timeout: 30000 });
			assert.match(await widget.innerText(), /uvm_parent_gpu_service_replayable_faults\(0x[0-9a-f]+, \d+ pages?, gpu, mm=q\)\s+kernel touch\(/);
			// the Call Stack folds the dimmed kernel frames above the script line until asked
			const frames = page.locator('.debug-call-stack .monaco-list-row');
			await frames.filter({ hasText: /Show \d+ More Stack Frames/i }).first().click();
			await frames.filter({ hasText: 'uvm_parent_gpu_service_replayable_faults' }).first().waitFor({ timeout: 15000 });
			await frames.filter({ hasText: 'kernel touch' }).first().waitFor({ timeout: 15000 });
			// the script stays in view: no tab for a simulated kernel frame, no "could not load" error
			await page.locator('.editor-instance .debug-top-stack-frame-line, .editor-instance .debug-focused-stack-frame-line').first().waitFor({ timeout: 15000 });
			const active = await page.locator('.tab.active').allInnerTexts();
			assert.ok(active.some(t => t.replace(/\s+/g, '').includes('second.hmmw')), `active tabs: ${active.join(' | ')}`);
			const tabs = (await page.locator('.tabs-container .tab').allInnerTexts()).join(' | ');
			assert.doesNotMatch(tabs, /simulated kernel|uvm_|Could not load/i, tabs);
			assert.equal(await page.getByText(/could not load source/i).count(), 0);
			// the residency panel, still open, follows the new session: its process is q
			const frame = residencyFrame(page);
			await frame.locator('#process option', { hasText: /^q \(pid/ }).first().waitFor({ state: 'attached', timeout: 30000 });
			assert.doesNotMatch(await frame.locator('#process').innerText(), /^p \(pid/m);
			await shot('10-fault-batch-stop');
			// leave the filter off for the next run, and let this one finish
			await box.click();
			await filter.locator('input:checked, [role="checkbox"][aria-checked="true"]').first().waitFor({ state: 'detached', timeout: 15000 });
			await page.keyboard.press('F5');
			await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30000 });
			await page.locator('.repl .monaco-list-row', { hasText: /1 expectations held, 0 failed/ }).first().waitFor({ timeout: 15000 });
		});

		it('a launch of a script with an error: Problems and the Debug Console, no launch.json modal', async () => {
			const source = readFileSync(path.join(profile.workspace, 'launch-error.hmmw'), 'utf8');
			const [expected] = compileSource(source, 'launch-error.hmmw').diagnostics;
			assert.ok(expected !== undefined, 'launch-error.hmmw should have an error');
			// launched from launch.json with no editor on it
			await runCommand(page, 'View: Close All Editors');
			await page.keyboard.press('F1');
			await page.locator('.quick-input-widget input').fill('>Debug: Select and Start Debugging');
			await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Debug: Select and Start Debugging' }).first().click();
			await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Launch the broken script' }).first().click();
			// the extension opens the script at the error and reveals Problems
			await page.locator('.tab.active', { hasText: 'launch-error.hmmw' }).first().waitFor({ timeout: 30000 });
			const row = page.locator('.markers-panel .monaco-list-row', { hasText: expected.message }).filter({ hasText: `[Ln ${expected.line}, Col ${expected.col}]` }).first();
			await row.waitFor({ timeout: 30000 });
			// the Debug Console has it located, linked to the script
			await showConsole(page);
			const line = page.locator('.repl .monaco-list-row', { hasText: `launch-error.hmmw:${expected.line}:${expected.col}: ${expected.message}` }).first();
			await line.waitFor({ timeout: 15000 });
			await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30000 });
			// a modal would have come with the failed launch; give it the time it would take
			await page.waitForTimeout(1000);
			await assertNoDialog(page, 'after a launch with a script error');
			await shot('11-launch-error');
		});

		// the residency panel's second part, step by step (panelSteps.ts)
		residencyPanelSteps({ page: () => page, shot });

		// script threads: the Call Stack per thread, Switch Thread Here, Save Schedule and its replay (threadSteps.ts)
		threadSteps({ page: () => page, shot, workspace: () => profile.workspace });
	});
}
