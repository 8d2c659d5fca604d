// Debug configurations for the `hmm` type. F5 without a launch.json must just work on the open
// .hmmw file, and the "Run and Debug" picker should offer each workload of the workspace (dynamic
// configurations), so a user never has to write launch.json to try a script.

import * as path from 'path';
import * as vscode from 'vscode';

export const DEBUG_TYPE = 'hmm';
export const LANGUAGE_ID = 'hmmw';

/** The .hmmw document the user is looking at, if any. */
export function activeWorkloadUri(): vscode.Uri | undefined {
	const doc = vscode.window.activeTextEditor?.document;
	return doc !== undefined && doc.languageId === LANGUAGE_ID ? doc.uri : undefined;
}

export function launchConfigFor(uri: vscode.Uri, stopOnEntry: boolean, name?: string): vscode.DebugConfiguration {
	return {
		type: DEBUG_TYPE,
		request: 'launch',
		name: name ?? `Debug ${path.basename(uri.fsPath)}`,
		program: uri.fsPath,
		stopOnEntry,
	};
}

class HmmConfigurationProvider implements vscode.DebugConfigurationProvider {
	/** Called with an empty config when there is no launch.json (or it has no `hmm` entry). */
	resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration):
	vscode.ProviderResult<vscode.DebugConfiguration> {
		if (!config.type && !config.request && !config.name) {
			// F5 with no launch.json runs like any debugger: to the first breakpoint (HMM: Debug
			// Workload is the command that stops on entry)
			const uri = activeWorkloadUri();
			if (uri !== undefined) {
				return launchConfigFor(uri, false);
			}
		}
		if (!config.program) {
			const uri = activeWorkloadUri();
			if (uri === undefined) {
				// Returning undefined aborts the launch; say why instead of failing silently.
				void vscode.window.showInformationMessage('HMM: open a .hmmw workload script or set "program" in launch.json.');
				return undefined;
			}
			config.program = uri.fsPath;
		}
		config.type ??= DEBUG_TYPE;
		config.request ??= 'launch';
		config.name ??= 'Debug workload';
		return config;
	}
}

/** Offered in the Run and Debug dropdown ("HMM Workload..."): one entry per workload file. */
class HmmDynamicConfigurationProvider implements vscode.DebugConfigurationProvider {
	async provideDebugConfigurations(folder: vscode.WorkspaceFolder | undefined, token?: vscode.CancellationToken):
	Promise<vscode.DebugConfiguration[]> {
		const include = folder !== undefined ? new vscode.RelativePattern(folder, '**/*.hmmw') : '**/*.hmmw';
		// A cap keeps the picker usable in repositories with hundreds of conformance scripts.
		const uris = await vscode.workspace.findFiles(include, '**/node_modules/**', 50, token);
		const active = activeWorkloadUri();
		if (active !== undefined && !uris.some(u => u.toString() === active.toString())) {
			uris.unshift(active);
		}
		return uris.map(uri => launchConfigFor(uri, true, `Debug ${vscode.workspace.asRelativePath(uri)}`));
	}
}

export function registerConfigurationProviders(context: vscode.ExtensionContext): void {
	context.subscriptions.push(
		vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new HmmConfigurationProvider()),
		vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new HmmDynamicConfigurationProvider(),
			vscode.DebugConfigurationProviderTriggerKind.Dynamic),
	);
}
