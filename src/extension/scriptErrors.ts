// A launch of a script with errors. The adapter treats it as a compiler would: the launch succeeds,
// each error goes to the Debug Console as `file:line:col: message` linked to its place, and the
// session ends, so VS Code has no failed launch to answer with its launch.json modal. Here the
// errors reach the Problems panel: the language server reports a script's errors once the script
// is open, so it is opened at its first error (as a build task's problem matcher does) and the
// Problems panel is revealed.

import * as vscode from 'vscode';
import { DEBUG_TYPE } from './configProvider';

/** Body of the adapter's `hmmScriptErrors` event (src/debug/session.ts). */
export interface ScriptErrors {
	program: string;
	errors: { line: number; col: number; message: string }[];
}

export function isScriptErrors(body: unknown): body is ScriptErrors {
	const b = body as Partial<ScriptErrors> | undefined;
	return typeof b?.program === 'string' && Array.isArray(b.errors) && b.errors.length > 0
		&& b.errors.every(e => Number.isInteger(e?.line) && Number.isInteger(e?.col) && typeof e?.message === 'string');
}

async function showScriptErrors(body: ScriptErrors): Promise<void> {
	const first = body.errors[0];
	const at = new vscode.Position(Math.max(first.line - 1, 0), Math.max(first.col - 1, 0));
	await vscode.window.showTextDocument(vscode.Uri.file(body.program), { selection: new vscode.Range(at, at), preview: false });
	await vscode.commands.executeCommand('workbench.actions.view.problems');
}

export function registerScriptErrors(context: vscode.ExtensionContext): void {
	context.subscriptions.push(vscode.debug.onDidReceiveDebugSessionCustomEvent(e => {
		if (e.session.type !== DEBUG_TYPE || e.event !== 'hmmScriptErrors' || !isScriptErrors(e.body)) {
			return;
		}
		showScriptErrors(e.body).catch((err: unknown) => {
			// the console already has the errors; say why the editor did not follow
			void vscode.window.showWarningMessage(`HMM: cannot open ${e.body.program}: ${(err as Error).message}`);
		});
	}));
}
