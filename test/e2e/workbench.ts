// Driving code-server's workbench from the e2e tests: start the server with a profile, run
// commands, open files, reach the residency panel's webview, type into the Debug Console.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import type { FrameLocator, Page } from 'playwright-core';

export interface Profile { userDataDir: string; workspace: string; kind: 'vs' | 'vs-dark' }

export interface E2eEnv {
	node: string;
	codeServer: string;
	config: string;
	extensionsDir: string;
	xdg: string;
	themes: Record<'dark' | 'light', Profile>;
	debugAdapter: boolean;
}

/** Starts code-server on a free port; resolves with its URL once it listens. */
export function startCodeServer(env: E2eEnv, profile: Profile): Promise<{ proc: ChildProcess; url: string; log: string[] }> {
	const log: string[] = [];
	const proc = spawn(env.node, [env.codeServer, '--config', env.config, '--user-data-dir', profile.userDataDir,
		'--extensions-dir', env.extensionsDir, '--auth', 'none', '--bind-addr', '127.0.0.1:0', '--disable-telemetry',
		'--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override', profile.workspace], {
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

/** F1, type the command's title, pick the matching row. `opensInput`: the command asks for
 * something in a quick input of its own (a save dialog), so the palette does not close. */
export async function runCommand(page: Page, title: string, opensInput = false): Promise<void> {
	const input = page.locator('.quick-input-widget input');
	const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
	// the palette lists an extension's commands once its host has registered them: on a cold
	// workbench, close the palette and ask again
	for (let attempt = 1; ; attempt++) {
		await page.keyboard.press('F1');
		await input.waitFor({ state: 'visible' });
		await input.fill(`>${title}`);
		try {
			await row.waitFor({ state: 'visible', timeout: 15000 });
			break;
		} catch (e) {
			if (attempt === 3) { throw e; }
			await page.keyboard.press('Escape');
		}
	}
	await input.press('Enter');
	if (opensInput) { return; }
	await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
}

/** Opens a workspace file from the Explorer (Quick Open races its own history list) and waits
 * for its editor. */
export async function openFile(page: Page, name: string): Promise<void> {
	await page.keyboard.press('Control+Shift+E');
	await page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first().click();
	await page.locator('.tab.active', { hasText: name }).first().waitFor({ timeout: 15000 });
	await page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor();
}

export function residencyFrame(page: Page): FrameLocator {
	return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

/** A VS Code dialog (the launch.json modal is one) must not be up. */
export async function assertNoDialog(page: Page, when: string): Promise<void> {
	assert.equal(await page.locator('.monaco-dialog-box').count(), 0, `a dialog is open ${when}: ${await page.locator('.monaco-dialog-box').allInnerTexts()}`);
}

/** Brings the Debug Console up in the panel (its shortcut toggles it, so the tab is clicked). */
export async function showConsole(page: Page): Promise<void> {
	await page.getByRole('tab', { name: /^Debug Console/ }).first().click();
	await page.locator('.repl-input-wrapper').first().waitFor({ timeout: 15000 });
}

/** Types a line into the Debug Console and runs it. */
export async function consoleLine(page: Page, text: string): Promise<void> {
	await showConsole(page);
	const input = page.locator('.repl-input-wrapper .monaco-editor').first();
	await input.waitFor({ timeout: 15000 });
	await input.click();
	await page.keyboard.type(text);
	// the console's completion list would take the Enter
	await page.keyboard.press('Escape');
	await page.keyboard.press('Enter');
}
