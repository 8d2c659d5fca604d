// Progress notifications for runs that last: nothing for the first half second (most steps are
// instant), then a cancellable progressStart, updates twice a second, and always a progressEnd.
// Only for clients that said supportsProgressReporting.
import { ProgressEndEvent, ProgressStartEvent, ProgressUpdateEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';

const PERIOD_MS = 500;

export class Progress {
	private current?: { id: string; started: boolean };
	/** one timer for every run: a step (a run of microseconds) restarts its countdown instead of
	 * making and clearing a timer; between runs it is unref'd, and a tick with no run clears it */
	private timer?: NodeJS.Timeout;
	private seq = 0;

	constructor(private readonly send: (e: DebugProtocol.Event) => void, private readonly status: () => string | undefined) { }

	get id(): string | undefined { return this.current?.id; }

	/** A run begins; `status()` returning undefined means it is over. */
	start(enabled: boolean): void {
		this.end();
		if (!enabled) { return; }
		this.current = { id: `hmm-run-${++this.seq}`, started: false };
		if (this.timer) { this.timer.ref().refresh(); } else { this.timer = setInterval(() => this.tick(), PERIOD_MS); }
	}

	private tick(): void {
		const p = this.current;
		if (!p) {
			clearInterval(this.timer);
			this.timer = undefined;
			return;
		}
		const msg = this.status();
		if (msg === undefined) { return this.end(); }
		if (p.started) { this.send(new ProgressUpdateEvent(p.id, msg)); return; }
		p.started = true;
		const e = new ProgressStartEvent(p.id, 'Running workload', msg) as DebugProtocol.ProgressStartEvent;
		e.body.cancellable = true;
		this.send(e);
	}

	end(): void {
		const p = this.current;
		if (!p) { return; }
		this.current = undefined;
		this.timer?.unref();
		if (p.started) { this.send(new ProgressEndEvent(p.id)); }
	}
}
