// What the language server knows about one document: the front end's diagnostics and program, and
// every name the script declares (variables, devices, processes, files) with where it is declared
// and where it is used. Built from the syntax tree and the positions the parser records, so the
// server agrees with `hmmw check` word for word. No LSP types here: positions are 1-based lines
// and columns, as the front end reports them.
import type { Diagnostic, Expr, Loc, Program, Stmt } from '../lang/ast';
import { nameLoc } from '../lang/diagnostics';
import { compileSource } from '../lang/frontend';

export type NameKind = 'variable' | 'device' | 'process' | 'file';

export interface Occurrence { line: number; col: number; length: number }

export interface NameInfo {
	name: string;
	kind: NameKind;
	defs: Occurrence[];
	refs: Occurrence[];
	/** the statement that declares it, for hovers */
	declaredBy?: string;
}

/** One entry of the document outline. */
export interface OutlineEntry {
	name: string;
	detail: string;
	kind: 'device' | 'process' | 'mapping' | 'kernel' | 'file' | 'variable';
	line: number;
	col: number;
	endLine: number;
	children: OutlineEntry[];
}

export interface Analysis {
	program: Program;
	diagnostics: Diagnostic[];
	names: Map<string, NameInfo[]>;
	outline: OutlineEntry[];
	lines: string[];
}

/** Analyses a document. With syntax errors the checker does not run (as in `hmmw check`), but the
 * names of the partial tree still feed completion and navigation. */
export function analyze(text: string, file: string): Analysis {
	// with syntax errors the front end still returns the partial tree its recovery built
	const { program, diagnostics } = compileSource(text, file);
	const lines = text.split(/\r?\n/);
	const c = new Collector(lines);
	c.block(program.body);
	return { program, diagnostics, names: c.names, outline: c.outline, lines };
}

class Collector {
	readonly names = new Map<string, NameInfo[]>();
	readonly outline: OutlineEntry[] = [];
	private readonly devices = new Set<string>();
	private readonly processes = new Set<string>();
	private readonly files = new Set<string>();
	private currentProcess?: OutlineEntry;

	constructor(private readonly lines: string[]) { }

	private info(name: string, kind: NameKind): NameInfo {
		let list = this.names.get(name);
		if (!list) { list = []; this.names.set(name, list); }
		let i = list.find(x => x.kind === kind);
		if (!i) { i = { name, kind, defs: [], refs: [] }; list.push(i); }
		return i;
	}

	/** The occurrence of `name` at loc, if the text there really is the name (trees built with
	 * recovery may point at the statement instead). */
	private at(loc: Loc, name: string): Occurrence | undefined {
		const line = this.lines[loc.line - 1] ?? '';
		if (line.startsWith(name, loc.col - 1)) { return { line: loc.line, col: loc.col, length: name.length }; }
		const i = line.indexOf(name, loc.col - 1);
		return i >= 0 && isWordAt(line, i, name.length) ? { line: loc.line, col: i + 1, length: name.length } : undefined;
	}

	private def(name: string, kind: NameKind, loc: Loc, by: string): void {
		const o = this.at(loc, name);
		const i = this.info(name, kind);
		i.declaredBy ??= by;
		if (o) { i.defs.push(o); }
	}

	private ref(name: string, kind: NameKind, loc: Loc): void {
		const o = this.at(loc, name);
		if (o) { this.info(name, kind).refs.push(o); }
	}

	block(body: readonly Stmt[]): void {
		for (const s of body) { this.stmt(s); }
	}

