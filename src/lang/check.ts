// Static checks on a parsed program: everything that can be known without running it. Names are
// resolved flow-insensitively (declared anywhere in the file counts), so a check never rejects a
// script that some execution order would accept.

import { ERROR_CODES, type Diagnostic, type Expr, type Loc, type Option, type Program, type Stmt } from './ast';
import { makeDiagnostic, nameLoc, shortText, sortDiagnostics } from './diagnostics';
import {
	ADVICE, ADVISE_KEYS, arityMessage, BUILTIN_SPECS, COUNT_LOCATIONS, DEVICE_MEMBERS, hasMember, fixedMembers, isBuiltin, kernelLineMessage,
	noMemberMessage, notInKernelMessage, pendingStatement, PROCESS_MEMBERS, PROTECTIONS, RESERVED_DEVICE_NAMES, RESERVED_PROCESS_NAMES,
	SCHEDULE_MODES, STATEMENTS, unknownFunctionMessage, pendingAdvice,
} from './vocabulary';
import {
	DEVICE_OPTIONS, mirrorOnlyOption, type OptionSpec, pendingOption, FILE_WRITEBACK_WITHOUT_MODE, PIN_DEVICE_WITHOUT_MODE, SYSTEM_OPTIONS, unknownOptionMessage, VALUE_NAMES, type ValueKind,
} from './vocabularyOptions';

function oneOf(words: readonly string[]): string {
	return words.join(', ');
}

/** Children of a statement, whatever its kind. */
function bodies(s: Stmt): Stmt[][] {
	switch (s.kind) {
		case 'kernel': case 'for': case 'repeat': case 'expect-error': case 'thread': return [s.body];
		case 'if': return s.else === undefined ? [s.then] : [s.then, s.else];
		default: return [];
	}
}

class Checker {
	readonly out: Diagnostic[] = [];
	private readonly devices = new Map<string, Stmt>();
	/** names of further open files of a device (`DEV mirror PROC as NAME`) */
	private readonly handles = new Set<string>();
	/** experimental modes the script's `system` line switches on */
	private readonly experimental = new Set<string>();
	private readonly processes = new Set<string>();
	private readonly files = new Set<string>();
	private readonly variables = new Set<string>();
	private readonly params = new Set<string>();
	private readonly threads = new Set<string>();
	private systemSeen = false;
	private processSeen = false;

	constructor(private readonly file: string) {}

	run(program: Program): void {
		this.declare(program.body);
		this.stmts(program.body, false);
	}

	private error(at: Loc, message: string, severity: 'error' | 'warning' = 'error'): void {
		this.out.push(makeDiagnostic(this.file, at.line, at.col, message, severity));
	}

	private declare(list: Stmt[]): void {
		for (const s of list) {
			switch (s.kind) {
				case 'device': this.declareDevice(s); break;
				case 'process': case 'fork': this.declareProcess(s); break;
				case 'file':
					if (this.files.has(s.name)) { this.error(nameLoc(s, 'name'), `file '${shortText(s.name)}' is declared twice`); }
					this.files.add(s.name);
					break;
				case 'assign': case 'mmap': case 'mremap': case 'snapshot': this.variables.add(s.target); break;
				case 'param': this.params.add(s.name); this.variables.add(s.name); break;
				case 'mirror': if (s.handle !== undefined) { this.handles.add(s.handle); } break;
				case 'dev-read': if (s.target !== undefined) { this.variables.add(s.target); } break;
				case 'for': this.variables.add(s.variable); break;
				case 'thread':
					if (this.threads.has(s.name)) { this.error(nameLoc(s, 'name'), `thread '${shortText(s.name)}' is declared twice`); }
					this.threads.add(s.name);
					break;
			}
			for (const b of bodies(s)) { this.declare(b); }
		}
	}

	private declareDevice(s: Stmt & { kind: 'device' }): void {
		const at = nameLoc(s, 'name');
		const name = shortText(s.name);
		if (RESERVED_DEVICE_NAMES.includes(s.name)) {
			this.error(at, `'${name}' cannot be a device name`);
		} else if (this.devices.has(s.name)) {
			this.error(at, `device '${name}' is declared twice`);
		} else if (this.processes.has(s.name)) {
			this.error(at, `'${name}' is already a process name`);
		}
		this.devices.set(s.name, s);
	}

