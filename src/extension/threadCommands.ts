// Script threads in the Call Stack view (the adapter's threadsDap.ts): "Switch Thread Here" on a
// thread's context menu makes the next switch point run that thread (a hand-picked interleaving),
// and "Save Schedule" writes the session's picks so far as a schedule file that
// `hmmw run FILE --schedule S.json` replays.
import * as vscode from 'vscode';
import { DEBUG_TYPE } from './configProvider';

/** What VS Code passes a debug/callstack/context command for a thread: its id, or (newer
 * versions) an object with sessionId and threadId. */
export function threadIdOf(arg: unknown): number | undefined {
	if (typeof arg === 'number') { return arg; }
	if (typeof arg === 'object' && arg !== null && typeof (arg as { threadId?: unknown }).threadId === 'number') { return (arg as { threadId: number }).threadId; }
	return undefined;
}

async function switchThread(arg: unknown): Promise<void> {
	const session = vscode.debug.activeStackItem?.session ?? vscode.debug.activeDebugSession;
	if (session?.type !== DEBUG_TYPE) { return; }
	const threadId = threadIdOf(arg) ?? vscode.debug.activeStackItem?.threadId;
	if (threadId === undefined) { return; }
	try {
		const r = await session.customRequest('switchThread', { threadId }) as { message: string };
		void vscode.window.setStatusBarMessage(`HMM: ${r.message}`, 5000);
	} catch (e) {
		void vscode.window.showWarningMessage(`HMM: ${(e as Error).message}`);
	}
}

async function saveSchedule(): Promise<void> {
	const session = vscode.debug.activeDebugSession;
	if (session?.type !== DEBUG_TYPE) {
		void vscode.window.showInformationMessage('HMM: start a debug session of a threaded workload first.');
		return;
	}
	try {
		const doc = await session.customRequest('schedule') as { script: string; picks: string[] };
		const program = typeof session.configuration.program === 'string' ? vscode.Uri.file(session.configuration.program) : undefined;
		const target = await vscode.window.showSaveDialog({
			defaultUri: program ? vscode.Uri.joinPath(program, '..', `${doc.script.replace(/\.hmmw$/, '')}.schedule.json`) : undefined,
			filters: { Schedule: ['json'] },
		});
		if (!target) { return; }
		await vscode.workspace.fs.writeFile(target, Buffer.from(JSON.stringify(doc, null, 1) + '\n', 'utf8'));
		void vscode.window.showInformationMessage(`HMM: saved ${doc.picks.length} picks; replay with hmmw run ${doc.script} --schedule ${vscode.workspace.asRelativePath(target)}`);
	} catch (e) {
		void vscode.window.showWarningMessage(`HMM: ${(e as Error).message}`);
	}
}

export function registerThreadCommands(context: vscode.ExtensionContext): void {
	context.subscriptions.push(
		vscode.commands.registerCommand('hmm.switchThread', (arg: unknown) => switchThread(arg)),
		vscode.commands.registerCommand('hmm.saveSchedule', () => saveSchedule()),
	);
}
