// mm_struct: one simulated process's address space.
import { PageTable, PTE } from './pagetable';
import { VmaList } from './vma';
import type { IntervalNotifier } from './mmu_notifier';

export class Mm {
	readonly vmas = new VmaList();
	readonly pt = new PageTable();
	/** CPU page faults taken */
	faults = 0;
	alive = true;
	/** the OOM killer's line if it killed this process (mm/oom_kill.c), else '' */
	oomKilled = '';
	/** signal->oom_score_adj (/proc/PID/oom_score_adj): -1000..1000, inherited by fork */
	oomScoreAdj = 0;
	/** mmu interval notifiers registered on this mm (device mirrors) */
	readonly notifiers: IntervalNotifier[] = [];

	constructor(
		readonly id: number,
		readonly pid: number,
		readonly name: string,
		/** anon rmap family, shared by a process and its fork children */
		readonly family: number,
	) { }

	/** Resident pages: mapped RAM pages plus device-private entries (counted like RAM, as Linux does). */
	rss(isZero: (pfn: number) => boolean): number {
		let n = 0;
		for (const l of this.pt.leaves.values()) {
			for (let i = 0; i < l.pte.length; i++) {
				const t = l.pte[i] & PTE.TYPE_MASK;
				if (t === PTE.DEVPRIV || t === PTE.EXCL || (t === PTE.PRESENT && !isZero(l.pfn[i]))) { n++; }
			}
		}
		return n;
	}
}
