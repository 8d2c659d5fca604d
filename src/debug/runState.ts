// The debugger's run state as an explicit state machine. Every change goes through transition(),
// which refuses a change the table does not allow: that is a bug in the debugger, reported as an
// error (the session answers the request with it) instead of leaving the run in a mixed state.
//
//   idle       a program is loaded, nothing runs yet
//   running    executing forward in time slices
//   replaying  a reverse job (stepBack / reverseContinue) scans and replays the past
//   stopped    paused at a boundary or inside a statement; inspection and stepping are allowed
//   ended      the program finished, failed or was terminated
//
// Loading a program (launch, restart) returns to idle from anywhere.

export type RunState = 'idle' | 'running' | 'replaying' | 'stopped' | 'ended';

export const TRANSITIONS: Readonly<Record<RunState, readonly RunState[]>> = {
	idle: ['idle', 'running'],
	running: ['idle', 'stopped', 'ended'],
	replaying: ['idle', 'stopped', 'ended'],
	stopped: ['idle', 'running', 'replaying', 'ended'],
	ended: ['idle'],
};

export function canTransition(from: RunState, to: RunState): boolean { return TRANSITIONS[from].includes(to); }

export class RunStateError extends Error {
	constructor(readonly from: RunState, readonly to: RunState, readonly why: string) {
		super(`internal error: the debugger cannot go from ${from} to ${to} (${why})`);
	}
}

export interface Transition { from: RunState; to: RunState; why: string }

export class RunStateMachine {
	private cur: RunState = 'idle';
	/** the latest transitions, newest last (for tests and internal error reports) */
	readonly recent: Transition[] = [];

	get state(): RunState { return this.cur; }

	/** True while the workload executes, forward or in a replay: pause applies. */
	get busy(): boolean { return this.cur === 'running' || this.cur === 'replaying'; }

	transition(to: RunState, why: string): void {
		const from = this.cur;
		if (!canTransition(from, to)) { throw new RunStateError(from, to, why); }
		this.cur = to;
		this.recent.push({ from, to, why });
		if (this.recent.length > 32) { this.recent.shift(); }
	}
}
