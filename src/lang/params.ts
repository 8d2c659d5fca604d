// `param NAME = CONSTANT` (docs/language.md#param): what counts as a constant, and the tunables a
// program declares. The parser substitutes a param's value for every later use of its name, so the
// checker and the executor see plain literals: a param works wherever the constant it stands for
// would, device options (`memory=`, `policy=`, `link=` ...) included.

import type { Expr, ParamStmt, Program } from './ast';

/** A number (with its unit, optionally negated), a string, a boolean or a word (`migrate`, `pcie5`). */
export function isConstant(e: Expr): boolean {
	switch (e.kind) {
		case 'num': case 'str': case 'bool': case 'ident': return true;
		case 'unary': return e.op === '-' && e.arg.kind === 'num';
		default: return false;
	}
}

export const CONSTANT_WORDS = 'a constant (a number with its unit, a word, a string, true or false)';

/** The top-level `param` statements, in order. */
export function declaredParams(program: Program): ParamStmt[] {
	return program.body.filter((s): s is ParamStmt => s.kind === 'param');
}

/** The message for `--set` names no `param` declares, or undefined when all are declared. */
export function unknownParamsMessage(program: Program, names: Iterable<string>): string | undefined {
	const declared = new Set(declaredParams(program).map(p => p.name));
	const unknown = [...names].filter(n => !declared.has(n));
	if (unknown.length === 0) { return undefined; }
	const have = declared.size === 0 ? 'the script declares no param' : `the script declares ${[...declared].join(', ')}`;
	return `unknown param ${unknown.map(n => `'${n}'`).join(', ')} in --set (${have})`;
}

/** `NAME=VALUE` as given to `--set`: the name and the value text, or a message. */
export function splitAssignment(text: string): { name: string; value: string } | string {
	const eq = text.indexOf('=');
	const name = eq < 0 ? '' : text.slice(0, eq).trim();
	if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) { return `--set expects NAME=VALUE, got '${text}'`; }
	return { name, value: text.slice(eq + 1).trim() };
}

/** Each declared param's value as written: the `--set` text, or the default as the script spells it. */
export function paramValues(program: Program, source: string, set: Readonly<Record<string, string>>): Record<string, string> {
	const lines = source.split(/\r?\n/);
	const out: Record<string, string> = {};
	for (const p of declaredParams(program)) {
		const text = (lines[p.value.loc.line - 1] ?? '').slice(p.value.loc.col - 1);
		out[p.name] = set[p.name] ?? text.replace(/#.*$/, '').trim();
	}
	return out;
}
