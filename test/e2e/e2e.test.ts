// End-to-end: the packaged extension in a real VS Code workbench (code-server) driven through
// Debian's Chromium. Run with `npm run e2e`, which first runs scripts/e2e-setup.sh (installs
// code-server into .e2e/, packages and installs the .vsix, writes .e2e/env.json).
// Screenshots of each step go to out/screenshots/e2e-*.png.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { compileSource } from '../../src/lang/frontend';
import { CHROMIUM, CHROMIUM_ARGS } from '../webview/harness';

// Browser globals for page.evaluate callbacks (the Node test program has no DOM lib).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any, getComputedStyle: any;

const root = process.cwd();
const e2eDir = process.env.E2E_DIR ?? path.join(root, '.e2e');
const shots = path.join(root, 'out/screenshots');

interface E2eEnv {
	node: string;
	codeServer: string;
	config: string;
	userDataDir: string;
	extensionsDir: string;
	xdg: string;
	workspace: string;
	debugAdapter: boolean;
}

/** Starts code-server on a free port; resolves with its URL once it listens. */
function startCodeServer(env: E2eEnv): Promise<{ proc: ChildProcess; url: string; log: string[] }> {
	const log: string[] = [];
	const proc = spawn(env.node, [env.codeServer, '--config', env.config, '--user-data-dir', env.userDataDir,
		'--extensions-dir', env.extensionsDir, '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry',
		'--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', env.workspace], {
		// Own process group: code-server's children outlive a plain kill.
		detached: true,
		stdio: ['ignore', 'pipe', 'pipe'],
		env: { ...process.env, XDG_CONFIG_HOME: `${env.xdg}/config`, XDG_DATA_HOME: `${env.xdg}/data`, XDG_CACHE_HOME: `${env.xdg}/cache` },
	});
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error(`code-server did not start:\n${log.join('')}`)), 60000);
		const onData = (chunk: Buffer): void => {
			log.push(chunk.toString());
			const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log.join(''));
			if (m !== null) {
				clearTimeout(timer);
				resolve({ proc, url: `${m[1]}/`, log });
			}
		};
		proc.stdout!.on('data', onData);
		proc.stderr!.on('data', onData);
		proc.on('exit', code => reject(new Error(`code-server exited (${code}):\n${log.join('')}`)));
	});
}

async function shot(page: Page, name: string): Promise<void> {
	mkdirSync(shots, { recursive: true });
	await page.screenshot({ path: path.join(shots, `e2e-${name}.png`) });
}

/** F1, type the command's title, pick the matching row. */
async function runCommand(page: Page, title: string): Promise<void> {
	await page.keyboard.press('F1');
	const input = page.locator('.quick-input-widget input');
	await input.waitFor({ state: 'visible' });
	await input.fill(`>${title}`);
	const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
	await row.waitFor({ state: 'visible', timeout: 15000 });
	await input.press('Enter');
	await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** Opens a workspace file from the Explorer (Quick Open races its own history list) and waits
 * for its editor. */
async function openFile(page: Page, name: string): Promise<void> {
	await page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first().click();
	await page.locator('.tab.active', { hasText: name }).first().waitFor({ timeout: 15000 });
	await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor();
}

function residencyFrame(page: Page): FrameLocator {
	return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

describe('extension in code-server (e2e)', function () {
	let env: E2eEnv;
	let server: { proc: ChildProcess; url: string; log: string[] } | undefined;
	let browser: Browser | undefined;
	let page: Page;

	before(async function () {
		assert.equal(process.env.HMM_E2E, '1', 'end-to-end tests run with `npm run e2e` (sets HMM_E2E=1 after scripts/e2e-setup.sh)');
		for (const f of existsSync(shots) ? readdirSync(shots) : []) {
			if (f.startsWith('e2e-')) {
				rmSync(path.join(shots, f));
			}
		}
		const envFile = path.join(e2eDir, 'env.json');
		assert.ok(existsSync(envFile), `${envFile} is missing: run scripts/e2e-setup.sh`);
		assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`);
		env = JSON.parse(readFileSync(envFile, 'utf8')) as E2eEnv;
		server = await startCodeServer(env);
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
			await shot(page, `failed-${this.currentTest.title.replace(/\W+/g, '-').slice(0, 40)}`);
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
		await shot(page, '1-highlighting');
	});

	it('activates and reports front-end errors in the Problems panel', async () => {
		await openFile(page, 'bad.hmmw');
		const source = readFileSync(path.join(env.workspace, 'bad.hmmw'), 'utf8');
		const [expected] = compileSource(source, 'bad.hmmw').diagnostics;
		assert.ok(expected !== undefined, 'bad.hmmw should have an error');
		await page.locator('.editor-instance .squiggly-error').first().waitFor({ timeout: 30000 });
		await page.keyboard.press('Control+Shift+M');
		const row = page.locator('.markers-panel .monaco-list-row', { hasText: expected.message }).first();
		await row.waitFor({ timeout: 15000 });
		assert.match(await row.innerText(), new RegExp(`\\[Ln ${expected.line}, Col ${expected.col}\\]`));
		await shot(page, '2-problems');
	});

	it('debugs a workload: stops on entry, shows page residency, toggles hex', async function () {
		assert.ok(env.debugAdapter, 'dist/debugAdapter.js was not built (npm run build)');
		await openFile(page, 'good.hmmw');
		await runCommand(page, 'HMM: Debug Workload');
		await page.locator('.debug-toolbar').waitFor({ timeout: 30000 });
		// The Run and Debug view (call stack, variables) does not open by itself in every layout.
		await page.keyboard.press('Control+Shift+D');
		// The thread state is shown in the Call Stack pane's header.
		await page.getByText(/^paused on entry$/i).first().waitFor({ timeout: 30000 });
		await page.locator('.editor-instance .debug-top-stack-frame-line').first().waitFor({ timeout: 15000 });
		await shot(page, '3-stopped-on-entry');

		// Step to the `migrate` line: by then the process exists and its buffer is in RAM. Each step
		// is awaited by the line the call stack shows.
		for (const line of [4, 5, 6, 8, 9, 10]) {
			await page.keyboard.press('F10');
			await page.locator('.debug-call-stack .monaco-list-row', { hasText: `${line}:1` }).first().waitFor({ timeout: 30000 });
		}
		await page.getByText(/^paused on step$/i).first().waitFor({ timeout: 30000 });

		await runCommand(page, 'HMM: Show Page Residency');
		const frame = residencyFrame(page);
		await frame.locator('#legend li').first().waitFor({ timeout: 30000 });
		const legend = await frame.locator('#legend li .label').allInnerTexts();
		assert.ok(legend.includes('ram') && legend.includes('none'), `legend ${JSON.stringify(legend)}`);
		assert.ok(Number(await frame.locator('#grid').getAttribute('data-cells')) > 0, 'the grid has cells');
		assert.ok((await frame.locator('#process option').count()) >= 1, 'the process picker lists processes');
		// A click on a VMA band zooms to it: the extension re-asks the adapter with start/end.
		await frame.locator('#bands .band').first().click();
		await frame.locator('#reset:not([disabled])').waitFor({ timeout: 15000 });
		await shot(page, '4-residency');

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
		await shot(page, '5-hex');

		await page.keyboard.press('Shift+F5');
		await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30000 });
		await frame.locator('#status', { hasText: 'session ended' }).waitFor({ timeout: 15000 });
		await shot(page, '6-ended');
	});
});
