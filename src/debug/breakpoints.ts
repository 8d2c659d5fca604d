// Every kind of breakpoint the adapter offers, in script terms (no DAP types): line breakpoints
// with conditions, hit counts and log messages; function breakpoints on simulated kernel
// functions; exception filters on engine events; data breakpoints on page ranges. The runtime asks
// "does this boundary / this event stop?"; this file owns the bookkeeping that answers.
import type { Expr } from '../lang/ast';
import { parseExpression } from '../lang/parser';
import { evaluate, truthy } from '../lang/eval';
import { formatValue } from '../lang/values';
import { vocabularyError } from '../lang/vocabulary';
import type { Interpreter } from '../lang/interp';
import type { EventKind, SimEvent } from '../engine/sim/events';

/** Exception filter ids (docs/language.md#breakpoints), in the order the Breakpoints view lists them. Each is an event
 * kind the engine raises (a test runs scripts to prove it). */
export const ENGINE_FILTERS = [
	'cpu-fault', 'device-fault', 'fault-batch', 'migration', 'prefetch', 'thrashing', 'eviction', 'invalidation', 'page-fault',
] as const satisfies readonly EventKind[];
export const FILTER_IDS = [...ENGINE_FILTERS, 'error', 'expect'] as const;
export type FilterId = typeof FILTER_IDS[number];

/** Simulated kernel functions a function breakpoint can name: those the engine enters (a test runs
 * scripts to prove each one is reached). */
export const KERNEL_FUNCTIONS = [
	'handle_mm_fault', 'do_swap_page', 'migrate_to_ram', 'migrate_vma_setup', 'migrate_vma_pages', 'migrate_vma_finalize',
	'hmm_range_fault', 'invalidate_range_start', 'make_device_exclusive', 'dmirror_fault', 'dmirror_read', 'dmirror_write',
	'dmirror_migrate_to_device', 'dmirror_migrate_to_system', 'dmirror_fops_release', 'dmirror_device_remove_chunks',
	'copy_process', 'exit_mmap', 'pin_user_pages', 'balance_pgdat', 'shrink_folio_list',
	'out_of_memory', 'oom_kill_process',
	// with script threads (sim/sched.ts): the mmap lock, taken by faults (read) and munmap (write)
	'mmap_read_lock', 'mmap_write_lock',
	// the device model's fault service (nvidia-uvm)
	'uvm_parent_gpu_service_replayable_faults', 'service_fault_batch', 'uvm_va_block_service_locked', 'uvm_va_block_service_copy',
];

/** A compiled condition; `error` is set when it does not parse (the breakpoint is then unverified). */
export interface Condition { text: string; expr?: Expr; error?: string }

export function compileCondition(text: string | undefined): Condition | undefined {
	if (text === undefined || text.trim() === '') { return undefined; }
	const r = parseExpression(text, '<condition>');
	if (!r.expr) { return { text, error: r.diagnostics[0]?.message ?? 'cannot parse the condition' }; }
	const wrong = vocabularyError(r.expr);
	if (wrong !== undefined) { return { text, error: wrong }; }
	return { text, expr: r.expr };
}

/** Hit condition: `N` / `== N`, `>= N`, `> N`, `<= N`, `< N`, `% N` (every Nth hit). */
export interface HitCondition { text: string; test?: (hits: number) => boolean; error?: string }

export function compileHitCondition(text: string | undefined): HitCondition | undefined {
	if (text === undefined || text.trim() === '') { return undefined; }
	// trimmed first: two \s* around an optional operator backtrack quadratically on long blanks
	const m = /^(==|>=|<=|>|<|%)?\s*(\d+)$/.exec(text.trim());
	if (!m) { return { text, error: `hit count '${text}' is not one of N, == N, >= N, > N, <= N, < N, % N` }; }
	const n = Number(m[2]);
	const tests: Record<string, (h: number) => boolean> = {
		'==': h => h === n, '>=': h => h >= n, '<=': h => h <= n, '>': h => h > n, '<': h => h < n, '%': h => n > 0 && h % n === 0,
	};
	return { text, test: tests[m[1] ?? '=='] };
}

/** What a condition said: stop or not, or it failed to evaluate (which stops, so it is noticed). */
export type Verdict = { stop: boolean; error?: string };

