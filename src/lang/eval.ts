// Expression evaluation: operators, ranges, buffers and the builtins of docs/language.md#builtins.
import type { Expr, Loc } from './ast';
import type { Machine, ByteRange } from '../engine/machine';
import type { SimEvent } from '../engine/sim/events';
import { type Fill, fillWord } from '../engine/mm/fill';
import { fillOf } from './fillCompile';
import { bitwise, divide, modulo, shiftLeft, shiftRight } from './intOps';
import { PAGE_SIZE } from '../engine/mm/content';
import { SimError } from '../engine/sim/errors';
import { type BufferValue, bufferElement, bufferLength, type RangeValue, ScriptError, typeName, type Value } from './values';
import {
	arityMessage, type Builtin, DEVICE_COUNTERS, DEVICE_MEMBERS, type DeviceMember, EVENT_MEMBERS, hasMember, isBuiltin, LAST_MEMBERS, SYSTEM_MEMBERS,
	noMemberMessage, PROCESS_MEMBERS, type ProcessMember, unknownFunctionMessage,
} from './vocabulary';
import type { DeviceSummary, ProcessSummary, SystemRecord } from '../engine/view';

export interface EvalContext {
	vars: Map<string, Value>;
	machine: Machine;
	/** the engine event the debugger is stopped on, for `event.*` */
	event?: SimEvent;
	/** the script thread running now (`thread`): "main" without threads */
	readonly thread?: string;
}

export function evaluate(e: Expr, ctx: EvalContext, iValue?: number): Value {
	switch (e.kind) {
		case 'num': return e.value;
		case 'bool': return e.value;
		case 'str': return e.value;
		case 'ident': {
			if (e.name === 'i' && iValue !== undefined) { return iValue; }
			if (e.name === 'time') { return ctx.machine.time; }
			const v = ctx.vars.get(e.name);
			if (v === undefined && e.name === 'thread') { return ctx.thread ?? 'main'; }
			if (v === undefined) { throw new ScriptError(`'${e.name}' has no value here`, e.loc); }
			return v;
		}
		case 'member': return member(e.object, e.property, ctx, e.loc);
		case 'unary': {
			const v = evaluate(e.arg, ctx, iValue);
			if (e.op === 'not') { return !truthy(v, e.loc); }
			return -int(v, e.loc);
		}
		case 'binary': return binary(e.op, e, ctx, iValue);
		case 'call': return call(e.callee, e.args, ctx, e.loc, iValue);
		case 'slice': {
			const r = range(evaluate(e.object, ctx, iValue), e.loc);
			const lo = e.lo ? int(evaluate(e.lo, ctx, iValue), e.lo.loc) : 0;
			const hi = e.hi ? int(evaluate(e.hi, ctx, iValue), e.hi.loc) : r.len;
			if (lo < 0 || hi > r.len || lo > hi) { throw new ScriptError(`slice [${lo}:${hi}] is outside the range of ${r.len} bytes`, e.loc); }
			return { kind: 'range', addr: r.addr + lo, len: hi - lo };
		}
		case 'index': {
			const o = evaluate(e.object, ctx, iValue);
			const k = int(evaluate(e.index, ctx, iValue), e.index.loc);
			if (typeof o === 'object' && o.kind === 'buffer') { return bufferElement(o, k, e.loc); }
			throw new ScriptError(`cannot index a ${typeName(o)}; use a buffer from 'read' or 'snapshot'`, e.loc);
		}
	}
}

export function int(v: Value, loc?: Loc): number {
	if (typeof v !== 'number') { throw new ScriptError(`expected an integer, got ${typeName(v)}`, loc); }
	return v;
}

export function truthy(v: Value, loc?: Loc): boolean {
	if (typeof v !== 'boolean') { throw new ScriptError(`expected true or false, got ${typeName(v)}`, loc); }
	return v;
}

export function range(v: Value, loc?: Loc): RangeValue {
	if (typeof v !== 'object' || v.kind !== 'range') { throw new ScriptError(`expected a memory range, got ${typeName(v)}`, loc); }
	return v;
}