	private declareProcess(s: Stmt & { kind: 'process' | 'fork' }): void {
		const at = nameLoc(s, 'name');
		const name = shortText(s.name);
		if (RESERVED_PROCESS_NAMES.includes(s.name)) {
			this.error(at, `'${name}' cannot be a process name`);
		} else if (this.devices.has(s.name)) {
			this.error(at, `'${name}' is already a device name`);
		} else if (this.processes.has(s.name)) {
			this.error(at, `process '${name}' is declared more than once`, 'warning');
		}
		this.processes.add(s.name);
	}

	private device(s: Stmt, field: string, name: string): void {
		if (!this.devices.has(name)) { this.error(nameLoc(s, field), `unknown device '${shortText(name)}'`); }
	}
	/** A statement that acts through one open file: a device (its unnamed mirror of the current
	 * process) or the name of a further open file. */
	private mirrorOf(s: Stmt, field: string, name: string): void {
		if (!this.devices.has(name) && !this.handles.has(name)) { this.error(nameLoc(s, field), `unknown device '${shortText(name)}'`); }
	}
	/** `as NAME`: a name of its own, not a device, process or variable. */
	private handleName(s: Stmt, name: string): void {
		if (RESERVED_DEVICE_NAMES.includes(name) || this.devices.has(name) || this.processes.has(name) || this.variables.has(name) || this.files.has(name)) {
			this.error(nameLoc(s, 'handle'), `'${shortText(name)}' is already a name (an open file needs a name of its own)`);
		}
	}
	private process(s: Stmt, field: string, name: string): void {
		if (!this.processes.has(name)) { this.error(nameLoc(s, field), `unknown process '${shortText(name)}'`); }
	}
	private location(s: Stmt, field: string, name: string): void {
		if (name !== 'ram' && !this.devices.has(name)) {
			this.error(nameLoc(s, field), `unknown location '${shortText(name)}' (expected 'ram' or a device name)`);
		}
	}

	private stmts(list: Stmt[], inKernel: boolean): void {
		for (const s of list) { this.stmt(s, inKernel); }
	}

