// The VS Code extension's entry point: wires the language support (the hmmw language server), the `hmm` debug
// type (configuration provider, adapter factory), the page-residency panel, the profile hints and the commands.
// Everything here is thin glue; the simulator and the DAP session live in src/engine and src/debug.

import type * as vscode from 'vscode';
import { registerAdapterFactory } from './adapterFactory';
import { registerCommands } from './commands';
import { registerConfigurationProviders } from './configProvider';
import { registerLanguageClient, stopLanguageClient } from './languageClient';
import { registerResidencyPanel } from './residencyPanel';
import { registerScriptErrors } from './scriptErrors';
import { registerProfileHints } from './profileHints';

export function activate(context: vscode.ExtensionContext): void {
	registerLanguageClient(context);
	registerConfigurationProviders(context);
	registerAdapterFactory(context);
	registerScriptErrors(context);
	registerResidencyPanel(context);
	registerProfileHints(context);
	registerCommands(context);
}

export function deactivate(): Thenable<void> | undefined {
	// everything else is in context.subscriptions; the language server is asked to shut down cleanly
	return stopLanguageClient();
}
