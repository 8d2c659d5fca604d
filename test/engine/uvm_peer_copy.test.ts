// GPU-to-GPU migration over the peer link (uvm/peer_copy.ts): a page resident on one policy=migrate
// GPU that has to move to another (`migrate R -> B`, `prefetch R -> B`, B's fault) is copied
// straight from A's memory (migrate_vma_setup with MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
// uvm_va_block_make_resident_copy -> block_copy_resident_pages_between over the peer aperture),
// never through RAM, charged at peer_bw and counted in DEV.peer_copy_bytes.
import * as assert from 'node:assert/strict';
import { run } from './helpers';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';
import { PAGE_SIZE } from '../../src/engine/mm/content';
import { DEFAULT_DEVICE_COSTS } from '../../src/engine/device/cost';

const MIB2 = 2 * 2 ** 20;
const TWO = (opts = '') => `device gpu0 memory=64MiB policy=migrate${opts}\ndevice gpu1 memory=64MiB policy=migrate${opts}\n`
	+ 'process p\ngpu0 mirror p\ngpu1 mirror p\nX = mmap 2MiB anon rw\ncpu write X = i\nprefetch X -> gpu0\n';

/** RAM frames in use once the script has run */
const ramUsed = (src: string) => run(src).machine.k.frames.ramUsed;

function setup(src: string) {
	const it = run(src);
	const m = it.machine;
	const X = it.vars.get('X') as { addr: number; len: number };
	const vpn = X.addr / PAGE_SIZE, n = X.len / PAGE_SIZE;
	return { it, m, X, vpn, n, gpu0: m.k.device('gpu0'), gpu1: m.k.device('gpu1') };
}

describe('GPU-to-GPU migration over the peer link (block_copy_resident_pages_between)', () => {
	it('migrate R -> gpu1 of pages on gpu0 copies them over the peer link: no RAM page, one transfer at peer_bw', () => {
		const { it, m, X, vpn, n, gpu0, gpu1 } = setup(`${TWO(' peer_bw=100GB/s')}t0 = time\nmigrate X -> gpu1\nt = time - t0\n`);
		assert.equal(m.view.where('p', vpn, vpn + n), 'gpu1');
		assert.ok(m.matches(X, i => i));
		assert.equal(gpu1.stats.peer_copy_bytes, MIB2);
		assert.equal(gpu1.byCause.migrate.in, n);
		assert.equal(gpu0.byCause.migrate.out, n);
		assert.equal(gpu0.stats.migrated_out, n);
		assert.equal(gpu0.usedPages, 0, 'gpu0\'s pages went back to its root chunk');
		assert.equal(gpu0.stats.cpu_faults, 0);
		assert.equal(m.k.frames.ramUsed, ramUsed(TWO(' peer_bw=100GB/s')), 'nothing passed through RAM');
		// DMA setup (gpu1's first copy of the block) + one transfer of 2 MiB at 100 GB/s + 512 PTEs in one PMD;
		// no zero-fill: every page holds data on gpu0
		const c = DEFAULT_DEVICE_COSTS;
		const want = c.dmaSetupNs + c.transferLatencyNs + MIB2 / 100e9 * 1e9 + n * c.mapPageNs + c.mapPmdNs;
		assert.equal(it.vars.get('t'), Math.round(want));
	});

	it('the copy shows as a migration event from gpu0 to gpu1, with its cause, and no migration through RAM', () => {
		const source = `${TWO()}migrate X -> gpu1\n`;
		const it = new Interpreter(compileSource(source, 'peer.hmmw').program, source, {});
		it.machine.setEvents({ wants: k => k === 'migration' });
		const seen: string[] = [];
		while (!it.done) {
			const g = it.step();
			for (let r = g.next(); !r.done; r = g.next()) { if (r.value.kind === 'migration') { seen.push(`${r.value.detail} ${r.value.cause} ${r.value.npages}`); } }
		}
		assert.equal(it.error, undefined);
		assert.deepEqual(seen.slice(-1), ['gpu0 -> gpu1 (peer copy) migrate 512']);
		assert.ok(!seen.some(s => s.startsWith('gpu0 -> ram')), seen.join('; '));
	});

	it('gpu1 faulting on gpu0\'s pages takes them over the peer link, not through RAM (no migrate_to_ram)', () => {
		const { it, m, vpn, n, gpu0, gpu1 } = setup(`${TWO()}kernel gpu1 { read X }\n`);
		const k = it.machine.kernels.at(-1)!;
		assert.equal(m.view.where('p', vpn, vpn + n), 'gpu1');
		assert.equal(k.migrated, n);
		assert.equal(k.peerCopyBytes, MIB2);
		assert.equal(gpu0.stats.cpu_faults, 0);
		assert.equal(gpu0.byCause['device-fault'].out, n, 'gpu0 gave them up to a device fault');
		assert.equal(gpu0.stats.migrated_out, n);
		assert.equal(gpu1.stats.peer_copy_bytes, MIB2);
		assert.equal(m.k.frames.ramUsed, ramUsed(TWO()));
		assert.ok(m.matches({ addr: vpn * PAGE_SIZE, len: n * PAGE_SIZE }, i => i));
	});

	it('preferred=gpu1: gpu1\'s fault on gpu0\'s pages brings them home to gpu1 over the peer link', () => {
		const { m, vpn, n, gpu1 } = setup(`${TWO()}advise X preferred=gpu1\nkernel gpu1 { read X }\n`);
		assert.equal(m.view.where('p', vpn, vpn + n), 'gpu1');
		assert.equal(gpu1.stats.peer_copy_bytes, MIB2);
		assert.equal(gpu1.byCause['device-fault'].in, n);
	});

	it('a write kernel on gpu1 lands its data after the peer copy; the pages stay writable on gpu1', () => {
		const { it, m, X, vpn, n, gpu1 } = setup(`${TWO(' prefetch=density')}kernel gpu1 { write X = i + 7 }\nkernel gpu1 { write X = i + 8 }\n`);
		assert.equal(m.view.where('p', vpn, vpn + n), 'gpu1');
		assert.equal(it.machine.kernels.at(-1)!.faults, 0, 'the second write finds every page mapped writable');
		assert.equal(gpu1.stats.peer_copy_bytes, MIB2);
		assert.ok(m.matches(X, i => i + 8));
	});

	it('a faster peer link finishes the same migration sooner, and both beat going through RAM', () => {
		const time = (opts: string) => {
			const it = run(`${TWO(opts)}t0 = time\nmigrate X -> gpu1\nt = time - t0\n`);
			return it.vars.get('t') as number;
		};
		const viaRam = run(`${TWO()}t0 = time\nmigrate X -> ram\nmigrate X -> gpu1\nt = time - t0\n`).vars.get('t') as number;
		const pcie = time(''), nvlink = time(' peer_bw=300GB/s');
		assert.ok(nvlink < pcie, `${nvlink} < ${pcie}`);
		assert.ok(pcie < viaRam, `${pcie} < ${viaRam}`);
	});

	it('pages split between RAM and gpu0 arrive from both: the peer copy and the RAM copy in one call', () => {
		const { m, X, vpn, n, gpu1 } = setup(`${TWO()}Y = X[1MiB:]\nmigrate Y -> ram\nmigrate X -> gpu1\n`);
		assert.equal(m.view.where('p', vpn, vpn + n), 'gpu1');
		assert.equal(gpu1.stats.peer_copy_bytes, MIB2 / 2);
		assert.equal(gpu1.stats.migrated_in, n);
		assert.ok(m.matches(X, i => i));
	});
});
