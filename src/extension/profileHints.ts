// Inline hints with each line's simulated cost after a debug run: the adapter sends its flat
// profile as the `hmm.profile` custom event when a run ends (src/debug/profile.ts); an inlay hints
// provider shows it at the end of each costly line until the script is edited or run again.
import * as vscode from 'vscode';
import type { ProfileBody } from '../debug/profile';
import { ProfileStore } from './profileHintsModel';

export function registerProfileHints(context: vscode.ExtensionContext): void {
	const store = new ProfileStore();
	const changed = new vscode.EventEmitter<void>();
	const provider: vscode.InlayHintsProvider = {
		onDidChangeInlayHints: changed.event,
		provideInlayHints(doc) {
			return store.hints(doc.uri.fsPath, doc.lineCount, i => doc.lineAt(i).text.length).map(h => {
				const hint = new vscode.InlayHint(new vscode.Position(h.line, h.character), h.label);
				hint.tooltip = h.tooltip;
				hint.paddingLeft = true;
				return hint;
			});
		},
	};
	context.subscriptions.push(
		changed,
		vscode.languages.registerInlayHintsProvider({ language: 'hmmw' }, provider),
		vscode.debug.onDidReceiveDebugSessionCustomEvent(e => {
			if (e.session.type !== 'hmm' || e.event !== 'hmm.profile') { return; }
			store.set(e.body as ProfileBody);
			changed.fire();
		}),
		vscode.workspace.onDidChangeTextDocument(e => {
			if (e.contentChanges.length > 0 && store.drop(e.document.uri.fsPath)) { changed.fire(); }
		}),
	);
}
