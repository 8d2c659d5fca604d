// The end-of-run report's device-model parts (src/cli/report.ts), from a machine whose kernels and
// per-cause counts are set by hand: one summary line per kernel, the causes that moved pages, and
// the same figures in the --json object.
import * as assert from 'node:assert/strict';
import { summary } from '../../src/cli/report';
import { buildRunDocument } from '../../src/cli/jsonReport';
import type { RunOutcome } from '../../src/cli/run';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';

function outcome(): RunOutcome {
	const src = 'device gpu memory=64MiB\ndevice npu memory=64MiB\nprocess p\n';
	const interp = new Interpreter(compileSource(src, 'r.hmmw').program, src);
	interp.runToEnd();
	const m = interp.machine;
	m.kernels.push(
		{ name: 'stream', device: 'gpu', startNs: 10, timeNs: 2_500_000, faultEntries: 900, faults: 512, batches: 4, migrated: 512, prefetched: 96, evicted: 0, remoteBytes: 0, peerBytes: 0, peerCopyBytes: 0, throttled: 0 },
		{ name: 'line 9', device: 'npu', startNs: 2_500_010, timeNs: 800, faultEntries: 0, faults: 0, batches: 0, migrated: 0, prefetched: 0, evicted: 3, remoteBytes: 8192, peerBytes: 0, peerCopyBytes: 0, throttled: 2 },
	);
	const by = m.device('gpu').byCause;
	by['device-fault'].in = 416;
	by.prefetch.in = 96;
	by['cpu-fault'].out = 5;
	return { interp, expectations: [], wallMs: 0 };
}

describe('hmmw report: kernels and migrations by cause', () => {
	it('prints one line per kernel, in launch order, and the causes that moved pages per device', () => {
		const lines = summary(outcome()).split('\n');
		assert.ok(lines.includes('   kernel "stream" on gpu: 2.500 ms, 512 faults in 4 batches, migrated 512, prefetched 96, evicted 0 pages, remote 0 bytes'), lines.join('\n'));
		assert.ok(lines.includes('   kernel "line 9" on npu: 800 ns, 0 faults in 0 batches, migrated 0, prefetched 0, evicted 3 pages, remote 8192 bytes'), lines.join('\n'));
		assert.ok(lines.indexOf('   kernel "stream" on gpu: 2.500 ms, 512 faults in 4 batches, migrated 512, prefetched 96, evicted 0 pages, remote 0 bytes')
			< lines.findIndex(l => l.includes('kernel "line 9"')));
		assert.ok(lines.includes('   gpu migrations by cause: device-fault 416 in / 0 out, prefetch 96 in / 0 out, cpu-fault 0 in / 5 out'), lines.join('\n'));
		assert.ok(!lines.some(l => l.startsWith('   npu migrations by cause')), 'a device nothing moved on has no cause line');
	});

	it('gives the same figures in the JSON object: a kernels array and every cause per device', () => {
		const j = buildRunDocument(outcome(), { file: 'r.hmmw', source: '', exitCode: 0 }) as {
			kernels: Record<string, unknown>[];
			migrations: Record<string, Record<string, { in: number; out: number }>>;
			devices: Record<string, Record<string, number>>;
		};
		assert.deepEqual(j.kernels[0], {
			name: 'stream', device: 'gpu', start_ns: 10, time_ns: 2_500_000, fault_entries: 900, faults: 512, batches: 4, migrated: 512,
			prefetched: 96, evicted: 0, remote_bytes: 0, throttled: 0,
		});
		assert.equal(j.kernels[1].remote_bytes, 8192);
		assert.deepEqual(j.migrations.gpu['device-fault'], { in: 416, out: 0 });
		assert.deepEqual(j.migrations.gpu['cpu-fault'], { in: 0, out: 5 });
		assert.deepEqual(Object.keys(j.migrations.npu).sort(), ['cpu-fault', 'device-fault', 'eviction', 'gup-pin', 'migrate', 'prefetch', 'release', 'thrashing', 'unmirror', 'user-prefetch']);
		for (const c of ['evicted', 'prefetched', 'throttled', 'thrash_pins', 'remote_bytes']) { assert.equal(typeof j.devices.gpu[c], 'number', c); }
	});
});