export function testCondition(c: Condition | undefined, interp: Interpreter, ev?: SimEvent): Verdict {
	if (!c || !c.expr) { return { stop: true }; }
	const saved = interp.event;
	if (ev) { interp.event = ev; }
	try {
		return { stop: truthy(evaluate(c.expr, interp), c.expr.loc) };
	} catch (e) {
		return { stop: true, error: `condition '${c.text}' failed: ${(e as Error).message}` };
	} finally {
		interp.event = saved;
	}
}

/** Log message with `{expr}` parts evaluated in the script's context; `{{` and `}}` are braces. */
export function interpolate(message: string, interp: Interpreter): string {
	return message.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (whole, inner: string | undefined) => {
		if (whole === '{{') { return '{'; }
		if (whole === '}}') { return '}'; }
		const r = parseExpression(inner ?? '', '<log message>');
		if (!r.expr) { return `{${r.diagnostics[0]?.message ?? 'syntax error'}}`; }
		try { return formatValue(evaluate(r.expr, interp)); } catch (e) { return `{${(e as Error).message}}`; }
	});
}

const NONE: LineBreakpoint[] = [];

interface Common { id: number; condition?: Condition; hit?: HitCondition; hits: number; verified: boolean; message?: string }

export interface LineBreakpoint extends Common {
	/** the line asked for, and the statement line it was moved to (undefined when none follows) */
	requested: number;
	line?: number;
	column?: number;
	logMessage?: string;
}

export interface FunctionBreakpoint extends Common { name: string }

export interface DataBreakpoint extends Common {
	target: DataTarget;
	access: 'read' | 'write' | 'readWrite';
}

/** A watched page range of one process, as dataBreakpointInfo describes it. */
export interface DataTarget { process: string; start: number; end: number; description: string }

export function encodeDataId(t: DataTarget): string { return JSON.stringify([t.process, t.start, t.end, t.description]); }
export function decodeDataId(id: string): DataTarget | undefined {
	try {
		const [process, start, end, description] = JSON.parse(id) as [string, number, number, string];
		if (typeof process !== 'string' || !Number.isInteger(start) || !Number.isInteger(end) || end <= start) { return undefined; }
		return { process, start, end, description: String(description) };
	} catch { return undefined; }
}

export interface FilterSetting { id: FilterId; condition?: Condition }

/** What stopped: the breakpoint (for hitBreakpointIds) and a message for a failed condition. */
export interface Hit { ids: number[]; error?: string; log?: string }

export class Breakpoints {
	private nextId = 1;
	/** by resolved source path */
	private lines = new Map<string, LineBreakpoint[]>();
	functions: FunctionBreakpoint[] = [];
	data: DataBreakpoint[] = [];
	/** Data breakpoints the residency panel set on pages (src/debug/pageWatch.ts): the adapter's
	 * own, since VS Code's API cannot add a data breakpoint; setDataBreakpoints leaves them. */
	pageWatches: DataBreakpoint[] = [];
	/** enabled exception filters; 'error' and 'expect' are on until the client says otherwise */
	filters = new Map<FilterId, FilterSetting>([['error', { id: 'error' }], ['expect', { id: 'expect' }]]);
	/** statement lines of the program, ascending (prog.lines), once it is loaded */
	private stmtLines?: number[];
	private programPath?: string;
	private index?: Map<number, LineBreakpoint[]>;

	/** The program is known: verify and move every line breakpoint; returns those that changed. */
	setProgram(path: string, lines: number[]): LineBreakpoint[] {
		this.programPath = path;
		this.stmtLines = lines;
		this.index = undefined;
		const changed: LineBreakpoint[] = [];
		for (const [p, list] of this.lines) {
			for (const bp of list) {
				const before = `${bp.verified}/${bp.line}`;
				this.place(bp, p);
				if (`${bp.verified}/${bp.line}` !== before) { changed.push(bp); }
			}
		}
		return changed;
	}

	setLineBreakpoints(path: string, specs: { line: number; column?: number; condition?: string; hitCondition?: string; logMessage?: string }[]): LineBreakpoint[] {
		const list = specs.map(s => {
			const bp: LineBreakpoint = {
				id: this.nextId++, requested: s.line, column: s.column, hits: 0, verified: false,
				condition: compileCondition(s.condition), hit: compileHitCondition(s.hitCondition), logMessage: s.logMessage,
			};
			this.place(bp, path);
			return bp;
		});
		this.lines.set(path, list);
		this.index = undefined;
		return list;
	}

