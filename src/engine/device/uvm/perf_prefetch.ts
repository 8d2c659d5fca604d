// PLACEHOLDER written by DM-core so the fault service compiles before DM-policy's branch merges.
// DM-policy owns this file: its uvm_perf_prefetch_get_hint (the density tree of uvm_perf_prefetch.c)
// replaces this one at merge. This minimal body never prefetches.
import type { PrefetchHint, PrefetchInput } from './types';

export function uvm_perf_prefetch_get_hint(input: PrefetchInput): PrefetchHint {
	return { pages: new Uint8Array(input.resident.length), count: 0, regions: [] };
}
