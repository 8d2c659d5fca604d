// Script threads as DAP threads (issue 15, src/lang/threads.ts). The main script is DAP thread 1
// and script thread k (its start order) is DAP thread k + 1; a script that starts no thread has
// the one thread 'workload' it always had. Each thread has its own stack: its script line at the
// bottom and, while it is suspended at a switch point inside a kernel path, the simulated kernel
// frames it is in (the function it entered, or the lock / migration_entry_wait it sleeps in).
// A step belongs to one thread (Origin.thread, stops.ts); with singleThread the scheduler picks
// only that thread (Threads.hold), and a hand pick ("switch thread here") is Threads.pick, taken
// at the next switch point and recorded in the schedule like any choice, so a session's
// interleaving replays with `hmmw run FILE --schedule S.json`.
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Interpreter } from '../lang/interp';
import type { ScriptThread } from '../lang/threads';
import type { StackFrameRecord } from '../engine/view';
import type { SimEvent } from '../engine/sim/events';
import type { ScheduleFile } from '../cli/explore';
import { frameName, statementText } from './describe';
import { innermostLoop, type Mode, type Origin, type StopInfo } from './stops';

export const MAIN_THREAD = 1;
/** frame ids of the thread that stopped: 1 (script line), 2 (warp), KERNEL_FRAME + depth */
export const KERNEL_FRAME = 1000;
/** frame ids of any other thread: OTHER_FRAMES * dapId + (1 | KERNEL_FRAME + depth) */
const OTHER_FRAMES = 1_000_000;

const active = (it: Interpreter | undefined) => (it?.threads?.active ? it.threads : undefined);

/** The DAP id of a script thread. */
export const dapId = (t: ScriptThread): number => t.id + 1;

/** The threads request: main and every started thread that has not finished. */
export function threadList(it: Interpreter | undefined): DebugProtocol.Thread[] {
	const th = active(it);
	if (!th) { return [{ id: MAIN_THREAD, name: 'workload' }]; }
	return th.all.filter(t => !t.done).map(t => ({ id: dapId(t), name: t.name }));
}

/** The thread a stop happened in: the one running (or about to start its statement). */
export function stoppedThread(it: Interpreter | undefined): number {
	const th = active(it);
	return th ? dapId(th.cur) : MAIN_THREAD;
}

/** A live script thread by DAP id (undefined without threads, or for a finished one). */
export function threadById(it: Interpreter, id: number): ScriptThread | undefined {
	const t = active(it)?.all[id - 1];
	return t && !t.done ? t : undefined;
}

/** The stack of a thread that is not the one stopped (undefined for that one: frames.ts draws
 * it, with the event and warp it stopped at). Another thread is parked at a switch point: inside
 * the kernel function it entered last, or before its next statement. */
export function otherThreadFrames(it: Interpreter, file: string, lines: string[], id: number): DebugProtocol.StackFrame[] | undefined {
	const th = active(it);
	if (!th) { return id === MAIN_THREAD ? undefined : []; }
	const t = threadById(it, id);
	if (!t) { return []; }
	if (t === th.cur) { return undefined; }
	const base = OTHER_FRAMES * id;
	const stack = it.machine.view.stack(t.stack);
	const frames: DebugProtocol.StackFrame[] = [];
	for (let j = stack.length - 1; j >= 0; j--) {
		frames.push({ id: base + KERNEL_FRAME + j, name: frameName(stack[j]), line: 0, column: 0, presentationHint: 'subtle' });
	}
	const loc = it.prog.code[t.pc]?.loc;
	if (loc) {
		const waits = t.joining && !t.joining.done ? ` (waits for ${t.joining.name})` : '';
		frames.push({ id: base + 1, name: statementText(lines, loc.line) + waits, line: loc.line, column: loc.col, source: { name: path.basename(file), path: file } });
	}
	return frames;
}

/** The kernel frame behind a frame id of another thread, for its Arguments scope. */
export function otherThreadFrame(it: Interpreter, frameId: number): StackFrameRecord | undefined {
	if (frameId < OTHER_FRAMES) { return undefined; }
	const t = threadById(it, Math.floor(frameId / OTHER_FRAMES));
	const j = (frameId % OTHER_FRAMES) - KERNEL_FRAME;
	return t && j >= 0 ? it.machine.view.stack(t.stack)[j] : undefined;
}

/** Threads other than `t` inside a kernel path: the ones that can hold the lock `t` waits for
 * (a simulated lock is held only inside a kernel operation, sim/sched.ts). */
function insideKernel(it: Interpreter, t: ScriptThread): string {
	const th = it.threads!;
	const names = th.all.filter(x => x !== t && !x.done && x.gen).map(x => {
		const top = it.machine.view.stack(x === th.cur ? undefined : x.stack).pop();
		return top ? `'${x.name}' in ${top.fn}` : `'${x.name}'`;
	});
	return names.length ? ` (held inside a kernel path: ${names.join(', ')})` : '';
}

/** A step that holds the other threads (singleThread) reached a wait it cannot get past: a
 * contended lock (down_read / down_write / mutex_lock) or migration_entry_wait. */
