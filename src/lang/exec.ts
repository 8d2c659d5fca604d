// Executes one simple statement against the machine. Control flow is program.ts's business.
import type { Expr, Option, Stmt } from './ast';
import type { Machine } from '../engine/machine';
import type { K } from '../engine/sim/events';
import { defaultDeviceConfig, type DeviceConfig } from '../engine/device/device';
import { LINK_PEAK } from '../engine/sim/cost';
import { COST_OPTIONS, THRASHING_OPTIONS } from '../engine/device/cost';
import { EXPERIMENTAL_MODES, type ExperimentalMode, type FileWritebackMode, type ThpMode } from '../engine/kernel';
import type { PinDeviceMode } from '../engine/mm/device_pin';
import { compileFill, type EvalContext, evaluate, int, range, toByteRange, truthy } from './eval';
import { formatValue, ScriptError } from './values';
import { ADVISE_KEYS, HUGETLB_DEFAULT_SIZE, kernelLineMessage, pendingAdvice, pendingStatement } from './vocabulary';
import {
	DEVICE_OPTION_FIELDS, DEVICE_OPTIONS, mirrorOnlyOption, type OptionSpec, pendingOption, FILE_WRITEBACK_WITHOUT_MODE, PIN_DEVICE_WITHOUT_MODE, SYSTEM_OPTIONS, unknownOptionMessage, type ValueKind,
} from './vocabularyOptions';
import { kernelAccesses } from './kernelBody';
import { nameLoc } from './diagnostics';
import { resolveStmtScans } from './scans';

export interface ExecHost extends EvalContext {
	print(line: string): void;
	/** records the outcome of an `expect` */
	expectResult(ok: boolean, stmt: Stmt & { kind: 'expect' }, message: string): void;
}

function word(o: Option): string {
	if (o.value.kind === 'ident') { return o.value.name; }
	throw new ScriptError(`${o.key}= takes a word`, o.loc);
}

function experimentalMode(o: Option): ExperimentalMode {
	const w = word(o);
	if (!(EXPERIMENTAL_MODES as readonly string[]).includes(w)) { throw new ScriptError(`'experimental' must be one of ${EXPERIMENTAL_MODES.join(', ')}`, o.value.loc); }
	return w as ExperimentalMode;
}

function num(o: Option, ctx: EvalContext): number { return int(evaluate(o.value, ctx), o.loc); }

/** What the checker would say first about an option the engine cannot honour (unknown or not
 * simulated yet), in the same words, for programs that were never checked. */
function refuseOptions(options: Option[], specs: Readonly<Record<string, OptionSpec>>, what: 'system' | 'device'): void {
	for (const o of options) {
		if (!Object.prototype.hasOwnProperty.call(specs, o.key)) { throw new ScriptError(unknownOptionMessage(what, o.key, specs), o.loc); }
		const pending = pendingOption(specs, o);
		if (pending !== undefined) { throw new ScriptError(pending, o.loc); }
	}
}

const VALUE_MINIMUM: Readonly<Record<ValueKind, { least: number; words: string }>> = {
	bytes: { least: 4096, words: 'at least one page' }, ns: { least: 0, words: 'a duration of at least 0' },
	bps: { least: 1, words: 'a positive bandwidth' }, count: { least: 1, words: 'a count of at least 1' },
};

function deviceConfig(s: Stmt & { kind: 'device' }, ctx: EvalContext): DeviceConfig {
	const { name, options } = s;
	refuseOptions(options, DEVICE_OPTIONS, 'device');
	const mem = options.find(o => o.key === 'memory');
	if (!mem) { throw new ScriptError(`device '${name}' needs memory=SIZE`, nameLoc(s, 'name')); }
	const ignored = mirrorOnlyOption(options);
	if (ignored) { throw new ScriptError(ignored.message, ignored.option.loc); }
	const c = defaultDeviceConfig(name, num(mem, ctx));
	const set = c as unknown as Record<string, unknown>;
	const given = new Set<string>();
	for (const o of options) {
		given.add(o.key);
		const spec = DEVICE_OPTIONS[o.key];
		if (o.key === 'memory') { continue; }
		const field = DEVICE_OPTION_FIELDS[o.key as keyof typeof DEVICE_OPTION_FIELDS];
		if (typeof spec.value !== 'string') {
			const w = word(o);
			if (!spec.value.includes(w)) { throw new ScriptError(`'${o.key}' must be one of ${spec.value.join(', ')}`, o.value.loc); }
			set[field] = o.key === 'huge' ? w === 'on' : w;
			continue;
		}
		const n = num(o, ctx);
		const low = VALUE_MINIMUM[spec.value];
		if (n < low.least) { throw new ScriptError(`'${o.key}' expects ${low.words}`, o.value.loc); }
		if (spec.max !== undefined && n > spec.max) { throw new ScriptError(`'${o.key}' takes at most ${spec.max}`, o.value.loc); }
		// the engine's own cost terms and thrashing parameters go to their tables in the config
		const cost = Object.prototype.hasOwnProperty.call(COST_OPTIONS, o.key) ? COST_OPTIONS[o.key] : undefined;
		const thrash = Object.prototype.hasOwnProperty.call(THRASHING_OPTIONS, o.key) ? THRASHING_OPTIONS[o.key] : undefined;
		if (cost) { c.costs[cost.key] = n; } else if (thrash) { c.thrashing[thrash.key] = n; } else { set[field] = n; }
	}
	if (!given.has('link_bw')) { c.linkBw = LINK_PEAK[c.link] ?? c.linkBw; }
	return c;
}

