// Progress notifications for runs that last: nothing for the first half second (most steps are
// instant), then a cancellable progressStart, updates twice a second, and always a progressEnd.
// Only for clients that said supportsProgressReporting.
import { ProgressEndEvent, ProgressStartEvent, ProgressUpdateEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';

const PERIOD_MS = 500;

export class Progress {
	private current?: { id: string; timer: NodeJS.Timeout; started: boolean };
	private seq = 0;

	constructor(private readonly send: (e: DebugProtocol.Event) => void, private readonly status: () => string | undefined) { }

	get id(): string | undefined { return this.current?.id; }

	/** A run begins; `status()` returning undefined means it is over. */
	start(enabled: boolean): void {
		this.end();
		if (!enabled) { return; }
		const p = { id: `hmm-run-${++this.seq}`, started: false, timer: setInterval(() => this.tick(p), PERIOD_MS) };
		this.current = p;
	}

	private tick(p: { id: string; started: boolean }): void {
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
		clearInterval(p.timer);
		if (p.started) { this.send(new ProgressEndEvent(p.id)); }
	}
}