// Member dispatch is keyed by the vocabulary's tables: a member added there without a reader here,
// or here without a declaration there, does not compile.
const LAST_READERS: { [P in keyof typeof LAST_MEMBERS]: (m: Machine) => Value } = {
	cpages: m => m.last.cpages, faults: m => m.last.faults, error: m => m.last.error, moved: m => m.last.moved,
	retries: m => m.last.retries,
};
const EVENT_READERS: { [P in keyof typeof EVENT_MEMBERS]: (ev: SimEvent) => Value } = {
	kind: ev => ev.kind, addr: ev => ev.addr, npages: ev => ev.npages, device: ev => ev.device ?? '', process: ev => ev.process ?? '',
	write: ev => ev.write ?? false, fn: ev => ev.fn ?? '', detail: ev => ev.detail ?? '', cause: ev => ev.cause ?? '',
	warp: ev => ev.warp ?? -1, sm: ev => ev.sm ?? -1, page: ev => ev.page ?? -1, line: ev => ev.line ?? 0,
};
const DEVICE_READERS: Omit<{ [P in DeviceMember]: (d: DeviceSummary) => number }, keyof typeof DEVICE_COUNTERS> = {
	used: d => d.usedPages * PAGE_SIZE, free: d => d.freePages * PAGE_SIZE, struct_page_bytes: d => d.structPageBytes,
	pinned: d => d.pinnedPages * PAGE_SIZE,
};
const SYSTEM_READERS: { [P in keyof typeof SYSTEM_MEMBERS]: (s: SystemRecord) => number } = {
	struct_page_bytes: s => s.structPageBytes, invalidations: s => s.invalidation.updates,
	invalidate_ns: s => s.invalidation.chargedNs, invalidate_saved_ns: s => s.invalidation.serialNs - s.invalidation.chargedNs,
	pin_blocked: s => s.pins.blocked, pin_wait_ns: s => s.pins.waitedNs,
	file_device_pages: s => s.fileMigration.devicePages, file_device_dirty: s => s.fileMigration.deviceDirty,
	file_faulted_back: s => s.fileMigration.faultedBack, file_writeback_pages: s => s.fileMigration.writebackPages,
	file_writeback_device: s => s.fileMigration.writebackFromDevice,
	dax_device_pages: s => s.persistence.daxDevicePages, dax_unpersisted: s => s.persistence.daxUnpersisted,
	dax_written_back: s => s.persistence.daxWrittenBack, crashes: s => s.persistence.crashes, lost_bytes: s => s.persistence.lostFileBytes,
};
const PROCESS_READERS: { [P in ProcessMember]: (p: ProcessSummary, m: Machine) => number } = {
	pid: p => p.pid, rss: (p, m) => m.view.process(p.name)?.rss ?? 0, faults: p => p.faults, oom_score_adj: p => p.oomScoreAdj ?? 0,
};

function member(object: string, prop: string, ctx: EvalContext, loc: Loc): Value {
	const m = ctx.machine;
	if (object === 'last') {
		if (hasMember(LAST_MEMBERS, prop)) { return LAST_READERS[prop as keyof typeof LAST_MEMBERS](m); }
		throw new ScriptError(noMemberMessage(object, prop, LAST_MEMBERS), loc);
	}
	if (object === 'event') {
		if (!hasMember(EVENT_MEMBERS, prop)) { throw new ScriptError(noMemberMessage(object, prop, EVENT_MEMBERS), loc); }
		if (!ctx.event) { throw new ScriptError('`event` exists only while stopped on an engine event', loc); }
		return EVENT_READERS[prop as keyof typeof EVENT_MEMBERS](ctx.event);
	}
	if (object === 'system') {
		if (hasMember(SYSTEM_MEMBERS, prop)) { return SYSTEM_READERS[prop as keyof typeof SYSTEM_MEMBERS](m.view.system()); }
		throw new ScriptError(noMemberMessage(object, prop, SYSTEM_MEMBERS), loc);
	}
	const dev = m.view.deviceSummary(object);
	if (dev) {
		if (hasMember(DEVICE_COUNTERS, prop)) { return dev.counters[prop]; }
		if (hasMember(DEVICE_READERS, prop)) { return DEVICE_READERS[prop as keyof typeof DEVICE_READERS](dev); }
	}
	const mm = m.view.processSummary(object);
	if (mm && hasMember(PROCESS_MEMBERS, prop)) { return PROCESS_READERS[prop as ProcessMember](mm, m); }
	if (dev) { throw new ScriptError(noMemberMessage(object, prop, DEVICE_MEMBERS), loc); }
	if (mm) { throw new ScriptError(noMemberMessage(object, prop, PROCESS_MEMBERS), loc); }
	throw new ScriptError(`no device or process named '${object}'`, loc);
}

