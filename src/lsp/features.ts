// The editor features, computed from an Analysis and the single vocabulary: completion, hover,
// signature help, outline, go to definition, references and quick fixes for misspelt names. Plain
// data in and out (1-based positions); server.ts converts to and from the protocol's types.
import { ERROR_CODES } from '../lang/ast';
import {
	ADVICE, ADVICE_DOCS, ADVISE_KEYS, BUILTIN_SPECS, BUILTINS, DEVICE_MEMBERS, EXPRESSION_WORDS, fixedMembers, isBuiltin,
	MMAP_MODIFIERS, PROCESS_MEMBERS, protectionDoc, PROTECTIONS, STATEMENTS, type StatementSpec,
} from '../lang/vocabulary';
import { DEVICE_OPTIONS, type OptionSpec, SYSTEM_OPTIONS } from '../lang/vocabularyOptions';
import { type Analysis, nameAt, type NameInfo, namesOf } from './symbols';

export type ItemKind = 'keyword' | 'function' | 'variable' | 'module' | 'property' | 'value' | 'constant';

export interface Item { label: string; kind: ItemKind; detail?: string; doc?: string }

const WORD = /[A-Za-z_][A-Za-z0-9_]*/g;

function statementItems(): Item[] {
	const seen = new Set<string>();
	const out: Item[] = [];
	for (const s of Object.values(STATEMENTS) as StatementSpec[]) {
		// `DEV op` statements start with a device name, and kernel-body lines only belong in kernels
		const kernelOnly = s.inKernel === true && !['for', 'repeat', 'if', 'print'].includes(s.words[0]);
		const w = s.deviceOp || kernelOnly ? undefined : s.words[0];
		if (!w || seen.has(w)) { continue; }
		seen.add(w);
		out.push({ label: w, kind: 'keyword', detail: s.syntax, doc: s.doc + (s.needs ? ` (not simulated yet: needs ${s.needs})` : '') });
	}
	return out;
}

function members(table: Readonly<Record<string, string>>): Item[] {
	return Object.entries(table).map(([label, doc]) => ({ label, kind: 'property', doc }));
}

function optionItems(specs: Readonly<Record<string, OptionSpec>>): Item[] {
	return Object.entries(specs).map(([k, o]) => ({
		label: k, kind: 'property', detail: `${k}=${Array.isArray(o.value) ? (o.value as string[]).join('|') : String(o.value).toUpperCase()}`,
		doc: o.doc + (o.default ? ` (default ${o.default})` : ''),
	}));
}

function names(a: Analysis, kind: 'variable' | 'device' | 'process' | 'file'): Item[] {
	return namesOf(a, kind).map(n => ({ label: n, kind: kind === 'variable' ? 'variable' : kind === 'file' ? 'value' : 'module', detail: kind }));
}

function expressionItems(a: Analysis): Item[] {
	return [
		...names(a, 'variable'), ...names(a, 'device'), ...names(a, 'process'),
		...BUILTINS.map(b => ({ label: b, kind: 'function' as const, detail: BUILTIN_SPECS[b].syntax, doc: BUILTIN_SPECS[b].doc })),
		...Object.entries(EXPRESSION_WORDS).map(([label, doc]) => ({ label, kind: 'keyword' as const, doc })),
	];
}

