// Statement grammar (docs/language.md#statements-names-and-the-current-process). Names are never reserved: a keyword decides the statement only at
// the start of a line (or, for device statements, as the second word), so `process child`,
// `read = 3` and `fork use` all parse.

import type {
	AdviseStmt, Advice, DevReadStmt, Expr, FileIoStmt, FileStmt, IfStmt, Loc, MigrateStmt, MmapStmt, MremapStmt, Option, PinStmt, PrefetchStmt, Prot, SnapshotStmt, Stmt,
} from './ast';
import { recordNameLoc, shortText } from './diagnostics';
import type { Token } from './lexer';
import { ParseAbort, ParserBase, describe } from './parseExpr';
import { CONSTANT_WORDS, isConstant } from './params';
import { ADVICE, DEVICE_OPS, MMAP_MODIFIERS, MREMAP_MODIFIERS, PROTECTIONS } from './vocabulary';

const EXPECT_PROT = `a protection (${PROTECTIONS.join(', ')})`;
const EXPECT_ADVICE = `an advice (${ADVICE.join(', ')})`;

export class StmtParser extends ParserBase {
	/** `--set NAME=VALUE` values, already parsed; each replaces the default of `param NAME` */
	overrides: ReadonlyMap<string, Expr> = new Map();

	parseProgram(): Stmt[] {
		const body: Stmt[] = [];
		for (;;) {
			const t = this.peek();
			if (t.kind === 'eof') { return body; }
			// A stray `}` was already reported by the brace pass; the parser just steps over it.
			if (t.kind === 'eol' || (t.kind === 'op' && t.text === '}')) {
				this.next();
				continue;
			}
			const s = this.parseStatement();
			if (s !== undefined) { body.push(s); }
		}
	}

	/** A whole source that must be a single expression (debugger watch, hover, REPL). */
	parseStandaloneExpr(): Expr | undefined {
		try {
			const e = this.parseExpr();
			while (this.peek().kind === 'eol') { this.next(); }
			const t = this.peek();
			if (t.kind !== 'eof') { this.fail(t, `unexpected ${describe(t)} after the expression`); }
			return e;
		} catch (err) {
			if (err instanceof ParseAbort) { return undefined; }
			throw err;
		}
	}

	private parseStatement(): Stmt | undefined {
		this.forgetStatement();
		const savedDepth = this.depth;
		try {
			const s = this.statement();
			const t = this.peek();
			if (t.kind === 'eol') { this.next(); } else if (!this.atEnd()) { this.fail(t, `expected end of statement, found ${describe(t)}`); }
			return s;
		} catch (err) {
			if (!(err instanceof ParseAbort)) { throw err; }
			this.depth = savedDepth;
			this.synchronize();
			return undefined;
		}
	}

	/** Skips to the end of the broken statement: the next newline or `;` outside braces, or the `}`
	 * closing the enclosing block (left for the block to consume). */
	private synchronize(): void {
		let braces = 0;
		for (;;) {
			const t = this.peek();
			if (t.kind === 'eof') { return; }
			if (t.kind === 'op' && t.text === '{') { braces++; } else if (t.kind === 'op' && t.text === '}') {
				if (braces === 0) { return; }
				braces--;
			} else if (t.kind === 'eol' && braces === 0) {
				this.next();
				return;
			}
			this.next();
		}
	}

	private parseBlock(): Stmt[] {
		// Depth is checked before `{` is consumed so that recovery skips the whole block.
		this.enter(this.peek());
		this.expectOp('{');
		const body: Stmt[] = [];
		for (;;) {
			const t = this.peek();
			if (t.kind === 'eof') { break; }
			if (t.kind === 'eol') {
				this.next();
				continue;
			}
			if (t.kind === 'op' && t.text === '}') {
				this.next();
				break;
			}
			const s = this.parseStatement();
			if (s !== undefined) { body.push(s); }
		}
		this.leave();
		return body;
	}

