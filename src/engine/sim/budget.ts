// Limits that keep a script from exhausting the host. A simulated machine may be configured with
// more memory than the host has; touching it must end in ENOMEM at the statement, never in the
// host's out-of-memory killer or a V8 heap crash.
import { totalmem } from 'node:os';
import { fail } from './errors';

/** vm.max_map_count's default: mmap and VMA splits fail with ENOMEM beyond it. */
export const MAX_MAP_COUNT = 65530;

const envLimit = Number(process.env.HMMW_HOST_LIMIT_MB);
/** Resident memory the simulator may grow to: 75% of the host unless HMMW_HOST_LIMIT_MB says otherwise. */
export const HOST_LIMIT_BYTES = envLimit > 0 ? envLimit * 2 ** 20 : Math.floor(totalmem() * 0.75);

/** Called before the simulator grows host memory (content slabs, page-table leaves). */
export function checkHostMemory(what: string): void {
	const rss = process.memoryUsage.rss();
	if (rss > HOST_LIMIT_BYTES) {
		fail('ENOMEM', `the simulator's host memory limit (${Math.round(HOST_LIMIT_BYTES / 2 ** 20)} MiB, HMMW_HOST_LIMIT_MB) is reached while allocating ${what}; the host would run out before the simulated machine does`);
	}
}
