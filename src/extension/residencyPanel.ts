// The "Page Residency" webview panel. It shows where each page of a process lives (RAM, swap,
// device memory...) at the current stop of an `hmm` debug session: a DebugAdapterTracker sees
// every `stopped` event and the panel asks the adapter for a fresh picture with the
// `residency` custom request. The webview holds only view state; data stays in the adapter.

import { randomBytes } from 'crypto';
import * as vscode from 'vscode';
import type { FromWebview, PageDetail, ProcessInfo, ResidencyArgs, ResidencyBody, ResidencyView, TimelineBody, ToWebview } from '../../webview/protocol';
import { vmaAt } from '../../webview/grid';
import { DEBUG_TYPE } from './configProvider';
import { residencyHtml } from './residencyHtml';

export class ResidencyPanel {
	static readonly viewType = 'hmm.residency';
	private static current: ResidencyPanel | undefined;

	private view: ResidencyView = { maxCells: 4096 };
	private session: vscode.DebugSession | undefined;
	private last: Extract<ToWebview, { type: 'residency' }> | undefined;
	private busy = false;
	private again = false;
	/** A stop arrived while the panel was hidden: refetch when it is shown. */
	private stale = false;

	static show(context: vscode.ExtensionContext): void {
		if (ResidencyPanel.current !== undefined) {
			ResidencyPanel.current.panel.reveal(undefined, true);
			return;
		}
		const dist = vscode.Uri.joinPath(context.extensionUri, 'dist');
		const panel = vscode.window.createWebviewPanel(ResidencyPanel.viewType, 'Page Residency',
			{ viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
				enableScripts: true,
				// The page can load nothing but the bundle in dist/.
				localResourceRoots: [dist],
				// The page is cheap to rebuild from the adapter; keeping hidden iframes alive is not.
				retainContextWhenHidden: false,
			});
		ResidencyPanel.current = new ResidencyPanel(panel, dist);
	}

	/** From the tracker: an `hmm` session stopped. */
	static onStopped(session: vscode.DebugSession): void {
		void ResidencyPanel.current?.refresh(session);
	}

	static onSessionEnded(session: vscode.DebugSession): void {
		ResidencyPanel.current?.sessionEnded(session);
	}

	private constructor(private readonly panel: vscode.WebviewPanel, dist: vscode.Uri) {
		const webview = panel.webview;
		webview.html = residencyHtml({
			cspSource: webview.cspSource,
			nonce: randomBytes(16).toString('base64'),
			scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
			styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
		});
		const active = vscode.debug.activeDebugSession;
		this.session = active?.type === DEBUG_TYPE ? active : undefined;
		webview.onDidReceiveMessage((msg: FromWebview) => this.onMessage(msg));
		panel.onDidChangeViewState(() => {
			if (panel.visible && this.stale) {
				void this.refresh();
			}
		});
		panel.onDidDispose(() => {
			ResidencyPanel.current = undefined;
		});
	}

	private onMessage(msg: FromWebview): void {
		switch (msg.type) {
			case 'ready':
				// A fresh page (first show, or shown again after being hidden): it restored its
				// view with getState; show the cached picture at once, then refetch.
				this.view = { ...this.view, ...msg.view };
				if (this.last !== undefined) {
					void this.post(this.last);
				}
				void this.refresh();
				break;
			case 'setView':
				this.view = msg.view;
				void this.refresh();
				break;
			case 'cellClicked': {
				const vma = this.last !== undefined ? vmaAt(this.last.body.vmas, msg.address) : undefined;
				if (vma !== undefined) {
					this.view = { ...msg.view, start: vma.start, end: vma.end };
					void this.refresh();
				}
				break;
			}
			case 'hover':
				void this.hover(msg);
				break;
			case 'pageAction':
				void this.pageAction(msg);
				break;
			case 'unwatch':
				void this.watchRequest('pageUnwatch', { id: msg.id });
				break;
			case 'timelineClicked':
				// the adapter travels and then stops, which refreshes the panel
				this.session?.customRequest('timelineGoto', { step: msg.step, nth: msg.nth, label: msg.label }).then(undefined, (err: unknown) => {
					void this.post({ type: 'status', text: `Cannot travel there: ${err instanceof Error ? err.message : String(err)}`, keep: true });
				});
				break;
		}
	}

