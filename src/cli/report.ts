// The end-of-run report: the JSON object of docs/language.md#command-line, and its human-readable form.
import type { RunOutcome } from './run';
import { PAGE_SIZE } from '../engine/view';

export function deviceCounters(out: RunOutcome): Record<string, Record<string, number>> {
	const devices: Record<string, Record<string, number>> = {};
	for (const d of out.interp.machine.view.devices()) {
		devices[d.name] = { ...d.counters, used: d.usedPages * PAGE_SIZE, free: d.freePages * PAGE_SIZE };
	}
	return devices;
}

export function report(out: RunOutcome): object {
	const i = out.interp;
	const failures = i.failures.map(f => ({ line: f.line, message: f.message }));
	if (out.error) { failures.push({ line: out.error.line, message: out.error.message }); }
	return {
		ok: !out.error && i.failed === 0,
		passed: i.passed,
		failed: i.failed,
		time_ns: Math.round(i.machine.time),
		devices: deviceCounters(out),
		failures,
		...(out.error ? { error: { line: out.error.line, col: out.error.col, code: out.error.code, message: out.error.message } } : {}),
	};
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
	const view = i.machine.view;
	for (const p of view.processes().map(s => view.process(s.id)!)) {
		lines.push(`   process ${p.name} (pid ${p.pid}${p.alive ? '' : ', exited'}): ${p.faults} faults, rss ${p.rss} pages`);
	}
	return lines.join('\n') + '\n';
}
