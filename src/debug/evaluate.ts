// Expressions typed into the watch view, hovers and the debug console (docs/language.md#conditions-and-expressions-in-the-debugger), and debug
// console completions. Errors come back as messages, never exceptions.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { parseExpression } from '../lang/parser';
import { parsesAsStatements } from '../lang/console';
import { evaluate } from '../lang/eval';
import { builtinDocs, DEVICE_MEMBERS, EXPRESSION_WORDS, fixedMembers, memberDocs, PROCESS_MEMBERS } from '../lang/vocabulary';
import type { Expr } from '../lang/ast';
import type { Interpreter } from '../lang/interp';
import type { Value } from '../lang/values';
import type { VariableStore } from './variables';

/** A console line that is a statement (`migrate buf -> gpu`, `X = 4`), not an expression. */
export function isStatement(text: string): boolean {
	return !parseExpression(text, '<expression>').expr && parsesAsStatements(text);
}

export function evalText(text: string, interp: Interpreter): { value: Value; expr: Expr } | { error: string } {
	const r = parseExpression(text, '<expression>');
	if (!r.expr) {
		const d = r.diagnostics[0];
		return { error: d ? `${d.message} (column ${d.col})` : 'cannot parse the expression' };
	}
	try {
		return { value: evaluate(r.expr, interp), expr: r.expr };
	} catch (e) {
		if (e instanceof RangeError) { return { error: 'expression too deeply nested to evaluate' }; }
		return { error: (e as Error).message };
	}
}

/** An expression that is an address (a call of addr()): shown in hex, as addresses are everywhere else. */
function isAddress(e: Expr): boolean {
	return e.kind === 'call' && e.callee === 'addr';
}

/** The evaluate response body, or an error message. A bare device or process name (not a script
 * variable) evaluates to that device or process, as the Devices and Processes scopes show it. */
export function evaluateRequest(text: string, interp: Interpreter, vs: VariableStore, hex: boolean,
	named?: (name: string) => DebugProtocol.Variable | undefined): DebugProtocol.EvaluateResponse['body'] | string {
	const word = text.trim();
	if (named && /^[A-Za-z_][A-Za-z0-9_]*$/.test(word) && !interp.vars.has(word)) {
		const n = named(word);
		if (n) { return { result: n.value, variablesReference: n.variablesReference, type: 'device or process' }; }
	}
	const r = evalText(text, interp);
	if ('error' in r) { return r.error; }
	const v = r.value;
	const saved = vs.hex;
	vs.hex = hex || (typeof v === 'number' && isAddress(r.expr));
	try {
		const asVar = vs.value(text, v);
		return { result: asVar.value, variablesReference: asVar.variablesReference, indexedVariables: asVar.indexedVariables, namedVariables: asVar.namedVariables, memoryReference: asVar.memoryReference, type: typeof v === 'object' ? v.kind : typeof v };
	} finally {
		vs.hex = saved;
	}
}

const isWordChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const skipDigits = (s: string) => { let i = 0; while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) { i++; } return s.slice(i); };

/** The identifier being typed at the end of `before`, and the name before a dot in front of it
 * (`gpu.mig` -> gpu, mig). One backward scan: a regex anchored at the end would retry from every
 * start position, quadratic in a long word. */
function wordBefore(before: string): { owner: string; prefix: string } {
	let i = before.length;
	while (i > 0 && isWordChar(before.charCodeAt(i - 1))) { i--; }
	const tail = before.slice(i);
	if (i > 0 && before[i - 1] === '.') {
		let j = i - 1;
		while (j > 0 && isWordChar(before.charCodeAt(j - 1))) { j--; }
		const owner = skipDigits(before.slice(j, i - 1));
		if (owner !== '') { return { owner, prefix: tail }; }
	}
	return { owner: '', prefix: skipDigits(tail) };
}

/** Completions for the word before `column` (1-based) of `text`. */
export function completions(text: string, column: number, interp: Interpreter | undefined): DebugProtocol.CompletionItem[] {
	const { owner, prefix } = wordBefore(text.slice(0, Math.max(0, column - 1)));
	const view = interp?.machine.view;
	const devices = view?.deviceNames() ?? [];
	const processes = view?.processes().filter(p => p.alive).map(p => p.name) ?? [];
	const items: DebugProtocol.CompletionItem[] = [];
	const add = (label: string, type: DebugProtocol.CompletionItemType, detail?: string) => {
		if (label.startsWith(prefix)) { items.push({ label, type, detail, length: prefix.length }); }
	};
	const members = (table: Readonly<Record<string, string>>) => memberDocs(table).forEach(d => add(d.label, 'property', d.detail));
	if (owner) {
		const fixed = fixedMembers(owner);
		if (fixed) { members(fixed); } else {
			if (devices.includes(owner)) { members(DEVICE_MEMBERS); }
			if (processes.includes(owner)) { members(PROCESS_MEMBERS); }
		}
		return items;
	}
	for (const name of interp?.vars.keys() ?? []) { add(name, 'variable'); }
	for (const b of builtinDocs()) { add(b.label, 'function', b.detail); }
	for (const d of devices) { add(d, 'module', 'device'); }
	for (const p of processes) { add(p, 'module', 'process'); }
	for (const [w, detail] of Object.entries(EXPRESSION_WORDS)) { add(w, 'keyword', detail); }
	return items;
}
