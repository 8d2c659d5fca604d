// The HMM commands: run or debug the open workload (editor title "run" menu, palette), open the
// page-residency panel, toggle hex display of numbers in the Variables view, and open an example.

import * as vscode from 'vscode';
import { DEBUG_TYPE, LANGUAGE_ID, activeWorkloadUri, launchConfigFor } from './configProvider';
import { ResidencyPanel } from './residencyPanel';
import { registerThreadCommands } from './threadCommands';

/** The editor/title/run menu passes the file's Uri; the palette passes nothing. */
async function workloadFrom(arg: unknown): Promise<vscode.Uri | undefined> {
	const uri = arg instanceof vscode.Uri ? arg : activeWorkloadUri();
	if (uri === undefined) {
		void vscode.window.showInformationMessage('HMM: open a .hmmw workload script first.');
		return undefined;
	}
	// The adapter reads the script from disk: run what the user sees, not the last saved copy.
	const doc = vscode.workspace.textDocuments.find(d => d.uri.toString() === uri.toString());
	if (doc !== undefined && doc.isDirty && doc.languageId === LANGUAGE_ID) {
		await doc.save();
	}
	return uri;
}

async function launch(arg: unknown, debug: boolean): Promise<void> {
	const uri = await workloadFrom(arg);
	if (uri === undefined) {
		return;
	}
	const config = launchConfigFor(uri, debug, `${debug ? 'Debug' : 'Run'} ${vscode.workspace.asRelativePath(uri)}`);
	await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(uri), config, { noDebug: !debug });
}

/** Context-menu argument of debug/variables/context (VS Code's IVariablesContext). */
interface VariableMenuArg {
	container?: { variablesReference?: number; name?: string };
	variable?: { name?: string; variablesReference?: number };
}

async function toggleHex(arg?: VariableMenuArg): Promise<void> {
	const session = vscode.debug.activeDebugSession;
	if (session?.type !== DEBUG_TYPE) {
		return;
	}
	// The adapter owns formatting (VS Code has no generic hex UI): it flips its mode and sends an
	// `invalidated` event so the Variables view refetches. The clicked variable is passed along
	// in case the adapter ever wants per-variable formats; today it toggles globally.
	await session.customRequest('toggleFormatting', {
		variablesReference: arg?.container?.variablesReference,
		name: arg?.variable?.name,
	});
}

/** The walkthrough's first step: a copy of a bundled example where the user can edit and debug it
 * (the first workspace folder, else the extension's storage), opened in an editor. */
async function openExample(context: vscode.ExtensionContext): Promise<void> {
	const name = 'migrate-roundtrip.hmmw';
	const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? context.globalStorageUri;
	const target = vscode.Uri.joinPath(folder, name);
	try {
		await vscode.workspace.fs.stat(target);
	} catch {
		await vscode.workspace.fs.createDirectory(folder);
		await vscode.workspace.fs.copy(vscode.Uri.joinPath(context.extensionUri, 'examples', name), target);
	}
	await vscode.window.showTextDocument(target);
}

export function registerCommands(context: vscode.ExtensionContext): void {
	context.subscriptions.push(
		vscode.commands.registerCommand('hmm.runWorkload', (arg: unknown) => launch(arg, false)),
		vscode.commands.registerCommand('hmm.debugWorkload', (arg: unknown) => launch(arg, true)),
		vscode.commands.registerCommand('hmm.showResidency', () => ResidencyPanel.show(context)),
		vscode.commands.registerCommand('hmm.toggleHex', (arg?: VariableMenuArg) => toggleHex(arg)),
		vscode.commands.registerCommand('hmm.openExample', () => openExample(context)),
	);
	registerThreadCommands(context);
}