/** Completions at (line, col): what may be written there, by the context the line gives. */
export function complete(a: Analysis, line: number, col: number): Item[] {
	const before = (a.lines[line - 1] ?? '').slice(0, col - 1);
	const member = /([A-Za-z_][A-Za-z0-9_]*)\.[A-Za-z0-9_]*$/.exec(before);
	if (member) {
		const o = member[1];
		const fixed = fixedMembers(o);
		if (fixed) { return members(fixed); }
		if (namesOf(a, 'device').includes(o)) { return members(DEVICE_MEMBERS); }
		if (namesOf(a, 'process').includes(o)) { return members(PROCESS_MEMBERS); }
		return [];
	}
	const stripped = before.replace(/#.*$/, '');
	const words = stripped.match(WORD) ?? [];
	const open = /[A-Za-z0-9_]$/.test(stripped);
	const done = open ? words.slice(0, -1) : words;
	const head = done[0];
	const optValue = /([a-z_]+)=[A-Za-z0-9_]*$/.exec(stripped);
	if (head === 'device' || head === 'system') {
		const specs = head === 'device' ? DEVICE_OPTIONS : SYSTEM_OPTIONS;
		if (optValue) {
			const v = specs[optValue[1]]?.value;
			return Array.isArray(v) ? (v as string[]).map(w => ({ label: w, kind: 'value' as const })) : [];
		}
		return done.length >= (head === 'device' ? 2 : 1) ? optionItems(specs) : [];
	}
	if (done.length === 0) {
		return [...statementItems(), ...names(a, 'device').map(d => ({ ...d, detail: 'DEV mirror|unmirror|read|write|release' })), ...names(a, 'variable')];
	}
	if (done.length === 1 && namesOf(a, 'device').includes(head) && !/=/.test(stripped)) {
		return Object.values(STATEMENTS).filter(s => s.deviceOp).map(s => ({ label: s.words[0], kind: 'keyword' as const, detail: s.syntax, doc: s.doc }));
	}
	if (/(^|\s)(use|exit)\s+[A-Za-z0-9_]*$/.test(stripped) || (done.length >= 2 && namesOf(a, 'device').includes(head) && /(un)?mirror\s+[A-Za-z0-9_]*$/.test(stripped))) {
		return names(a, 'process');
	}
	if (/->\s*[A-Za-z0-9_]*$/.test(stripped)) { return [{ label: 'ram', kind: 'constant', doc: 'system RAM' }, ...names(a, 'device')]; }
	if (/expect\s+error\s+[A-Z0-9_]*$/.test(stripped)) { return ERROR_CODES.map(c => ({ label: c, kind: 'constant' as const })); }
	if (head === 'madvise' && done.length >= 2) { return ADVICE.map(w => ({ label: w, kind: 'value' as const, doc: ADVICE_DOCS[w] })); }
	if (head === 'advise' && done.length >= 2) { return ADVISE_KEYS.map(w => ({ label: w, kind: 'property' as const })); }
	if (head === 'mprotect' && done.length >= 2) { return PROTECTIONS.map(p => ({ label: p, kind: 'value' as const, doc: protectionDoc(p) })); }
	if (/=\s*mmap\b/.test(stripped)) {
		if (/\b(file|dax)\s+[A-Za-z0-9_]*$/.test(stripped)) { return names(a, 'file'); }
		return [
			...['anon', 'file', 'dax'].map(w => ({ label: w, kind: 'keyword' as const })),
			...PROTECTIONS.map(p => ({ label: p, kind: 'value' as const, doc: protectionDoc(p) })),
			...MMAP_MODIFIERS.map(w => ({ label: w, kind: 'keyword' as const })),
		];
	}
	return expressionItems(a);
}

export interface HoverText { markdown: string; line: number; col: number; length: number }

/** The word under (line, col) and what the language says about it. */
export function hover(a: Analysis, line: number, col: number): HoverText | undefined {
	const text = a.lines[line - 1] ?? '';
	const w = wordAt(text, col);
	if (!w) { return undefined; }
	const at = (markdown: string): HoverText => ({ markdown, line, col: w.start + 1, length: w.word.length });
	const before = text.slice(0, w.start);
	const obj = /([A-Za-z_][A-Za-z0-9_]*)\.$/.exec(before)?.[1];
	if (obj) {
		const table: Readonly<Record<string, string>> | undefined = fixedMembers(obj)
			?? (namesOf(a, 'device').includes(obj) ? DEVICE_MEMBERS : namesOf(a, 'process').includes(obj) ? PROCESS_MEMBERS : undefined);
		const doc = table?.[w.word];
		return doc ? at(`\`${obj}.${w.word}\`: ${doc}`) : undefined;
	}
	const n = nameAt(a, line, col);
	if (n) { return at(nameDoc(n)); }
	if (isBuiltin(w.word) && /^\s*\(/.test(text.slice(w.start + w.word.length))) {
		const s = BUILTIN_SPECS[w.word];
		return at(`\`\`\`hmmw\n${s.syntax}\n\`\`\`\n${s.doc}`);
	}
	const first = /^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(text);
	const isHead = first !== null && first.index + first[0].length - first[1].length === w.start;
	if (isHead) {
		const s = Object.values(STATEMENTS).find(x => x.words[0] === w.word && !x.deviceOp);
		if (s) { return at(`\`\`\`hmmw\n${s.syntax}\n\`\`\`\n${s.doc}${s.needs ? `\n\nNot simulated yet: needs ${s.needs}.` : ''}`); }
	}
	const opt = new RegExp(`\\b${w.word}=$`).test(text.slice(0, w.start + w.word.length + 1)) && first
		? (first[1] === 'system' ? SYSTEM_OPTIONS : DEVICE_OPTIONS)[w.word] : undefined;
	if (opt) { return at(`\`${w.word}=\`: ${opt.doc}${opt.default ? ` (default \`${opt.default}\`)` : ''}`); }
	const op = Object.values(STATEMENTS).find(x => x.deviceOp && x.words[0] === w.word);
	if (op) { return at(`\`\`\`hmmw\n${op.syntax}\n\`\`\`\n${op.doc}`); }
	if ((ADVICE as readonly string[]).includes(w.word)) { return at(`\`${w.word}\`: ${ADVICE_DOCS[w.word as keyof typeof ADVICE_DOCS]}`); }
	if (PROTECTIONS.includes(w.word)) { return at(`\`${w.word}\`: ${protectionDoc(w.word)}`); }
	if ((ERROR_CODES as readonly string[]).includes(w.word)) { return at(`\`${w.word}\`: an error code for \`expect error\``); }
	const ew = EXPRESSION_WORDS[w.word];
	if (ew) { return at(`\`${w.word}\`: ${ew}`); }
	return undefined;
}

function nameDoc(n: NameInfo): string {
	const by = n.declaredBy ? `\n\`\`\`hmmw\n${n.declaredBy}\n\`\`\`` : '';
	return `${n.kind} \`${n.name}\`${by}`;
}

function wordAt(text: string, col: number): { word: string; start: number } | undefined {
	for (const m of text.matchAll(WORD)) {
		if (col - 1 >= m.index && col - 1 <= m.index + m[0].length) { return { word: m[0], start: m.index }; }
	}
	return undefined;
}

export interface Signature { label: string; doc: string; params: string[]; active: number }

/** Signature help inside a builtin call: the call that encloses the cursor and the argument it is on. */
export function signature(a: Analysis, line: number, col: number): Signature | undefined {
	const raw = (a.lines[line - 1] ?? '').slice(0, col - 1);
	// string contents are blanked so their brackets and commas do not count; inside one, no help
	const before = raw.replace(/"(?:[^"\\]|\\.)*"/g, m => '"' + ' '.repeat(m.length - 2) + '"');
	if (/"/.test(before.replace(/"[^"]*"/g, ''))) { return undefined; }
	let depth = 0;
	let arg = 0;
	for (let i = before.length - 1; i >= 0; i--) {
		const c = before[i];
		if (c === ')' || c === ']') { depth++; } else if (c === '[') { depth--; } else if (c === '(') {
			if (depth > 0) { depth--; continue; }
			const name = /([A-Za-z_][A-Za-z0-9_]*)\s*$/.exec(before.slice(0, i))?.[1];
			if (!name || !isBuiltin(name)) { return undefined; }
			const s = BUILTIN_SPECS[name];
			const params = s.syntax.slice(s.syntax.indexOf('(') + 1, s.syntax.lastIndexOf(')')).split(',').map(p => p.trim()).filter(p => p);
			return { label: s.syntax, doc: s.doc, params, active: Math.min(arg, Math.max(0, params.length - 1)) };
		} else if (c === ',' && depth === 0) { arg++; }
	}
	return undefined;
}

