// Token cursor, error recovery primitives and the expression grammar of docs/language.md#expressions.

import type { BinaryOp, Diagnostic, Expr, Loc } from './ast';
import { makeDiagnostic, shortText } from './diagnostics';
import type { Token } from './lexer';

/** Blocks and parenthesised/unary expressions nested deeper than this are rejected: the parser
 * and every later tree walk recurse, and a hostile file must not overflow the stack. */
export const MAX_NESTING = 200;
/** Left-associative chains (`1+1+1+...`) are parsed by loops but still make deep trees. */
export const MAX_TREE_HEIGHT = 1000;

/** Unwinds the parser to the enclosing statement, which resynchronises. Never escapes `parse`. */
export class ParseAbort extends Error {}

const CMP_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);
// Loosest first; each level is a loop over its operators, so long chains do not recurse.
const BINARY_LEVELS: readonly (readonly string[])[] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

export function describe(t: Token): string {
	switch (t.kind) {
		case 'eof': return 'end of file';
		case 'eol': return t.text === ';' ? "';'" : 'end of line';
		case 'num': return `number '${shortText(t.text)}'`;
		case 'str': return 'string';
		default: return `'${shortText(t.text)}'`;
	}
}

/** Where the parser's tokens come from: an array (tests, short inputs) or the lexer's stream. */
export type TokenSource = Token[] | (() => Token);

export class ParserBase {
	protected depth = 0;
	/** heights of the expressions of the statement being parsed (forgetStatement() empties it: a
	 * table of every expression of a long script cost more in garbage collection than parsing) */
	private readonly heights = new Map<Expr, number>();
	/** the lookahead: tokens pulled but not consumed, from `head` on */
	private buf: Token[] = [];
	private head = 0;
	private readonly pull: () => Token;
	/** values of the `param`s declared so far: a later use of the name is replaced by the value */
	protected readonly params = new Map<string, Expr>();

	constructor(tokens: TokenSource, protected readonly file: string,
		protected readonly diagnostics: Diagnostic[]) {
		if (typeof tokens === 'function') {
			this.pull = tokens;
		} else {
			let at = 0;
			this.pull = () => tokens[Math.min(at++, tokens.length - 1)];
		}
	}

	/** A new statement begins: the expressions of the last one are complete, their heights unneeded. */
	protected forgetStatement(): void { if (this.heights.size > 0) { this.heights.clear(); } }

	protected peek(ahead = 0): Token {
		while (this.buf.length - this.head <= ahead) {
			const last = this.buf[this.buf.length - 1];
			if (last?.kind === 'eof') { return last; }
			this.buf.push(this.pull());
		}
		return this.buf[this.head + ahead];
	}
	protected next(): Token {
		const t = this.peek();
		if (t.kind !== 'eof') {
			// consumed tokens are dropped now and then, so the buffer stays as short as the lookahead
			if (++this.head >= 64) { this.buf = this.buf.slice(this.head); this.head = 0; }
		}
		return t;
	}
	protected isOp(text: string, ahead = 0): boolean {
		const t = this.peek(ahead);
		return t.kind === 'op' && t.text === text;
	}
	protected isWord(text: string, ahead = 0): boolean {
		const t = this.peek(ahead);
		return t.kind === 'ident' && t.text === text;
	}
	protected atEnd(ahead = 0): boolean {
		const t = this.peek(ahead);
		return t.kind === 'eol' || t.kind === 'eof' || (t.kind === 'op' && t.text === '}');
	}
	protected loc(t: Token): Loc {
		return { line: t.line, col: t.col };
	}

	protected report(at: Loc, message: string): void {
		this.diagnostics.push(makeDiagnostic(this.file, at.line, at.col, message));
	}
	protected fail(at: Token, message: string): never {
		this.report(at, message);
		throw new ParseAbort(message);
	}
	protected expectOp(text: string, what = `'${text}'`): Token {
		const t = this.peek();
		if (t.kind !== 'op' || t.text !== text) { this.fail(t, `expected ${what}, found ${describe(t)}`); }
		return this.next();
	}
	/** Any identifier, keywords included: names are never reserved (a process may be `child`). */
	protected expectName(what: string): Token {
		const t = this.peek();
		if (t.kind !== 'ident') { this.fail(t, `expected ${what}, found ${describe(t)}`); }
		return this.next();
	}
	protected expectWord(text: string): Token {
		const t = this.peek();
		if (t.kind !== 'ident' || t.text !== text) { this.fail(t, `expected '${text}', found ${describe(t)}`); }
		return this.next();
	}

	protected enter(at: Token): void {
		if (++this.depth > MAX_NESTING) { this.fail(at, `nesting too deep (more than ${MAX_NESTING} levels)`); }
	}
	protected leave(): void {
		this.depth--;
	}

	// ------------------------------------------------------------ expressions

	parseExpr(): Expr {
		const start = this.peek();
		this.enter(start);
		const e = this.parseOr();
		this.leave();
		return e;
	}

