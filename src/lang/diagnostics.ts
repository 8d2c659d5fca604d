// Diagnostic helpers shared by the lexer, parser and checker.

import type { Diagnostic, Loc } from './ast';

/** `file:line:col: message`, the form the CLI prints and editors recognise as a link. */
export function formatDiagnostic(d: Diagnostic): string {
	const prefix = d.severity === 'warning' ? 'warning: ' : '';
	return `${d.file}:${d.line}:${d.col}: ${prefix}${d.message}`;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
	return ds.some(d => d.severity === 'error');
}

export function makeDiagnostic(file: string, line: number, col: number, message: string,
	severity: 'error' | 'warning' = 'error'): Diagnostic {
	return { file, line, col, message, severity };
}

/** Source order, with exact repeats (same place, same message) dropped. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
	const sorted = [...ds].sort((a, b) => a.line - b.line || a.col - b.col);
	const out: Diagnostic[] = [];
	const seen = new Set<string>();
	for (const d of sorted) {
		const key = `${d.file}\0${d.line}\0${d.col}\0${d.severity}\0${d.message}`;
		if (seen.has(key)) { continue; }
		seen.add(key);
		out.push(d);
	}
	return out;
}

/** Names can be 100k characters long; messages quote at most a readable prefix. */
export function shortText(s: string, max = 40): string {
	return s.length <= max ? s : s.slice(0, max) + '…';
}

// The syntax tree stores names (devices, processes, files, words) as plain strings with only the
// statement's position. The parser records where each name was written, so the checker can point
// at the name itself; trees built by hand simply fall back to the statement position. The record
// is a symbol-keyed property of the node (JSON and clones leave it out): a WeakMap with one entry
// per statement made the garbage collector's ephemeron work grow with the script (a quarter of
// the time of checking a script of millions of lines).
const NAME_LOCS = Symbol('nameLocs');
type Named = { [NAME_LOCS]?: Record<string, Loc> };

export function recordNameLoc(node: object, field: string, loc: Loc): void {
	// a name where its statement starts (`x = 1`) needs no record: nameLoc falls back to it
	const at = (node as { loc?: Loc }).loc;
	if (at !== undefined && at.line === loc.line && at.col === loc.col) { return; }
	let m = (node as Named)[NAME_LOCS];
	if (m === undefined) {
		m = {};
		(node as Named)[NAME_LOCS] = m;
	}
	m[field] = { line: loc.line, col: loc.col };
}

export function nameLoc(node: { loc: Loc }, field: string): Loc {
	return (node as Named)[NAME_LOCS]?.[field] ?? node.loc;
}