	private stmt(s: Stmt, inKernel: boolean): void {
		if (inKernel && STATEMENTS[s.kind].inKernel !== true) { this.error(s.loc, notInKernelMessage(s.kind)); }
		const pending = pendingStatement(s.kind);
		if (pending !== undefined) { this.error(s.loc, pending); }
		switch (s.kind) {
			case 'system':
				if (this.systemSeen) {
					this.error(s.loc, "'system' may appear only once");
				} else if (this.processSeen) {
					this.error(s.loc, "'system' must come before any 'process'");
				}
				this.systemSeen = true;
				this.options(s.options, SYSTEM_OPTIONS, 'system');
				for (const o of s.options) { if (o.key === 'experimental' && o.value.kind === 'ident') { this.experimental.add(o.value.name); } }
				if (s.options.some(o => o.key === 'pin_device') && !this.experimental.has('pin_device')) {
					this.error(s.options.find(o => o.key === 'pin_device')!.loc, PIN_DEVICE_WITHOUT_MODE);
				}
				if (s.options.some(o => o.key === 'file_writeback') && !this.experimental.has('file_migration')) {
					this.error(s.options.find(o => o.key === 'file_writeback')!.loc, FILE_WRITEBACK_WITHOUT_MODE);
				}
				break;
			case 'device':
				this.options(s.options, DEVICE_OPTIONS, 'device');
				if (!s.options.some(o => o.key === 'memory')) {
					this.error(nameLoc(s, 'name'), `device '${shortText(s.name)}' needs memory=SIZE`);
				}
				{
					const ignored = mirrorOnlyOption(s.options);
					if (ignored) { this.error(ignored.option.loc, ignored.message); }
				}
				break;
			case 'process': this.processSeen = true; break;
			case 'fork': this.processSeen = true; break;
			case 'use': case 'exit': this.process(s, 'name', s.name); break;
			case 'file':
				this.size(s.size);
				if (s.init !== undefined) { this.expr(s.init, true); }
				break;
			case 'oom_score_adj':
				this.process(s, 'name', s.name);
				this.expr(s.value, false);
				break;
			case 'truncate':
				if (!this.files.has(s.name)) { this.error(nameLoc(s, 'name'), `unknown file '${shortText(s.name)}'`); }
				this.expr(s.size, false);
				break;
			case 'file-read': case 'file-write': case 'sync':
				if (!this.files.has(s.name)) { this.error(nameLoc(s, 'name'), `unknown file '${shortText(s.name)}'`); }
				if (s.kind !== 'sync') {
					if (s.lo !== undefined) { this.expr(s.lo, false); }
					if (s.hi !== undefined) { this.expr(s.hi, false); }
					if (s.kind === 'file-write' && s.value !== undefined) { this.expr(s.value, true); }
				}
				break;
			case 'mirror':
				this.device(s, 'device', s.device);
				this.process(s, 'process', s.process);
				if (s.handle !== undefined) { this.handleName(s, s.handle); }
				break;
			case 'unmirror':
				if (s.process !== undefined) {
					this.device(s, 'device', s.device);
					this.process(s, 'process', s.process);
				} else if (!this.handles.has(s.device)) {
					this.error(nameLoc(s, 'device'), this.devices.has(s.device) ? `'${shortText(s.device)} unmirror' needs the process ('${shortText(s.device)} unmirror PROC')` : `unknown open file '${shortText(s.device)}' (name one with 'DEV mirror PROC as NAME')`);
				}
				break;
			case 'mmap':
				this.size(s.size);
				if (s.offset !== undefined) { this.size(s.offset); }
				if (s.hugetlbSize !== undefined) { this.size(s.hugetlbSize); }
				if (s.file !== undefined && !this.files.has(s.file)) {
					this.error(nameLoc(s, 'file'), `unknown file '${shortText(s.file)}'`);
				}
				this.prot(s, s.prot);
				break;
			case 'mremap':
				this.expr(s.range, false);
				this.size(s.size);
				if (s.fixed !== undefined) { this.expr(s.fixed, false); }
				if (s.dontunmap && !s.maymove) { this.error(s.loc, "'dontunmap' needs 'maymove'"); }
				if (s.fixed !== undefined && !s.maymove) { this.error(s.fixed.loc, "'fixed=' needs 'maymove'"); }
				break;
			case 'mprotect':
				this.expr(s.range, false);
				this.prot(s, s.prot);
				break;
			case 'madvise':
				this.expr(s.range, false);
				if (!(ADVICE as readonly string[]).includes(s.advice)) {
					this.error(nameLoc(s, 'advice'), `unknown advice '${shortText(s.advice)}' (expected one of ${oneOf(ADVICE)})`);
				}
				break;
			case 'pin':
				this.expr(s.range, false);
				if (s.device !== undefined) {
					this.device(s, 'device', s.device);
					if (!this.experimental.has('pin_device')) { this.error(s.loc, '`pin R -> DEV` needs `system experimental=pin_device`'); }
					if (s.duration !== undefined) { this.quantity(s.duration, 'ns', undefined); }
				}
				break;
			case 'munmap': case 'unpin': case 'cpu-read':
				this.expr(s.range, false);
				break;
			case 'cpu-write':
				this.expr(s.range, false);
				if (s.value !== undefined) { this.expr(s.value, true); }
				break;
			case 'dev-read': case 'snapshot': case 'exclusive':
				this.mirrorOf(s, 'device', s.device);
				this.expr(s.range, false);
				break;
			case 'dev-write':
				this.mirrorOf(s, 'device', s.device);
				this.expr(s.range, false);
				this.expr(s.value, true);
				break;
			case 'release': this.device(s, 'device', s.device); break;
			case 'fail_alloc': this.mirrorOf(s, 'device', s.device); break;
			case 'kernel':
				this.device(s, 'device', s.device);
				this.stmts(s.body, true);
				break;
			case 'kernel-read': case 'kernel-write': case 'kernel-atomic':
				if (!inKernel) { this.error(s.loc, kernelLineMessage(s.kind)); }
				this.expr(s.range, false);
				if (s.kind === 'kernel-write' && s.value !== undefined) { this.expr(s.value, true); }
				break;
			case 'migrate': case 'prefetch':
				this.expr(s.range, false);
				if (s.kind === 'migrate' && this.handles.has(s.to)) { /* the ioctl on a named open file */ } else { this.location(s, 'to', s.to); }
				if (s.kind === 'migrate' && s.from !== undefined) {
					if (s.to !== 'ram') { this.error(nameLoc(s, 'from'), "'from DEV' applies only to 'migrate R -> ram'"); }
					this.mirrorOf(s, 'from', s.from);
				}
				break;
			case 'advise': this.advise(s); break;
			case 'param':
				if (this.devices.has(s.name) || this.processes.has(s.name)) { this.error(nameLoc(s, 'name'), `'${shortText(s.name)}' is already a device or process name`); }
				break;
			case 'assign':
				if (s.target === 'true' || s.target === 'false') { this.error(s.loc, `cannot assign to '${s.target}'`); }
				if (this.params.has(s.target)) { this.error(nameLoc(s, 'target'), `cannot assign to param '${shortText(s.target)}' (a param is a constant)`); }
				this.expr(s.value, false);
				break;
			case 'for':
				this.expr(s.from, false);
				this.expr(s.to, false);
				if (s.step !== undefined) {
					this.expr(s.step, false);
					if (s.step.kind === 'num' && s.step.value === 0) { this.error(s.step.loc, 'loop step must not be zero'); }
				}
				this.stmts(s.body, inKernel);
				break;
			case 'repeat':
				this.expr(s.count, false);
				this.stmts(s.body, inKernel);
				break;
			case 'if':
				this.expr(s.cond, false);
				this.stmts(s.then, inKernel);
				if (s.else !== undefined) { this.stmts(s.else, inKernel); }
				break;
			case 'print':
				for (const a of s.args) { this.expr(a, false); }
				break;
			case 'expect':
				this.expr(s.cond, false);
				if (s.message !== undefined) { this.expr(s.message, false); }
				break;
			case 'thread':
				if (inKernel) { this.error(s.loc, 'a thread cannot start inside a kernel body'); }
				this.stmts(s.body, false);
				break;
			case 'join':
				if (!this.threads.has(s.name)) { this.error(nameLoc(s, 'name'), `unknown thread '${shortText(s.name)}'`); }
				break;
			case 'schedule': this.schedule(s); break;
			case 'expect-error':
				if (!(ERROR_CODES as readonly string[]).includes(s.code)) {
					this.error(nameLoc(s, 'code'), `unknown error code '${shortText(s.code)}' (expected one of ${oneOf(ERROR_CODES)})`);
				}
				this.stmts(s.body, inKernel);
				break;
		}
	}

