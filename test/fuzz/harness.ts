// The checks every fuzzed script must pass, whatever it contains: the front end and the
// interpreter report problems as located diagnostics and run errors, never as exceptions, and
// every location they give points into the source.
import * as assert from 'node:assert/strict';
import { compileSource } from '../../src/lang/frontend';
import { formatDiagnostic, hasErrors } from '../../src/lang/diagnostics';
import { Interpreter } from '../../src/lang/interp';
import type { EventFilter } from '../../src/engine/sim/events';
import { checkInvariants } from '../../src/engine/sim/invariants';

const FILE = 'fuzz.hmmw';
/** "internal error", "internal checker error": what the front end says when it caught a bug */
const INTERNAL = /internal( \w+)? error/i;

/** Line lengths as the lexer counts lines (\n, \r\n and a lone \r each end one). */
function lineLengths(source: string): number[] {
	return source.split(/\r\n|\r|\n/).map(l => l.length);
}

function checkLoc(lines: number[], line: number, col: number, what: string): void {
	assert.ok(Number.isInteger(line) && line >= 1 && line <= lines.length, `${what}: line ${line} outside 1..${lines.length}`);
	// one past the end is where "unexpected end of line" points; a BOM shifts nothing
	assert.ok(Number.isInteger(col) && col >= 1 && col <= lines[line - 1] + 1, `${what}: col ${col} outside line ${line} (${lines[line - 1]} chars)`);
}

/** Invariant violations of bugs already reported (test/model/regressions/), ignored only when
 * FUZZ_SKIP_KNOWN=1, so that a long campaign can look past them for new ones; an entry goes once
 * its bug is fixed. Empty: every bug found so far is fixed. */
const KNOWN: RegExp[] = [];
const skipKnown = process.env.FUZZ_SKIP_KNOWN === '1';

export interface Outcome { compiled: boolean; steps: number; error?: string; timedOut: boolean }

// 'tick' is all we watch: the engine offers it inside long loops, so a time budget can stop a
// statement that touches a terabyte without waiting for it
const TICKS: EventFilter = { wants: k => k === 'tick' };

/** Compiles and (if it compiles) runs a script under a step and time bound, asserting the contract. */
export function fuzzOne(source: string, opts: { maxSteps?: number; budgetMs?: number; invariants?: boolean } = {}): Outcome {
	const lines = lineLengths(source);
	const { program, diagnostics } = compileSource(source, FILE);
	for (const d of diagnostics) {
		const text = formatDiagnostic(d);
		assert.equal(d.file, FILE, text);
		assert.doesNotMatch(d.message, INTERNAL, text);
		assert.ok(d.message.length > 0, 'empty diagnostic');
		checkLoc(lines, d.line, d.col, text);
	}
	if (hasErrors(diagnostics)) { return { compiled: false, steps: 0, timedOut: false }; }

	const interp = new Interpreter(program, source, { print: () => undefined });
	interp.machine.setEvents(TICKS);
	const maxSteps = opts.maxSteps ?? 2000;
	const budget = opts.budgetMs ?? 250;
	const t0 = Date.now();
	let timedOut = false;
	while (!interp.done && interp.steps < maxSteps) {
		// step() turns every failure into interp.error; an exception here is the bug we hunt
		const at = interp.loc;
		const g = interp.step();
		let r = g.next();
		while (!r.done) {
			if (Date.now() - t0 > budget) { timedOut = true; break; }
			r = g.next();
		}
		if (timedOut) { g.return(undefined); break; }
		if (opts.invariants) {
			// a known root cause excuses every violation it drags along (refcounts and the like)
			const all = checkInvariants(interp.machine.k);
			const bad = skipKnown && all.some(b => KNOWN.some(k => k.test(b))) ? [] : all;
			assert.deepEqual(bad, [], `invariants after line ${at?.line}: ${source.split(/\r\n|\r|\n/)[(at?.line ?? 1) - 1]}`);
		}
		if (Date.now() - t0 > budget) { timedOut = !interp.done; break; }
	}
	for (const f of interp.failures) { checkLoc(lines, f.line, f.col, `expect failure '${f.message}'`); }
	const e = interp.error;
	if (e) {
		assert.notEqual(e.code, 'internal', `${e.line}:${e.col}: ${e.message}`);
		assert.doesNotMatch(e.message, INTERNAL);
		checkLoc(lines, e.line, e.col, `run error '${e.message}'`);
	}
	return { compiled: true, steps: interp.steps, error: e && `${e.code} ${e.message}`, timedOut };
}
