// Statements typed in the debugger's console: `migrate buf -> gpu`, `cpu write page(X, 3) = 7`,
// `gpu release`. They run on the machine at the current stop, between two script statements, with
// the script's variables, devices and processes. Control flow and checks stay the script's:
// blocks and `expect` are refused (an expression in the console already answers a question).
import type { Stmt } from './ast';
import { hasErrors } from './diagnostics';
import { execStmt } from './exec';
import type { Interpreter } from './interp';
import { parse } from './parser';
import { spelling } from './vocabulary';
import { SimError } from '../engine/sim/errors';
import { ScriptError } from './values';

const REFUSED: ReadonlySet<Stmt['kind']> = new Set(['for', 'repeat', 'if', 'expect', 'expect-error', 'system', 'kernel-read', 'kernel-write', 'kernel-atomic', 'thread', 'join', 'schedule']);

/** Does the line parse as statements (allowed in the console or not)? */
export function parsesAsStatements(text: string): boolean {
	if (text.length > 10_000) { return false; }
	const { program, diagnostics } = parse(text, '<console>');
	return !hasErrors(diagnostics) && program.body.length > 0;
}

/** The statements of a console line, or why it is not one. */
export function parseConsole(text: string): { stmts: Stmt[] } | { error: string } {
	if (text.length > 10_000) { return { error: 'a console statement is limited to 10,000 characters' }; }
	const { program, diagnostics } = parse(text, '<console>');
	if (hasErrors(diagnostics)) {
		const d = diagnostics.find(x => x.severity === 'error')!;
		return { error: `${d.message} (column ${d.col})` };
	}
	if (program.body.length === 0) { return { error: 'nothing to run' }; }
	const bad = program.body.find(s => REFUSED.has(s.kind));
	if (bad) { return { error: `\`${spelling(bad.kind)}\` cannot run from the console: it belongs in the script (evaluate an expression to check a value)` }; }
	return { stmts: program.body };
}

/** Runs console statements on the interpreter's machine. Engine events are not breakpoints here.
 * Throws the statement's error as a message (errno first, as the script would report it). */
export function runConsole(interp: Interpreter, stmts: readonly Stmt[]): void {
	for (const s of stmts) {
		try {
			const g = execStmt(s, interp.machine, interp);
			// events of a console statement do not stop; with script threads suspended it may meet a
			// lock one of them holds, and nothing else runs while the console does
			for (let r = g.next(); !r.done; r = g.next()) {
				if (r.value.kind === 'call' && r.value.detail === 'wait') {
					g.return();
					throw new Error(`${spelling(s.kind)} waits for ${r.value.fn ?? 'a lock'}: a script thread holds it`);
				}
			}
		} catch (e) {
			if (e instanceof SimError) { throw new Error(`${e.code}: ${e.message}`, { cause: e }); }
			if (e instanceof ScriptError) { throw new Error(e.message, { cause: e }); }
			throw e;
		}
	}
}