	private schedule(s: Stmt & { kind: 'schedule' }): void {
		if (!(SCHEDULE_MODES as readonly string[]).includes(s.mode)) {
			this.error(nameLoc(s, 'mode'), `unknown schedule '${shortText(s.mode)}' (expected one of ${oneOf(SCHEDULE_MODES)})`);
		}
		for (const o of s.options) {
			if (o.key !== 'seed' || s.mode !== 'random') { this.error(o.loc, `'schedule ${shortText(s.mode)}' takes no option '${shortText(o.key)}'${s.mode === 'random' ? ' (only seed=N)' : ''}`); continue; }
			this.quantity(o.value, 'count', 'seed');
		}
	}

	private prot(s: Stmt, prot: string): void {
		if (!PROTECTIONS.includes(prot)) {
			this.error(nameLoc(s, 'prot'), `unknown protection '${shortText(prot)}' (expected one of ${oneOf(PROTECTIONS)})`);
		}
	}

	private advise(s: Stmt & { kind: 'advise' }): void {
		this.expr(s.range, false);
		const at = nameLoc(s, 'value');
		const pending = pendingAdvice(s.advice);
		if (pending !== undefined) { this.error(nameLoc(s, 'advice'), pending); return; }
		switch (s.advice) {
			case 'preferred':
				if (s.value !== 'none') { this.location(s, 'value', s.value); }
				break;
			case 'accessed_by': this.device(s, 'value', s.value); break;
			case 'read_mostly':
				if (s.value !== 'on' && s.value !== 'off') { this.error(at, "read_mostly must be 'on' or 'off'"); }
				break;
			default:
				this.error(nameLoc(s, 'advice'), `unknown advice '${shortText(s.advice)}' (expected one of ${oneOf(ADVISE_KEYS)})`);
		}
	}

	private options(options: Option[], specs: Readonly<Record<string, OptionSpec>>, what: 'system' | 'device'): void {
		const seen = new Set<string>();
		for (const o of options) {
			const spec = Object.prototype.hasOwnProperty.call(specs, o.key) ? specs[o.key] : undefined;
			if (spec === undefined) {
				this.error(o.loc, unknownOptionMessage(what, o.key, specs));
				continue;
			}
			if (seen.has(o.key) && spec.list !== true) { this.error(o.loc, `option '${o.key}' given twice`); }
			seen.add(o.key);
			const pending = pendingOption(specs, o);
			if (pending !== undefined) { this.error(o.loc, pending); }
			const allowed = spec.value;
			if (typeof allowed !== 'string') {
				if (o.value.kind !== 'ident' || !allowed.includes(o.value.name)) {
					this.error(o.value.loc, `'${o.key}' must be one of ${oneOf(allowed)}`);
				}
				continue;
			}
			this.quantity(o.value, allowed, o.key);
			if (spec.max !== undefined && o.value.kind === 'num' && o.value.value > spec.max) {
				this.error(o.value.loc, `'${o.key}' takes at most ${spec.max}`);
			}
		}
	}

	private size(e: Expr): void {
		this.quantity(e, 'bytes', undefined);
	}

