// The residency panel's custom requests that read state: `residency`, `residencyPage` and
// `timeline`, answered from the machine view and the runtime's timeline. (`timelineGoto` moves
// the run, so the session handles it, with timelineGotoArgs.)
import type { MachineView } from '../engine/view';
import { residency, residencyArgs, type ResidencyHistory } from './residency';
import { residencyPage, residencyPageArgs } from './residencyPage';
import type { Timeline } from './timeline';

export interface PanelContext {
	view: MachineView;
	timeline: Timeline;
	/** simulated time at this stop, ns */
	time: number;
	history: ResidencyHistory;
	/** the number of this stop (the diff compares with the previous one) */
	stop: number;
	/** a script variable bound to a VMA start, if any */
	varName(addr: number): string | undefined;
}

export const PANEL_READS: readonly string[] = ['residency', 'residencyPage', 'timeline'];

/** The body of a reading request, or an error message. */
export function panelRequest(command: string, args: unknown, c: PanelContext): object | string {
	const a = (args ?? {}) as Record<string, unknown>;
	const n = (k: string) => (typeof a[k] === 'number' ? a[k] as number : undefined);
	switch (command) {
		case 'residency':
			return residency(c.view, residencyArgs(args), c.varName, c.history, c.stop);
		case 'residencyPage': {
			const p = residencyPageArgs(args);
			return typeof p === 'string' ? p : residencyPage(c.view, p);
		}
		case 'timeline':
			return c.timeline.query({ start: n('start'), end: n('end'), bins: n('bins') }, c.time);
	}
	return `unknown request '${command}'`;
}

/** timelineGoto's step, which of the statement's timeline events (`nth`, from the timeline's
 * answer; absent or -1: the statement's start) and the event's label, or an error message. */
export function timelineGotoArgs(args: unknown): { step: number; nth: number; label: string } | string {
	const a = (args ?? {}) as Record<string, unknown>;
	if (typeof a.step !== 'number' || !Number.isFinite(a.step) || a.step < 0) { return 'timelineGoto needs a step'; }
	const nth = typeof a.nth === 'number' && Number.isInteger(a.nth) && a.nth >= 0 ? a.nth : -1;
	return { step: a.step, nth, label: typeof a.label === 'string' ? a.label : 'timeline event' };
}
