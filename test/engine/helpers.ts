// Runs a script in-process with the invariants checked after every statement.
import * as assert from 'node:assert/strict';
import { compileSource } from '../../src/lang/frontend';
import { formatDiagnostic } from '../../src/lang/diagnostics';
import { Interpreter } from '../../src/lang/interp';
import { checkInvariants } from '../../src/engine/sim/invariants';
import type { Machine } from '../../src/engine/machine';
import { RAM_POOL } from '../../src/engine/mm/frames';

export function run(source: string, opts: { allowFailures?: boolean; invariants?: boolean } = {}): Interpreter {
	const { program, diagnostics } = compileSource(source, 'test.hmmw');
	assert.deepEqual(diagnostics.map(formatDiagnostic), []);
	const printed: string[] = [];
	const interp = new Interpreter(program, source, { print: l => printed.push(l) });
	(interp as unknown as { printed: string[] }).printed = printed;
	while (!interp.done) {
		const g = interp.step();
		while (!g.next().done) { /* unwatched */ }
		if (opts.invariants !== false) {
			const bad = checkInvariants(interp.machine.k);
			assert.deepEqual(bad, [], `after line ${interp.prog.code[interp.pc - 1]?.loc.line ?? '?'}`);
		}
	}
	if (interp.error) { assert.fail(`line ${interp.error.line}: ${interp.error.message}`); }
	if (!opts.allowFailures) { assert.deepEqual(interp.failures, []); }
	return interp;
}

export const vmasOf = (i: Interpreter, proc = 'p') => i.machine.proc(proc).vmas.list.map(v => `${v.protString()} ${v.npages}`);

/** Whose memory (`ram` or a device's name) the entries of `dev`'s mirror of `proc` over
 * [vpn, vpn + n) point into, counted per owner. */
export function mirrorOwners(m: Machine, dev: string, vpn: number, n: number, proc = 'p'): Record<string, number> {
	const mir = m.k.device(dev).mirror(m.k.proc(proc));
	if (!mir) { throw new Error(`${dev} does not mirror ${proc}`); }
	const out = new Map<string, number>();
	mir.pt.forEach(vpn, vpn + n, (_v, pfn) => {
		const o = m.k.frames.owner[pfn >> 12][pfn & 4095];
		const name = o === RAM_POOL ? 'ram' : m.k.devices[o].name;
		out.set(name, (out.get(name) ?? 0) + 1);
	});
	return Object.fromEntries(out);
}
