// The OOM killer (mm/oom_kill.c). When an allocation finds RAM full and reclaim could free
// nothing (no swap, swap full, nothing reclaimable), __alloc_pages_may_oom calls out_of_memory:
// select_bad_process scores every process with oom_badness and oom_kill_process sends SIGKILL to
// the worst one. Its address space is torn down (exit_mmap: mmu_notifier_release tells every
// mirroring device first), which frees its memory, and the allocation is retried.
//
// Where it runs here: when a page allocation of the fault path (handle_mm_fault, so CPU faults and
// every hmm_range_fault and GUP fault too) finds RAM full. The fault has taken nothing yet, so it
// is retried once the victim's memory is free. Allocations outside the fault path (fork's copies,
// a migration back from a device, which checks for room before it allocates) still end with
// ENOMEM.
import type { Kernel } from '../kernel';
import type { K } from '../sim/events';
import { fail } from '../sim/errors';
import type { Mm } from './mm';
import { PTE, PTRS_PER_PMD } from './pagetable';
import { do_exit } from './fork';

/** oom_badness's parts for one mm: get_mm_rss, MM_SWAPENTS and mm_pgtables_bytes in pages. */
export interface OomScore { rss: number; swapents: number; pgtables: number; points: number }

/** oom_badness: resident pages (anon, file and shmem, device-private and device-exclusive entries
 * included: their pages stay counted in MM_ANONPAGES), swap entries, and the page-table pages
 * (one per PTE table, PMD table and PUD table in use). oom_score_adj is 0 for every process. */
export function oom_badness(k: Kernel, mm: Mm): OomScore {
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
	return { rss, swapents, pgtables, points: rss + swapents + pgtables };
}

/** select_bad_process: the live process with the most points. The scan runs in creation order
 * (for_each_process) and a later process with equal points replaces the one chosen
 * (oom_evaluate_task skips only smaller scores). A process with nothing to free is never chosen. */
function select_bad_process(k: Kernel): { mm: Mm; score: OomScore } | undefined {
	let chosen: { mm: Mm; score: OomScore } | undefined;
	for (const mm of k.mms) {
		if (!mm.alive) { continue; }
		const score = oom_badness(k, mm);
		if (score.rss + score.swapents === 0) { continue; }
		if (chosen && score.points < chosen.score.points) { continue; }
		chosen = { mm, score };
	}
	return chosen;
}

/** out_of_memory: kills the worst process (oom_kill_process: SIGKILL, then its mm goes through
 * exit_mmap) and returns true, so the failed allocation is tried again. Killing `current` fails
 * its statement with SIGKILL instead. False when no process has anything to free (Linux would
 * panic, "no killable processes"): the allocation then fails with ENOMEM, as it did. */
export function* out_of_memory(k: Kernel, current: Mm): K<boolean> {
	yield* k.enter('out_of_memory', { addr: 0, npages: 1, process: current.name });
	let victim: { mm: Mm; score: OomScore } | undefined;
	try {
		victim = select_bad_process(k);
		if (!victim) { return false; }
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
	if (victim.mm === current) { fail('SIGKILL', victim.mm.oomKilled); }
	return true;
}

/** The line __oom_kill_process prints (its kB figures; anon, file and shmem rss as one). */
function oom_kill_message(mm: Mm, s: OomScore): string {
	const kib = (pages: number): string => `${pages * 4}kB`;
	return `Out of memory: Killed process ${mm.pid} (${mm.name}) rss:${kib(s.rss)} swapents:${kib(s.swapents)} pgtables:${kib(s.pgtables)} oom_score_adj:0`;
}
