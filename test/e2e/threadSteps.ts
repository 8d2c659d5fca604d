// Script threads in the real workbench (issue 15 item 4), on threads.hmmw: the Call Stack lists
// main, writer and reader with their own stacks (kernel frames over the script line); "HMM: Switch
// Thread Here" from a thread's context menu hand-picks the next switch point; Step Over of one
// thread over a statement without a switch point leaves the others where they are; "HMM: Save
// Schedule" writes the session's picks, and a launch with `schedule` replays them to the same
// stops. Registered inside e2e.test.ts's describe (one code-server per theme).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { openFile, runCommand, showConsole } from './workbench';

/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;

export interface ThreadStepContext { page(): Page; shot(name: string): Promise<void>; workspace(): string }

// lines of test/e2e/fixtures/threads.hmmw
const MUNMAP = 11, WRITER_2 = 12, WRITER_3 = 13, GPU_READ = 16, CPU_READ = 19, JOIN_WRITER = 20;
const SCHEDULE = 'threads.schedule.json';

/** The Call Stack as it is drawn: each thread's rows under it ("name line:col" per frame). */
async function callStack(page: Page): Promise<Record<string, string[]>> {
	return page.evaluate(() => {
		const out: Record<string, string[]> = {};
		let cur: string[] | undefined;
		for (const row of document.querySelectorAll('.debug-call-stack .monaco-list-row')) {
			const thread = row.querySelector('.thread .name');
			if (thread !== null) {
				cur = out[thread.textContent.trim()] = [];
				continue;
			}
			cur?.push(row.innerText.replace(/\s+/g, ' ').trim());
		}
		return out;
	});
}

const threadRow = (page: Page, name: string) => page.locator('.debug-call-stack .monaco-list-row', { has: page.locator('.thread .name', { hasText: new RegExp(`^${name}$`) }) }).first();

/** Expands a thread in the Call Stack (its stack is fetched then) and unfolds the dimmed kernel
 * frames VS Code groups under "Show N More Stack Frames". */
async function expandAll(page: Page, names: string[]): Promise<void> {
	for (const name of names) {
		const row = threadRow(page, name);
		if ((await row.getAttribute('aria-expanded')) === 'false') { await row.locator('.monaco-tl-twistie').click(); }
		await page.waitForFunction(n => {
			const rows = [...document.querySelectorAll('.debug-call-stack .monaco-list-row')];
			const i = rows.findIndex((r: any) => r.querySelector('.thread .name')?.textContent.trim() === n);
			return i >= 0 && rows[i + 1] !== undefined && rows[i + 1].querySelector('.thread') === null;
		}, name, { timeout: 15000 });
	}
	const more = page.locator('.debug-call-stack .monaco-list-row', { hasText: /Show \d+ More Stack Frames?/i });
	for (let i = 0; i < 10 && await more.count() > 0; i++) { await more.first().click(); }
}

/** The frames of one thread, once its script frame (the bottom row) is at `line`. */
async function framesAt(page: Page, thread: string, line: number): Promise<string[]> {
	// polled: the thread's rows are redrawn (and its stack refetched) after each stop
	for (const deadline = Date.now() + 30000; Date.now() < deadline; await page.waitForTimeout(100)) {
		await expandAll(page, [thread]);
		const frames = (await callStack(page))[thread] ?? [];
		if (new RegExp(` ${line}:\\d+$`).test(frames.at(-1) ?? '')) { return frames; }
	}
	assert.fail(`thread ${thread} never showed line ${line}: ${JSON.stringify(await callStack(page))}`);
}

/** Expands or collapses panes of Run and Debug by title. The Call Stack draws only the rows in
 * view, and three threads with kernel frames need the height; so does the Breakpoints list (its
 * exception filters come first) for the input of a new function breakpoint. */
async function panes(page: Page, open: Record<string, boolean>): Promise<void> {
	for (const [title, expanded] of Object.entries(open)) {
		const header = page.locator('.pane-header', { has: page.locator('h3.title', { hasText: new RegExp(`^${title}$`, 'i') }) }).first();
		if ((await header.getAttribute('aria-expanded')) !== String(expanded)) { await header.click(); }
		await page.locator(`.pane-header[aria-expanded="${expanded}"]`, { has: page.locator('h3.title', { hasText: new RegExp(`^${title}$`, 'i') }) }).first().waitFor({ timeout: 15000 });
	}
}

