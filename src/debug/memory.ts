// Process memory for readMemory / writeMemory. A memoryReference names a process and a byte
// address ("<mm id>:0x<addr>"), so VMA, page and range variables of any process can open the
// same memory view. Reads never fault or change state (query.readBytes); writes are CPU writes
// through the current-process machinery, with their faults, exactly as a script write would be.
import type { Interpreter } from '../lang/interp';
import type { Kernel } from '../engine/kernel';
import type { Mm } from '../engine/mm/mm';
import type { K } from '../engine/sim/events';
import { readBytes } from '../engine/query';
import { PAGE } from './describe';

export const MAX_READ = 16 << 20;
export const MAX_WRITE = 1 << 20;

export function memoryReference(mm: Mm, addr: number): string { return `${mm.id}:0x${addr.toString(16)}`; }

export function parseReference(k: Kernel, ref: string): { mm: Mm; addr: number } | string {
	const m = /^(\d+):(0x[0-9a-f]+)$/i.exec(ref.trim());
	if (!m) { return `memory reference '${ref}' is not one this debugger gave out`; }
	const mm = k.mms[Number(m[1])];
	if (!mm) { return `memory reference '${ref}' names no process`; }
	return { mm, addr: Number(m[2]) };
}

export interface ReadResult { address: string; data: Uint8Array; unreadableBytes: number }

/** Bytes from `addr`; an unmapped start reports how far it is to the next mapped page. */
export function read(k: Kernel, mm: Mm, addr: number, count: number): ReadResult | string {
	if (!Number.isInteger(addr) || addr < 0) { return `bad address ${addr}`; }
	if (!Number.isInteger(count) || count < 0) { return `bad byte count ${count}`; }
	if (count > MAX_READ) { return `read of ${count} bytes is over the ${MAX_READ}-byte limit of one request`; }
	const r = readBytes(k, mm, addr, count);
	if (r.data.length > 0 || count === 0) {
		return { address: '0x' + addr.toString(16), data: r.data, unreadableBytes: r.unreadable };
	}
	// Nothing readable at addr: count the unreadable bytes up to the next VMA (or the end).
	const next = mm.vmas.list.find(v => v.end * PAGE > addr);
	const until = next ? Math.max(next.start * PAGE, addr) : addr + count;
	return { address: '0x' + addr.toString(16), data: new Uint8Array(0), unreadableBytes: Math.min(count, Math.max(until - addr, 1)) };
}

/** Can the process write every page of [addr, addr+len)? (checked before the write starts, so a
 * refused write changes nothing) */
export function checkWritable(mm: Mm, addr: number, len: number): string | undefined {
	if (!mm.alive) { return `process ${mm.name} has exited`; }
	if (len > MAX_WRITE) { return `write of ${len} bytes is over the ${MAX_WRITE}-byte limit`; }
	for (let vpn = Math.floor(addr / PAGE); vpn < Math.ceil((addr + len) / PAGE); vpn++) {
		const v = mm.vmas.find(vpn);
		if (!v) { return `0x${(vpn * PAGE).toString(16)} is not mapped in ${mm.name}`; }
		if (!v.writable) { return `0x${(vpn * PAGE).toString(16)} is mapped ${v.protString()} in ${mm.name}: not writable`; }
	}
	return undefined;
}

/** The CPU write itself, as the given process (made current for its duration). */
export function* cpuWriteBytes(interp: Interpreter, mm: Mm, addr: number, data: Uint8Array): K {
	const m = interp.machine;
	const saved = m.current;
	m.current = mm;
	try {
		yield* m.writeBytes(addr, data);
	} finally {
		m.current = saved;
	}
}
