// The hmmw language server (`hmmw lsp`): diagnostics as you type, completion, hover, signature
// help, outline, go to definition, references and quick fixes, over the Language Server Protocol,
// so any LSP client (VS Code, Neovim, Emacs, Helix) gets the same answers as `hmmw check`.
import {
	CodeActionKind, type Connection, createConnection, type Diagnostic, DiagnosticSeverity, type InitializeResult, ProposedFeatures,
	type Range, SymbolKind, type DocumentSymbol, TextDocuments, TextDocumentSyncKind, CompletionItemKind, MarkupKind,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze, type Analysis, type OutlineEntry } from './symbols';
import { complete, definition, fixes, hover, type ItemKind, references, signature } from './features';

/** Edits are re-checked once typing pauses for this long (initializationOptions.delay overrides). */
const DEFAULT_DELAY_MS = 200;
/** Documents over this size are not analysed (a located message says so). */
const MAX_DOCUMENT = 8 << 20;

const KIND: Record<ItemKind, CompletionItemKind> = {
	keyword: CompletionItemKind.Keyword, function: CompletionItemKind.Function, variable: CompletionItemKind.Variable,
	module: CompletionItemKind.Module, property: CompletionItemKind.Property, value: CompletionItemKind.Value, constant: CompletionItemKind.Constant,
};
const OUTLINE_KIND: Record<OutlineEntry['kind'], SymbolKind> = {
	device: SymbolKind.Class, process: SymbolKind.Module, mapping: SymbolKind.Variable, kernel: SymbolKind.Function,
	file: SymbolKind.File, variable: SymbolKind.Variable,
};

const range = (line: number, col: number, length: number): Range => ({ start: { line: line - 1, character: col - 1 }, end: { line: line - 1, character: col - 1 + length } });

/** A connection over the transport named on the command line (--stdio, --node-ipc, --socket=N), or
 * over stdin/stdout when none is named (`hmmw lsp`). */
function defaultConnection(): Connection {
	const named = process.argv.some(a => a === '--stdio' || a === '--node-ipc' || a.startsWith('--socket=') || a.startsWith('--pipe='));
	return named ? createConnection(ProposedFeatures.all) : createConnection(ProposedFeatures.all, process.stdin, process.stdout);
}

