// Executes one simple statement against the machine. Control flow is program.ts's business.
import type { Expr, Option, Stmt } from './ast';
import type { Machine } from '../engine/machine';
import type { K } from '../engine/sim/events';
import { defaultDeviceConfig, type DeviceConfig } from '../engine/device/device';
import { LINK_PEAK, type LinkKind } from '../engine/sim/cost';
import type { ThpMode } from '../engine/kernel';
import { compileFill, type EvalContext, evaluate, int, range, toByteRange, truthy } from './eval';
import { formatValue, ScriptError } from './values';
import { HUGETLB_DEFAULT_SIZE, kernelLineMessage, pendingStatement } from './vocabulary';
import { DEVICE_OPTIONS, type OptionSpec, pendingOption, SYSTEM_OPTIONS, unknownOptionMessage } from './vocabularyOptions';
import { nameLoc } from './diagnostics';

export interface ExecHost extends EvalContext {
	print(line: string): void;
	/** records the outcome of an `expect` */
	expectResult(ok: boolean, stmt: Stmt & { kind: 'expect' }, message: string): void;
}

function word(o: Option): string {
	if (o.value.kind === 'ident') { return o.value.name; }
	throw new ScriptError(`${o.key}= takes a word`, o.loc);
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

function deviceConfig(s: Stmt & { kind: 'device' }, ctx: EvalContext): DeviceConfig {
	const { name, options } = s;
	refuseOptions(options, DEVICE_OPTIONS, 'device');
	const mem = options.find(o => o.key === 'memory');
	if (!mem) { throw new ScriptError(`device '${name}' needs memory=SIZE`, nameLoc(s, 'name')); }
	const c = defaultDeviceConfig(name, num(mem, ctx));
	let bwGiven = false;
	for (const o of options) {
		switch (o.key) {
			case 'memory': break;
			case 'kind': c.kind = word(o) as DeviceConfig['kind']; break;
			case 'link': c.link = word(o) as LinkKind; break;
			case 'policy': c.policy = word(o) as DeviceConfig['policy']; break;
			case 'prefetch': c.prefetch = word(o) as DeviceConfig['prefetch']; break;
			case 'fault_latency': c.faultLatencyNs = num(o, ctx); break;
			case 'link_bw': c.linkBw = num(o, ctx); bwGiven = true; break;
			case 'huge': c.huge = word(o) === 'on'; break;
			// evict=, fault_batch=, local_bw= were refused above until the device model reads them
			default: throw new ScriptError(unknownOptionMessage('device', o.key, DEVICE_OPTIONS), o.loc);
		}
	}
	if (!bwGiven) { c.linkBw = LINK_PEAK[c.link] ?? c.linkBw; }
	return c;
}

export function* execStmt(s: Stmt, m: Machine, h: ExecHost): K {
	const r = (e: Expr) => toByteRange(range(evaluate(e, h), e.loc));
	// a statement the engine does not simulate must not quietly do nothing
	const pending = pendingStatement(s.kind);
	if (pending !== undefined) { throw new ScriptError(pending, s.loc); }
	switch (s.kind) {
		case 'system': {
			refuseOptions(s.options, SYSTEM_OPTIONS, 'system');
			const cfg: { ramBytes?: number; thp?: ThpMode } = {};
			for (const o of s.options) {
				if (o.key === 'ram') { cfg.ramBytes = num(o, h); } else if (o.key === 'thp') { cfg.thp = word(o) as ThpMode; }
			}
			m.configure(cfg);
			return;
		}
		case 'device': m.addDevice(deviceConfig(s, h)); return;
		case 'process': m.process(s.name); return;
		case 'use': m.use(s.name); return;
		case 'file': m.createFile(s.name, int(evaluate(s.size, h), s.size.loc), s.init ? compileFill(s.init, h) : undefined); return;
		case 'mirror': yield* m.mirror(s.device, s.process); return;
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
		case 'migrate': yield* m.migrate(r(s.range), s.to); return;
		case 'exclusive': yield* m.exclusive(r(s.range), s.device); return;
		case 'release': yield* m.release(s.device); return;
		case 'pin': yield* m.pin(r(s.range), s.readOnly === true); return;
		case 'unpin': yield* m.unpin(r(s.range)); return;
		case 'snapshot': {
			const bytes = yield* m.snapshot(s.device, r(s.range));
			h.vars.set(s.target, { kind: 'buffer', bytes, elem: 1 });
			return;
		}
		case 'kernel-read': case 'kernel-write': case 'kernel-atomic':
			throw new ScriptError(kernelLineMessage(s.kind), s.loc);
		case 'assign': h.vars.set(s.target, evaluate(s.value, h)); return;
		case 'print': h.print(s.args.map(a => formatValue(evaluate(a, h))).join(' ')); return;
		case 'expect': {
			const ok = truthy(evaluate(s.cond, h), s.cond.loc);
			const msg = s.message ? formatValue(evaluate(s.message, h)) : '';
			h.expectResult(ok, s, msg);
			return;
		}
		default:
			throw new ScriptError(`statement '${s.kind}' cannot run here`, s.loc);
	}
}