	private named<T extends object>(node: T, field: string, t: Token): T {
		recordNameLoc(node, field, t);
		return node;
	}

	private statement(): Stmt {
		const t = this.peek();
		const loc = this.loc(t);
		if (t.kind !== 'ident') { this.fail(t, `expected a statement, found ${describe(t)}`); }
		if (this.isOp('=', 1)) { return this.assignment(t, loc); }
		if (t.text === 'param' && this.peek(1).kind === 'ident' && this.isOp('=', 2)) { return this.param(loc); }
		switch (t.text) {
			case 'system':
				this.next();
				return { kind: 'system', options: this.options(), loc };
			case 'device': {
				this.next();
				const name = this.expectName('a device name');
				return this.named({ kind: 'device', name: name.text, options: this.options(), loc }, 'name', name);
			}
			case 'process': case 'use': case 'fork': case 'exit': {
				this.next();
				const name = this.expectName('a process name');
				return this.named({ kind: t.text as 'process' | 'use' | 'fork' | 'exit', name: name.text, loc }, 'name', name);
			}
			case 'file': return this.fileStmt(loc);
			case 'sync': {
				this.next();
				const name = this.expectName('a file name');
				return this.named({ kind: 'sync', name: name.text, loc }, 'name', name);
			}
			case 'crash':
				this.next();
				return { kind: 'crash', loc };
			case 'oom_score_adj': {
				this.next();
				const name = this.expectName('a process name');
				return this.named({ kind: 'oom_score_adj', name: name.text, value: this.parseExpr(), loc }, 'name', name);
			}
			case 'truncate': {
				this.next();
				const name = this.expectName('a file name');
				return this.named({ kind: 'truncate', name: name.text, size: this.parseExpr(), loc }, 'name', name);
			}
			case 'munmap': case 'unpin':
				this.next();
				return { kind: t.text as 'munmap' | 'unpin', range: this.parseExpr(), loc };
			case 'pin': {
				this.next();
				const s: PinStmt = { kind: 'pin', range: this.parseExpr(), loc };
				if (this.isOp('->')) {
					this.next();
					const dev = this.expectName('a device name');
					s.device = dev.text;
					this.named(s, 'device', dev);
					if (this.isWord('for')) {
						this.next();
						s.duration = this.parseExpr();
					}
					return s;
				}
				const w = this.peek();
				if (!this.atEnd() && w.kind === 'ident' && w.text === 'read') {
					this.next();
					s.readOnly = true;
				}
				return s;
			}
			case 'mprotect': {
				this.next();
				const range = this.parseExpr();
				const prot = this.expectName(EXPECT_PROT);
				return this.named({ kind: 'mprotect', range, prot: prot.text as Prot, loc }, 'prot', prot);
			}
			case 'madvise': {
				this.next();
				const range = this.parseExpr();
				const adv = this.expectName(EXPECT_ADVICE);
				return this.named({ kind: 'madvise', range, advice: adv.text as Advice, loc }, 'advice', adv);
			}
			case 'cpu': return this.cpuStmt(loc);
			case 'kernel': return this.kernelStmt(loc);
			case 'migrate': case 'prefetch': {
				this.next();
				const range = this.parseExpr();
				this.expectOp('->');
				const to = this.expectName("'ram' or a device name");
				const s: MigrateStmt | PrefetchStmt = this.named({ kind: t.text as 'migrate' | 'prefetch', range, to: to.text, loc }, 'to', to);
				if (s.kind === 'migrate' && this.isWord('from')) {
					this.next();
					const from = this.expectName('a device name');
					s.from = from.text;
					this.named(s, 'from', from);
				}
				return s;
			}
			case 'exclusive': {
				this.next();
				const range = this.parseExpr();
				this.expectOp('->');
				const dev = this.expectName('a device name');
				return this.named({ kind: 'exclusive', range, device: dev.text, loc }, 'device', dev);
			}
			case 'advise': return this.adviseStmt(loc);
			case 'for': return this.forStmt(loc);
			case 'repeat': {
				this.next();
				const count = this.parseExpr();
				return { kind: 'repeat', count, body: this.parseBlock(), loc };
			}
			case 'if': return this.ifStmt();
			case 'thread': case 'join': {
				this.next();
				const name = this.expectName('a thread name');
				const s: Stmt = t.text === 'thread' ? { kind: 'thread', name: name.text, body: this.parseBlock(), loc } : { kind: 'join', name: name.text, loc };
				return this.named(s, 'name', name);
			}
			case 'schedule': {
				this.next();
				const mode = this.expectName("'round_robin' or 'random'");
				return this.named({ kind: 'schedule', mode: mode.text, options: this.options(), loc }, 'mode', mode);
			}
			case 'print': {
				this.next();
				const args = [this.parseExpr()];
				while (this.isOp(',')) {
					this.next();
					args.push(this.parseExpr());
				}
				return { kind: 'print', args, loc };
			}
			case 'expect': return this.expectStmt(loc);
			// Kernel-body lines; the checker rejects them outside a kernel with a clearer message
			// than a parse error could give.
			case 'read': case 'atomic':
				this.next();
				return { kind: t.text === 'read' ? 'kernel-read' : 'kernel-atomic', range: this.parseExpr(), loc };
			case 'write': {
				this.next();
				const range = this.parseExpr();
				return { kind: 'kernel-write', range, value: this.optionalValue(), loc };
			}
		}
		const op = this.peek(1);
		if (op.kind === 'ident' && DEVICE_OPS.has(op.text)) { return this.deviceStmt(loc); }
		return this.fail(t, `unknown statement '${shortText(t.text)}'`);
	}

