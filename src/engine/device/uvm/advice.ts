// PLACEHOLDER written by DM-core so the fault service compiles before DM-policy's branch merges.
// DM-policy owns this file: its AdviceTree (uvm_va_policy ranges) replaces this one at merge.
// This minimal body keeps no advice: every page reads as "no preference, no accessed-by".
import type { RangeAdvice } from './types';

export class AdviceTree {
	set(_start: number, _end: number, _patch: { preferred?: string | null; accessedBy?: string; readMostly?: boolean }): void { /* placeholder */ }
	get(_vpn: number): RangeAdvice { return { accessedBy: [], readMostly: false }; }
	runs(start: number, end: number): { start: number; end: number; advice: RangeAdvice }[] {
		return [{ start, end, advice: { accessedBy: [], readMostly: false } }];
	}
}