	/** Moves a breakpoint on a line without a statement to the next statement line. */
	private place(bp: LineBreakpoint, path: string): void {
		bp.message = bp.condition?.error ?? bp.hit?.error;
		if (!this.stmtLines) { bp.verified = false; bp.line = bp.requested; bp.message ??= 'the program is not loaded yet'; return; }
		if (path !== this.programPath) { bp.verified = false; bp.line = bp.requested; bp.message ??= 'not the program being debugged'; return; }
		bp.line = this.stmtLines.find(l => l >= bp.requested);
		if (bp.line === undefined) { bp.verified = false; bp.line = bp.requested; bp.message ??= 'no statement on or after this line'; return; }
		bp.verified = bp.message === undefined;
	}

	/** Verified breakpoints of the program at `line` (indexed: asked at every statement boundary). */
	at(line: number): LineBreakpoint[] {
		if (!this.index) {
			this.index = new Map();
			for (const b of (this.programPath && this.lines.get(this.programPath)) || []) {
				if (b.verified && b.line !== undefined) { this.index.set(b.line, [...this.index.get(b.line) ?? [], b]); }
			}
		}
		return this.index.get(line) ?? NONE;
	}

	setFunctionBreakpoints(specs: { name: string; condition?: string; hitCondition?: string }[]): FunctionBreakpoint[] {
		this.functions = specs.map(s => {
			const bp: FunctionBreakpoint = {
				id: this.nextId++, name: s.name.trim(), hits: 0, verified: true,
				condition: compileCondition(s.condition), hit: compileHitCondition(s.hitCondition),
			};
			bp.message = bp.condition?.error ?? bp.hit?.error
				?? (KERNEL_FUNCTIONS.includes(bp.name) ? undefined : `no simulated kernel function '${bp.name}' (known: ${KERNEL_FUNCTIONS.join(', ')})`);
			bp.verified = bp.message === undefined;
			return bp;
		});
		return this.functions;
	}

	setDataBreakpoints(specs: { dataId: string; accessType?: 'read' | 'write' | 'readWrite'; condition?: string; hitCondition?: string }[]): DataBreakpoint[] {
		this.data = [];
		return specs.map(s => {
			const target = decodeDataId(s.dataId);
			const bp: DataBreakpoint = {
				id: this.nextId++, target: target ?? { process: '', start: 0, end: 0, description: '' }, access: s.accessType ?? 'write', hits: 0,
				verified: target !== undefined, condition: compileCondition(s.condition), hit: compileHitCondition(s.hitCondition),
			};
			bp.message = target ? bp.condition?.error ?? bp.hit?.error : `unknown data breakpoint id ${s.dataId}`;
			bp.verified = bp.message === undefined;
			if (bp.verified) { this.data.push(bp); }
			return bp;
		});
	}

	/** A page watch from the residency panel; ids come from the same counter as every breakpoint. */
	addPageWatch(target: DataTarget, access: DataBreakpoint['access']): DataBreakpoint {
		const bp: DataBreakpoint = { id: this.nextId++, target, access, hits: 0, verified: true };
		this.pageWatches.push(bp);
		return bp;
	}

	/** Removes one page watch, or all of them without an id; false if there was no such watch. */
	removePageWatch(id?: number): boolean {
		const before = this.pageWatches.length;
		this.pageWatches = id === undefined ? [] : this.pageWatches.filter(w => w.id !== id);
		return this.pageWatches.length < before || id === undefined;
	}

	/** Exception filters: each option carries its own condition (not the first option's). */
	setFilters(filters: string[], options: { filterId: string; condition?: string }[]): { verified: boolean; message?: string }[] {
		this.filters.clear();
		const out: { verified: boolean; message?: string }[] = [];
		for (const id of filters) {
			if ((FILTER_IDS as readonly string[]).includes(id)) { this.filters.set(id as FilterId, { id: id as FilterId }); out.push({ verified: true }); } else { out.push({ verified: false, message: `unknown filter '${id}'` }); }
		}
		for (const o of options) {
			if (!(FILTER_IDS as readonly string[]).includes(o.filterId)) { out.push({ verified: false, message: `unknown filter '${o.filterId}'` }); continue; }
			const condition = compileCondition(o.condition);
			if (condition?.error) { out.push({ verified: false, message: condition.error }); continue; }
			this.filters.set(o.filterId as FilterId, { id: o.filterId as FilterId, condition });
			out.push({ verified: true });
		}
		return out;
	}

