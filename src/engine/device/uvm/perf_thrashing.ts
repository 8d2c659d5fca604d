// PLACEHOLDER written by DM-core so the fault service compiles before DM-policy's branch merges.
// DM-policy owns this file: its ThrashingTracker (uvm_perf_thrashing.c) replaces this one at
// merge. This minimal body records nothing and never throttles or pins.
import type { ThrashingConfig, ThrashingHint } from './types';

const LAPSE_NS = 500_000;

export const THRASHING_DEFAULTS: ThrashingConfig = {
	threshold: 3, lapseNs: LAPSE_NS, pinThreshold: 10, napNs: LAPSE_NS, pinNs: 300 * LAPSE_NS, epochNs: 2000 * LAPSE_NS,
};

export class ThrashingTracker {
	readonly throttled = 0;
	readonly pins = 0;
	constructor(readonly cfg: ThrashingConfig) { }
	uvm_perf_thrashing_event(_key: number, _to: number, _now: number): void { /* placeholder */ }
	uvm_perf_thrashing_get_hint(_key: number, _processor: number, _now: number): { hint: ThrashingHint; napNs: number; pinTo?: number } {
		return { hint: 'none', napNs: 0 };
	}
	isThrashing(_key: number, _now: number): boolean { return false; }
	pinnedTo(_key: number, _now: number): number | undefined { return undefined; }
	describe(_key: number, _now: number): { events: number; throttles: number; pinnedUntil?: number } | undefined { return undefined; }
}
