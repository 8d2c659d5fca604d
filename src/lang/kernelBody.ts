// A kernel body is evaluated before the launch: its for/repeat/if and assignments run here, in the
// script's variables, and every read, write and atomic line becomes one KernelAccess over whole
// pages of the current process, in program order. The device then runs the list
// (Machine.launchKernel); nothing in the body touches memory by itself.
import type { Stmt } from './ast';
import type { Machine } from '../engine/machine';
import type { K } from '../engine/sim/events';
import type { KernelAccess } from '../engine/device/uvm/types';
import { fail } from '../engine/sim/errors';
import { compileFill, type EvalContext, evaluate, int, range, truthy } from './eval';
import { ScriptError } from './values';
import { notInKernelMessage } from './vocabulary';

/** At most this many access lines per launch, and this many body statements evaluated: a body
 * runs as one interpreter step, so its loops need their own bound. */
export const MAX_KERNEL_LINES = 1 << 20;
export const MAX_KERNEL_STEPS = 10_000_000;
/** every this many body statements, offer a pause point */
const TICK_STEPS = 8192;

class BodyEval {
	readonly out: KernelAccess[] = [];
	private steps = 0;

	constructor(private readonly m: Machine, private readonly h: EvalContext) {}

	*block(list: Stmt[]): K {
		for (const s of list) { yield* this.stmt(s); }
	}

	private *stmt(s: Stmt): K {
		if (++this.steps > MAX_KERNEL_STEPS) { throw new ScriptError(`the kernel body ran more than ${MAX_KERNEL_STEPS} statements`, s.loc); }
		if (this.steps % TICK_STEPS === 0) { yield* this.m.tick(0); }
		const h = this.h;
		switch (s.kind) {
			case 'kernel-read': case 'kernel-atomic': case 'kernel-write': {
				const r = range(evaluate(s.range, h), s.range.loc);
				const [start, end] = this.m.pages(r);
				const a: KernelAccess = { kind: s.kind === 'kernel-read' ? 'read' : s.kind === 'kernel-write' ? 'write' : 'atomic', start, end, line: s.loc.line };
				if (s.kind === 'kernel-write' && s.value !== undefined) {
					if (r.addr % 4 !== 0) { fail('EINVAL', 'a written value needs a range that starts on a 4-byte boundary'); }
					// the fill runs when the device stores, after the loop variables have moved on:
					// it sees the variables as they are at this line
					a.fill = { fill: compileFill(s.value, { vars: new Map(h.vars), machine: h.machine }), addr: r.addr, len: r.len };
				}
				if (this.out.length >= MAX_KERNEL_LINES) { throw new ScriptError(`the kernel body has more than ${MAX_KERNEL_LINES} access lines`, s.loc); }
				this.out.push(a);
				return;
			}
			case 'assign': h.vars.set(s.target, evaluate(s.value, h)); return;
			case 'if':
				if (truthy(evaluate(s.cond, h), s.cond.loc)) { yield* this.block(s.then); } else if (s.else) { yield* this.block(s.else); }
				return;
			case 'repeat': {
				const n = int(evaluate(s.count, h), s.count.loc);
				if (n < 0) { throw new ScriptError(`repeat ${n} times`, s.count.loc); }
				for (let k = 0; k < n; k++) { yield* this.block(s.body); }
				return;
			}
			case 'for': {
				const from = int(evaluate(s.from, h), s.from.loc);
				const to = int(evaluate(s.to, h), s.to.loc);
				const step = s.step ? int(evaluate(s.step, h), s.step.loc) : 1;
				if (step === 0) { throw new ScriptError('a for loop cannot step by 0', s.step?.loc ?? s.loc); }
				for (let v = from; step > 0 ? v < to : v > to; v += step) {
					h.vars.set(s.variable, v);
					yield* this.block(s.body);
				}
				return;
			}
			default: throw new ScriptError(notInKernelMessage(s.kind), s.loc);
		}
	}
}

/** The access lines of a kernel body, in program order. */
export function* kernelAccesses(body: Stmt[], m: Machine, h: EvalContext): K<KernelAccess[]> {
	const e = new BodyEval(m, h);
	yield* e.block(body);
	return e.out;
}