/** The Variables view shows the script's `n` (the threads' shared counter) with this value. */
async function counterIs(page: Page, value: number): Promise<void> {
	await page.waitForFunction(v => [...document.querySelectorAll('.debug-variables .monaco-list-row')]
		.some((r: any) => r.innerText.replace(/\s+/g, '') === `n=${v}`), value, { timeout: 15000 });
}

/** Focuses a thread (its row), so that the toolbar's steps act on it. */
async function focusThread(page: Page, name: string): Promise<void> {
	await threadRow(page, name).locator('.thread').click();
	await page.locator('.debug-call-stack .monaco-list-row.focused .thread .name', { hasText: new RegExp(`^${name}$`) }).waitFor({ timeout: 15000 });
}

/** To the writer's stop in munmap (invalidate_range_start), where both threads are inside the kernel. */
async function toWriterInMunmap(page: Page): Promise<Record<string, string[]>> {
	await page.keyboard.press('F5');
	// the thread's state in the Call Stack is the stop's description: the function
	await threadRow(page, 'writer').locator('.state', { hasText: /invalidate_range_start/i }).waitFor({ timeout: 30000 });
	await expandAll(page, ['main', 'writer', 'reader']);
	const writer = await framesAt(page, 'writer', MUNMAP);
	assert.match(writer[0], /^invalidate_range_start\(/, writer.join(' <- '));
	const reader = await framesAt(page, 'reader', GPU_READ);
	const main = await framesAt(page, 'main', JOIN_WRITER);
	return { main, writer, reader };
}

export function threadSteps(ctx: ThreadStepContext): void {
	it('threads: each its own stack in the Call Stack; Switch Thread Here picks the next switch point; a step of one thread holds the others', async () => {
		const page = ctx.page();
		// a clean layout: no residency panel or earlier tabs (the Call Stack needs the width too)
		await runCommand(page, 'View: Close All Editors');
		await openFile(page, 'threads.hmmw');
		await page.keyboard.press('Control+Shift+D');
		// earlier steps' breakpoints (a data breakpoint on an address of this script too) go first
		await runCommand(page, 'Remove All Breakpoints');
		await panes(page, { Variables: false, Watch: false, 'Call Stack': false, Breakpoints: true });
		// a function breakpoint where the writer's munmap invalidates (mmap_lock held for writing)
		await runCommand(page, 'Add Function Breakpoint');
		const input = page.locator('.debug-breakpoints .monaco-inputbox input').first();
		await input.waitFor({ timeout: 15000 });
		await input.fill('invalidate_range_start');
		await input.press('Enter');
		await page.locator('.debug-breakpoints .monaco-list-row', { hasText: 'invalidate_range_start' }).first().waitFor({ timeout: 15000 });
		// and a line breakpoint on main's `cpu read a`, where both threads have started
		await page.locator('.editor-instance .view-lines').first().click();
		await page.keyboard.press('Control+g');
		await page.keyboard.type(String(CPU_READ));
		await page.keyboard.press('Enter');
		await runCommand(page, 'Debug: Toggle Breakpoint');
		await page.locator('.editor-instance [class*="codicon-debug-breakpoint"]').first().waitFor({ timeout: 15000 });
		await panes(page, { Variables: true, 'Call Stack': true, Breakpoints: false });

		await runCommand(page, 'HMM: Debug Workload');
		await page.getByText(/^paused on entry$/i).first().waitFor({ timeout: 30000 });
		await page.keyboard.press('F5');
		await page.getByText(/^Paused on breakpoint$/i).first().waitFor({ timeout: 30000 });
		// main at the breakpoint; the threads are listed, each before its first statement
		await framesAt(page, 'main', CPU_READ);
		await expandAll(page, ['writer', 'reader']);
		assert.equal((await framesAt(page, 'writer', MUNMAP)).length, 1);
		assert.equal((await framesAt(page, 'reader', GPU_READ)).length, 1);

		// Switch Thread Here on the reader (round robin would run the writer next)
		await threadRow(page, 'reader').click({ button: 'right' });
		const item = page.locator('.context-view .action-item', { hasText: 'Switch Thread Here' }).first();
		await item.hover();
		await page.keyboard.press('Enter');
		await page.locator('.context-view .monaco-menu').waitFor({ state: 'detached', timeout: 15000 });
		await showConsole(page);
		await page.locator('.repl .monaco-list-row', { hasText: 'the next switch point runs \'reader\'' }).first().waitFor({ timeout: 15000 });
		await ctx.shot('19-switch-thread');

		// the reader ran first: by the writer's munmap it is past dmirror_read, inside the fault path
		// (without the pick it is still entering dmirror_read there)
		const stacks = await toWriterInMunmap(page);
		assert.ok(stacks.reader.length >= 3 && /^dmirror_fault\(/.test(stacks.reader.at(-3)!) && /^dmirror_read\(/.test(stacks.reader.at(-2)!), stacks.reader.join(' <- '));
		assert.match(stacks.main[0], /join writer \(waits for writer\)/);
		await ctx.shot('20-threads-call-stack');

		// Step Over of the writer: munmap ends (the others ran meanwhile: the reader waits for mmap_lock)
		await focusThread(page, 'writer');
		await page.keyboard.press('F10');
		await framesAt(page, 'writer', WRITER_2);
		const reader = await framesAt(page, 'reader', GPU_READ);
		assert.match(reader[0], /^mmap_read_lock\(/, reader.join(' <- '));
		// and over `n = n + 1`, which has no switch point: the reader and main stay where they were
		await focusThread(page, 'writer');
		await page.keyboard.press('F10');
		await framesAt(page, 'writer', WRITER_3);
		assert.deepEqual(await framesAt(page, 'reader', GPU_READ), reader);
		assert.deepEqual(await framesAt(page, 'main', JOIN_WRITER), stacks.main);
		await counterIs(page, 1);
		await ctx.shot('21-thread-step');
	});

	it('threads: Save Schedule writes the picks; a launch with that schedule stops at the same places', async () => {
		const page = ctx.page();
		const target = path.join(ctx.workspace(), SCHEDULE);
		await runCommand(page, 'HMM: Save Schedule', true);
		// the workbench's own save dialog (a quick input in code-server), at the script's folder
		const input = page.locator('.quick-input-widget input');
		await input.waitFor({ state: 'visible', timeout: 15000 });
		await page.waitForFunction(() => /threads\.schedule\.json$/.test(document.querySelector('.quick-input-widget input')?.value ?? ''), undefined, { timeout: 15000 });
		await input.press('Enter');
		await page.locator('.notifications-toasts .notification-toast', { hasText: /saved \d+ picks/ }).first().waitFor({ timeout: 15000 });
		assert.ok(existsSync(target), `${target} was not written`);
		const doc = JSON.parse(readFileSync(target, 'utf8')) as { script: string; picks: string[]; failures: unknown[] };
		assert.equal(doc.script, 'threads.hmmw');
		assert.deepEqual(doc.failures, []);
		assert.equal(doc.picks[0], 'reader', `the hand pick is the first: ${doc.picks.join()}`);
		assert.ok(doc.picks.length >= 3 && doc.picks.every(p => ['main', 'writer', 'reader'].includes(p)), doc.picks.join());
		// hmmw replays it to the end, and the expectation holds
		const run = spawnSync(process.execPath, [path.join(process.cwd(), 'dist/cli.js'), 'run', 'threads.hmmw', '--schedule', SCHEDULE], { cwd: ctx.workspace(), encoding: 'utf8' });
		assert.equal(run.status, 0, run.stdout + run.stderr);
		assert.match(run.stdout + run.stderr, /1 expectations held, 0 failed/);
		await ctx.shot('22-save-schedule');
		const recorded = await callStack(page);
		assert.deepEqual(Object.keys(recorded), ['main', 'writer', 'reader']);
		await page.keyboard.press('Shift+F5');
		await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30000 });

		// replay from launch.json ("schedule"), no hand pick this time: the same stops, the same stacks
		await page.keyboard.press('F1');
		await page.locator('.quick-input-widget input').fill('>Debug: Select and Start Debugging');
		await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Debug: Select and Start Debugging' }).first().click();
		await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Replay the saved schedule' }).first().click();
		await page.getByText(/^Paused on breakpoint$/i).first().waitFor({ timeout: 30000 });
		await framesAt(page, 'main', CPU_READ);
		const stacks = await toWriterInMunmap(page);
		assert.match(stacks.reader.at(-3) ?? '', /^dmirror_fault\(/, stacks.reader.join(' <- '));
		await focusThread(page, 'writer');
		await page.keyboard.press('F10');
		await framesAt(page, 'writer', WRITER_2);
		await focusThread(page, 'writer');
		await page.keyboard.press('F10');
		await framesAt(page, 'writer', WRITER_3);
		await framesAt(page, 'reader', GPU_READ);
		assert.deepEqual(await callStack(page), recorded);
		await counterIs(page, 1);
		await ctx.shot('23-schedule-replay');
		await page.keyboard.press('F5');
		await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30000 });
		await page.locator('.repl .monaco-list-row', { hasText: /1 expectations held, 0 failed/ }).first().waitFor({ timeout: 15000 });
	});
}
