// Code to run when a path ends, without a generator of its own. Every event a path yields is
// resumed through each generator that wraps it; a wrapper that only records the path's result
// (Machine's last.cpages, the moves counted per cause) costs a debugger watching every page fault
// of a huge device read one more generator resume per fault. This iterator forwards the events
// with a plain call and runs the same code a try/catch/finally around `yield* body` would.
import type { K, SimEvent } from './events';

export class After<T, R> implements Generator<SimEvent, R, undefined> {
	private ended = false;

	constructor(
		private readonly body: K<T>,
		/** the path returned r: the wrapper returns done(r) */
		private readonly done: (r: T) => R,
		/** the path threw e (before `always`; e is thrown on) */
		private readonly failed?: (e: unknown) => void,
		/** the path ended, whichever way (a finally block) */
		private readonly always?: () => void,
	) { }

	next(): IteratorResult<SimEvent, R> {
		let r: IteratorResult<SimEvent, T>;
		try {
			r = this.body.next();
		} catch (e) {
			this.fail(e);
			throw e;
		}
		return r.done ? this.finish(r.value) : r;
	}

	/** The caller abandons the path (generator return): its finally blocks run, then `always`. */
	return(value: R): IteratorResult<SimEvent, R> {
		try {
			this.body.return(undefined as T);
		} catch (e) {
			this.fail(e);
			throw e;
		}
		this.end();
		return { done: true, value };
	}

	throw(e: unknown): IteratorResult<SimEvent, R> {
		let r: IteratorResult<SimEvent, T>;
		try {
			r = this.body.throw(e);
		} catch (err) {
			this.fail(err);
			throw err;
		}
		return r.done ? this.finish(r.value) : r;
	}

	[Symbol.iterator](): this { return this; }

	private finish(value: T): IteratorResult<SimEvent, R> {
		let out: R;
		try {
			out = this.done(value);
		} finally {
			this.end();
		}
		return { done: true, value: out };
	}

	private fail(e: unknown): void {
		if (this.ended) { return; }
		try { this.failed?.(e); } finally { this.end(); }
	}

	private end(): void {
		if (this.ended) { return; }
		this.ended = true;
		this.always?.();
	}
}
