// Where execution stops: the decisions at a statement boundary (line breakpoints, steps, a failing
// expectation) and at an engine event (data, function and event breakpoints, stepIn/stepOut).
// The runtime keeps the bookkeeping (what was checked already, where a step began).
import type { Interpreter } from '../lang/interp';
import { evaluate, truthy } from '../lang/eval';
import type { StackFrameRecord } from '../engine/view';
import type { SimEvent } from '../engine/sim/events';
import type { Breakpoints, FilterId } from './breakpoints';
import { describeEvent } from './describe';

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'exception' | 'data breakpoint' | 'function breakpoint' | 'pause';
export type Mode = 'entry' | 'continue' | 'next' | 'stepIn' | 'stepOut';

export interface StopInfo {
	reason: StopReason;
	description?: string;
	text?: string;
	hitIds?: number[];
	/** the engine event stopped on (its `event.*` evaluates) */
	event?: SimEvent;
	/** for reason 'exception': the filter and what happened */
	/** `name` is what VS Code titles the exception with: the errno of a failed statement */
	exception?: { id: FilterId; description: string; name?: string };
}

/** Where a step began: inside a kernel frame, inside a statement, or in a loop body (stepOut);
 * `issue`: at a kernel access a warp issued, where `next` goes to the kernel's next access. */
export interface Origin {
	frame?: StackFrameRecord; mid: boolean; loop?: [number, number]; issue?: boolean;
	/** the script thread stepping (threads.ts id): a step ends only in that thread (threadsDap.ts) */
	thread?: number;
}

/** The step in progress belongs to another thread than the one running now. */
function otherThread(it: Interpreter, origin: Origin): boolean {
	return origin.thread !== undefined && it.threads !== undefined && it.threads.cur.id !== origin.thread;
}

/** A kernel's issue event: a warp first issues one access of the body (kernel_exec.ts). */
export function isIssue(ev: SimEvent | undefined): boolean {
	return ev?.kind === 'access' && ev.warp !== undefined;
}

/** A boundary counts as a new line when the line changed or control went back (a loop). */
export function isNewLine(it: Interpreter, lastPc: number): boolean {
	const last = it.prog.code[lastPc];
	const ins = it.instr;
	return !last || !ins || last.loc.line !== ins.loc.line || it.pc <= lastPc;
}

/** Line breakpoints (logpoints log through `log`), then the step in progress. */
export function boundaryStop(it: Interpreter, bps: Breakpoints, mode: Mode, origin: Origin, lastPc: number, log: (text: string, line: number) => void): StopInfo | undefined {
	const line = it.instr!.loc.line;
	const newLine = isNewLine(it, lastPc);
	if (newLine) {
		const h = bps.lineHit(line, it);
		if (h?.log) { log(h.log, line); }
		if (h && h.ids.length > 0) { return { reason: 'breakpoint', hitIds: h.ids, text: h.error, description: h.error }; }
	}
	if (otherThread(it, origin)) { return undefined; }
	switch (mode) {
		case 'stepIn': return { reason: 'step' };
		case 'next': return newLine ? { reason: 'step' } : undefined;
		case 'stepOut': {
			const l = origin.loop;
			if (l) { return it.pc < l[0] || it.pc >= l[1] ? { reason: 'step' } : undefined; }
			return origin.mid || newLine ? { reason: 'step' } : undefined;
		}
	}
	return undefined;
}

/** The 'expect' filter: the expectation at pc is about to fail (checked before it runs, so the
 * stop is on its own line). */
export function expectStop(it: Interpreter, bps: Breakpoints, lines: string[]): StopInfo | undefined {
	const ins = it.instr;
	if (!ins || ins.op !== 'exec' || ins.stmt.kind !== 'expect' || !bps.filters.has('expect')) { return undefined; }
	let ok: boolean;
	// the driver computed the condition's scans already, with pause points (Interpreter.prepare)
	try { ok = truthy(evaluate(it.prepared(ins.stmt.cond), it), ins.stmt.cond.loc); } catch { return undefined; }
	if (ok || !bps.scriptFilter('expect', it)) { return undefined; }
	const text = lines[ins.loc.line - 1]?.slice(ins.loc.col - 1).replace(/\s+#.*$/, '').trim() ?? 'expect';
	const description = `expectation fails: ${text}`;
	return { reason: 'exception', description, text: description, exception: { id: 'expect', description } };
}

/** An engine event: data, function and event breakpoints, then stepIn / stepOut. */
export function eventStop(ev: SimEvent, it: Interpreter, bps: Breakpoints, mode: Mode, origin: Origin): StopInfo | undefined {
	if (ev.kind === 'access') {
		const d = bps.dataHit(ev, it);
		if (d) {
			const what = describeEvent(ev);
			// a panel's page watch is no breakpoint VS Code knows: no id for it to highlight
			const hitIds = bps.pageWatches.includes(d.bp) ? undefined : d.hit.ids;
			return { reason: 'data breakpoint', event: ev, hitIds, description: `${d.bp.target.description}: ${what}`, text: d.hit.error ?? what };
		}
	} else if (ev.kind === 'call') {
		const h = bps.functionHit(ev, it);
		if (h) { return { reason: 'function breakpoint', event: ev, hitIds: h.ids, description: `${ev.fn}`, text: h.error ?? describeEvent(ev) }; }
	} else {
		const f = bps.filterHit(ev, it);
		if (f) {
			const description = describeEvent(ev);
			return { reason: 'exception', event: ev, description, text: f.error ?? description, exception: { id: f.id, description } };
		}
	}
	if (otherThread(it, origin)) { return undefined; }
	if (mode === 'stepIn' || (mode === 'next' && origin.issue && isIssue(ev))) { return { reason: 'step', event: ev, description: describeEvent(ev) }; }
	if (mode === 'stepOut' && origin.frame && !it.machine.view.stack().some(f => f.id === origin.frame!.id)) {
		return { reason: 'step', event: ev, description: describeEvent(ev) };
	}
	return undefined;
}

/** The innermost for/repeat loop whose body holds pc: [header, exit). */
export function innermostLoop(it: Interpreter, pc: number): [number, number] | undefined {
	let best: [number, number] | undefined;
	it.prog.code.forEach((ins, i) => {
		if ((ins.op === 'for-init' || ins.op === 'repeat-init') && i < pc && pc < ins.exit && (!best || i > best[0])) { best = [i, ins.exit]; }
	});
	return best;
}
