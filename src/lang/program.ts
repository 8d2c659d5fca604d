// Compiles the syntax tree to a flat instruction list with explicit jumps. The interpreter's whole
// control state is then a program counter plus small loop and handler records: cheap to pause,
// to show as a stack, and to snapshot for time travel.
import type { Expr, ForStmt, Loc, Program, RepeatStmt, Stmt } from './ast';

export type Instr =
	/** one simple statement */
	| { op: 'exec'; stmt: Stmt; loc: Loc }
	| { op: 'jump'; to: number; loc: Loc }
	/** if: fall into `then`, or jump to `else` when the condition is false */
	| { op: 'branch'; cond: Expr; else: number; loc: Loc }
	| { op: 'for-init'; stmt: ForStmt; exit: number; loc: Loc }
	| { op: 'for-next'; init: number; body: number; loc: Loc }
	| { op: 'repeat-init'; stmt: RepeatStmt; exit: number; loc: Loc }
	| { op: 'repeat-next'; init: number; body: number; loc: Loc }
	/** `expect error CODE {`: installs a handler that lands after `end` */
	| { op: 'try'; code: string; end: number; loc: Loc }
	/** reached only when the block did not fail */
	| { op: 'try-end'; code: string; loc: Loc }
	/** `thread NAME {`: a new thread starts at the next instruction; this one goes on at `end` */
	| { op: 'spawn'; name: string; end: number; loc: Loc }
	/** the end of a thread's body, and of the main script when it starts threads (threads.ts) */
	| { op: 'thread-end'; loc: Loc };

export interface CompiledProgram {
	file: string;
	code: Instr[];
	/** lines holding an instruction that can be stopped at, ascending */
	lines: number[];
}

export function compile(program: Program): CompiledProgram {
	const code: Instr[] = [];
	const emit = (i: Instr): number => { code.push(i); return code.length - 1; };

	const block = (stmts: Stmt[]): void => { for (const s of stmts) { stmt(s); } };

	/** A loop: its init instruction, the body, the instruction that goes round again, the exit. */
	const loop = (init: number, next: 'for-next' | 'repeat-next', body: Stmt[], loc: Loc): void => {
		block(body);
		emit({ op: next, init, body: init + 1, loc });
		(code[init] as { exit: number }).exit = code.length;
	};

	const stmt = (s: Stmt): void => {
		switch (s.kind) {
			case 'if': {
				const br = emit({ op: 'branch', cond: s.cond, else: -1, loc: s.loc });
				block(s.then);
				if (s.else) {
					const j = emit({ op: 'jump', to: -1, loc: s.loc });
					(code[br] as { else: number }).else = code.length;
					block(s.else);
					(code[j] as { to: number }).to = code.length;
				} else {
					(code[br] as { else: number }).else = code.length;
				}
				return;
			}
			case 'for':
				loop(emit({ op: 'for-init', stmt: s, exit: -1, loc: s.loc }), 'for-next', s.body, s.loc);
				return;
			case 'repeat':
				loop(emit({ op: 'repeat-init', stmt: s, exit: -1, loc: s.loc }), 'repeat-next', s.body, s.loc);
				return;
			case 'expect-error': {
				const t = emit({ op: 'try', code: s.code, end: -1, loc: s.loc });
				block(s.body);
				(code[t] as { end: number }).end = emit({ op: 'try-end', code: s.code, loc: s.loc });
				return;
			}
			case 'thread': {
				threads = true;
				const t = emit({ op: 'spawn', name: s.name, end: -1, loc: s.loc });
				block(s.body);
				emit({ op: 'thread-end', loc: s.loc });
				(code[t] as { end: number }).end = code.length;
				return;
			}
			default:
				emit({ op: 'exec', stmt: s, loc: s.loc });
		}
	};

	let threads = false;
	block(program.body);
	// the main script waits for its threads at its end; a script without threads compiles as before
	if (threads) { emit({ op: 'thread-end', loc: { line: program.body[program.body.length - 1].loc.line, col: 1 } }); }
	const lines = [...new Set(code.filter(i => i.op !== 'jump' && i.op !== 'try-end' && i.op !== 'thread-end').map(i => i.loc.line))].sort((a, b) => a - b);
	return { file: program.file, code, lines };
}