	/** The tooltip's details of a cell, from the adapter. */
	private async hover(msg: Extract<FromWebview, { type: 'hover' }>): Promise<void> {
		const session = this.session;
		if (session === undefined) { return; }
		try {
			const detail = await session.customRequest('residencyPage', { process: msg.process, address: msg.address, pages: msg.pages }) as PageDetail;
			await this.post({ type: 'page', seq: msg.seq, detail });
		} catch (err) {
			await this.post({ type: 'page', seq: msg.seq, error: err instanceof Error ? err.message : String(err) });
		}
	}

	/** A click on a cell or its context menu: the page as an expression of the language. */
	private async pageAction(msg: Extract<FromWebview, { type: 'pageAction' }>): Promise<void> {
		const session = this.session;
		if (session === undefined) { return; }
		const expression = `at(0x${msg.address.toString(16)}, 0x${(msg.pages * 4096).toString(16)})`;
		const other = this.last !== undefined && this.last.body.process !== msg.process ? ` (evaluated in the current process, not ${msg.process})` : '';
		const evaluate = async (): Promise<void> => {
			try {
				const r = await session.customRequest('evaluate', { expression, context: 'repl' }) as { result: string };
				vscode.debug.activeDebugConsole.appendLine(`${expression} = ${r.result}${other}`);
			} catch (err) {
				vscode.debug.activeDebugConsole.appendLine(`${expression}: ${err instanceof Error ? err.message : String(err)}`);
			}
		};
		if (msg.action === 'evaluate') { return evaluate(); }
		if (msg.action === 'watchWrite' || msg.action === 'watchAccess') {
			// a data breakpoint the adapter keeps for the panel (VS Code's API cannot add one)
			return this.watchRequest('pageWatch', { process: msg.process, address: msg.address, pages: msg.pages, access: msg.action === 'watchWrite' ? 'write' : 'readWrite' });
		}
		try {
			// VS Code's own "Add to Watch": the page then expands in the Run and Debug view
			await vscode.commands.executeCommand('debug.addToWatchExpressions', { variable: { evaluateName: expression } });
			await vscode.commands.executeCommand('workbench.debug.action.focusWatchView');
		} catch {
			// a VS Code without that command: the Debug Console shows the page instead
			return evaluate();
		}
	}

	/** Adds or removes a page watch, then redraws the map with its watches. */
	private async watchRequest(command: 'pageWatch' | 'pageUnwatch', args: object): Promise<void> {
		const session = this.session;
		if (session === undefined) { return; }
		try {
			await session.customRequest(command, args);
		} catch (err) {
			await this.post({ type: 'status', text: `${command === 'pageWatch' ? 'Cannot watch these pages' : 'Cannot remove the watch'}: ${err instanceof Error ? err.message : String(err)}`, keep: true });
			return;
		}
		await this.refresh();
	}

	/** Another session became the one to show: nothing of the previous one (its process, its zoom,
	 * its picture) carries over. */
	private follow(session: vscode.DebugSession): void {
		this.session = session;
		this.view = { maxCells: this.view.maxCells };
		this.last = undefined;
	}

	private post(msg: ToWebview): Thenable<boolean> {
		return this.panel.webview.postMessage(msg);
	}

	private sessionEnded(session: vscode.DebugSession): void {
		if (this.session?.id !== session.id) {
			return;
		}
		this.session = undefined;
		if (this.last !== undefined) {
			this.last = { ...this.last, ended: true };
			void this.post(this.last);
		}
	}

