// Page watches: data breakpoints the residency panel sets on a cell's pages from its context
// menu. VS Code's extension API cannot add a data breakpoint (docs/extension.md), so the adapter
// keeps these itself, next to the ones setDataBreakpoints sends (Breakpoints.pageWatches); they
// stop the run as a data breakpoint does, at the access event a CPU or device access to the pages
// raises, and the panel lists and draws them. `pageWatch` adds one, `pageUnwatch` removes one (or all without an id).
import type { MachineView } from '../engine/view';
import type { Breakpoints, DataBreakpoint } from './breakpoints';
import { hex, PAGE } from './describe';

/** A watch as the panel sees it: byte addresses, `end` exclusive. */
export interface PageWatchInfo { id: number; process: string; start: number; end: number; access: DataBreakpoint['access']; hits: number; description: string }

const ACCESS = ['write', 'read', 'readWrite'] as const;
/** the most pages one watch may cover: a 1 TiB range */
const MAX_PAGES = 2 ** 28;

export const PAGE_WATCH_REQUESTS: readonly string[] = ['pageWatch', 'pageUnwatch'];

export function watchInfo(w: DataBreakpoint): PageWatchInfo {
	return { id: w.id, process: w.target.process, start: w.target.start * PAGE, end: w.target.end * PAGE, access: w.access, hits: w.hits, description: w.target.description };
}

/** The page watches of one process (all of them without a process). */
export function pageWatches(bps: Breakpoints, process?: string): PageWatchInfo[] {
	return bps.pageWatches.filter(w => process === undefined || w.target.process === process).map(watchInfo);
}

const verb = { write: 'writes to', read: 'reads of', readWrite: 'accesses to' } as const;

/** Adds or removes a watch; the body of the response, or an error message. */
export function pageWatchRequest(command: string, args: unknown, bps: Breakpoints, view: MachineView): object | string {
	const a = (args ?? {}) as Record<string, unknown>;
	if (command === 'pageUnwatch') {
		if (a.id !== undefined && !Number.isInteger(a.id)) { return 'pageUnwatch: id must be an integer (or absent, to remove every page watch)'; }
		if (!bps.removePageWatch(a.id as number | undefined)) { return `no page watch ${String(a.id)}`; }
		return { watches: pageWatches(bps) };
	}
	const process = a.process;
	if (typeof process !== 'string') { return 'pageWatch needs the process whose pages to watch'; }
	const proc = view.processes().find(p => p.name === process);
	if (!proc) { return `no process '${process}'`; }
	if (!proc.alive) { return `process '${process}' has exited`; }
	const address = a.address;
	if (typeof address !== 'number' || !Number.isSafeInteger(address) || address < 0) { return 'pageWatch needs an address: a non-negative integer'; }
	const pages = a.pages ?? 1;
	if (typeof pages !== 'number' || !Number.isInteger(pages) || pages < 1 || pages > MAX_PAGES) { return `pageWatch: pages must be an integer from 1 to ${MAX_PAGES}`; }
	const access = a.access ?? 'write';
	if (!(ACCESS as readonly unknown[]).includes(access)) { return `pageWatch: access must be one of ${ACCESS.join(', ')}`; }
	const start = Math.floor(address / PAGE);
	const end = start + pages;
	const acc = access as DataBreakpoint['access'];
	const same = bps.pageWatches.find(w => w.target.process === process && w.target.start === start && w.target.end === end && w.access === acc);
	const w = same ?? bps.addPageWatch({
		process, start, end,
		description: `page watch on ${verb[acc]} [${hex(start * PAGE)}, ${hex(end * PAGE)}) of ${process} (${pages} page${pages === 1 ? '' : 's'})`,
	}, acc);
	return { watch: watchInfo(w), watches: pageWatches(bps) };
}
