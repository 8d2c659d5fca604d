// sim/after.ts: a plain iterator that runs a path's bookkeeping must behave as the generator
// `try { done(yield* body) } catch (e) { failed(e); throw e } finally { always() }` would.
import * as assert from 'node:assert/strict';
import { After } from '../../src/engine/sim/after';
import type { K, SimEvent } from '../../src/engine/sim/events';

const ev = (addr: number): SimEvent => ({ kind: 'tick', addr, npages: 0 });

function* body(log: string[], fail: boolean): K<number> {
	try {
		yield ev(1);
		yield ev(2);
		if (fail) { throw new Error('boom'); }
		return 5;
	} finally {
		log.push('body finally');
	}
}

function* generatorForm(log: string[], fail: boolean): K<string> {
	try {
		const r = yield* body(log, fail);
		log.push(`done ${r}`);
		return `r${r}`;
	} catch (e) {
		log.push(`failed ${(e as Error).message}`);
		throw e;
	} finally {
		log.push('always');
	}
}

function afterForm(log: string[], fail: boolean): K<string> {
	return new After(body(log, fail), r => { log.push(`done ${r}`); return `r${r}`; }, e => log.push(`failed ${(e as Error).message}`), () => log.push('always'));
}

/** Drives a path through an outer generator (as the interpreter does), `stop` events in, then
 * returns, or to its end; the events, result or error, and the log. */
function drive(make: (log: string[], fail: boolean) => K<string>, fail: boolean, stop?: number): string[] {
	const log: string[] = [];
	function* outer(): K<string> { return yield* make(log, fail); }
	const g = outer();
	try {
		for (let n = 0; ; n++) {
			if (n === stop) { g.return('abandoned'); log.push('returned'); break; }
			const r = g.next();
			if (r.done) { log.push(`result ${r.value}`); break; }
			log.push(`event ${r.value.addr}`);
		}
	} catch (e) {
		log.push(`threw ${(e as Error).message}`);
	}
	return log;
}

describe('After: bookkeeping around a path without a generator', () => {
	for (const [name, fail, stop] of [['a path that returns', false, undefined], ['a path that throws', true, undefined], ['a path abandoned mid-way', false, 1]] as const) {
		it(`${name} runs what try/catch/finally around yield* would, in the same order`, () => {
			assert.deepEqual(drive(afterForm, fail, stop), drive(generatorForm, fail, stop));
		});
	}
});