export function heldWait(ev: SimEvent, it: Interpreter): StopInfo | undefined {
	const th = it.threads;
	if (ev.kind !== 'call' || ev.detail !== 'wait' || !th?.hold || th.hold !== th.cur) { return undefined; }
	const t = th.cur;
	const description = `thread '${t.name}' waits in ${ev.fn} for a thread this step holds${insideKernel(it, t)}: continue runs every thread, or switch to the holder`;
	return { reason: 'pause', description, text: description, event: ev };
}

/** The same for `join`: the held thread waits for a thread the step holds. */
export function heldJoin(it: Interpreter): StopInfo | undefined {
	const th = it.threads;
	const t = th?.cur;
	if (!th?.hold || th.hold !== t || !t.joining || t.joining.done) { return undefined; }
	const description = `thread '${t.name}' waits in join ${t.joining.name}, which this step holds: continue runs every thread`;
	return { reason: 'pause', description, text: description };
}

/** Per run: where each thread's last statement started (a step's "new line" is per thread),
 * and which threads the client has been told about (thread events). */
export class ThreadRun {
	private readonly lastStart = new Map<number, number>();
	private readonly told = new Set<number>();
	private readonly exited = new Set<number>();

	reset(): void { this.lastStart.clear(); this.told.clear(); this.exited.clear(); }

	/** At a statement start of the current thread: the pc its previous statement started at
	 * (the main script's, before threads, is `spanPc`; a new thread has none). */
	arrived(it: Interpreter, spanPc: number): number {
		const cur = it.threads!.cur;
		const last = this.lastStart.get(cur.id) ?? (cur.id === 0 ? spanPc : -1);
		this.lastStart.set(cur.id, it.pc);
		return last;
	}

	/** Thread events since the last call: started for new threads, exited for finished ones. */
	sync(it: Interpreter, send: (reason: 'started' | 'exited', id: number) => void): void {
		const th = active(it);
		if (!th) { return; }
		for (const t of th.all) {
			const id = dapId(t);
			if (id === MAIN_THREAD) { continue; }
			if (!t.done && !this.told.has(id)) { this.told.add(id); send('started', id); }
			if (t.done && this.told.has(id) && !this.exited.has(id)) { this.exited.add(id); send('exited', id); }
		}
	}
}

/** `switchThread`: the next switch point runs thread `id` (a hand-picked interleaving). */
export function switchThread(it: Interpreter, id: number): string | { message: string } {
	const th = active(it);
	if (!th) { return 'the script has not started threads: there is nothing to switch to'; }
	const t = threadById(it, id);
	if (!t) { return `no running thread ${id}`; }
	th.pick = t;
	const now = th.cur === t ? `'${t.name}' is running: it goes on at the next switch point` : `the next switch point runs '${t.name}'; '${th.cur.name}' goes on up to it (a kernel function entry or a contended lock)`;
	return { message: now };
}

/** The session's schedule so far, as `hmmw explore` writes one: the thread picked at each
 * switch point that had a choice. Replayed by `hmmw run FILE --schedule S.json`, which follows
 * the picks and, after the last, lets the running thread go on while it can. */
export function scheduleFile(it: Interpreter, file: string, failures: readonly { step: number; line: number; message: string }[]): ScheduleFile {
	const seen = failures.filter(f => f.step <= it.steps).map(f => ({ line: f.line, message: f.message }));
	const e = it.error;
	const switches = it.threads?.switches ?? [];
	return { script: path.basename(file), picks: [...(it.threads?.picks ?? [])], failures: seen, ...(e ? { error: `${e.line}:${e.col}: ${e.message}` } : {}), ...(switches.length ? { switches: [...switches] } : {}) };
}

/** Where a step of DAP thread `id` begins, when it is not the running thread (`origin` is the
 * running thread's), and the hold of a singleThread step. */
export function beginStep(origin: Origin, it: Interpreter, mode: Mode, id: number | undefined, single: boolean): Origin {
	const th = active(it);
	if (!th) { return origin; }
	th.hold = undefined;
	if (mode === 'entry') { return origin; }
	const t = (id !== undefined ? threadById(it, id) : undefined) ?? th.cur;
	// continue with singleThread: only that thread runs, to a breakpoint or its end
	if (single) { th.hold = t; }
	// a held step of another thread, from a boundary: that thread runs at once (recorded for replay)
	const now = single && t !== th.cur && th.switchNow(t);
	if (mode === 'continue') { return origin; }
	if (t === th.cur && !now) { return { ...origin, thread: t.id }; }
	const mid = t.gen !== undefined;
	const stack = it.machine.view.stack(now ? undefined : t.stack);
	return { mid, frame: mid ? stack[stack.length - 1] : undefined, thread: t.id, loop: mode === 'stepOut' && !mid ? innermostLoop(it, t.pc) : undefined };
}

/** The stepping thread finished: the step ends at the next statement of whichever runs. */
export function stepperDone(it: Interpreter, origin: Origin, mode: Mode): StopInfo | undefined {
	if (origin.thread === undefined || mode === 'continue' || mode === 'entry') { return undefined; }
	const t = it.threads?.all[origin.thread];
	return t?.done ? { reason: 'step', description: `thread '${t.name}' finished` } : undefined;
}
