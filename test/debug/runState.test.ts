// The debugger's run state machine: the transition table, refusals of illegal changes, and the
// sequence of states the runtime goes through for launch, steps, step back, pause and the end.
import * as assert from 'node:assert/strict';
import { canTransition, type RunState, RunStateError, RunStateMachine, TRANSITIONS } from '../../src/debug/runState';
import { HmmRuntime, type StopInfo } from '../../src/debug/runtime';

const STATES: RunState[] = ['idle', 'running', 'replaying', 'stopped', 'ended'];

/** Every legal change, written out independently of the table. */
const LEGAL = new Set([
	'idle>idle', 'idle>running',
	'running>idle', 'running>stopped', 'running>ended',
	'replaying>idle', 'replaying>stopped', 'replaying>ended',
	'stopped>idle', 'stopped>running', 'stopped>replaying', 'stopped>ended',
	'ended>idle',
]);

/** A machine in state `s`, reached by legal transitions. */
function at(s: RunState): RunStateMachine {
	const path: Record<RunState, RunState[]> = {
		idle: [], running: ['running'], stopped: ['running', 'stopped'], replaying: ['running', 'stopped', 'replaying'], ended: ['running', 'ended'],
	};
	const m = new RunStateMachine();
	for (const t of path[s]) { m.transition(t, 'setup'); }
	return m;
}

describe('debugger run state machine', () => {
	it('allows exactly the transitions of the table', () => {
		assert.deepEqual(Object.keys(TRANSITIONS).sort(), [...STATES].sort());
		for (const from of STATES) {
			for (const to of STATES) {
				assert.equal(canTransition(from, to), LEGAL.has(`${from}>${to}`), `${from} -> ${to}`);
			}
		}
	});

	it('performs a legal transition and records it', () => {
		for (const from of STATES) {
			for (const to of STATES) {
				if (!LEGAL.has(`${from}>${to}`)) { continue; }
				const m = at(from);
				m.transition(to, 'test');
				assert.equal(m.state, to);
				assert.deepEqual(m.recent[m.recent.length - 1], { from, to, why: 'test' });
			}
		}
	});

	it('refuses an illegal transition with an internal error and stays where it was', () => {
		let refused = 0;
		for (const from of STATES) {
			for (const to of STATES) {
				if (LEGAL.has(`${from}>${to}`)) { continue; }
				const m = at(from);
				const n = m.recent.length;
				assert.throws(() => m.transition(to, 'why not'), (e: unknown) => {
					assert.ok(e instanceof RunStateError);
					assert.equal(e.message, `internal error: the debugger cannot go from ${from} to ${to} (why not)`);
					return true;
				});
				assert.equal(m.state, from);
				assert.equal(m.recent.length, n);
				refused++;
			}
		}
		assert.equal(refused, STATES.length * STATES.length - LEGAL.size);
	});

	it('busy covers running and replaying (a pause applies to both)', () => {
		assert.deepEqual(STATES.filter(s => at(s).busy), ['running', 'replaying']);
	});

	it('the runtime goes through the machine for launch, next, stepBack, pause and the end', async function () {
		this.timeout(20_000);
		const rt = new HmmRuntime();
		const source = 'process p\nX = mmap 16KiB anon rw\ncpu write X = i\nn = 0\nrepeat 100000000 {\n  n = n + 1\n}\n';
		assert.equal(rt.load('/test/state.hmmw', source), undefined);
		const stopped = () => new Promise<StopInfo>(resolve => rt.once('stopped', resolve));
		let s = stopped();
		rt.start(true);
		assert.equal(rt.state, 'running');
		assert.equal((await s).reason, 'entry');
		s = stopped();
		assert.equal(rt.resume('next'), true);
		assert.equal(rt.resume('next'), false, 'no second resume while running');
		assert.equal((await s).reason, 'step');
		assert.equal(rt.interp.steps, 1);
		s = stopped();
		const back = rt.stepBack();
		assert.equal(rt.state, 'replaying');
		assert.equal(rt.busy, true);
		await back;
		assert.equal((await s).reason, 'step');
		assert.equal(rt.interp.steps, 0);
		s = stopped();
		rt.resume('continue');
		setTimeout(() => rt.pause(), 50);
		assert.equal((await s).reason, 'pause');
		const ended = new Promise<number>(resolve => rt.once('end', resolve));
		rt.terminate();
		assert.equal(await ended, 0);
		assert.equal(rt.state, 'ended');
		assert.equal(rt.resume('continue'), false);
		assert.deepEqual(rt.runState.recent.map(t => `${t.from}>${t.to}`), [
			'idle>idle', 'idle>idle', 'idle>running', 'running>stopped', 'stopped>running', 'running>stopped',
			'stopped>replaying', 'replaying>stopped', 'stopped>running', 'running>stopped', 'stopped>ended',
		]);
		// an illegal change asked of the runtime is an error for the request, not a crash
		assert.throws(() => rt.runState.transition('stopped', 'test'), RunStateError);
		assert.equal(rt.state, 'ended');
	});
});
