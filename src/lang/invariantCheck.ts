// Whole-machine checks after every statement (tests and HMMW_CHECK_INVARIANTS=1): the engine's
// invariants, and for statements that only move pages or change permissions, that what every
// process reads stayed the same.
import type { Machine } from '../engine/machine';
import type { RunError } from './interp';
import type { Instr } from './program';

/** Statements that move pages or change permissions but must never change what a process reads. */
const PRESERVING = new Set(['mirror', 'unmirror', 'migrate', 'exclusive', 'release', 'snapshot', 'mprotect', 'unpin']);

export function preserves(ins: Instr | undefined): boolean {
	if (!ins || ins.op !== 'exec') { return false; }
	return PRESERVING.has(ins.stmt.kind) || (ins.stmt.kind === 'madvise' && ins.stmt.advice !== 'dontneed' && ins.stmt.advice !== 'free');
}

export class InvariantCheck {
	private sum?: number;

	constructor(private readonly machine: Machine) { }

	/** processes the OOM killer had killed when the statement began */
	private killed = 0;

	/** Before `ins` runs: remembers the contents if the statement must preserve them. */
	begin(ins: Instr | undefined): void {
		this.sum = preserves(ins) ? this.machine.contentChecksum() : undefined;
		if (this.sum !== undefined) { this.killed = this.oomKilled(); }
	}

	/** An OOM kill during the statement (its allocations may kill: mm/oom_kill.ts) takes the
	 * victim's memory with it, so what the victim read is no longer there to compare. */
	private oomKilled(): number { return this.machine.view.processes().filter(p => p.oomKilled !== undefined).length; }

	/** After `ins` ran: the violations found, as a run error located at the statement. */
	end(ins: Instr | undefined): RunError | undefined {
		const loc = ins?.loc ?? { line: 1, col: 1 };
		const bad = this.machine.checkInvariants();
		if (this.sum !== undefined && this.oomKilled() === this.killed && this.machine.contentChecksum() !== this.sum) { bad.push('the statement changed page contents that it must only move'); }
		this.sum = undefined;
		if (bad.length === 0) { return undefined; }
		const more = bad.length > 8 ? ` (and ${bad.length - 8} more)` : '';
		return { line: loc.line, col: loc.col, code: 'invariant', message: `invariant violated after this statement: ${bad.slice(0, 8).join('; ')}${more}` };
	}
}
