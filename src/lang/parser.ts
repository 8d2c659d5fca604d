// Entry point of the workload-script parser: lexing, the brace balance pass and recursive descent
// (statements in parseStmt.ts, expressions in parseExpr.ts). Nothing here throws: every problem,
// including an internal failure, comes back as a Diagnostic.

import type { Diagnostic, Expr, Program, Stmt } from './ast';
import { makeDiagnostic, shortText, sortDiagnostics } from './diagnostics';
import { CONSTANT_WORDS, isConstant } from './params';
import { lex, type Token, tokenizer } from './lexer';
import { StmtParser } from './parseStmt';

export interface ParseResult {
	program: Program;
	diagnostics: Diagnostic[];
}

/** Lexing, the brace pass and parsing run together over a stream of tokens, so memory holds the
 * tree and a few tokens, never all tokens of a long script. Each pass keeps its own diagnostics,
 * concatenated in pass order before the (stable) sort, as when the passes ran one after another.
 * `params`: `--set NAME=VALUE` overrides of the script's `param` defaults (value as typed). */
export function parse(source: string, file: string, params?: Readonly<Record<string, string>>): ParseResult {
	const lexDiags: Diagnostic[] = [];
	const braceDiags: Diagnostic[] = [];
	const diagnostics: Diagnostic[] = [];
	let body: Stmt[] = [];
	try {
		const tokens = checkBraces(tokenizer(source, file, lexDiags), file, braceDiags);
		const parser = new StmtParser(tokens, file, diagnostics);
		parser.overrides = parseOverrides(params ?? {}, diagnostics);
		body = parser.parseProgram();
	} catch (err) {
		diagnostics.push(internalError(file, err));
	}
	return { program: { file, body }, diagnostics: sortDiagnostics([...lexDiags, ...braceDiags, ...diagnostics]) };
}

/** A lone expression, as typed into a watch, a hover or the debug console. */
export function parseExpression(source: string, file = '<expression>'): { expr?: Expr; diagnostics: Diagnostic[] } {
	const diagnostics: Diagnostic[] = [];
	let expr: Expr | undefined;
	try {
		const { tokens, diagnostics: lexDiags } = lex(source, file);
		for (const d of lexDiags) { diagnostics.push(d); }
		expr = new StmtParser(tokens, file, diagnostics).parseStandaloneExpr();
	} catch (err) {
		diagnostics.push(internalError(file, err));
	}
	const sorted = sortDiagnostics(diagnostics);
	return expr === undefined || sorted.length > 0 ? { diagnostics: sorted } : { expr, diagnostics: sorted };
}

/** Each `--set` value must be a constant, as a `param` default must. */
function parseOverrides(params: Readonly<Record<string, string>>, out: Diagnostic[]): Map<string, Expr> {
	const values = new Map<string, Expr>();
	for (const [name, text] of Object.entries(params)) {
		const where = `--set ${name}`;
		const { expr, diagnostics } = parseExpression(text, where);
		if (expr !== undefined && isConstant(expr)) {
			values.set(name, expr);
		} else {
			out.push(makeDiagnostic(where, 1, 1, `'${shortText(text)}' is not ${CONSTANT_WORDS}${diagnostics[0] ? `: ${diagnostics[0].message}` : ''}`));
		}
	}
	return values;
}

function internalError(file: string, err: unknown): Diagnostic {
	const why = err instanceof Error ? err.message : String(err);
	return makeDiagnostic(file, 1, 1, `internal parser error: ${why}`);
}

/** Braces only ever delimit blocks, so their balance is a purely lexical matter; checking it here
 * lets the diagnostic point at the brace itself rather than at wherever the parser gave up. The
 * check watches the token stream on its way to the parser. */
function checkBraces(next: () => Token, file: string, out: Diagnostic[]): () => Token {
	const open: Token[] = [];
	let done = false;
	return () => {
		const t = next();
		if (t.kind === 'op') {
			if (t.text === '{') { open.push(t); } else if (t.text === '}') {
				if (open.pop() === undefined) { out.push(makeDiagnostic(file, t.line, t.col, "unmatched '}'")); }
			}
		} else if (t.kind === 'eof' && !done) {
			done = true;
			for (const o of open) { out.push(makeDiagnostic(file, o.line, o.col, "unclosed '{'")); }
		}
		return t;
	};
}
