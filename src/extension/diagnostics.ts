// Problems for .hmmw files as the user types: the same front end the CLI and the adapter use
// (compileSource), so the editor never disagrees with `hmmw check` or with a failed launch.

import * as vscode from 'vscode';
import type { Diagnostic } from '../lang/ast';
import { compileSource } from '../lang/frontend';
import { LANGUAGE_ID } from './configProvider';

/** Front-end positions are 1-based line/col; VS Code's are 0-based. The front end gives a point,
 * so the range covers the word there (or one character) to make the squiggle visible. */
export function toRange(doc: vscode.TextDocument, d: Diagnostic): vscode.Range {
	const line = Math.min(Math.max(d.line - 1, 0), Math.max(doc.lineCount - 1, 0));
	const text = doc.lineAt(line).text;
	const col = Math.min(Math.max(d.col - 1, 0), text.length);
	const pos = new vscode.Position(line, col);
	const word = doc.getWordRangeAtPosition(pos);
	if (word !== undefined && word.start.isEqual(pos)) {
		return word;
	}
	return new vscode.Range(pos, new vscode.Position(line, Math.min(col + 1, Math.max(text.length, col + 1))));
}

export function toDiagnostics(doc: vscode.TextDocument): vscode.Diagnostic[] {
	const { diagnostics } = compileSource(doc.getText(), doc.uri.fsPath);
	return diagnostics.map(d => {
		const severity = d.severity === 'warning' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error;
		const out = new vscode.Diagnostic(toRange(doc, d), d.message, severity);
		out.source = 'hmmw';
		return out;
	});
}

export function registerDiagnostics(context: vscode.ExtensionContext): void {
	const collection = vscode.languages.createDiagnosticCollection(LANGUAGE_ID);
	const timers = new Map<string, ReturnType<typeof setTimeout>>();

	const update = (doc: vscode.TextDocument): void => {
		if (doc.languageId === LANGUAGE_ID && !doc.isClosed) {
			collection.set(doc.uri, toDiagnostics(doc));
		}
	};
	// Checking is fast, but a keystroke-per-check on a 10k-line script would still stutter:
	// wait until typing pauses.
	const schedule = (doc: vscode.TextDocument): void => {
		if (doc.languageId !== LANGUAGE_ID) {
			return;
		}
		const key = doc.uri.toString();
		clearTimeout(timers.get(key));
		const delay = vscode.workspace.getConfiguration('hmm').get<number>('diagnostics.delay', 300);
		timers.set(key, setTimeout(() => {
			timers.delete(key);
			update(doc);
		}, delay));
	};

	context.subscriptions.push(
		collection,
		vscode.workspace.onDidOpenTextDocument(update),
		vscode.workspace.onDidChangeTextDocument(e => schedule(e.document)),
		vscode.workspace.onDidSaveTextDocument(update),
		vscode.workspace.onDidCloseTextDocument(doc => {
			clearTimeout(timers.get(doc.uri.toString()));
			timers.delete(doc.uri.toString());
			collection.delete(doc.uri);
		}),
		{ dispose: () => timers.forEach(t => clearTimeout(t)) },
	);
	// Documents opened before activation (onLanguage:hmmw activates on the first one) get no open event.
	vscode.workspace.textDocuments.forEach(update);
}
