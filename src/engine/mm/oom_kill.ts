// The OOM killer (mm/oom_kill.c). When an allocation finds RAM full and reclaim could free
// nothing (no swap, swap full, nothing reclaimable), __alloc_pages_may_oom calls out_of_memory:
// select_bad_process scores every process with oom_badness and oom_kill_process sends SIGKILL to
// the worst one. Its address space is torn down (exit_mmap: mmu_notifier_release tells every
// mirroring device first), which frees its memory, and the allocation is retried.
//
// Where it runs here: when a page allocation of the fault path (handle_mm_fault, so CPU faults and
// every hmm_range_fault and GUP fault too) finds RAM full. The fault has taken nothing yet, so it
// is retried once the victim's memory is free. Allocations outside the fault path (fork's copies
// of pinned pages, migrations back from a device) are GFP_HIGHUSER_MOVABLE order-0 allocations
// too, so the allocator's slow path kills for them as well: they make room for their whole batch
// first (alloc_pages_may_oom), before they take any page out of its mapping. Order-9 (THP)
// allocations never kill (__alloc_pages_may_oom stops at costly orders): they fall back to 4K.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import type { Mm } from './mm';
import { PTE, PTRS_PER_PMD } from './pagetable';
import { do_exit } from './fork';
import { try_to_free_pages } from './vmscan';

/** OOM_SCORE_ADJ_MIN / _MAX (include/uapi/linux/oom.h): -1000 exempts a process. */
export const OOM_SCORE_ADJ_MIN = -1000;
export const OOM_SCORE_ADJ_MAX = 1000;

/** oom_score_adj_write (/proc/PID/oom_score_adj): EINVAL outside [-1000, 1000]. The value lives in
 * signal_struct, so a fork child inherits it (copy_signal). */
export function set_oom_score_adj(mm: Mm, adj: number): void {
	if (!Number.isInteger(adj) || adj < OOM_SCORE_ADJ_MIN || adj > OOM_SCORE_ADJ_MAX) {
		fail('EINVAL', `oom_score_adj must be an integer from ${OOM_SCORE_ADJ_MIN} to ${OOM_SCORE_ADJ_MAX}, got ${adj}`);
	}
	mm.oomScoreAdj = adj;
}

/** oom_badness's parts for one mm: get_mm_rss, MM_SWAPENTS and mm_pgtables_bytes in pages. */
export interface OomScore { rss: number; swapents: number; pgtables: number; points: number }

/** oom_badness: resident pages (anon, file and shmem, device-private and device-exclusive entries
 * included: their pages stay counted in MM_ANONPAGES), swap entries, and the page-table pages
 * (one per PTE table, PMD table and PUD table in use), plus oom_score_adj in units of a thousandth
 * of totalpages (`adj *= totalpages / 1000`, integer division first). undefined for an exempt
 * process (oom_score_adj -1000: LONG_MIN in the kernel). */
export function oom_badness(k: Kernel, mm: Mm): OomScore | undefined {
	if (mm.oomScoreAdj === OOM_SCORE_ADJ_MIN) { return undefined; }
	let rss = 0, swapents = 0, ptes = 0;
	const pmds = new Set<number>();
	const puds = new Set<number>();
	for (const [key, l] of mm.pt.leaves) {
		if (l.used === 0) { continue; }
		if (!l.huge) { ptes++; }
		pmds.add(Math.floor(key / PTRS_PER_PMD));
		puds.add(Math.floor(key / (PTRS_PER_PMD * PTRS_PER_PMD)));
		for (let i = 0; i < PTRS_PER_PMD; i++) {
			const t = l.pte[i] & PTE.TYPE_MASK;
			if (t === PTE.SWAP) { swapents++; } else if (t === PTE.DEVPRIV || t === PTE.EXCL || t === PTE.MIGRATION) { rss++; } else if (t === PTE.PRESENT && !k.frames.isZero(l.pfn[i])) { rss++; }
		}
	}
	const pgtables = ptes + pmds.size + puds.size;
	const adj = mm.oomScoreAdj * Math.floor(oom_totalpages(k) / 1000);
	return { rss, swapents, pgtables, points: rss + swapents + pgtables + adj };
}

