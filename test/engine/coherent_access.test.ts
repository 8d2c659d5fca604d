// CPU access to coherent device memory (MEMORY_DEVICE_COHERENT) is charged: the CPU reaches the
// page in place, with no fault and no migration, and its bytes go at the device's cpu_coherent_bw.
import * as assert from 'node:assert/strict';
import { run } from './helpers';

/** Simulated time taken by `stmt` after `setup`, and the machine. */
function timed(setup: string, stmt: string) {
	const it = run(`${setup}t0 = time\n${stmt}\ndt = time - t0\n`);
	return { dt: it.vars.get('dt') as number, it };
}

const C2C = 'device nv memory=64MiB kind=coherent link=c2c policy=migrate cpu_coherent_bw=100GB/s\nprocess p\nnv mirror p\n'
	+ 'X = mmap 1MiB anon rw\ncpu write X = i\nmigrate X -> nv\n';

describe('CPU access to coherent device memory (cpu_coherent_bw)', () => {
	it('a CPU read of 1 MiB resident on a coherent device costs 1 MiB at cpu_coherent_bw, without faulting or moving it', () => {
		const { dt, it } = timed(C2C, 'cpu read X');
		assert.equal(dt, Math.round(2 ** 20 / 100e9 * 1e9));
		const X = it.vars.get('X') as { addr: number; len: number };
		assert.equal(it.machine.view.where('p', X.addr / 4096, (X.addr + X.len) / 4096), 'nv', 'the pages stay on the device');
		assert.equal(it.machine.k.device('nv').stats.cpu_faults, 0);
	});

	it('a CPU write is charged the same way, by the bytes of the range (a part of a page counts its bytes)', () => {
		assert.equal(timed(C2C, 'cpu write X[0:1000] = 7').dt, Math.round(1000 / 100e9 * 1e9));
	});

	it('the default is 0.76 of the link peak (NVLink-C2C 450 GB/s per direction)', () => {
		const { dt } = timed(C2C.replace(' cpu_coherent_bw=100GB/s', ''), 'cpu read X');
		assert.equal(dt, Math.round(2 ** 20 / (450e9 * 0.76) * 1e9));
	});

	it('pages in RAM cost nothing extra, and a device-private device is never read in place', () => {
		assert.equal(timed(C2C.replace('migrate X -> nv\n', ''), 'cpu read X').dt, 0);
		const priv = timed(C2C.replace('kind=coherent link=c2c', 'kind=private'), 'cpu read X');
		assert.ok(priv.it.machine.k.device('nv').stats.cpu_faults > 0, 'a private page faults back to RAM instead');
	});
});
