// Process memory for readMemory / writeMemory. A memoryReference names a process and a byte
// address ("<mm id>:0x<addr>"), so VMA, page and range variables of any process can open the
// same memory view. Reads never fault or change state (the machine view's read); writes are CPU
// writes through the current-process machinery, with their faults, exactly as a script write is.
import type { Interpreter } from '../lang/interp';
import type { MachineView, ProcessSummary } from '../engine/view';
import type { K } from '../engine/sim/events';

export const MAX_READ = 16 << 20;
export const MAX_WRITE = 1 << 20;
/** Addresses at or above this are outside any process (56-bit user space, the widest Linux
 * has); below it every byte address is a safe integer, so page arithmetic is exact. */
export const ADDRESS_LIMIT = 2 ** 56;

/** Why [addr, addr+len) is not a range of user addresses, if it is not. */
export function addressProblem(addr: number, len: number): string | undefined {
	if (!Number.isSafeInteger(addr) || addr < 0 || addr + len > ADDRESS_LIMIT) {
		return `address ${Number.isFinite(addr) ? '0x' + addr.toString(16) : addr} is outside the user address space [0, 0x${ADDRESS_LIMIT.toString(16)})`;
	}
	return undefined;
}

export function memoryReference(p: { id: number }, addr: number): string { return `${p.id}:0x${addr.toString(16)}`; }

export function parseReference(view: MachineView, ref: string): { process: ProcessSummary; addr: number } | string {
	const m = /^(\d+):(0x[0-9a-f]+)$/i.exec(ref.trim());
	if (!m) { return `memory reference '${ref}' is not one this debugger gave out`; }
	const process = view.processes()[Number(m[1])];
	if (!process) { return `memory reference '${ref}' names no process`; }
	return { process, addr: Number(m[2]) };
}

export interface ReadResult { address: string; data: Uint8Array; unreadableBytes: number }

/** Bytes from `addr`; an unmapped start reports how far it is to the next mapped page. */
export function read(view: MachineView, p: { id: number; name: string }, addr: number, count: number): ReadResult | string {
	if (!Number.isSafeInteger(count) || count < 0) { return `bad byte count ${count}`; }
	const bad = addressProblem(addr, 0);
	if (bad) { return bad; }
	if (count > MAX_READ) { return `read of ${count} bytes is over the ${MAX_READ}-byte limit of one request`; }
	const r = view.read(p.id, addr, count);
	if (!r) { return `no process '${p.name}'`; }
	if (r.data.length > 0 || count === 0) {
		return { address: '0x' + addr.toString(16), data: r.data, unreadableBytes: r.unreadable };
	}
	// Nothing readable at addr: count the unreadable bytes up to the next VMA (or the end).
	const next = view.vmas(p.id).find(v => v.end > addr);
	const until = next ? Math.max(next.start, addr) : addr + count;
	return { address: '0x' + addr.toString(16), data: new Uint8Array(0), unreadableBytes: Math.min(count, Math.max(until - addr, 1)) };
}

/** Can the process write every page of [addr, addr+len)? (checked before the write starts, so a
 * refused write changes nothing; the view's writeProblem says the same of a process by name) */
export function checkWritable(view: MachineView, process: string, addr: number, len: number): string | undefined {
	if (len > MAX_WRITE) { return `write of ${len} bytes is over the ${MAX_WRITE}-byte limit`; }
	const bad = addressProblem(addr, len);
	if (bad) { return bad; }
	return view.writeProblem(process, addr, len);
}

/** The CPU write itself, as the given process (made current for its duration). */
export function cpuWriteBytes(interp: Interpreter, process: string, addr: number, data: Uint8Array): K {
	return interp.machine.writeBytesAs(process, addr, data);
}
