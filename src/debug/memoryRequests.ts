// readMemory, writeMemory and dataBreakpointInfo in DAP terms, over memory.ts and the variable
// store: base64 in and out, memory references resolved to processes, data ids for page ranges.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { MachineView } from '../engine/view';
import type { Interpreter } from '../lang/interp';
import { type DataTarget, encodeDataId } from './breakpoints';
import { parseReference, read } from './memory';
import type { HmmRuntime } from './runtime';
import type { VariableStore } from './variables';
import { evalText } from './evaluate';
import { hex, PAGE } from './describe';

export function readMemory(view: MachineView, args: DebugProtocol.ReadMemoryArguments): DebugProtocol.ReadMemoryResponse['body'] | string {
	const ref = parseReference(view, args.memoryReference);
	if (typeof ref === 'string') { return ref; }
	const r = read(view, ref.process, ref.addr + (args.offset ?? 0), args.count);
	if (typeof r === 'string') { return r; }
	return { address: r.address, data: Buffer.from(r.data.buffer, r.data.byteOffset, r.data.length).toString('base64'), unreadableBytes: r.unreadableBytes || undefined };
}

export function writeMemory(rt: HmmRuntime, args: DebugProtocol.WriteMemoryArguments): { count: number } | string {
	const ref = parseReference(rt.interp.machine.view, args.memoryReference);
	if (typeof ref === 'string') { return ref; }
	const data = new Uint8Array(Buffer.from(args.data ?? '', 'base64'));
	if (data.length === 0) { return { count: 0 }; }
	const bad = rt.writeMemory(ref.process.name, ref.addr + (args.offset ?? 0), data);
	return bad ?? { count: data.length };
}

const ACCESS: DebugProtocol.DataBreakpointAccessType[] = ['read', 'write', 'readWrite'];

/** A VMA, page or range variable (or an expression giving a range) as a data breakpoint. */
export function dataBreakpointInfo(vs: VariableStore, interp: Interpreter, args: DebugProtocol.DataBreakpointInfoArguments): DebugProtocol.DataBreakpointInfoResponse['body'] {
	let t: DataTarget | undefined = args.variablesReference ? vs.dataTarget(args.variablesReference, args.name) : undefined;
	if (!t && !args.variablesReference) {
		const r = evalText(args.name, interp);
		const mm = interp.machine.current;
		if ('value' in r && typeof r.value === 'object' && r.value.kind === 'range' && mm?.alive) {
			const v = r.value;
			t = { process: mm.name, start: Math.floor(v.addr / PAGE), end: Math.ceil((v.addr + v.len) / PAGE), description: `${args.name} [${hex(v.addr)}, ${hex(v.addr + v.len)}) of ${mm.name}` };
		}
	}
	if (!t) { return { dataId: null, description: `'${args.name}' is not a VMA, page or memory range` }; }
	return { dataId: encodeDataId(t), description: t.description, accessTypes: ACCESS, canPersist: false };
}
