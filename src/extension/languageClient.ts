// The editor's language support is the hmmw language server (src/lsp), started from the bundled
// CLI (`dist/cli.js lsp`) over node IPC. The same server serves any other LSP client, so VS Code
// gets exactly what Neovim or Emacs get, and what `hmmw check` prints.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, type LanguageClientOptions, type ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { LANGUAGE_ID } from './configProvider';

let client: LanguageClient | undefined;

export function registerLanguageClient(context: vscode.ExtensionContext): void {
	const module = context.asAbsolutePath(path.join('dist', 'cli.js'));
	const server: ServerOptions = {
		run: { module, args: ['lsp'], transport: TransportKind.ipc },
		debug: { module, args: ['lsp'], transport: TransportKind.ipc },
	};
	const options: LanguageClientOptions = {
		documentSelector: [{ language: LANGUAGE_ID }],
		diagnosticCollectionName: 'hmmw',
		initializationOptions: { delay: vscode.workspace.getConfiguration('hmm').get<number>('diagnostics.delay', 300) },
	};
	client = new LanguageClient('hmmw', 'HMM Workload language server', server, options);
	void client.start();
	context.subscriptions.push({ dispose: () => { void client?.stop(); } });
}

export function stopLanguageClient(): Thenable<void> | undefined {
	return client?.stop();
}