	private optionalValue(): Expr | undefined {
		if (!this.isOp('=')) { return undefined; }
		this.next();
		return this.parseExpr();
	}

	private options(): Option[] {
		const out: Option[] = [];
		while (!this.atEnd()) {
			const key = this.peek();
			if (key.kind !== 'ident' || !this.isOp('=', 1)) { this.fail(key, `expected an option 'key=value', found ${describe(key)}`); }
			this.next();
			this.next();
			out.push({ key: key.text, value: this.parseExpr(), loc: this.loc(key) });
			// `key=a,b`: a list of words, one option each (system experimental=)
			while (this.isOp(',')) {
				this.next();
				const w = this.peek();
				if (w.kind !== 'ident') { this.fail(w, `expected a word after ',' in '${key.text}=', found ${describe(w)}`); }
				this.next();
				out.push({ key: key.text, value: { kind: 'ident', name: w.text, loc: this.loc(w) }, loc: this.loc(w) });
			}
		}
		return out;
	}

	private param(loc: Loc): Stmt {
		this.next();
		const name = this.next();
		this.next();
		const first = this.peek();
		const value = this.parseExpr();
		if (!isConstant(value)) { this.fail(first, `param '${shortText(name.text)}' must be ${CONSTANT_WORDS}`); }
		if (this.params.has(name.text)) { this.report(this.loc(name), `param '${shortText(name.text)}' is declared twice`); }
		const override = this.overrides.get(name.text);
		this.params.set(name.text, override ?? value);
		return this.named({ kind: 'param', name: name.text, value: override ?? value, overridden: override !== undefined, loc }, 'name', name);
	}

