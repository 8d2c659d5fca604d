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

/** Longest schedule file read (bytes): explore writes one line per pick. */
const MAX_SCHEDULE_BYTES = 64 * 2 ** 20;

/** The picks of a schedule file for `program`, or why it cannot be used. */
export function readScheduleFile(file: string, program: string, threadNames: ReadonlySet<string>): string[] | string {
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
	const { script, picks } = doc as { script?: unknown; picks?: unknown };
	if (!Array.isArray(picks) || picks.some(p => typeof p !== 'string')) { return `${where}: "picks" must be an array of thread names`; }
	if (script !== undefined && (typeof script !== 'string' || path.basename(script) !== path.basename(program))) {
		return `${where} was written for ${JSON.stringify(script)}, not ${path.basename(program)}`;
	}
	const unknown = (picks as string[]).find(p => !threadNames.has(p));
	if (unknown !== undefined) { return `${where} picks thread '${unknown}', which ${path.basename(program)} never starts (its threads: ${[...threadNames].join(', ')})`; }
	return picks as string[];
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
	schedule?: string[];
	/** the decisions of the furthest run this session knows, replayed by every travel */
	private history: string[] = [];

	/** A fresh run (launch, restart): nothing recorded yet; the schedule file, if any, is followed. */
	start(it: Interpreter): void {
		this.history = [];
		this.install(it);
	}

	/** Before a travel: the live run's decisions become the ones to replay, unless they are a
	 * prefix of those already known (a travel back, then forward again). */
	remember(it: Interpreter): void {
		const cur = it.threads?.picks ?? [];
		const known = cur.length <= this.history.length && cur.every((p, i) => p === this.history[i]);
		if (!known) { this.history = cur.slice(); }
	}

	/** A checkpoint taken before the thread runtime existed was restored: the runtime will be made
	 * again as the replay reaches the statement that made it, and must decide as recorded. */
	restored(it: Interpreter): void { this.install(it); }

	private install(it: Interpreter): void {
		it.threads = undefined;
		it.forcedPicks = this.history.length > 0 ? this.history : undefined;
		if (this.schedule) { it.useSchedule(replayChooser(this.schedule, [])); }
	}
}
