// What the adapter tells the client it can do (the initialize response). One place, with the
// reason for each, because every flag changes what VS Code shows.
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ENGINE_FILTERS } from './breakpoints';
import { EVENT_MEMBERS } from '../lang/vocabulary';

const CONDITION = `A condition over event.* (${Object.keys(EVENT_MEMBERS).join(', ')}), e.g. event.npages > 1 and event.device == "gpu"`;

/** Label and description of each engine filter; keyed by ENGINE_FILTERS, so none is offered
 * without a declaration there (and so without a test that the engine raises it). */
const ENGINE_FILTER_TEXT: Record<typeof ENGINE_FILTERS[number], [string, string]> = {
	'cpu-fault': ['CPU fault on device memory', 'A CPU access hits a page a device holds (device-private or exclusive entry)'],
	'device-fault': ['Device fault', 'A device access misses its page table'],
	'fault-batch': ['Device fault batch', 'The driver services one batch of a kernel\'s faults (event.npages: pages after coalescing, event.detail: entries)'],
	migration: ['Migration', 'Pages move between RAM and a device (event.cause says why)'],
	prefetch: ['Prefetch', 'The density prefetcher adds pages to a VA block\'s faults'],
	thrashing: ['Thrashing', 'A thrashing page is throttled, pinned or unpinned (event.detail)'],
	eviction: ['Eviction', 'A full device evicts a 2 MiB root chunk to RAM'],
	invalidation: ['Mirror invalidation', 'An mmu notifier invalidates a device mirror'],
	'page-fault': ['CPU page fault', 'Any CPU page fault'],
};

export function capabilities(): DebugProtocol.Capabilities {
	const engine = (filter: string, label: string, description: string): DebugProtocol.ExceptionBreakpointsFilter =>
		({ filter, label, description, default: false, supportsCondition: true, conditionDescription: CONDITION });
	return {
		// launch waits for the breakpoints before running
		supportsConfigurationDoneRequest: true,
		// Edit Breakpoint: expression / hit count / log message
		supportsConditionalBreakpoints: true,
		supportsHitConditionalBreakpoints: true,
		supportsLogPoints: true,
		// names of simulated kernel functions in the BREAKPOINTS view
		supportsFunctionBreakpoints: true,
		supportsBreakpointLocationsRequest: true,
		// "break on" engine events, each with its own condition
		exceptionBreakpointFilters: [
			...ENGINE_FILTERS.map(f => engine(f, ...ENGINE_FILTER_TEXT[f])),
			{ filter: 'error', label: 'Statement errors', description: 'A statement fails outside `expect error`', default: true, supportsCondition: true, conditionDescription: 'A condition over script variables' },
			{ filter: 'expect', label: 'Failed expectations', description: 'An `expect` is about to fail', default: true, supportsCondition: true, conditionDescription: 'A condition over script variables' },
		],
		supportsExceptionFilterOptions: true,
		supportsExceptionInfoRequest: true,
		// Break on Value Read / Change / Access for VMA and page variables
		supportsDataBreakpoints: true,
		// watch, hover, debug console; IntelliSense in the console
		supportsEvaluateForHovers: true,
		supportsCompletionsRequest: true,
		completionTriggerCharacters: ['.'],
		// the simulator is deterministic: checkpoints + replay
		supportsStepBack: true,
		supportsRestartRequest: true,
		supportsTerminateRequest: true,
		// the hex toggle also honours a client's format.hex
		supportsValueFormattingOptions: true,
		// View Binary Data on VMAs, pages and ranges; edits are CPU writes
		supportsReadMemoryRequest: true,
		supportsWriteMemoryRequest: true,
		// Cancel on the progress notification pauses the run
		supportsCancelRequest: true,
		// step one script thread while the others are held (threadsDap.ts)
		supportsSingleThreadExecutionRequests: true,
	};
}
