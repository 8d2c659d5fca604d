// The language front end as the CLI, the debug adapter and the extension use it.

import type { Diagnostic, Program } from './ast';
import { check } from './check';
import { hasErrors, makeDiagnostic, sortDiagnostics } from './diagnostics';
import { parse } from './parser';

export interface CompileResult {
	program: Program;
	diagnostics: Diagnostic[];
}

/** Parse, then check. The checker runs only on a tree without syntax errors: on a partial tree a
 * statement lost to recovery (say, a `device` line) would turn every later use into a spurious
 * "unknown device". */
export function compileSource(source: string, file: string, params?: Readonly<Record<string, string>>): CompileResult {
	try {
		const { program, diagnostics } = parse(source, file, params);
		if (hasErrors(diagnostics)) { return { program, diagnostics }; }
		return { program, diagnostics: sortDiagnostics([...diagnostics, ...check(program)]) };
	} catch (err) {
		const why = err instanceof Error ? err.message : String(err);
		return { program: { file, body: [] }, diagnostics: [makeDiagnostic(file, 1, 1, `internal error: ${why}`)] };
	}
}