	private height(e: Expr): number {
		return this.heights.get(e) ?? 1;
	}
	private binary(op: BinaryOp, left: Expr, right: Expr, start: Token): Expr {
		const h = Math.max(this.height(left), this.height(right)) + 1;
		if (h > MAX_TREE_HEIGHT) { this.fail(start, `expression too long (more than ${MAX_TREE_HEIGHT} operators deep)`); }
		const e: Expr = { kind: 'binary', op, left, right, loc: this.loc(start) };
		this.heights.set(e, h);
		return e;
	}
	private wrap(e: Expr, ...parts: (Expr | undefined)[]): Expr {
		this.heights.set(e, 1 + parts.reduce((m, p) => Math.max(m, p === undefined ? 0 : this.height(p)), 0));
		return e;
	}

	private parseOr(): Expr {
		const start = this.peek();
		let left = this.parseAnd();
		while (this.isWord('or')) {
			this.next();
			left = this.binary('or', left, this.parseAnd(), start);
		}
		return left;
	}
	private parseAnd(): Expr {
		const start = this.peek();
		let left = this.parseNot();
		while (this.isWord('and')) {
			this.next();
			left = this.binary('and', left, this.parseNot(), start);
		}
		return left;
	}
	private parseNot(): Expr {
		const start = this.peek();
		if (!this.isWord('not')) { return this.parseCompare(); }
		this.next();
		this.enter(start);
		const arg = this.parseNot();
		this.leave();
		return this.wrap({ kind: 'unary', op: 'not', arg, loc: this.loc(start) }, arg);
	}
	private parseCompare(): Expr {
		const start = this.peek();
		const left = this.parseBinary(0);
		const t = this.peek();
		if (t.kind !== 'op' || !CMP_OPS.has(t.text)) { return left; }
		this.next();
		const e = this.binary(t.text as BinaryOp, left, this.parseBinary(0), start);
		const again = this.peek();
		// Python would chain `a < b < c`; the tree has no node for that, so say so plainly.
		if (again.kind === 'op' && CMP_OPS.has(again.text)) {
			this.fail(again, 'comparisons cannot be chained; use "and"');
		}
		return e;
	}
	private parseBinary(level: number): Expr {
		if (level === BINARY_LEVELS.length) { return this.parseUnary(); }
		const ops = BINARY_LEVELS[level];
		const start = this.peek();
		let left = this.parseBinary(level + 1);
		for (;;) {
			const t = this.peek();
			if (t.kind !== 'op' || !ops.includes(t.text)) { return left; }
			this.next();
			left = this.binary(t.text as BinaryOp, left, this.parseBinary(level + 1), start);
		}
	}
	private parseUnary(): Expr {
		const start = this.peek();
		if (!this.isOp('-')) { return this.parsePostfix(); }
		this.next();
		this.enter(start);
		const arg = this.parseUnary();
		this.leave();
		return this.wrap({ kind: 'unary', op: '-', arg, loc: this.loc(start) }, arg);
	}
	private parsePostfix(): Expr {
		const start = this.peek();
		let e = this.parsePrimary();
		while (this.isOp('[')) {
			const open = this.next();
			this.enter(open);
			let lo: Expr | undefined;
			if (!this.isOp(':')) { lo = this.parseExpr(); }
			if (lo !== undefined && this.isOp(']')) {
				this.next();
				e = this.wrap({ kind: 'index', object: e, index: lo, loc: this.loc(start) }, e, lo);
			} else {
				this.expectOp(':', "':' or ']'");
				const hi = this.isOp(']') ? undefined : this.parseExpr();
				this.expectOp(']');
				e = this.wrap({ kind: 'slice', object: e, lo, hi, loc: this.loc(start) }, e, lo, hi);
			}
			this.leave();
		}
		return e;
	}
	private parsePrimary(): Expr {
		const t = this.peek();
		const loc = this.loc(t);
		switch (t.kind) {
			case 'num':
				this.next();
				return t.unit === undefined ? { kind: 'num', value: t.value ?? 0, loc }
					: { kind: 'num', value: t.value ?? 0, unit: t.unit, loc };
			case 'str':
				this.next();
				return { kind: 'str', value: t.text, loc };
			case 'ident':
				return this.parseName(t, loc);
			case 'op':
				if (t.text === '(') {
					this.next();
					const inner = this.parseExpr();
					this.expectOp(')');
					return inner;
				}
		}
		return this.fail(t, `expected an expression, found ${describe(t)}`);
	}
	private parseName(t: Token, loc: Loc): Expr {
		this.next();
		if (t.text === 'true' || t.text === 'false') { return { kind: 'bool', value: t.text === 'true', loc }; }
		if (t.text === 'not' || t.text === 'and' || t.text === 'or') {
			this.fail(t, `expected an expression, found '${t.text}'`);
		}
		if (this.isOp('(')) {
			const open = this.next();
			this.enter(open);
			const args: Expr[] = [];
			if (!this.isOp(')')) {
				args.push(this.parseExpr());
				while (this.isOp(',')) {
					this.next();
					args.push(this.parseExpr());
				}
			}
			this.expectOp(')', "',' or ')'");
			this.leave();
			return this.wrap({ kind: 'call', callee: t.text, args, loc }, ...args);
		}
		if (this.isOp('.')) {
			this.next();
			const prop = this.expectName(`a property name after '${shortText(t.text)}.'`);
			return { kind: 'member', object: t.text, property: prop.text, loc };
		}
		const param = this.params.get(t.text);
		if (param !== undefined) { return { ...param, loc }; }
		return { kind: 'ident', name: t.text, loc };
	}
}