function binary(op: string, e: Expr & { kind: 'binary' }, ctx: EvalContext, iValue?: number): Value {
	if (op === 'and') { return truthy(evaluate(e.left, ctx, iValue), e.left.loc) && truthy(evaluate(e.right, ctx, iValue), e.right.loc); }
	if (op === 'or') { return truthy(evaluate(e.left, ctx, iValue), e.left.loc) || truthy(evaluate(e.right, ctx, iValue), e.right.loc); }
	const a = evaluate(e.left, ctx, iValue);
	const b = evaluate(e.right, ctx, iValue);
	if (op === '==' || op === '!=') {
		const eq = typeof a === 'object' || typeof b === 'object' ? sameObject(a, b) : a === b;
		return op === '==' ? eq : !eq;
	}
	if (op === '<' || op === '<=' || op === '>' || op === '>=') {
		if (typeof a === 'string' && typeof b === 'string') { return compare(op, a < b ? -1 : a > b ? 1 : 0); }
		return compare(op, int(a, e.left.loc) - int(b, e.right.loc));
	}
	if (op === '+' && typeof a === 'string') { return a + (typeof b === 'object' ? typeName(b) : String(b)); }
	const x = int(a, e.left.loc);
	const y = int(b, e.right.loc);
	switch (op) {
		case '+': return x + y;
		case '-': return x - y;
		case '*': return x * y;
		case '/': return divide(x, y, e.loc);
		case '%': return modulo(x, y, e.loc);
		case '|': case '&': case '^': return bitwise(op, x, y);
		case '<<': return shiftLeft(x, y, e.loc);
		case '>>': return shiftRight(x, y, e.loc);
	}
	throw new ScriptError(`unknown operator ${op}`, e.loc);
}

function compare(op: string, d: number): boolean {
	return op === '<' ? d < 0 : op === '<=' ? d <= 0 : op === '>' ? d > 0 : d >= 0;
}