	private assignment(t: Token, loc: Loc): Stmt {
		this.next();
		this.next();
		const a = this.peek();
		const b = this.peek(1);
		const startsExpr = b.kind === 'num' || (b.kind === 'op' && b.text === '(')
			|| (b.kind === 'ident' && b.text !== 'and' && b.text !== 'or');
		if (a.kind === 'ident' && a.text === 'mmap' && startsExpr) { return this.mmapStmt(t, loc); }
		if (a.kind === 'ident' && a.text === 'mremap' && startsExpr) { return this.mremapStmt(t, loc); }
		// `DEV read R`: two words in a row can never begin an expression, so this is unambiguous.
		if (a.kind === 'ident' && b.kind === 'ident' && (b.text === 'read' || b.text === 'snapshot')) {
			this.next();
			this.next();
			const range = this.parseExpr();
			const s: DevReadStmt | SnapshotStmt = b.text === 'read'
				? { kind: 'dev-read', device: a.text, range, target: t.text, loc }
				: { kind: 'snapshot', target: t.text, device: a.text, range, loc };
			return this.named(this.named(s, 'device', a), 'target', t);
		}
		return this.named({ kind: 'assign', target: t.text, value: this.parseExpr(), loc }, 'target', t);
	}

	private mmapStmt(target: Token, loc: Loc): MmapStmt {
		this.next();
		const size = this.parseExpr();
		const backingTok = this.expectName("'anon', 'hugetlb', 'file' or 'dax'");
		const backing = backingTok.text;
		if (backing !== 'anon' && backing !== 'file' && backing !== 'dax' && backing !== 'hugetlb') {
			this.fail(backingTok, `expected 'anon', 'hugetlb', 'file' or 'dax', found ${describe(backingTok)}`);
		}
		const s: MmapStmt = { kind: 'mmap', target: target.text, size, backing, prot: 'none', shared: false, loc };
		this.named(s, 'target', target);
		if (backing === 'hugetlb' && this.isOp('=')) {
			this.next();
			s.hugetlbSize = this.parseExpr();
		}
		if (backing === 'file' || backing === 'dax') {
			const f = this.expectName('a file name');
			s.file = f.text;
			this.named(s, 'file', f);
		}
		const prot = this.expectName(EXPECT_PROT);
		s.prot = prot.text as Prot;
		this.named(s, 'prot', prot);
		const seen = new Map<string, Token>();
		while (!this.atEnd()) {
			const m = this.peek();
			if (m.kind === 'ident' && m.text === 'offset' && this.isOp('=', 1)) {
				this.next();
				this.next();
				s.offset = this.parseExpr();
			} else if (m.kind === 'ident' && (MMAP_MODIFIERS as readonly string[]).includes(m.text)) {
				this.next();
				if (m.text === 'shared') { s.shared = true; }
				if (m.text === 'huge' || m.text === 'nohuge') { s.huge = m.text; }
			} else {
				this.fail(m, `expected an mmap option (${[...MMAP_MODIFIERS, 'offset=SIZE'].join(', ')}), found ${describe(m)}`);
			}
			if (seen.has(m.text)) { this.report(m, `'${m.text}' given twice`); }
			seen.set(m.text, m);
		}
		this.mmapConsistency(s, seen, loc);
		return s;
	}

	private mremapStmt(target: Token, loc: Loc): MremapStmt {
		this.next();
		const range = this.parseExpr();
		if (this.atEnd()) { this.fail(this.peek(), 'expected the new size after the range'); }
		const size = this.parseExpr();
		const s: MremapStmt = { kind: 'mremap', target: target.text, range, size, maymove: false, dontunmap: false, loc };
		this.named(s, 'target', target);
		const seen = new Set<string>();
		while (!this.atEnd()) {
			const m = this.peek();
			const word = m.kind === 'ident' && m.text === 'fixed' && this.isOp('=', 1) ? 'fixed'
				: m.kind === 'ident' && (MREMAP_MODIFIERS as readonly string[]).includes(m.text) ? m.text : undefined;
			if (word === undefined) { this.fail(m, `expected ${MREMAP_MODIFIERS.join(', ')} or fixed=ADDR, found ${describe(m)}`); }
			if (seen.has(word)) { this.report(this.loc(m), `'${word}' repeated`); }
			seen.add(word);
			this.next();
			if (word === 'fixed') {
				this.next();
				s.fixed = this.parseExpr();
			} else if (word === 'maymove') {
				s.maymove = true;
			} else {
				s.dontunmap = true;
			}
		}
		return s;
	}

