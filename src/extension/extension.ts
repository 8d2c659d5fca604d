// The VS Code extension's entry point: wires the language support (diagnostics), the `hmm` debug
// type (configuration provider, adapter factory), the page-residency panel and the commands.
// Everything here is thin glue; the simulator and the DAP session live in src/engine and src/debug.

import type * as vscode from 'vscode';
import { registerAdapterFactory } from './adapterFactory';
import { registerCommands } from './commands';
import { registerConfigurationProviders } from './configProvider';
import { registerDiagnostics } from './diagnostics';
import { registerResidencyPanel } from './residencyPanel';

export function activate(context: vscode.ExtensionContext): void {
	registerDiagnostics(context);
	registerConfigurationProviders(context);
	registerAdapterFactory(context);
	registerResidencyPanel(context);
	registerCommands(context);
}

export function deactivate(): void {
	// Every registration is in context.subscriptions, which VS Code disposes for us.
}
