// The end-of-run report's parts, and its human-readable form (the JSON document is src/cli/jsonReport.ts).
import type { RunOutcome } from './run';
import { PAGE_SIZE } from '../engine/view';
import type { Machine } from '../engine/machine';
import { MIGRATION_CAUSES, type MigrationCause } from '../engine/device/uvm/types';

export function deviceCounters(out: RunOutcome): Record<string, Record<string, number>> {
	const devices: Record<string, Record<string, number>> = {};
	for (const d of out.interp.machine.view.devices()) {
		devices[d.name] = { ...d.counters, used: d.usedPages * PAGE_SIZE, free: d.freePages * PAGE_SIZE };
	}
	return devices;
}

/** One line of JSON per kernel launch, in launch order. */
export function kernelReports(m: Machine): object[] {
	return m.kernels.map(k => ({
		name: k.name, device: k.device, start_ns: Math.round(k.startNs), time_ns: Math.round(k.timeNs), fault_entries: k.faultEntries,
		faults: k.faults, batches: k.batches, migrated: k.migrated, prefetched: k.prefetched, evicted: k.evicted,
		remote_bytes: k.remoteBytes, throttled: k.throttled,
	}));
}

/** Pages migrated in and out of each device, by cause (every cause, zeros included). */
export function migrationsByCause(m: Machine): Record<string, Record<MigrationCause, { in: number; out: number }>> {
	const out: Record<string, Record<MigrationCause, { in: number; out: number }>> = {};
	for (const name of m.view.deviceNames()) {
		const by = m.device(name).byCause;
		out[name] = Object.fromEntries(MIGRATION_CAUSES.map(c => [c, { in: by[c].in, out: by[c].out }])) as Record<MigrationCause, { in: number; out: number }>;
	}
	return out;
}

function fmtTime(ns: number): string {
	if (ns >= 1e9) { return `${(ns / 1e9).toFixed(3)} s`; }
	if (ns >= 1e6) { return `${(ns / 1e6).toFixed(3)} ms`; }
	if (ns >= 1e3) { return `${(ns / 1e3).toFixed(3)} us`; }
	return `${Math.round(ns)} ns`;
}

export function summary(out: RunOutcome): string {
	const i = out.interp;
	const lines = [`-- ${i.passed} expectations held, ${i.failed} failed${out.error ? ', run stopped by an error' : ''}; simulated time ${fmtTime(i.machine.time)}`];
	for (const [name, c] of Object.entries(deviceCounters(out))) {
		lines.push(`   ${name}: ${Object.entries(c).map(([k, v]) => `${k}=${v}`).join(' ')}`);
	}
	for (const [name, by] of Object.entries(migrationsByCause(i.machine))) {
		const parts = MIGRATION_CAUSES.filter(c => by[c].in + by[c].out > 0).map(c => `${c} ${by[c].in} in / ${by[c].out} out`);
		if (parts.length > 0) { lines.push(`   ${name} migrations by cause: ${parts.join(', ')}`); }
	}
	for (const k of i.machine.kernels) {
		lines.push(`   kernel "${k.name}" on ${k.device}: ${fmtTime(k.timeNs)}, ${k.faults} faults in ${k.batches} batches, `
			+ `migrated ${k.migrated}, prefetched ${k.prefetched}, evicted ${k.evicted} pages, remote ${k.remoteBytes} bytes`
			+ (k.peerBytes > 0 ? `, peer ${k.peerBytes} bytes` : '')
			+ (k.peerCopyBytes > 0 ? `, copied ${k.peerCopyBytes} bytes from peer GPUs` : ''));
	}
	const view = i.machine.view;
	for (const p of view.processes().map(s => view.process(s.id)!)) {
		lines.push(`   process ${p.name} (pid ${p.pid}${p.alive ? '' : p.oomKilled ? ', killed by the OOM killer' : ', exited'}): ${p.faults} faults, rss ${p.rss} pages`);
	}
	return lines.join('\n') + '\n';
}