	/** A literal's unit must fit; a unitless number is taken in the base unit. */
	private quantity(e: Expr, kind: ValueKind, key: string | undefined): void {
		const subject = key === undefined ? 'expected' : `'${key}' expects`;
		if (e.kind === 'str' || e.kind === 'bool') {
			this.error(e.loc, `${subject} ${VALUE_NAMES[kind]}`);
		} else if (e.kind === 'num' && e.unit !== undefined && e.unit !== kind) {
			this.error(e.loc, `${subject} ${VALUE_NAMES[kind]}`);
		} else if (e.kind === 'num' && kind === 'count' && e.value < 1) {
			this.error(e.loc, `${subject} a count of at least 1`);
		} else { this.expr(e, false); }
	}

	private expr(e: Expr, wordIndex: boolean): void {
		switch (e.kind) {
			case 'num': case 'bool': case 'str': return;
			case 'ident': return this.ident(e.name, e.loc, wordIndex);
			case 'member': return this.member(e.object, e.property, e.loc);
			case 'unary': return this.expr(e.arg, wordIndex);
			case 'binary':
				this.expr(e.left, wordIndex);
				return this.expr(e.right, wordIndex);
			case 'slice':
				this.expr(e.object, wordIndex);
				if (e.lo !== undefined) { this.expr(e.lo, wordIndex); }
				if (e.hi !== undefined) { this.expr(e.hi, wordIndex); }
				return;
			case 'index':
				this.expr(e.object, wordIndex);
				return this.expr(e.index, wordIndex);
			case 'call': return this.call(e, wordIndex);
		}
	}

	private ident(name: string, loc: Loc, wordIndex: boolean): void {
		if (this.variables.has(name) || this.devices.has(name) || this.processes.has(name)) { return; }
		if (name === 'ram' || name === 'time' || name === 'thread' || (name === 'i' && wordIndex)) { return; }
		if (name === 'i') {
			this.error(loc, "'i' (the word index) is only defined in a written value or in matches(R, EXPR)");
		} else { this.error(loc, `unknown name '${shortText(name)}'`); }
	}

	private member(object: string, property: string, loc: Loc): void {
		let table: Readonly<Record<string, string>>;
		const fixed = fixedMembers(object);
		if (fixed) {
			table = fixed;
		} else if (this.devices.has(object)) {
			table = DEVICE_MEMBERS;
		} else if (this.processes.has(object)) {
			table = PROCESS_MEMBERS;
		} else {
			this.error(loc, `unknown name '${shortText(object)}' (members exist on last, event, system, devices and processes)`);
			return;
		}
		if (!hasMember(table, property)) { this.error(loc, noMemberMessage(object, property, table)); }
	}

	private call(e: Expr & { kind: 'call' }, wordIndex: boolean): void {
		if (!isBuiltin(e.callee)) {
			this.error(e.loc, unknownFunctionMessage(e.callee));
			e.args.forEach(a => this.expr(a, wordIndex));
			return;
		}
		const callee = e.callee;
		const arity = arityMessage(callee, e.args.length);
		if (arity !== undefined) { this.error(e.loc, arity); }
		const kinds = BUILTIN_SPECS[callee].args;
		e.args.forEach((a, k) => {
			const ordinal = k === 0 ? 'first' : k === 1 ? 'second' : 'third';
			switch (kinds[k]) {
				case 'device':
					if (!(a.kind === 'ident' && (this.devices.has(a.name) || this.handles.has(a.name)))) {
						this.error(a.loc, `the ${ordinal} argument of ${callee}() must be a device name`);
					}
					return;
				case 'location':
					if (!(a.kind === 'ident' && ((COUNT_LOCATIONS as readonly string[]).includes(a.name) || this.devices.has(a.name)))) {
						this.error(a.loc, `the ${ordinal} argument of ${callee}() must be ${oneOf(COUNT_LOCATIONS)} or a device name`);
					}
					return;
				case 'place':
					if (!(a.kind === 'ident' && (a.name === 'ram' || this.devices.has(a.name)))) {
						this.error(a.loc, `the ${ordinal} argument of ${callee}() must be ram or a device name`);
					}
					return;
				case 'word': return this.expr(a, true);
				default: return this.expr(a, wordIndex);
			}
		});
	}
}

export function check(program: Program): Diagnostic[] {
	const c = new Checker(program.file);
	try {
		c.run(program);
	} catch (err) {
		c.out.push(makeDiagnostic(program.file, 1, 1, `internal checker error: ${err instanceof Error ? err.message : String(err)}`));
	}
	return sortDiagnostics(c.out);
}
