// Memory advice (cudaMemAdvise) as NVIDIA UVM keeps it: a policy per address range
// (uvm_va_policy.c; under HMM the uvm_va_policy_node ranges of uvm_hmm.c), split and merged as
// advice is applied, and the residency rules of block_select_processor_residency (uvm_va_block.c)
// that read it. One AdviceTree per process: a sorted array of runs, never one entry per page.
import type { RangeAdvice } from './types';

/** The advice cudaMemAdvise changes: preferred location (a device, 'ram', or null to unset),
 * a device added to accessed-by, read-mostly on or off. */
export interface AdvicePatch { preferred?: string | null; accessedBy?: string; readMostly?: boolean }

interface Run { start: number; end: number; advice: RangeAdvice }

/** uvm_va_policy's defaults: no preferred location, nobody in accessed-by, read duplication unset */
function defaults(): RangeAdvice { return { accessedBy: [], readMostly: false }; }

function copy(a: RangeAdvice): RangeAdvice {
	const c: RangeAdvice = { accessedBy: [...a.accessedBy], readMostly: a.readMostly };
	if (a.preferred !== undefined) { c.preferred = a.preferred; }
	return c;
}

function same(a: RangeAdvice, b: RangeAdvice): boolean {
	return a.preferred === b.preferred && a.readMostly === b.readMostly && a.accessedBy.length === b.accessedBy.length
		&& a.accessedBy.every((d, i) => d === b.accessedBy[i]);
}

function isDefault(a: RangeAdvice): boolean { return same(a, defaults()); }

function apply(a: RangeAdvice, p: AdvicePatch): RangeAdvice {
	const c = copy(a);
	if (p.preferred === null) { delete c.preferred; } else if (p.preferred !== undefined) { c.preferred = p.preferred; }
	if (p.accessedBy !== undefined && !c.accessedBy.includes(p.accessedBy)) {
		// a processor mask in the driver: order does not matter, so keep it sorted
		c.accessedBy.push(p.accessedBy);
		c.accessedBy.sort();
	}
	if (p.readMostly !== undefined) { c.readMostly = p.readMostly; }
	return c;
}

export class AdviceTree {
	/** non-default runs, sorted, never overlapping, neighbours never equal */
	private stored: Run[] = [];

	/** Index of the first run ending after vpn. */
	private lowerBound(vpn: number): number {
		let lo = 0, hi = this.stored.length;
		while (lo < hi) {
			const mid = (lo + hi) >> 1;
			if (this.stored[mid].end <= vpn) { lo = mid + 1; } else { hi = mid; }
		}
		return lo;
	}

	/** uvm_api_set_preferred_location / uvm_api_set_accessed_by / uvm_api_enable_read_duplication
	 * (and their unsets) over pages [start, end): runs are split at the edges, the gaps between
	 * them get the defaults, the patch is applied, and equal neighbours merge again. */
	set(start: number, end: number, patch: AdvicePatch): void {
		if (end <= start) { return; }
		const out: Run[] = [];
		let i = 0;
		while (i < this.stored.length && this.stored[i].end <= start) { out.push(this.stored[i++]); }
		let at = start;
		while (at < end) {
			const r = this.stored[i];
			if (r && r.start <= at) {
				// a run overlapping [at, end): keep its part before start, patch the rest up to end
				if (r.start < at) { out.push({ start: r.start, end: at, advice: r.advice }); }
				const stop = Math.min(r.end, end);
				out.push({ start: at, end: stop, advice: apply(r.advice, patch) });
				if (r.end > end) { out.push({ start: end, end: r.end, advice: r.advice }); }
				at = stop;
				i++;
			} else {
				const stop = r ? Math.min(r.start, end) : end;
				out.push({ start: at, end: stop, advice: apply(defaults(), patch) });
				at = stop;
			}
		}
		while (i < this.stored.length) { out.push(this.stored[i++]); }
		this.stored = [];
		for (const r of out) {
			if (isDefault(r.advice)) { continue; }
			const prev = this.stored[this.stored.length - 1];
			if (prev && prev.end === r.start && same(prev.advice, r.advice)) { prev.end = r.end; } else { this.stored.push({ ...r }); }
		}
	}

	/** The policy of [start, end) goes back to the defaults (the range was unmapped). */
	clear(start: number, end: number): void {
		const out: Run[] = [];
		for (const r of this.stored) {
			if (r.end <= start || r.start >= end) { out.push(r); continue; }
			if (r.start < start) { out.push({ start: r.start, end: start, advice: r.advice }); }
			if (r.end > end) { out.push({ start: end, end: r.end, advice: r.advice }); }
		}
		this.stored = out;
	}

	/** uvm_va_policy_get: the advice of one page. */
	get(vpn: number): RangeAdvice {
		const r = this.stored[this.lowerBound(vpn)];
		return r && r.start <= vpn ? copy(r.advice) : defaults();
	}