function adviceOf(s: Stmt & { kind: 'advise' }): { preferred?: string | null; accessedBy?: string; readMostly?: boolean } {
	switch (s.advice) {
		case 'preferred': return { preferred: s.value === 'none' ? null : s.value };
		case 'accessed_by': return { accessedBy: s.value };
		case 'read_mostly':
			if (s.value !== 'on' && s.value !== 'off') { throw new ScriptError("read_mostly must be 'on' or 'off'", nameLoc(s, 'value')); }
			return { readMostly: s.value === 'on' };
	}
	throw new ScriptError(`unknown advice '${String(s.advice)}' (expected one of ${ADVISE_KEYS.join(', ')})`, nameLoc(s, 'advice'));
}

/** Statements that touch no engine operation: they cannot pause, so the interpreter's fast path
 * runs them without a generator (interp.ts runSimple). */
export const SIMPLE_STATEMENTS: ReadonlySet<Stmt['kind']> = new Set(['assign', 'print', 'expect']);

export function execSimple(s: Stmt, h: ExecHost): void {
	switch (s.kind) {
		case 'assign': h.vars.set(s.target, evaluate(s.value, h)); return;
		case 'print': h.print(s.args.map(a => formatValue(evaluate(a, h))).join(' ')); return;
		case 'expect': {
			const ok = truthy(evaluate(s.cond, h), s.cond.loc);
			const msg = s.message ? formatValue(evaluate(s.message, h)) : '';
			h.expectResult(ok, s, msg);
			return;
		}
		default: throw new ScriptError(`statement '${s.kind}' cannot run here`, s.loc);
	}
}