	private text(s: Stmt): string {
		return (this.lines[s.loc.line - 1] ?? '').slice(s.loc.col - 1).replace(/\s+#.*$/, '').trim();
	}

	private entry(name: string, detail: string, kind: OutlineEntry['kind'], s: Stmt, endLine = s.loc.line): OutlineEntry {
		return { name, detail, kind, line: s.loc.line, col: s.loc.col, endLine, children: [] };
	}

	private place(e: OutlineEntry): void {
		(this.currentProcess ? this.currentProcess.children : this.outline).push(e);
	}

	private stmt(s: Stmt): void {
		switch (s.kind) {
			case 'device':
				this.devices.add(s.name);
				this.def(s.name, 'device', nameLoc(s, 'name'), this.text(s));
				this.outline.push(this.entry(s.name, this.text(s).replace(/^device\s+\S+\s*/, ''), 'device', s));
				break;
			case 'process': case 'fork':
				this.processes.add(s.name);
				this.def(s.name, 'process', nameLoc(s, 'name'), this.text(s));
				this.currentProcess = this.entry(s.name, s.kind === 'fork' ? 'forked' : 'process', 'process', s);
				this.outline.push(this.currentProcess);
				break;
			case 'use': case 'exit':
				this.ref(s.name, 'process', nameLoc(s, 'name'));
				if (s.kind === 'use') { this.currentProcess = this.outline.find(e => e.kind === 'process' && e.name === s.name) ?? this.currentProcess; }
				break;
			case 'file':
				this.files.add(s.name);
				this.def(s.name, 'file', nameLoc(s, 'name'), this.text(s));
				this.outline.push(this.entry(s.name, 'file', 'file', s));
				this.expr(s.size); if (s.init) { this.expr(s.init); }
				break;
			case 'mirror': case 'unmirror':
				this.ref(s.device, 'device', nameLoc(s, 'device'));
				if (s.process !== undefined) { this.ref(s.process, 'process', nameLoc(s, 'process')); }
				// a named open file is addressed where a device is, so it is listed as one
				if (s.kind === 'mirror' && s.handle !== undefined) { this.def(s.handle, 'device', nameLoc(s, 'handle'), this.text(s)); }
				break;
			case 'mmap':
				this.def(s.target, 'variable', nameLoc(s, 'target'), this.text(s));
				if (s.file !== undefined) { this.ref(s.file, 'file', nameLoc(s, 'file')); }
				this.place(this.entry(s.target, this.text(s).replace(/^\S+\s*=\s*/, ''), 'mapping', s));
				this.expr(s.size); if (s.offset) { this.expr(s.offset); }
				break;
			case 'dev-read':
				this.ref(s.device, 'device', nameLoc(s, 'device'));
				if (s.target !== undefined) { this.def(s.target, 'variable', nameLoc(s, 'target'), this.text(s)); }
				this.expr(s.range);
				break;
			case 'dev-write': this.ref(s.device, 'device', nameLoc(s, 'device')); this.expr(s.range); this.expr(s.value); break;
			case 'snapshot':
				this.ref(s.device, 'device', nameLoc(s, 'device'));
				this.def(s.target, 'variable', nameLoc(s, 'target'), this.text(s));
				this.expr(s.range);
				break;
			case 'kernel': {
				this.ref(s.device, 'device', nameLoc(s, 'device'));
				const end = lastLine(s.body) + 1;
				this.place(this.entry(s.name ?? `kernel on ${s.device}`, `kernel ${s.device}`, 'kernel', s, end));
				this.block(s.body);
				break;
			}
			case 'exclusive': case 'release':
				this.ref(s.device, 'device', nameLoc(s, 'device'));
				if (s.kind === 'exclusive') { this.expr(s.range); }
				break;
			case 'migrate': case 'prefetch':
				if (this.devices.has(s.to)) { this.ref(s.to, 'device', nameLoc(s, 'to')); }
				this.expr(s.range);
				break;
			case 'assign': this.def(s.target, 'variable', nameLoc(s, 'target'), this.text(s)); this.expr(s.value); break;
			case 'param': this.def(s.name, 'variable', nameLoc(s, 'name'), this.text(s)); break;
			case 'for':
				this.def(s.variable, 'variable', nameLoc(s, 'variable'), this.text(s));
				this.expr(s.from); this.expr(s.to); if (s.step) { this.expr(s.step); }
				this.block(s.body);
				break;
			case 'repeat': this.expr(s.count); this.block(s.body); break;
			case 'if': this.expr(s.cond); this.block(s.then); if (s.else) { this.block(s.else); } break;
			case 'print': for (const a of s.args) { this.expr(a); } break;
			case 'expect': this.expr(s.cond); if (s.message) { this.expr(s.message); } break;
			case 'expect-error': case 'thread': this.block(s.body); break;
			case 'schedule': for (const o of s.options) { this.expr(o.value); } break;
			case 'system': for (const o of s.options) { this.expr(o.value); } break;
			default:
				if ('range' in s) { this.expr(s.range); }
				if ('value' in s && s.value && typeof s.value === 'object') { this.expr(s.value); }
		}
		if (s.kind === 'device') { for (const o of s.options) { this.expr(o.value); } }
	}

	private expr(e: Expr): void {
		switch (e.kind) {
			case 'ident':
				if (this.devices.has(e.name)) { this.ref(e.name, 'device', e.loc); } else if (this.processes.has(e.name)) { this.ref(e.name, 'process', e.loc); } else if (this.names.get(e.name)?.some(i => i.kind === 'variable')) { this.ref(e.name, 'variable', e.loc); }
				break;
			case 'member':
				if (this.devices.has(e.object)) { this.ref(e.object, 'device', e.loc); } else if (this.processes.has(e.object)) { this.ref(e.object, 'process', e.loc); }
				break;
			case 'unary': this.expr(e.arg); break;
			case 'binary': this.expr(e.left); this.expr(e.right); break;
			case 'call': for (const a of e.args) { this.expr(a); } break;
			case 'slice': this.expr(e.object); if (e.lo) { this.expr(e.lo); } if (e.hi) { this.expr(e.hi); } break;
			case 'index': this.expr(e.object); this.expr(e.index); break;
			default: break;
		}
	}
}

function isWordAt(line: string, i: number, n: number): boolean {
	const w = /[A-Za-z0-9_]/;
	return (i === 0 || !w.test(line[i - 1])) && (i + n >= line.length || !w.test(line[i + n]));
}

function lastLine(body: readonly Stmt[]): number {
	let n = 0;
	for (const s of body) {
		n = Math.max(n, s.loc.line);
		for (const b of [('body' in s ? s.body : undefined), ('then' in s ? s.then : undefined), ('else' in s ? s.else : undefined)]) {
			if (Array.isArray(b)) { n = Math.max(n, lastLine(b)); }
		}
	}
	return n;
}

/** Every occurrence (declaration or use) at a 1-based position, with its name. */
export function nameAt(a: Analysis, line: number, col: number): NameInfo | undefined {
	for (const list of a.names.values()) {
		for (const i of list) {
			for (const o of [...i.defs, ...i.refs]) {
				if (o.line === line && col >= o.col && col <= o.col + o.length) { return i; }
			}
		}
	}
	return undefined;
}

/** Names of one kind, for completion and spelling suggestions. */
export function namesOf(a: Analysis, kind: NameKind): string[] {
	const out: string[] = [];
	for (const list of a.names.values()) { for (const i of list) { if (i.kind === kind && i.defs.length > 0) { out.push(i.name); } } }
	return out;
}
