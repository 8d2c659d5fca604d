// Expressions typed into the watch view, hovers and the debug console (spec §4), and debug
// console completions. Errors come back as messages, never exceptions.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { parseExpression } from '../lang/parser';
import { evaluate } from '../lang/eval';
import { BUILTINS } from '../lang/ast';
import type { Interpreter } from '../lang/interp';
import type { Value } from '../lang/values';
import type { VariableStore } from './variables';

export function evalText(text: string, interp: Interpreter): { value: Value } | { error: string } {
	const r = parseExpression(text, '<expression>');
	if (!r.expr) {
		const d = r.diagnostics[0];
		return { error: d ? `${d.message} (column ${d.col})` : 'cannot parse the expression' };
	}
	try {
		return { value: evaluate(r.expr, interp) };
	} catch (e) {
		if (e instanceof RangeError) { return { error: 'expression too deeply nested to evaluate' }; }
		return { error: (e as Error).message };
	}
}

/** The evaluate response body, or an error message. */
export function evaluateRequest(text: string, interp: Interpreter, vs: VariableStore, hex: boolean): DebugProtocol.EvaluateResponse['body'] | string {
	const r = evalText(text, interp);
	if ('error' in r) { return r.error; }
	const v = r.value;
	const saved = vs.hex;
	vs.hex = hex;
	try {
		const asVar = vs.value(text, v);
		return { result: asVar.value, variablesReference: asVar.variablesReference, indexedVariables: asVar.indexedVariables, namedVariables: asVar.namedVariables, memoryReference: asVar.memoryReference, type: typeof v === 'object' ? v.kind : typeof v };
	} finally {
		vs.hex = saved;
	}
}

const LAST = ['cpages', 'faults', 'error'];
const EVENT = ['kind', 'addr', 'npages', 'device', 'process', 'write', 'fn', 'detail'];
const DEVICE = ['faults', 'fault_batches', 'migrated_in', 'migrated_out', 'evicted', 'prefetched', 'invalidations', 'cpu_faults', 'used', 'free'];
const PROCESS = ['pid', 'rss', 'faults'];
const WORDS = ['and', 'or', 'not', 'true', 'false', 'time', 'last', 'event', 'ram'];

/** Completions for the word before `column` (1-based) of `text`. */
export function completions(text: string, column: number, interp: Interpreter | undefined): DebugProtocol.CompletionItem[] {
	const before = text.slice(0, Math.max(0, column - 1));
	const m = /([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z0-9_]*)$/.exec(before) ?? /()([A-Za-z_][A-Za-z0-9_]*)?$/.exec(before);
	const owner = m?.[1] ?? '';
	const prefix = m?.[2] ?? '';
	const k = interp?.machine.k;
	const items: DebugProtocol.CompletionItem[] = [];
	const add = (label: string, type: DebugProtocol.CompletionItemType, detail?: string) => {
		if (label.startsWith(prefix)) { items.push({ label, type, detail, length: prefix.length }); }
	};
	if (owner) {
		if (owner === 'last') { LAST.forEach(p => add(p, 'property', 'last device operation')); } else if (owner === 'event') { EVENT.forEach(p => add(p, 'property', 'the event stopped on')); } else {
			if (k?.devices.some(d => d.name === owner)) { DEVICE.forEach(p => add(p, 'property', `device ${owner}`)); }
			if (k?.procs.has(owner)) { PROCESS.forEach(p => add(p, 'property', `process ${owner}`)); }
		}
		return items;
	}
	for (const name of interp?.vars.keys() ?? []) { add(name, 'variable'); }
	for (const b of BUILTINS) { add(b, 'function', 'builtin'); }
	for (const d of k?.devices ?? []) { add(d.name, 'module', 'device'); }
	for (const p of k?.procs.keys() ?? []) { add(p, 'module', 'process'); }
	for (const w of WORDS) { add(w, 'keyword'); }
	return items;
}