export function* execStmt(s: Stmt, m: Machine, h: ExecHost): K {
	const r = (e: Expr) => toByteRange(range(evaluate(e, h), e.loc));
	// a statement the engine does not simulate must not quietly do nothing
	const pending = pendingStatement(s.kind);
	if (pending !== undefined) { throw new ScriptError(pending, s.loc); }
	switch (s.kind) {
		case 'system': {
			refuseOptions(s.options, SYSTEM_OPTIONS, 'system');
			const cfg: { ramBytes?: number; swapBytes?: number; thp?: ThpMode; experimental?: ExperimentalMode[]; pinDevice?: PinDeviceMode; fileWriteback?: FileWritebackMode } = {};
			for (const o of s.options) {
				if (o.key === 'ram') { cfg.ramBytes = num(o, h); } else if (o.key === 'swap') { cfg.swapBytes = num(o, h); } else if (o.key === 'thp') { cfg.thp = word(o) as ThpMode; }
				if (o.key === 'experimental') { cfg.experimental = [...cfg.experimental ?? [], experimentalMode(o)]; }
				if (o.key === 'pin_device') { cfg.pinDevice = word(o) as PinDeviceMode; }
				if (o.key === 'file_writeback') { cfg.fileWriteback = word(o) as FileWritebackMode; }
			}
			const wbOption = s.options.find(o => o.key === 'file_writeback');
			if (wbOption && !cfg.experimental?.includes('file_migration')) { throw new ScriptError(FILE_WRITEBACK_WITHOUT_MODE, wbOption.loc); }
			const pinOption = s.options.find(o => o.key === 'pin_device');
			if (pinOption && !cfg.experimental?.includes('pin_device')) { throw new ScriptError(PIN_DEVICE_WITHOUT_MODE, pinOption.loc); }
			m.configure(cfg);
			return;
		}
		case 'device': m.addDevice(deviceConfig(s, h)); return;
		case 'process': m.process(s.name); return;
		case 'use': m.use(s.name); return;
		case 'file': m.createFile(s.name, int(evaluate(s.size, h), s.size.loc), s.init ? compileFill(s.init, h) : undefined); return;
		case 'oom_score_adj': m.setOomScoreAdj(s.name, int(evaluate(s.value, h), s.value.loc)); return;
		case 'truncate': yield* m.truncate(s.name, int(evaluate(s.size, h), s.size.loc)); return;
		case 'file-read': case 'file-write': {
			const lo = s.lo ? int(evaluate(s.lo, h), s.lo.loc) : 0;
			const hi = s.hi ? int(evaluate(s.hi, h), s.hi.loc) : undefined;
			if (s.kind === 'file-read') { yield* m.fileRead(s.name, lo, hi); } else { yield* m.fileWrite(s.name, lo, hi, s.value ? compileFill(s.value, h) : undefined); }
			return;
		}
		case 'sync': yield* m.sync(s.name); return;
		case 'crash': yield* m.crash(); return;
		case 'mirror': yield* m.mirror(s.device, s.process, s.handle); return;
		case 'unmirror': yield* m.unmirror(s.device, s.process); return;
		case 'mmap': {
			const hugetlb = s.backing !== 'hugetlb' ? undefined : s.hugetlbSize ? int(evaluate(s.hugetlbSize, h), s.hugetlbSize.loc) : HUGETLB_DEFAULT_SIZE;
			const v = m.mmap({
				len: int(evaluate(s.size, h), s.size.loc), prot: s.prot, backing: s.backing === 'hugetlb' ? 'anon' : s.backing, file: s.file,
				shared: s.shared, huge: s.huge, offset: s.offset ? int(evaluate(s.offset, h), s.offset.loc) : undefined, hugetlb,
			});
			h.vars.set(s.target, { kind: 'range', addr: v.addr, len: v.len });
			return;
		}
		case 'mremap': {
			const v = yield* m.mremap(r(s.range), int(evaluate(s.size, h), s.size.loc), {
				maymove: s.maymove, dontunmap: s.dontunmap, fixed: s.fixed ? int(evaluate(s.fixed, h), s.fixed.loc) : undefined,
			});
			h.vars.set(s.target, { kind: 'range', addr: v.addr, len: v.len });
			return;
		}
		case 'munmap': yield* m.munmap(r(s.range)); return;
		case 'mprotect': yield* m.mprotect(r(s.range), s.prot); return;
		case 'madvise': yield* m.madvise(r(s.range), s.advice); return;
		case 'fork': yield* m.fork(s.name); return;
		case 'exit': yield* m.exit(s.name); return;
		case 'cpu-read': yield* m.cpuRead(r(s.range)); return;
		case 'cpu-write': yield* m.cpuWrite(r(s.range), s.value ? compileFill(s.value, h) : undefined); return;
		case 'dev-read': {
			const bytes = yield* m.devRead(s.device, r(s.range), s.target !== undefined);
			if (s.target !== undefined && bytes) { h.vars.set(s.target, { kind: 'buffer', bytes, elem: 4 }); }
			return;
		}
		case 'dev-write': yield* m.devWrite(s.device, r(s.range), compileFill(s.value, h)); return;
		case 'migrate': yield* m.migrate(r(s.range), s.to, s.from); return;
		case 'prefetch': yield* m.prefetch(r(s.range), s.to); return;
		case 'advise': {
			const pending = pendingAdvice(s.advice);
			if (pending !== undefined) { throw new ScriptError(pending, nameLoc(s, 'advice')); }
			yield* m.advise(r(s.range), adviceOf(s));
			return;
		}
		case 'kernel': {
			const accesses = yield* kernelAccesses(s.body, m, h);
			yield* m.launchKernel(s.device, s.name ?? `line ${s.loc.line}`, accesses);
			return;
		}
		case 'exclusive': yield* m.exclusive(r(s.range), s.device); return;
		case 'release': yield* m.release(s.device); return;
		case 'fail_alloc': yield* m.failAlloc(s.device); return;
		case 'pin':
			if (s.device !== undefined) {
				yield* m.pinDevice(r(s.range), s.device, s.duration ? int(evaluate(s.duration, h), s.duration.loc) : undefined);
				return;
			}
			yield* m.pin(r(s.range), s.readOnly === true);
			return;
		case 'unpin': yield* m.unpin(r(s.range)); return;
		case 'snapshot': {
			const bytes = yield* m.snapshot(s.device, r(s.range));
			h.vars.set(s.target, { kind: 'buffer', bytes, elem: 1 });
			return;
		}
		case 'kernel-read': case 'kernel-write': case 'kernel-atomic':
			throw new ScriptError(kernelLineMessage(s.kind), s.loc);
		// scans (matches()) are computed first, with pause points; then the statement runs as the
		// fast path would run it (execSimple)
		case 'assign': case 'print': case 'expect': execSimple(yield* resolveStmtScans(s, h), h); return;
		// uses were substituted by the parser; the variable is there for watches and hovers
		case 'param': h.vars.set(s.name, s.value.kind === 'ident' ? s.value.name : evaluate(s.value, h)); return;
		default:
			throw new ScriptError(`statement '${s.kind}' cannot run here`, s.loc);
	}
}