function sameObject(a: Value, b: Value): boolean {
	if (typeof a !== 'object' || typeof b !== 'object' || a.kind !== b.kind) { return false; }
	if (a.kind === 'range' && b.kind === 'range') { return a.addr === b.addr && a.len === b.len; }
	const x = (a as BufferValue).bytes, y = (b as BufferValue).bytes;
	return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** A bare word in a location or device position: a variable if one exists, else the name itself. */
function name(e: Expr, ctx: EvalContext): string {
	if (e.kind === 'ident' && !ctx.vars.has(e.name)) { return e.name; }
	const v = evaluate(e, ctx);
	if (typeof v !== 'string') { throw new ScriptError(`expected a name, got ${typeName(v)}`, e.loc); }
	return v;
}

function rangeOrBuffer(v: Value, loc: Loc): RangeValue | BufferValue {
	if (typeof v === 'object') { return v; }
	throw new ScriptError(`expected a range or a buffer, got ${typeName(v)}`, loc);
}

function call(callee: string, args: Expr[], ctx: EvalContext, loc: Loc, iValue?: number): Value {
	if (!isBuiltin(callee)) { throw new ScriptError(unknownFunctionMessage(callee), loc); }
	const wrong = arityMessage(callee, args.length);
	if (wrong !== undefined) { throw new ScriptError(wrong, loc); }
	return dispatch(callee, args, ctx, loc, iValue);
}

/** One case per vocabulary builtin: a missing case fails to compile (no return), an extra one too
 * (not a Builtin). The arity has been checked against the vocabulary before. */
function dispatch(callee: Builtin, args: Expr[], ctx: EvalContext, loc: Loc, iValue?: number): Value {
	const m = ctx.machine;
	const ev = (k: number) => evaluate(args[k], ctx, iValue);
	const wrap = <T>(f: () => T): T => {
		try { return f(); } catch (err) {
			if (err instanceof SimError) { throw new ScriptError(`${callee}(): ${err.message}`, loc); }
			throw err;
		}
	};
	switch (callee) {
		case 'where': return wrap(() => m.where(range(ev(0), args[0].loc)));
		case 'count': return wrap(() => m.count(range(ev(0), args[0].loc), name(args[1], ctx)));
		case 'mapped': return wrap(() => m.mapped(name(args[0], ctx), range(ev(1), args[1].loc)));
		case 'perm': return wrap(() => m.perm(name(args[0], ctx), range(ev(1), args[1].loc)));
		case 'exclusive': return wrap(() => m.isExclusive(name(args[0], ctx), range(ev(1), args[1].loc)));
		case 'refcount': case 'mapcount': case 'pincount': return wrap(() => m.pageCount(range(ev(0), args[0].loc), callee));
		case 'matches': {
			const o = rangeOrBuffer(ev(0), args[0].loc);
			const expect = compileFill(args[1], ctx);
			if (o.kind === 'buffer') {
				const n = bufferLength(o);
				for (let i = 0; i < n; i++) { if (bufferElement(o, i) !== fillWord(expect, i)) { return false; } }
				return true;
			}
			return wrap(() => m.matches(o, expect));
		}
		case 'word': {
			const o = rangeOrBuffer(ev(0), args[0].loc);
			const k = int(ev(1), args[1].loc);
			if (o.kind === 'buffer') {
				if (o.elem !== 4) { throw new ScriptError('word() of a snapshot: index it with S[k] instead', loc); }
				return bufferElement(o, k, loc);
			}
			return wrap(() => m.word(o, k));
		}
		case 'len': {
			const o = rangeOrBuffer(ev(0), args[0].loc);
			return o.kind === 'range' ? o.len : bufferLength(o);
		}
		case 'npages': { const r = range(ev(0), args[0].loc); return Math.ceil((r.addr + r.len) / PAGE_SIZE) - Math.floor(r.addr / PAGE_SIZE); }
		case 'addr': { return range(ev(0), args[0].loc).addr; }
		case 'page': {
			return pagesOf(range(ev(0), args[0].loc), int(ev(1), args[1].loc), 1, loc);
		}
		case 'pages': {
			return pagesOf(range(ev(0), args[0].loc), int(ev(1), args[1].loc), int(ev(2), args[2].loc), loc);
		}
		case 'at': {
			const a = int(ev(0), args[0].loc), n = int(ev(1), args[1].loc);
			if (a < 0 || n <= 0) { throw new ScriptError('at(ADDR, LEN) needs ADDR >= 0 and LEN > 0', loc); }
			return { kind: 'range', addr: a, len: n };
		}
		case 'copies': return wrap(() => m.copies(range(ev(0), args[0].loc), name(args[1], ctx)));
		case 'lost': return wrap(() => m.lost(range(ev(0), args[0].loc)));
	}
}

function pagesOf(r: RangeValue, k: number, n: number, loc: Loc): RangeValue {
	const total = Math.ceil(r.len / PAGE_SIZE);
	if (k < 0 || n <= 0 || k + n > total) { throw new ScriptError(`pages ${k}..${k + n - 1} are outside the range of ${total} pages`, loc); }
	return { kind: 'range', addr: r.addr + k * PAGE_SIZE, len: n * PAGE_SIZE };
}

export function toByteRange(r: RangeValue): ByteRange { return { addr: r.addr, len: r.len }; }

// ---------------------------------------------------------------- fills

/** Turns a per-word expression into a Fill (fillCompile.ts): linear forms a*i + b (int32 slope)
 * become patterns and typed-array loops, other integer expressions compiled operator trees. */
export function compileFill(e: Expr, ctx: EvalContext): Fill {
	return fillOf(e, x => evaluate(x, ctx), i => int(evaluate(e, ctx, i), e.loc));
}
