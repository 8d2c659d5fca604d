// Threads in the debugger's time travel and launch. A thread suspended inside a kernel path is a
// generator, which no checkpoint can copy; so once the script has a thread runtime, travel does
// not restore a checkpoint taken after it came into being. It restores one from before (at the
// latest the start) and re-executes from there, with the thread runtime made to take the same
// decision at every switch point as the run it replays (Threads.forced). The simulator is
// deterministic, so the machine at the target is the one the run first reached there.
//
// A launch may name a schedule file written by `hmmw explore` (`"schedule"`): the run then
// follows its picks at the switch points, as `hmmw run FILE --schedule S.json` does.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { replayChooser } from '../lang/explore';
import type { Interpreter } from '../lang/interp';
import { type BoundarySwitch, isBoundarySwitchList } from '../lang/threads';

/** Longest schedule file read (bytes): explore writes one line per pick. */
const MAX_SCHEDULE_BYTES = 64 * 2 ** 20;

/** A schedule file's decisions: the picks at switch points, and the debugger's switches at
 * boundaries (a session's "Save Schedule" after held steps). */
interface Schedule { picks: string[]; switches: BoundarySwitch[] }

/** The decisions of a schedule file for `program`, or why it cannot be used. */
export function readScheduleFile(file: string, program: string, threadNames: ReadonlySet<string>): Schedule | string {
	const where = `schedule ${file}`;
	let text: string;
	try {
		text = readFileSync(path.resolve(file), 'utf8');
	} catch (e) {
		return `cannot read ${where}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
	}
	if (text.length > MAX_SCHEDULE_BYTES) { return `${where} is over ${MAX_SCHEDULE_BYTES} bytes`; }
	let doc: unknown;
	try { doc = JSON.parse(text); } catch (e) { return `${where} is not JSON: ${(e as Error).message}`; }
	if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) { return `${where} is not a schedule (an object with "picks", as hmmw explore writes)`; }
	const { script, picks, switches } = doc as { script?: unknown; picks?: unknown; switches?: unknown };
	if (!Array.isArray(picks) || picks.some(p => typeof p !== 'string')) { return `${where}: "picks" must be an array of thread names`; }
	if (script !== undefined && (typeof script !== 'string' || path.basename(script) !== path.basename(program))) {
		return `${where} was written for ${JSON.stringify(script)}, not ${path.basename(program)}`;
	}
	const unknown = (picks as string[]).find(p => !threadNames.has(p));
	if (unknown !== undefined) { return `${where} picks thread '${unknown}', which ${path.basename(program)} never starts (its threads: ${[...threadNames].join(', ')})`; }
	const sw = switches ?? [];
	if (!isBoundarySwitchList(sw) || sw.some(s => !threadNames.has(s.thread))) { return `${where}: "switches" must be an array of { "at": boundary, "thread": name }`; }
	return { picks: picks as string[], switches: sw };
}

/** The names a program's threads can have: main and every `thread NAME`. */
export function threadNamesOf(it: Interpreter): Set<string> {
	const names = new Set(['main']);
	for (const ins of it.prog.code) {
		if (ins.op === 'spawn') { names.add(ins.name); }
	}
	return names;
}

export class ThreadReplay {
	/** the launch's schedule file, followed by every run of the session */
	schedule?: Schedule;
	/** the decisions of the furthest run this session knows, replayed by every travel */
	private history: string[] = [];
	private switches: BoundarySwitch[] = [];

	/** A fresh run (launch, restart): nothing recorded yet; the schedule file, if any, is followed. */
	start(it: Interpreter): void {
		this.history = [];
		this.switches = [];
		this.install(it);
	}

	/** Before a travel: the live run's decisions become the ones to replay, unless they are a
	 * prefix of those already known (a travel back, then forward again). */
	remember(it: Interpreter): void {
		const cur = it.threads?.picks ?? [];
		const sw = it.threads?.switches ?? [];
		const known = cur.length <= this.history.length && cur.every((p, i) => p === this.history[i])
			&& sw.length <= this.switches.length && sw.every((s, i) => s.at === this.switches[i].at && s.thread === this.switches[i].thread);
		if (!known) { this.history = cur.slice(); this.switches = sw.slice(); }
	}

	/** A checkpoint taken before the thread runtime existed was restored: the runtime will be made
	 * again as the replay reaches the statement that made it, and must decide as recorded. */
	restored(it: Interpreter): void { this.install(it); }

	private install(it: Interpreter): void {
		it.threads = undefined;
		it.forcedPicks = this.history.length > 0 ? this.history : undefined;
		const switches = this.history.length > 0 || this.switches.length > 0 ? this.switches : this.schedule?.switches ?? [];
		it.forcedSwitches = switches.length > 0 ? switches : undefined;
		if (this.schedule) { it.useSchedule(replayChooser(this.schedule.picks, [])); }
	}
}

/** A position in history: the boundary at `step` statements; with script threads, where several
 * boundaries share a step count, `seq` (Threads.boundaries) names one exactly. */
export interface Target { step: number; seq?: number }

/** `a` comes before `b` in history. */
export function before(a: Target, b: Target): boolean {
	return a.seq !== undefined && b.seq !== undefined ? a.seq < b.seq : a.step < b.step || (a.step === b.step && a.seq === undefined && b.seq !== undefined);
}

/** With threads running, where `it` is in history: at a boundary, the step count and the thread
 * runtime's boundary count (unique, where several threads' boundaries share a step count);
 * inside a statement (`inside`), the boundary its thread started it at. Undefined otherwise, or
 * at a turn's end that is no boundary (the thread is inside a statement or waits in `join`). */
function threadPosition(it: Interpreter, inside: boolean): Target | undefined {
	const th = it.threads;
	if (!th?.active) { return undefined; }
	if (inside) { return { step: th.cur.startStep, seq: th.cur.startSeq }; }
	return th.atStatementStart ? { step: it.steps, seq: th.boundaries } : undefined;
}

/** Where a stop is, with threads running: inside a statement, the boundary where its thread
 * started it; waiting in `join` (a step that held the joined thread), just after the last
 * boundary (no boundary of its own: a half-way seq, which only orders). */
export function stopPosition(it: Interpreter, inside: boolean): Target | undefined {
	const th = it.threads;
	if (th?.active && !inside && th.cur.joining) { return { step: it.steps, seq: th.boundaries + 0.5 }; }
	return threadPosition(it, inside);
}

/** A scan's position of a boundary or (`event`) of the statement start of an event: by step
 * count before threads run, by threadPosition once they do. */
export function historyPosition(it: Interpreter, event: boolean): Target | undefined {
	return it.threads?.active ? threadPosition(it, event) : { step: event ? it.steps - 1 : it.steps };
}

/** A replay to `seq` stops at the first boundary with that count (timeTravel.ts). */
export function reachedSeq(it: Interpreter, seq: number): boolean {
	const th = it.threads;
	return !!th?.active && th.atStatementStart && th.boundaries >= seq;
}

/** Where each step of the session began, with threads: stepBack retraces the last step to the
 * exact boundary it started from (same thread, line and stacks), which a scan by step count
 * cannot name when several threads' boundaries share it. */
export class StepMarks {
	private marks: Target[] = [];

	reset(): void { this.marks = []; }

	/** A run begins from here (`inside` a statement or at a boundary). Steps from a boundary are
	 * retraced; a continue, or a step from inside a statement, is not one stepBack undoes. */
	began(it: Interpreter, mode: string, inside: boolean): void {
		const p = stopPosition(it, false);
		if (!p || inside || (mode !== 'next' && mode !== 'stepIn' && mode !== 'stepOut')) { this.marks = []; return; }
		// a stop in `join` is no boundary a replay can land on: stepBack goes past it
		if (!Number.isInteger(p.seq)) { return; }
		while (this.marks.length > 0 && !before(this.marks[this.marks.length - 1], p)) { this.marks.pop(); }
		this.marks.push(p);
	}

	/** The start of the last step before `here` (dropping later ones: that future is left). */
	back(here: Target | undefined): Target | undefined {
		if (!here) { this.marks = []; return undefined; }
		while (this.marks.length > 0 && !before(this.marks[this.marks.length - 1], here)) { this.marks.pop(); }
		return this.marks.pop();
	}
}