	/** Event kinds some breakpoint needs the engine to report. */
	kindsWanted(): EventKind[] {
		const kinds: EventKind[] = ENGINE_FILTERS.filter(f => this.filters.has(f));
		if (this.functions.some(f => f.verified)) { kinds.push('call'); }
		if (this.data.length > 0 || this.pageWatches.length > 0) { kinds.push('access'); }
		return kinds;
	}

	/** Counts a hit whose condition held, then applies the hit condition. */
	private count(bp: Common, interp: Interpreter, ev: SimEvent | undefined, countHits: boolean): Verdict {
		const v = testCondition(bp.condition, interp, ev);
		if (!v.stop || v.error) { return v; }
		if (!bp.hit?.test) { return v; }
		if (!countHits) { return { stop: true }; }
		return { stop: bp.hit.test(++bp.hits) };
	}

	/** Line breakpoints at a statement boundary. Logpoints log instead of stopping. When
	 * `countHits` is false (reverse searches), hit counts are neither advanced nor applied. */
	lineHit(line: number, interp: Interpreter, countHits = true): Hit | undefined {
		const here = this.at(line);
		// most boundaries have no breakpoint: nothing to allocate for them
		if (here.length === 0) { return undefined; }
		const ids: number[] = [];
		const logs: string[] = [];
		let error: string | undefined;
		for (const bp of here) {
			const v = this.count(bp, interp, undefined, countHits);
			if (!v.stop) { continue; }
			if (v.error) { error = v.error; ids.push(bp.id); continue; }
			if (bp.logMessage !== undefined) { if (countHits) { logs.push(interpolate(bp.logMessage, interp)); } continue; }
			ids.push(bp.id);
		}
		if (ids.length === 0 && logs.length === 0) { return undefined; }
		return { ids, error, log: logs.length ? logs.join('\n') : undefined };
	}

	functionHit(ev: SimEvent, interp: Interpreter, countHits = true): Hit | undefined {
		const ids: number[] = [];
		let error: string | undefined;
		for (const bp of this.functions) {
			if (!bp.verified || bp.name !== ev.fn) { continue; }
			const v = this.count(bp, interp, ev, countHits);
			if (v.stop) { ids.push(bp.id); error ??= v.error; }
		}
		return ids.length ? { ids, error } : undefined;
	}

	dataHit(ev: SimEvent, interp: Interpreter, countHits = true): { hit: Hit; bp: DataBreakpoint } | undefined {
		const first = Math.floor(ev.addr / 4096);
		const last = first + Math.max(1, ev.npages);
		for (const list of [this.data, this.pageWatches]) {
			for (const bp of list) {
				const t = bp.target;
				if (t.process !== ev.process || last <= t.start || first >= t.end) { continue; }
				if ((bp.access === 'read' && ev.write) || (bp.access === 'write' && !ev.write)) { continue; }
				const v = this.count(bp, interp, ev, countHits);
				if (!v.stop) { continue; }
				// a page watch has no hit condition: its count is how often it stopped the run
				if (list === this.pageWatches && countHits) { bp.hits++; }
				return { hit: { ids: [bp.id], error: v.error }, bp };
			}
		}
		return undefined;
	}

	/** An engine event against the exception filters. */
	filterHit(ev: SimEvent, interp: Interpreter): { id: FilterId; error?: string } | undefined {
		const f = this.filters.get(ev.kind as FilterId);
		if (!f || !(ENGINE_FILTERS as readonly string[]).includes(ev.kind)) { return undefined; }
		const v = testCondition(f.condition, interp, ev);
		return v.stop ? { id: f.id, error: v.error } : undefined;
	}

	/** 'error' / 'expect': on, and the condition (over script variables) holds. */
	scriptFilter(id: 'error' | 'expect', interp: Interpreter): boolean {
		const f = this.filters.get(id);
		return f !== undefined && testCondition(f.condition, interp).stop;
	}

	/** restart: hit counts start again */
	resetHits(): void {
		for (const list of this.lines.values()) { for (const b of list) { b.hits = 0; } }
		for (const b of [...this.functions, ...this.data]) { b.hits = 0; }
	}
}