/** Go to definition: the declarations of the name under the cursor. */
export function definition(a: Analysis, line: number, col: number): { line: number; col: number; length: number }[] {
	return nameAt(a, line, col)?.defs ?? [];
}

/** Find all references: declarations (when asked) and uses of the name under the cursor. */
export function references(a: Analysis, line: number, col: number, includeDeclaration: boolean): { line: number; col: number; length: number }[] {
	const n = nameAt(a, line, col);
	if (!n) { return []; }
	const all = includeDeclaration ? [...n.defs, ...n.refs] : n.refs;
	return all.sort((x, y) => x.line - y.line || x.col - y.col);
}

/** Quick fixes for a diagnostic: the nearest known names for an unknown one. */
export function fixes(a: Analysis, message: string): string[] {
	const m = /^unknown (device|process|file|name|function|location|advice|protection|error code) '([^']+)'/.exec(message)
		?? /^'[^']+' has no property '([^']+)'/.exec(message);
	if (!m) { return []; }
	let wrong: string;
	let pool: string[];
	if (m.length === 2) {
		wrong = m[1];
		pool = /expected one of ([^)]*)\)/.exec(message)?.[1].split(/,\s*/) ?? [];
	} else {
		wrong = m[2];
		const kind = m[1];
		pool = kind === 'device' ? namesOf(a, 'device') : kind === 'process' ? namesOf(a, 'process') : kind === 'file' ? namesOf(a, 'file')
			: kind === 'function' ? [...BUILTINS] : kind === 'location' ? ['ram', ...namesOf(a, 'device')]
				: kind === 'advice' ? [...ADVICE, ...ADVISE_KEYS] : kind === 'protection' ? [...PROTECTIONS] : kind === 'error code' ? [...ERROR_CODES]
					: [...namesOf(a, 'variable'), ...namesOf(a, 'device'), ...namesOf(a, 'process')];
	}
	return nearest(wrong, pool);
}

/** Names within a small edit distance of `wrong`, closest first (at most three). */
export function nearest(wrong: string, pool: readonly string[]): string[] {
	const limit = Math.max(1, Math.min(3, Math.floor(wrong.length / 3)));
	return [...new Set(pool)]
		.map(p => ({ p, d: distance(wrong.toLowerCase(), p.toLowerCase()) }))
		.filter(x => x.d <= limit && x.p !== wrong)
		.sort((x, y) => x.d - y.d || x.p.localeCompare(y.p))
		.slice(0, 3)
		.map(x => x.p);
}

/** Damerau-Levenshtein (optimal string alignment), bounded: names are short. */
function distance(a: string, b: string): number {
	if (Math.abs(a.length - b.length) > 3 || a.length > 64 || b.length > 64) { return 99; }
	const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
	for (let j = 0; j <= b.length; j++) { d[0][j] = j; }
	for (let i = 1; i <= a.length; i++) {
		for (let j = 1; j <= b.length; j++) {
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) { d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1); }
		}
	}
	return d[a.length][b.length];
}
