// Words for what the debugger shows: engine events, kernel frames, addresses, sizes and times.
// Kept apart so the runtime, the variables and the session all describe things the same way.
import type { SimEvent } from '../engine/sim/events';
import type { KernelFrameRecord } from '../engine/view';

export const PAGE = 4096;

export function hex(n: number): string { return n < 0 ? '-0x' + (-n).toString(16) : '0x' + n.toString(16); }

/** A number as the Variables view shows it, following the hex toggle. */
export function num(n: number, asHex: boolean): string { return asHex && Number.isInteger(n) ? hex(n) : String(n); }

export function bytes(n: number): string {
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let u = 0;
	let v = n;
	while (v >= 1024 && u < units.length - 1 && v % 1024 === 0) { v /= 1024; u++; }
	return `${v} ${units[u]}`;
}

export function time(ns: number): string {
	if (ns >= 1e9) { return `${(ns / 1e9).toFixed(3)} s`; }
	if (ns >= 1e6) { return `${(ns / 1e6).toFixed(3)} ms`; }
	if (ns >= 1e3) { return `${(ns / 1e3).toFixed(3)} us`; }
	return `${Math.round(ns)} ns`;
}

function pages(n: number): string { return `${n} page${n === 1 ? '' : 's'}`; }

/** One line for an engine event: what happened, where, to whom. */
export function describeEvent(ev: SimEvent): string {
	const where = `${pages(ev.npages)} at ${hex(ev.addr)}`;
	const who = [ev.process ? `process ${ev.process}` : '', ev.device ? `device ${ev.device}` : ''].filter(Boolean).join(', ');
	const rw = ev.write === undefined ? '' : ev.write ? 'write ' : 'read ';
	const detail = ev.detail ? ` (${ev.detail}${ev.cause ? `, cause ${ev.cause}` : ''})` : ev.cause ? ` (cause ${ev.cause})` : '';
	const tail = who ? ` [${who}]` : '';
	switch (ev.kind) {
		case 'page-fault': return `CPU ${rw}page fault: ${where}${detail}${tail}`;
		case 'cpu-fault': return `CPU ${rw}fault on a device-held page: ${where}${detail}${tail}`;
		case 'device-fault': return `device ${rw}fault (mirror miss): ${where}${detail}${tail}`;
		case 'migration': return `migration of ${where}${detail}${tail}`;
		case 'eviction': return `eviction of ${where}${detail}${tail}`;
		case 'fault-batch': return `fault batch: ${pages(ev.npages)} from ${ev.detail ?? '?'} entries at ${hex(ev.addr)}${tail}`;
		case 'prefetch': return `prefetch of ${where}${detail}${tail}`;
		case 'thrashing': return `thrashing ${ev.detail ?? ''} at ${hex(ev.addr)}${tail}`;
		case 'invalidation': return `mirror invalidation of ${where}${detail}${tail}`;
		case 'call': return `call ${ev.fn ?? '?'}(${where})${tail}`;
		case 'access':
			if (ev.warp !== undefined) {
				return `warp ${ev.warp} on SM ${ev.sm ?? '?'} issues ${rw}access to ${where}${ev.process ? ` of ${ev.process}` : ''}: page ${hex(ev.page ?? ev.addr)}, ${ev.detail ?? ''}`;
			}
			return `${ev.device ? `device ${ev.device}` : 'CPU'} ${rw}access to ${where}${ev.process ? ` of ${ev.process}` : ''}`;
		case 'tick': return `running at ${hex(ev.addr)}`;
	}
}

/** The name of a kernel frame in the call stack: fn(addr, pages, device). */
export function frameName(f: KernelFrameRecord): string {
	const args: string[] = [];
	if (f.addr !== undefined && (f.addr !== 0 || f.npages)) { args.push(hex(f.addr)); }
	if (f.npages) { args.push(pages(f.npages)); }
	if (f.device) { args.push(f.device); }
	if (f.process) { args.push(`mm=${f.process}`); }
	return `${f.fn}(${args.join(', ')})`;
}

/** statement texts already made, by source (a loaded program's lines never change) and line */
const texts = new WeakMap<string[], Map<number, string>>();

/** The statement text of a source line, for the script frame's name (asked at every stop). */
export function statementText(source: string[], line: number): string {
	let byLine = texts.get(source);
	if (!byLine) { byLine = new Map(); texts.set(source, byLine); }
	let name = byLine.get(line);
	if (name === undefined) {
		const text = (source[line - 1] ?? '').replace(/\s+#.*$/, '').trim();
		name = text.length > 60 ? text.slice(0, 59) + '…' : text || `line ${line}`;
		byLine.set(line, name);
	}
	return name;
}
