// Creates the debug adapter for `hmm` sessions. Inline (the default) runs HmmDebugSession inside
// the extension host: no process to spawn, and it works wherever the extension does. External
// runs the same session as `node dist/debugAdapter.js` over stdio, which isolates a runaway
// simulation from the extension host and is how other DAP clients use the adapter.

import * as vscode from 'vscode';
import { HmmDebugSession } from '../debug/session';
import { DEBUG_TYPE } from './configProvider';

export type AdapterMode = 'inline' | 'external';

export function adapterMode(): AdapterMode {
	const mode = vscode.workspace.getConfiguration('hmm').get<string>('debugAdapter.mode', 'inline');
	return mode === 'external' ? 'external' : 'inline';
}

class HmmAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
	constructor(private readonly context: vscode.ExtensionContext) {}

	createDebugAdapterDescriptor(_session: vscode.DebugSession): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
		if (adapterMode() === 'external') {
			// `node` from PATH, not process.execPath: the extension host may be Electron or a
			// bundled Node whose version the adapter was never tested with.
			return new vscode.DebugAdapterExecutable('node', [this.context.asAbsolutePath('dist/debugAdapter.js')]);
		}
		// The session class satisfies vscode.DebugAdapter structurally (handleMessage,
		// onDidSendMessage, dispose); the cast bridges the two packages' Event types.
		return new vscode.DebugAdapterInlineImplementation(new HmmDebugSession() as unknown as vscode.DebugAdapter);
	}
}

export function registerAdapterFactory(context: vscode.ExtensionContext): void {
	context.subscriptions.push(vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new HmmAdapterFactory(context)));
}
