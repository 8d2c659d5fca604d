// `hmmw run --profile`: the flat profile of src/lang/profile.ts as a table, most expensive line
// first, then one row per kernel launch with the line that launched it.
import { MIGRATION_CAUSES } from '../engine/device/uvm/types';
import type { LineCost, Profile } from '../lang/profile';

export function fmtNs(ns: number): string {
	if (ns >= 1e9) { return `${(ns / 1e9).toFixed(3)} s`; }
	if (ns >= 1e6) { return `${(ns / 1e6).toFixed(3)} ms`; }
	if (ns >= 1e3) { return `${(ns / 1e3).toFixed(3)} us`; }
	return `${Math.round(ns)} ns`;
}

export function fmtBytes(n: number): string {
	if (n >= 2 ** 30) { return `${(n / 2 ** 30).toFixed(2)} GiB`; }
	if (n >= 2 ** 20) { return `${(n / 2 ** 20).toFixed(2)} MiB`; }
	if (n >= 2 ** 10) { return `${(n / 2 ** 10).toFixed(1)} KiB`; }
	return `${n} B`;
}

/** `device-fault 2048, prefetch 512` (causes that moved nothing are left out). */
export function causeText(r: Pick<LineCost, 'migrated'>): string {
	return MIGRATION_CAUSES.filter(c => r.migrated[c] > 0).map(c => `${c} ${r.migrated[c]}`).join(', ');
}

/** Lines that did nothing measurable are left out, unless `all`. */
export function profileTable(p: Profile, sourceLines: readonly string[], all = false): string {
	const rows = p.lines.filter(r => all || r.timeNs > 0 || r.cpuFaults + r.deviceFaults + r.bytes > 0);
	const head = ['line', 'time', '%', 'runs', 'cpu faults', 'dev faults', 'batches', 'migrated pages by cause', 'bytes moved', 'statement'];
	const body = rows.map(r => [
		String(r.line), fmtNs(r.timeNs), p.totalNs > 0 ? `${(100 * r.timeNs / p.totalNs).toFixed(1)}%` : '-', String(r.runs),
		String(r.cpuFaults), String(r.deviceFaults), String(r.batches), causeText(r) || '-', fmtBytes(r.bytes),
		(sourceLines[r.line - 1] ?? '').trim().slice(0, 60),
	]);
	const out = [`-- profile: simulated time ${fmtNs(p.totalNs)} over ${p.lines.length} lines (${p.lines.length - rows.length} cost nothing)`, ...table(head, body, 9)];
	if (p.kernels.length > 0) {
		out.push('', `-- kernels: ${p.kernels.length}`);
		out.push(...table(['line', 'kernel', 'device', 'time', 'faults', 'batches', 'migrated', 'prefetched', 'evicted', 'remote bytes'],
			p.kernels.map(k => [String(k.line), k.name, k.device, fmtNs(k.timeNs), String(k.faults), String(k.batches), String(k.migrated),
				String(k.prefetched), String(k.evicted), fmtBytes(k.remoteBytes)]), -1));
	}
	return out.join('\n') + '\n';
}

/** Columns padded to their widest cell; numbers right-aligned, columns from `leftFrom` on left-aligned. */
export function table(head: string[], rows: string[][], leftFrom: number): string[] {
	const w = head.map((h, i) => Math.max(h.length, ...rows.map(r => r[i].length)));
	const fmt = (r: string[]) => '  ' + r.map((c, i) => (i >= leftFrom && leftFrom >= 0) || (leftFrom < 0 && i > 0 && i < 3) ? c.padEnd(w[i]) : c.padStart(w[i])).join('  ').trimEnd();
	return [fmt(head), ...rows.map(fmt)];
}
