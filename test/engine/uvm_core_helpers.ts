// Drives a policy=migrate device through Machine directly (the language side is DM-lang's).
import { Machine } from '../../src/engine/machine';
import { type DeviceConfig, defaultDeviceConfig } from '../../src/engine/device/device';
import type { K } from '../../src/engine/sim/events';
import type { KernelAccess } from '../../src/engine/device/uvm/types';
import type { ByteRange } from '../../src/engine/machine';

export const MiB = 2 ** 20;
export const PAGE = 4096;

export function drain<T>(g: K<T>): T {
	let r = g.next();
	while (!r.done) { r = g.next(); }
	return r.value;
}

/** A machine with one device (policy=migrate unless overridden) and a process p. */
export function machine(dev: Partial<DeviceConfig> = {}, memory = 64 * MiB): Machine {
	const m = new Machine();
	m.addDevice({ ...defaultDeviceConfig('gpu', memory), policy: 'migrate', ...dev });
	m.process('p');
	return m;
}

export function anon(m: Machine, bytes: number): ByteRange {
	return m.mmap({ len: bytes, prot: 'rw', backing: 'anon', shared: false });
}

export function line(kind: KernelAccess['kind'], r: ByteRange, fill?: (i: number) => number): KernelAccess {
	const a: KernelAccess = { kind, start: r.addr / PAGE, end: (r.addr + r.len) / PAGE };
	if (fill) { a.fill = { fill: { kind: 'fn', fn: fill }, addr: r.addr, len: r.len }; }
	return a;
}

export function linear(kind: 'write', r: ByteRange, a: number, b: number): KernelAccess {
	return { kind, start: r.addr / PAGE, end: (r.addr + r.len) / PAGE, fill: { fill: { kind: 'linear', a, b }, addr: r.addr, len: r.len } };
}