	/** The advice over [start, end) as consecutive runs covering all of it (default runs included). */
	runs(start: number, end: number): { start: number; end: number; advice: RangeAdvice }[] {
		const out: { start: number; end: number; advice: RangeAdvice }[] = [];
		let at = start;
		for (let i = this.lowerBound(start); at < end; i++) {
			const r = this.stored[i];
			if (!r || r.start >= end) { out.push({ start: at, end, advice: defaults() }); break; }
			if (r.start > at) { out.push({ start: at, end: r.start, advice: defaults() }); }
			const stop = Math.min(r.end, end);
			out.push({ start: Math.max(at, r.start), end: stop, advice: copy(r.advice) });
			at = stop;
		}
		return out;
	}

	/** The non-default runs, in address order (for the view). */
	list(): readonly { start: number; end: number; advice: RangeAdvice }[] {
		return this.stored.map(r => ({ start: r.start, end: r.end, advice: copy(r.advice) }));
	}

	/** Number of stored (non-default) runs. */
	get size(): number { return this.stored.length; }
}

// ------------------------------------------------------------ residency selection

/** The faulting access: prefetch is the hardware prefetch fault (and access-counter service). */
export type UvmAccess = 'read' | 'write' | 'atomic' | 'prefetch';

/** Processors are numbered as everywhere in the device model: -1 the CPU (system memory),
 * 0, 1, ... the devices. */
export interface ResidencyQuery {
	/** the processor that faulted */
	processor: number;
	access: UvmAccess;
	/** the closest processor holding the page now, or undefined when it is resident nowhere */
	resident: number | undefined;
	/** the range's advice, with names already resolved to processors */
	preferred: number | undefined;
	accessedBy: readonly number[];
	readMostly: boolean;
	/** false for pages HMM cannot migrate (file, shared, DAX, pinned): uvm_hmm_must_use_sysmem */
	canMove: boolean;
	/** the residency of a thrashing PIN hint, if the hint is PIN */
	pin?: number;
	/** accessible_from: may `from` map memory of `to`? Default: the HMM/PCIe matrix (everyone maps
	 * system memory and its own memory; nobody maps another's device memory). */
	canAccess?: (from: number, to: number) => boolean;
}

export interface ResidencyDecision {
	/** where the page should be resident after the fault */
	residency: number;
	/** make a read-only copy on `residency` instead of moving the page */
	readDuplicate: boolean;
	/** residency !== processor: the faulting processor maps the page remotely */
	remote: boolean;
	/** which rule of block_select_processor_residency decided, for the debugger */
	rule: 'sysmem' | 'read-duplicate' | 'read-mostly-write' | 'preferred-faulter' | 'hmm-cpu' | 'pin' | 'first-touch'
		| 'accessed-by' | 'preferred' | 'faulter';
}

const hmmAccess = (from: number, to: number) => to === -1 || from === to;

/** block_select_processor_residency (uvm_va_block.c), the rules in the driver's order; the first
 * that applies decides. Rules the simulator has no use for (map_remote_on_native_atomics_fault,
 * off by default; CPU faults from a foreign mm; processors without memory) are left out. */
export function select_residency_with_advice(q: ResidencyQuery): ResidencyDecision {
	const can = q.canAccess ?? hmmAccess;
	const out = (residency: number, rule: ResidencyDecision['rule'], readDuplicate = false): ResidencyDecision =>
		({ residency, readDuplicate, remote: residency !== q.processor, rule });
	// 1. the page must stay in system memory (uvm_hmm_must_use_sysmem, !hmm_migratable)
	if (!q.canMove) { return out(-1, 'sysmem'); }
	// 2-3. read duplication (can_read_duplicate): reads copy, writes and atomics collapse on the faulter
	if (q.readMostly) {
		if (q.access === 'read' || q.access === 'prefetch') { return out(q.processor, 'read-duplicate', true); }
		return out(q.processor, 'read-mostly-write');
	}
	// 4. the faulting processor is the preferred location: always migrate there
	if (q.preferred === q.processor) { return out(q.processor, 'preferred-faulter'); }
	// 5. HMM serves a CPU fault by bringing the page to system memory
	if (q.processor === -1) { return out(-1, 'hmm-cpu'); }
	// 6. a thrashing PIN fixes the residency
	if (q.pin !== undefined) { return out(q.pin, 'pin'); }
	// 7. first touch: the preferred location if the faulter can map it, else the faulter
	if (q.resident === undefined) {
		if (q.preferred !== undefined && can(q.processor, q.preferred)) { return out(q.preferred, 'first-touch'); }
		return out(q.processor, 'first-touch');
	}
	// 8. an accessed-by processor that can reach the current copy just maps it
	if (q.accessedBy.includes(q.processor) && can(q.processor, q.resident)) { return out(q.resident, 'accessed-by'); }
	// 10. the page is elsewhere and the faulter can map the preferred location: move it there
	if (q.resident !== q.processor && q.preferred !== undefined && can(q.processor, q.preferred)) { return out(q.preferred, 'preferred'); }
	// 12. otherwise migrate to the faulting processor
	return out(q.processor, 'faulter');
}