export function startServer(connection: Connection = defaultConnection()): Connection {
	const documents = new TextDocuments(TextDocument);
	const cache = new Map<string, { version: number; a: Analysis }>();
	const timers = new Map<string, ReturnType<typeof setTimeout>>();
	let delay = DEFAULT_DELAY_MS;

	const analysis = (doc: TextDocument): Analysis => {
		const hit = cache.get(doc.uri);
		if (hit && hit.version === doc.version) { return hit.a; }
		const text = doc.getText();
		const a = text.length > MAX_DOCUMENT ? analyze('', doc.uri) : analyze(text, fileName(doc.uri));
		cache.set(doc.uri, { version: doc.version, a });
		return a;
	};

	const publish = (doc: TextDocument): void => {
		const a = analysis(doc);
		const text = (line: number) => a.lines[line - 1] ?? '';
		const diagnostics: Diagnostic[] = a.diagnostics.map(d => {
			const word = /^[A-Za-z0-9_]+/.exec(text(d.line).slice(d.col - 1))?.[0].length ?? 1;
			return {
				range: range(d.line, d.col, Math.max(1, word)), message: d.message, source: 'hmmw',
				severity: d.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error,
			};
		});
		if (doc.getText().length > MAX_DOCUMENT) {
			diagnostics.push({ range: range(1, 1, 1), message: `script is larger than ${MAX_DOCUMENT >> 20} MiB: not analysed`, source: 'hmmw', severity: DiagnosticSeverity.Warning });
		}
		void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
	};

	connection.onInitialize((p): InitializeResult => {
		const o = p.initializationOptions as { delay?: unknown } | undefined;
		if (typeof o?.delay === 'number' && o.delay >= 0 && o.delay < 60_000) { delay = o.delay; }
		return {
			capabilities: {
				textDocumentSync: TextDocumentSyncKind.Incremental,
				completionProvider: { triggerCharacters: ['.', ' ', '=', '>'] },
				hoverProvider: true,
				signatureHelpProvider: { triggerCharacters: ['(', ','] },
				documentSymbolProvider: true,
				definitionProvider: true,
				referencesProvider: true,
				codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
			},
			serverInfo: { name: 'hmmw', version: '0.2.0' },
		};
	});

	// an opened document is checked at once, later edits once typing pauses
	documents.onDidChangeContent(e => {
		const uri = e.document.uri;
		clearTimeout(timers.get(uri));
		if (!cache.has(uri)) { publish(e.document); return; }
		timers.set(uri, setTimeout(() => {
			timers.delete(uri);
			const doc = documents.get(uri);
			if (doc) { publish(doc); }
		}, delay));
	});
	documents.onDidClose(e => {
		clearTimeout(timers.get(e.document.uri));
		cache.delete(e.document.uri);
		void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
	});

	const withDoc = <T>(uri: string, empty: T, f: (a: Analysis) => T): T => {
		const doc = documents.get(uri);
		return doc ? f(analysis(doc)) : empty;
	};

	connection.onCompletion(p => withDoc(p.textDocument.uri, [], a => complete(a, p.position.line + 1, p.position.character + 1).map(i => ({
		label: i.label, kind: KIND[i.kind], detail: i.detail, documentation: i.doc,
	}))));

	connection.onHover(p => withDoc(p.textDocument.uri, null, a => {
		const h = hover(a, p.position.line + 1, p.position.character + 1);
		return h ? { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: range(h.line, h.col, h.length) } : null;
	}));

	connection.onSignatureHelp(p => withDoc(p.textDocument.uri, null, a => {
		const s = signature(a, p.position.line + 1, p.position.character + 1);
		if (!s) { return null; }
		return { signatures: [{ label: s.label, documentation: s.doc, parameters: s.params.map(label => ({ label })) }], activeSignature: 0, activeParameter: s.active };
	}));

	connection.onDocumentSymbol(p => withDoc(p.textDocument.uri, [], a => a.outline.map(e => symbol(e, a))));

	connection.onDefinition(p => withDoc(p.textDocument.uri, [], a => definition(a, p.position.line + 1, p.position.character + 1)
		.map(o => ({ uri: p.textDocument.uri, range: range(o.line, o.col, o.length) }))));

	connection.onReferences(p => withDoc(p.textDocument.uri, [], a => references(a, p.position.line + 1, p.position.character + 1, p.context.includeDeclaration)
		.map(o => ({ uri: p.textDocument.uri, range: range(o.line, o.col, o.length) }))));

	connection.onCodeAction(p => withDoc(p.textDocument.uri, [], a => p.context.diagnostics.flatMap(d => fixes(a, d.message).map(name => ({
		title: `Change to '${name}'`, kind: CodeActionKind.QuickFix, diagnostics: [d], isPreferred: false,
		edit: { changes: { [p.textDocument.uri]: [{ range: wordRange(a, d.range), newText: name }] } },
	})))));

	documents.listen(connection);
	connection.listen();
	return connection;
}

/** The misspelt word: the diagnostic points at its first character. */
function wordRange(a: Analysis, r: Range): Range {
	const line = a.lines[r.start.line] ?? '';
	const m = /^[A-Za-z0-9_]+/.exec(line.slice(r.start.character));
	return { start: r.start, end: { line: r.start.line, character: r.start.character + (m ? m[0].length : 1) } };
}

function symbol(e: OutlineEntry, a: Analysis): DocumentSymbol {
	const endLine = Math.max(e.line, e.kind === 'process' ? lastChildLine(e) : e.endLine);
	const endText = a.lines[endLine - 1] ?? '';
	return {
		name: e.name, detail: e.detail, kind: OUTLINE_KIND[e.kind],
		range: { start: { line: e.line - 1, character: 0 }, end: { line: endLine - 1, character: endText.length } },
		selectionRange: { start: { line: e.line - 1, character: e.col - 1 }, end: { line: e.line - 1, character: e.col - 1 + e.name.length } },
		children: e.children.map(c => symbol(c, a)),
	};
}

function lastChildLine(e: OutlineEntry): number {
	return e.children.reduce((n, c) => Math.max(n, c.endLine), e.line);
}

function fileName(uri: string): string {
	try {
		return uri.startsWith('file:') ? decodeURIComponent(new URL(uri).pathname) : uri;
	} catch {
		return uri;
	}
}