	private mmapConsistency(s: MmapStmt, seen: Map<string, Token>, loc: Loc): void {
		const at = (w: string): Loc => seen.get(w) ?? loc;
		if (seen.has('shared') && seen.has('private')) { this.report(at('private'), "'shared' and 'private' exclude each other"); }
		if (seen.has('huge') && seen.has('nohuge')) { this.report(at('nohuge'), "'huge' and 'nohuge' exclude each other"); }
		if (s.backing !== 'anon') {
			for (const w of ['huge', 'nohuge']) { if (seen.has(w)) { this.report(at(w), `'${w}' applies only to anon mappings`); } }
		}
		if (s.backing !== 'file' && seen.has('offset')) { this.report(at('offset'), "'offset=' applies only to file mappings"); }
		if (s.backing === 'file' && !seen.has('shared') && !seen.has('private')) {
			this.report(loc, "a file mapping must be 'shared' or 'private'");
		}
		if (s.backing === 'dax' && !seen.has('shared')) { this.report(seen.get('private') ?? loc, "a dax mapping must be 'shared'"); }
	}

	private fileStmt(loc: Loc): FileStmt | FileIoStmt {
		const op = this.peek(1);
		// `file read size=4K` declares a file named read; any other name after read/write is an access
		const next = this.peek(2);
		if (op.kind === 'ident' && (op.text === 'read' || op.text === 'write') && next.kind === 'ident' && !(next.text === 'size' && this.isOp('=', 3))) {
			return this.fileIoStmt(loc, op.text);
		}
		this.next();
		const name = this.expectName('a file name');
		this.expectWord('size');
		this.expectOp('=');
		const size = this.parseExpr();
		const s: FileStmt = { kind: 'file', name: name.text, size, loc };
		const init = this.optionalValue();
		if (init !== undefined) { s.init = init; }
		return this.named(s, 'name', name);
	}

	/** `file read|write NAME[[A:B]] [= EXPR]`; either bound, or the brackets, may be left out. */
	private fileIoStmt(loc: Loc, op: 'read' | 'write'): FileIoStmt {
		this.next();
		this.next();
		const name = this.expectName('a file name');
		const s: FileIoStmt = { kind: op === 'read' ? 'file-read' : 'file-write', name: name.text, loc };
		if (this.isOp('[')) {
			this.next();
			if (!this.isOp(':')) { s.lo = this.parseExpr(); }
			this.expectOp(':');
			if (!this.isOp(']')) { s.hi = this.parseExpr(); }
			this.expectOp(']');
		}
		if (op === 'write') {
			const value = this.optionalValue();
			if (value !== undefined) { s.value = value; }
		}
		return this.named(s, 'name', name);
	}

	private cpuStmt(loc: Loc): Stmt {
		this.next();
		const op = this.peek();
		if (op.kind !== 'ident' || (op.text !== 'read' && op.text !== 'write')) {
			this.fail(op, `expected 'read' or 'write' after 'cpu', found ${describe(op)}`);
		}
		this.next();
		const range = this.parseExpr();
		if (op.text === 'read') { return { kind: 'cpu-read', range, loc }; }
		const value = this.optionalValue();
		return value === undefined ? { kind: 'cpu-write', range, loc } : { kind: 'cpu-write', range, value, loc };
	}

	private kernelStmt(loc: Loc): Stmt {
		this.next();
		const dev = this.expectName('a device name');
		let name: string | undefined;
		if (this.peek().kind === 'str') { name = this.next().text; }
		const body = this.parseBlock();
		const s: Stmt = name === undefined ? { kind: 'kernel', device: dev.text, body, loc }
			: { kind: 'kernel', device: dev.text, name, body, loc };
		return this.named(s, 'device', dev);
	}

