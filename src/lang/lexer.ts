// Tokenizer for workload scripts. Columns are 1-based UTF-16 code units, the unit VS Code uses for
// positions, so a diagnostic's column can be handed to the editor unchanged.

import type { Diagnostic } from './ast';
import { makeDiagnostic, shortText } from './diagnostics';

export type NumUnit = 'bytes' | 'ns' | 'bps';

export type TokenKind = 'num' | 'str' | 'ident' | 'op' | 'eol' | 'eof';

export interface Token {
	kind: TokenKind;
	/** Source text for idents and ops, the decoded value for strings, `\n` or `;` for eol. */
	text: string;
	line: number;
	col: number;
	/** Numbers only: the value after suffix scaling. */
	value?: number;
	unit?: NumUnit;
}

export interface LexResult {
	tokens: Token[];
	diagnostics: Diagnostic[];
}

const PAGE = 4096;
const MAX_INT = 2n ** 53n;

const SUFFIXES: Record<string, { scale: bigint; unit: NumUnit }> = {
	B: { scale: 1n, unit: 'bytes' },
	KiB: { scale: 1024n, unit: 'bytes' },
	MiB: { scale: 1024n ** 2n, unit: 'bytes' },
	GiB: { scale: 1024n ** 3n, unit: 'bytes' },
	TiB: { scale: 1024n ** 4n, unit: 'bytes' },
	page: { scale: BigInt(PAGE), unit: 'bytes' },
	pages: { scale: BigInt(PAGE), unit: 'bytes' },
	ns: { scale: 1n, unit: 'ns' },
	us: { scale: 1000n, unit: 'ns' },
	ms: { scale: 1000n ** 2n, unit: 'ns' },
	s: { scale: 1000n ** 3n, unit: 'ns' },
};
// Bandwidths are spelled with a slash, so they are matched apart from the plain word suffixes.
const BANDWIDTHS: Record<string, bigint> = { GB: 1000n ** 3n, MB: 1000n ** 2n };

// Longest first, so that `<<` wins over `<` and `..` over `.`.
const OPERATORS = ['<<', '>>', '==', '!=', '<=', '>=', '..', '->',
	'+', '-', '*', '/', '%', '|', '&', '^', '<', '>', '=', '(', ')', '[', ']', '{', '}', ',', ':', '.'];

/** The operators by first character (longest first), so a token is matched without trying all. */
const OPS_BY_CHAR = new Map<number, string[]>();
for (const o of OPERATORS) {
	const list = OPS_BY_CHAR.get(o.charCodeAt(0)) ?? [];
	list.push(o);
	OPS_BY_CHAR.set(o.charCodeAt(0), list);
}