	/** Fetch and show. Stops can come faster than the adapter answers (holding F10): at most one
	 * request is in flight, and the latest stop wins. */
	async refresh(session?: vscode.DebugSession): Promise<void> {
		if (session !== undefined) {
			if (this.session?.id !== session.id) { this.follow(session); }
			this.session = session;
		}
		if (this.session === undefined) {
			const active = vscode.debug.activeDebugSession;
			this.session = active?.type === DEBUG_TYPE ? active : undefined;
		}
		if (!this.panel.visible) {
			this.stale = true;
			return;
		}
		if (this.busy) {
			this.again = true;
			return;
		}
		this.busy = true;
		this.stale = false;
		try {
			await this.fetch();
		} finally {
			this.busy = false;
			if (this.again) {
				this.again = false;
				void this.refresh();
			}
		}
	}

	private async fetch(): Promise<void> {
		const session = this.session;
		if (session === undefined) {
			if (this.last === undefined) {
				await this.post({ type: 'status', text: 'Start an HMM debug session (F5 on a .hmmw file): the map refreshes each time it stops.' });
			}
			return;
		}
		let processes: ProcessInfo[] | undefined;
		try {
			const reply = await session.customRequest('processes') as { processes?: ProcessInfo[] };
			if (Array.isArray(reply?.processes) && reply.processes.length > 0) {
				processes = reply.processes;
			}
		} catch {
			// An adapter without `processes` still gets a one-entry picker.
		}
		// The chosen process may be gone: it exited, or a restart or a step back went to before
		// its fork. Say so, and show the current process instead of an old picture.
		let notice: string | undefined;
		const chosen = this.view.process;
		if (chosen !== undefined && processes !== undefined && !processes.some(p => p.name === chosen && p.alive !== false)) {
			const exited = processes.some(p => p.name === chosen);
			notice = exited ? `Process '${chosen}' has exited; showing the current process.` : `There is no process '${chosen}' at this point; showing the current process.`;
			this.view = { maxCells: this.view.maxCells };
		}
		const args: ResidencyArgs = { process: this.view.process, start: this.view.start, end: this.view.end, maxCells: this.view.maxCells };
		let body: ResidencyBody;
		try {
			body = await session.customRequest('residency', args) as ResidencyBody;
		} catch (err) {
			// Typically: the session is running (no stop yet), or no process is alive. The old
			// picture would be a lie about this stop: clear it.
			const why = err instanceof Error ? err.message : String(err);
			this.last = undefined;
			await this.post({ type: 'status', text: `${notice ? notice + ' ' : ''}Residency unavailable: ${why}` });
			return;
		}
		let timeline: TimelineBody | undefined;
		try {
			timeline = await session.customRequest('timeline', { bins: 800 }) as TimelineBody;
		} catch {
			// an adapter without a timeline: the strip stays hidden
		}
		const live = (processes ?? [{ name: body.process, pid: body.pid }]).filter(p => p.alive !== false);
		this.last = { type: 'residency', body, processes: live, view: this.view, session: session.name, sessionId: session.id, notice, timeline };
		await this.post(this.last);
	}
}

export function registerResidencyPanel(context: vscode.ExtensionContext): void {
	context.subscriptions.push(
		vscode.debug.registerDebugAdapterTrackerFactory(DEBUG_TYPE, {
			createDebugAdapterTracker: session => ({
				onDidSendMessage: (msg: { type?: string; event?: string }) => {
					if (msg.type === 'event' && msg.event === 'stopped') {
						ResidencyPanel.onStopped(session);
					}
				},
			}),
		}),
		vscode.debug.onDidTerminateDebugSession(s => ResidencyPanel.onSessionEnded(s)),
		vscode.debug.onDidChangeActiveDebugSession(s => {
			if (s?.type === DEBUG_TYPE) {
				ResidencyPanel.onStopped(s);
			}
		}),
	);
}