/** constrained_alloc's totalpages for a global OOM: totalram_pages() + total_swap_pages. */
export function oom_totalpages(k: Kernel): number {
	return k.frames.ramPages + (k.swap?.nslots ?? 0);
}

/** select_bad_process: the live process with the most points. The scan runs in creation order
 * (for_each_process) and a later process with equal points replaces the one chosen
 * (oom_evaluate_task skips only smaller scores; chosen_points starts at LONG_MIN, so a negative
 * score can be chosen). A process exempt with -1000 never is. */
function select_bad_process(k: Kernel): { mm: Mm; score: OomScore } | undefined {
	let chosen: { mm: Mm; score: OomScore } | undefined;
	for (const mm of k.mms) {
		if (!mm.alive) { continue; }
		const score = oom_badness(k, mm);
		if (!score) { continue; }
		if (chosen && score.points < chosen.score.points) { continue; }
		chosen = { mm, score };
	}
	return chosen;
}

/** out_of_memory: kills the worst process (oom_kill_process: SIGKILL, then its mm goes through
 * exit_mmap) and returns true, so the failed allocation is tried again. Killing `current` fails
 * its statement with SIGKILL instead. False when no process can be killed (Linux would panic,
 * "no killable processes"): the allocation then fails with ENOMEM, as it did. */
export function* out_of_memory(k: Kernel, current: Mm): K<boolean> {
	const victim = yield* oom_kill(k, current);
	if (victim === current) { fail('SIGKILL', victim.oomKilled); }
	return victim !== undefined;
}

/** select_bad_process + oom_kill_process: the victim, now dead, or undefined if none. */
function* oom_kill(k: Kernel, current: Mm | undefined): K<Mm | undefined> {
	yield* k.enter('out_of_memory', { addr: 0, npages: 1, process: current?.name ?? '' });
	let victim: { mm: Mm; score: OomScore } | undefined;
	try {
		victim = select_bad_process(k);
		if (!victim) { return undefined; }
		yield* k.enter('oom_kill_process', { addr: 0, npages: victim.score.rss, process: victim.mm.name });
		try {
			const msg = oom_kill_message(victim.mm, victim.score);
			k.oomKills.push(msg);
			victim.mm.oomKilled = msg;
			yield* do_exit(k, victim.mm);
		} finally {
			k.leave();
		}
	} finally {
		k.leave();
	}
	return victim.mm;
}

/** The allocator's slow path for a batch of `need()` order-0 pages taken outside the fault path
 * (GFP_HIGHUSER_MOVABLE: direct reclaim, then __alloc_pages_may_oom): reclaim first, then one OOM
 * kill after another while free RAM cannot hold the batch. `need` is asked again after each kill
 * (the victim may have held some of the pages). Returns true if `current` itself was killed: a
 * __GFP_NOFAIL caller (dmirror_device_evict_chunk) finishes its work and then fails with SIGKILL,
 * the others stop at once (fail_if_killed). With no process left to kill the caller's own
 * allocations fail with ENOMEM, as before. */
export function* alloc_pages_may_oom(k: Kernel, current: Mm | undefined, need: () => number): K<boolean> {
	yield* try_to_free_pages(k, need());
	let killedCurrent = false;
	const f = k.frames;
	while (f.ramPages - f.ramUsed < need()) {
		const victim = yield* oom_kill(k, current);
		if (!victim) { break; }
		if (victim === current) { killedCurrent = true; }
	}
	return killedCurrent;
}

/** Ends the statement of a process the OOM killer chose (the signal is delivered on the way out). */
export function fail_if_killed(mm: Mm): void {
	if (mm.oomKilled) { fail('SIGKILL', mm.oomKilled); }
}

/** The line __oom_kill_process prints (its kB figures; anon, file and shmem rss as one). */
function oom_kill_message(mm: Mm, s: OomScore): string {
	const kib = (pages: number): string => `${pages * 4}kB`;
	return `Out of memory: Killed process ${mm.pid} (${mm.name}) rss:${kib(s.rss)} swapents:${kib(s.swapents)} pgtables:${kib(s.pgtables)} oom_score_adj:${mm.oomScoreAdj}`;
}