function isIdentStart(c: number): boolean {
	return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
	return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
	return c >= 48 && c <= 57;
}
function isHexDigit(c: number): boolean {
	return isDigit(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** A readable name for a character the lexer rejects; control characters get a code point. */
function describeChar(s: string): string {
	const cp = s.codePointAt(0) ?? 0;
	if (cp < 0x20 || cp === 0x7f || cp === 0xfffd || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0)) {
		return 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
	}
	return `'${s}' (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}

export function lex(source: string, file: string): LexResult {
	const tokens: Token[] = [];
	const diagnostics: Diagnostic[] = [];
	const next = tokenizer(source, file, diagnostics);
	for (;;) {
		const t = next();
		tokens.push(t);
		if (t.kind === 'eof') { return { tokens, diagnostics }; }
	}
}

/** The lexer as a stream: each call returns the next token (`eof` again and again at the end), and
 * problems go to `diagnostics` as they are met. The parser pulls tokens as it needs them, so a
 * script of millions of lines never exists as one array of tokens. */
export function tokenizer(source: string, file: string, diagnostics: Diagnostic[]): () => Token {
	const n = source.length;
	let i = 0;
	let line = 1;
	let lineStart = 0;
	// A run of rejected characters is reported once, at its first character.
	let inGarbage = false;
	let out: Token | undefined;
	let eof: Token | undefined;

	const col = (at: number): number => at - lineStart + 1;
	const error = (at: number, message: string): void => {
		diagnostics.push(makeDiagnostic(file, line, col(at), message));
	};
	const newline = (at: number, text: string): void => {
		out = { kind: 'eol', text, line, col: col(at) };
	};

	if (source.charCodeAt(0) === 0xfeff) { i = 1; }

	return function nextToken(): Token {
		if (eof) { return eof; }
		out = undefined;
		while (out === undefined) {
			if (i >= n) {
				eof = { kind: 'eof', text: '', line, col: col(i) };
				return eof;
			}
			step();
		}
		return out;
	};

	/** Consumes one token, blank or comment (a token, if any, is left in `out`). */
	function step(): void {
		const c = source.charCodeAt(i);
		const start = i;
		if (c === 32 || c === 9 || c === 12 || c === 11) {
			i++;
			inGarbage = false;
			return;
		}
		if (c === 10 || c === 13) {
			newline(i, '\n');
			i += c === 13 && source.charCodeAt(i + 1) === 10 ? 2 : 1;
			line++;
			lineStart = i;
			inGarbage = false;
			return;
		}
		if (c === 35) {
			while (i < n && source.charCodeAt(i) !== 10 && source.charCodeAt(i) !== 13) { i++; }
			return;
		}
		if (c === 59) {
			newline(i, ';');
			i++;
			inGarbage = false;
			return;
		}
		if (isIdentStart(c)) {
			while (i < n && isIdentPart(source.charCodeAt(i))) { i++; }
			out = { kind: 'ident', text: source.slice(start, i), line, col: col(start) };
			inGarbage = false;
			return;
		}
		if (isDigit(c)) {
			i = lexNumber(start);
			inGarbage = false;
			return;
		}
		if (c === 34) {
			i = lexString(start);
			inGarbage = false;
			return;
		}
		const op = OPS_BY_CHAR.get(c)?.find(o => o.length === 1 || source.startsWith(o, i));
		if (op !== undefined) {
			out = { kind: 'op', text: op, line, col: col(start) };
			i += op.length;
			inGarbage = false;
			return;
		}
		const cp = source.codePointAt(i) ?? c;
		const ch = String.fromCodePoint(cp);
		if (!inGarbage) { error(i, `unexpected character ${describeChar(ch)}`); }
		inGarbage = true;
		i += ch.length;
	}

	function lexNumber(begin: number): number {
		let p = begin;
		let hex = false;
		if (source.charCodeAt(p) === 48 && (source.charCodeAt(p + 1) | 32) === 120) {
			hex = true;
			p += 2;
		}
		const digitsStart = p;
		const accept = hex ? isHexDigit : isDigit;
		while (p < n && (accept(source.charCodeAt(p)) || source.charCodeAt(p) === 95)) { p++; }
		const raw = source.slice(digitsStart, p);
		const digits = raw.includes('_') ? raw.replace(/_/g, '') : raw;
		let bad = false;
		if (digits.length === 0) {
			error(begin, `invalid number '${shortText(source.slice(begin, p))}': no digits`);
			bad = true;
		}
		// `1.5GiB` is a natural thing to write; say why it fails instead of tripping over the `.`.
		if (!hex && source.charCodeAt(p) === 46 && isDigit(source.charCodeAt(p + 1))) {
			p++;
			while (p < n && (isDigit(source.charCodeAt(p)) || source.charCodeAt(p) === 95)) { p++; }
			error(begin, 'only whole numbers are supported (write 1536MiB, not 1.5GiB)');
			bad = true;
		}

		let scale = 1n;
		let unit: NumUnit | undefined;
		// The suffix may be separated by blanks (not a newline); a word directly followed by `(`
		// is a call such as `pages(X, 0, 2)`, so it is left alone.
		let q = p;
		while (q < n && (source.charCodeAt(q) === 32 || source.charCodeAt(q) === 9)) { q++; }
		let w = q;
		while (w < n && isIdentPart(source.charCodeAt(w))) { w++; }
		const word = source.slice(q, w);
		let end = p;
		if (word.length > 0 && isIdentStart(source.charCodeAt(q))) {
			// own properties only: `1 toString` must not find Object.prototype.toString
			const suffix = Object.hasOwn(SUFFIXES, word) ? SUFFIXES[word] : undefined;
			const bw = Object.hasOwn(BANDWIDTHS, word) ? BANDWIDTHS[word] : undefined;
			if (bw !== undefined && source.startsWith('/s', w) && !isIdentPart(source.charCodeAt(w + 2))) {
				scale = bw;
				unit = 'bps';
				end = w + 2;
			} else if (suffix !== undefined && source.charCodeAt(w) !== 40) {
				scale = suffix.scale;
				unit = suffix.unit;
				end = w;
			} else if (q === p) {
				// `12abc`, `4GB`: letters glued to a number are never an identifier.
				error(p, `invalid number suffix '${shortText(word)}'`);
				bad = true;
				end = w;
			}
		}

		let value = 0;
		// the common case without BigInt: a short decimal whose scaled value is below 2^53 (exact,
		// as a product of integers below 2^53 is); anything else takes the exact BigInt path
		const fast = !bad && !hex && digits.length <= 15 ? Number(digits) * Number(scale) : Infinity;
		if (fast < 2 ** 53) {
			value = fast;
		} else if (!bad) {
			const significant = digits.replace(/^0+/, '');
			// A literal this long is certainly beyond 2^53; BigInt is not asked to parse it.
			if (significant.length > 24) {
				error(begin, 'integer literal is too large (above 2^53)');
			} else {
				const big = BigInt((hex ? '0x' : '') + (digits || '0')) * scale;
				if (big > MAX_INT) { error(begin, 'integer literal is too large (above 2^53)'); } else { value = Number(big); }
			}
		}
		out = { kind: 'num', text: source.slice(begin, end), line, col: col(begin), value, unit };
		return end;
	}

	function lexString(begin: number): number {
		let p = begin + 1;
		const parts: string[] = [];
		let chunk = p;
		while (p < n) {
			const c = source.charCodeAt(p);
			if (c === 34) {
				parts.push(source.slice(chunk, p));
				out = { kind: 'str', text: parts.join(''), line, col: col(begin) };
				return p + 1;
			}
			if (c === 10 || c === 13) { break; }
			if (c === 92) {
				parts.push(source.slice(chunk, p));
				chunk = p;
				const e = source.charAt(p + 1);
				if (e === '"' || e === '\\') {
					parts.push(e);
				} else if (e === 'n') {
					parts.push('\n');
				} else if (e === 't') {
					parts.push('\t');
				} else if (e === '' || e === '\n' || e === '\r') {
					p++;
					break;
				} else { error(p, `unknown escape sequence '\\${e}' (use \\" or \\\\)`); }
				p += 2;
				chunk = p;
				continue;
			}
			p++;
		}
		parts.push(source.slice(chunk, p));
		error(begin, 'unterminated string');
		out = { kind: 'str', text: parts.join(''), line, col: col(begin) };
		return p;
	}
}