	private adviseStmt(loc: Loc): AdviseStmt {
		this.next();
		const range = this.parseExpr();
		const key = this.expectName('preferred=, accessed_by= or read_mostly=');
		this.expectOp('=');
		const value = this.expectName(`a value for '${key.text}'`);
		const s: AdviseStmt = { kind: 'advise', range, advice: key.text as AdviseStmt['advice'], value: value.text, loc };
		return this.named(this.named(s, 'advice', key), 'value', value);
	}

	private forStmt(loc: Loc): Stmt {
		this.next();
		const v = this.expectName('a loop variable');
		this.expectWord('in');
		const from = this.parseExpr();
		this.expectOp('..');
		const to = this.parseExpr();
		let step: Expr | undefined;
		if (this.isWord('step')) {
			this.next();
			step = this.parseExpr();
		}
		const body = this.parseBlock();
		const s: Stmt = step === undefined ? { kind: 'for', variable: v.text, from, to, body, loc }
			: { kind: 'for', variable: v.text, from, to, step, body, loc };
		return this.named(s, 'variable', v);
	}

	private ifStmt(): IfStmt {
		const t = this.next();
		const cond = this.parseExpr();
		const s: IfStmt = { kind: 'if', cond, then: this.parseBlock(), loc: this.loc(t) };
		// `else` may sit on the line after the closing brace.
		let k = 0;
		while (this.peek(k).kind === 'eol') { k++; }
		if (!this.isWord('else', k) || this.isOp('=', k + 1)) { return s; }
		for (let j = 0; j <= k; j++) { this.next(); }
		if (this.isWord('if')) {
			// `else if` chains nest; counting them keeps a huge chain from exhausting the stack.
			this.enter(this.peek());
			s.else = [this.ifStmt()];
			this.leave();
		} else {
			s.else = this.parseBlock();
		}
		return s;
	}

	private expectStmt(loc: Loc): Stmt {
		this.next();
		const code = this.peek(1);
		if (this.isWord('error') && code.kind === 'ident' && code.text !== 'and' && code.text !== 'or') {
			this.next();
			this.next();
			return this.named({ kind: 'expect-error', code: code.text, body: this.parseBlock(), loc }, 'code', code);
		}
		const cond = this.parseExpr();
		if (!this.isOp(',')) { return { kind: 'expect', cond, loc }; }
		this.next();
		return { kind: 'expect', cond, message: this.parseExpr(), loc };
	}

	private deviceStmt(loc: Loc): Stmt {
		const dev = this.next();
		const op = this.next();
		let s: Stmt;
		switch (op.text) {
			case 'mirror': {
				const proc = this.expectName('a process name');
				s = this.named({ kind: 'mirror', device: dev.text, process: proc.text, loc }, 'process', proc);
				if (this.isWord('as')) {
					this.next();
					const name = this.expectName('a name for the open file');
					s = this.named({ ...s, handle: name.text }, 'handle', name);
				}
				break;
			}
			case 'unmirror': {
				// `NAME unmirror` closes a named open file: no process to give
				if (this.atEnd()) { s = { kind: 'unmirror', device: dev.text, loc }; break; }
				const proc = this.expectName('a process name');
				s = this.named({ kind: 'unmirror', device: dev.text, process: proc.text, loc }, 'process', proc);
				break;
			}
			case 'read':
				s = { kind: 'dev-read', device: dev.text, range: this.parseExpr(), loc };
				break;
			case 'write': {
				const range = this.parseExpr();
				this.expectOp('=', "'=' and the value to write");
				s = { kind: 'dev-write', device: dev.text, range, value: this.parseExpr(), loc };
				break;
			}
			case 'fail_alloc':
				s = { kind: 'fail_alloc', device: dev.text, loc };
				break;
			default:
				s = { kind: 'release', device: dev.text, loc };
		}
		return this.named(s, 'device', dev);
	}
}
