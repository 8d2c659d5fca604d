// Thrashing detection and its hints (uvm_perf_thrashing.c), with simulated times.
import * as assert from 'node:assert/strict';
import { THRASHING_DEFAULTS, ThrashingTracker } from '../../src/engine/device/uvm/perf_thrashing';

const us = (n: number) => n * 1000;
const GPU = 0, CPU = -1;
const KEY = 7 * 2 ** 36 + 12345;

/** A page ping-ponged between GPU and CPU at the given times (microseconds). */
function pingPong(t: ThrashingTracker, times: number[]): void {
	times.forEach((at, i) => t.uvm_perf_thrashing_event(KEY, i % 2 === 0 ? GPU : CPU, us(at)));
}

describe('ThrashingTracker (uvm_perf_thrashing.c)', () => {
	it('THRASHING_DEFAULTS are the module parameters: threshold 3, lapse 500 us, pin after 10, nap 1, pin 300, epoch 2000 lapses', () => {
		assert.deepEqual(THRASHING_DEFAULTS, { threshold: 3, lapseNs: 500_000, pinThreshold: 10, napNs: 500_000, pinNs: 150_000_000, epochNs: 1_000_000_000 });
	});

	it('thrashing_event_cb: three events each within the lapse of the previous one make the page thrash', () => {
		const t = new ThrashingTracker(THRASHING_DEFAULTS);
		pingPong(t, [0, 100, 200]);
		assert.equal(t.isThrashing(KEY, us(200)), false);
		assert.deepEqual(t.describe(KEY, us(200)), { events: 2, throttles: 0 });
		t.uvm_perf_thrashing_event(KEY, CPU, us(300));
		assert.equal(t.isThrashing(KEY, us(300)), true);
		assert.equal(t.isThrashing(KEY + 1, us(300)), false, 'pages are tracked separately');
		assert.equal(t.describe(KEY + 1, us(300)), undefined);
	});

	it('thrashing_event_cb: a gap longer than the lapse resets a thrashing page; below the threshold the count waits', () => {
		const t = new ThrashingTracker(THRASHING_DEFAULTS);
		pingPong(t, [0, 100, 200, 300]);
		t.uvm_perf_thrashing_event(KEY, GPU, us(801));
		assert.equal(t.isThrashing(KEY, us(801)), false);
		assert.deepEqual(t.describe(KEY, us(801)), { events: 0, throttles: 0 });
		const u = new ThrashingTracker(THRASHING_DEFAULTS);
		pingPong(u, [0, 100, 5000]);
		assert.deepEqual(u.describe(KEY, us(5000)), { events: 1, throttles: 0 });
		u.uvm_perf_thrashing_event(KEY, GPU, us(5400));
		assert.deepEqual(u.describe(KEY, us(5400)), { events: 2, throttles: 0 });
	});

	it('get_hint: no hint before the threshold, nor once the last event is older than the lapse', () => {
		const t = new ThrashingTracker(THRASHING_DEFAULTS);
		pingPong(t, [0, 100, 200]);
		assert.deepEqual(t.uvm_perf_thrashing_get_hint(KEY, GPU, us(250)), { hint: 'none', napNs: 0 });
		t.uvm_perf_thrashing_event(KEY, CPU, us(300));
		assert.deepEqual(t.uvm_perf_thrashing_get_hint(KEY, GPU, us(801)), { hint: 'none', napNs: 0 });
		assert.deepEqual(t.uvm_perf_thrashing_get_hint(KEY + 1, GPU, us(301)), { hint: 'none', napNs: 0 });
	});

	it('thrashing_throttle_update: the processor that opens a throttling period is spared, the other naps until it ends', () => {
		const t = new ThrashingTracker(THRASHING_DEFAULTS);
		pingPong(t, [0, 100, 200, 300]);
		// the GPU opens the period [350, 850) us and is spared
		assert.deepEqual(t.uvm_perf_thrashing_get_hint(KEY, GPU, us(350)), { hint: 'none', napNs: 0 });
		assert.deepEqual(t.uvm_perf_thrashing_get_hint(KEY, CPU, us(400)), { hint: 'throttle', napNs: us(450) });
		assert.deepEqual(t.uvm_perf_thrashing_get_hint(KEY, CPU, us(500)), { hint: 'throttle', napNs: us(350) });
		assert.equal(t.throttled, 2, 'every THROTTLE hint counts');
		assert.deepEqual(t.describe(KEY, us(500)), { events: 3, throttles: 1 }, 'one throttle per processor and period');
		// at the end of the nap the CPU is let go; the page stopped moving 600 us ago
		assert.deepEqual(t.uvm_perf_thrashing_get_hint(KEY, CPU, us(900)), { hint: 'none', napNs: 0 });
	});

	it('thrashing_pin_page: after pin_threshold throttles the page is pinned to system memory (HMM) for 300 lapses', () => {
		const t = new ThrashingTracker(THRASHING_DEFAULTS);
		// GPU and CPU take turns every 100 us; a processor without a hint migrates the page to itself
		let pinnedAt = -1, pinTo: number | undefined, maxThrottles = 0;
		const hints: string[] = [];
		for (let step = 0; step < 200 && pinnedAt < 0; step++) {
			const proc = step % 2 === 0 ? GPU : CPU;
			const now = us(100 * step);
			const h = t.uvm_perf_thrashing_get_hint(KEY, proc, now);
			hints.push(h.hint[0]);
			maxThrottles = Math.max(maxThrottles, t.describe(KEY, now)?.throttles ?? 0);
			if (h.hint === 'pin') { pinnedAt = now; pinTo = h.pinTo; } else if (h.hint === 'none') { t.uvm_perf_thrashing_event(KEY, proc, now); }
		}
		// four free migrations, then one throttle per 500 us period (at 500, 1000, ... 5000 us): the
		// processor spared in the tenth period pins on its next fault
		assert.equal(hints.slice(0, 6).join(''), 'nnnnnt');
		assert.equal(hints.filter(h => h === 'p').length, 1);
		assert.equal(maxThrottles, THRASHING_DEFAULTS.pinThreshold);
		assert.equal(pinnedAt, us(5100));
		assert.equal(pinTo, CPU);
		assert.equal(t.pins, 1);
		// the event count saturates at 7, as the driver's 3-bit field does
		assert.equal(t.pinnedTo(KEY, pinnedAt), CPU);
		assert.deepEqual(t.describe(KEY, pinnedAt), { events: 7, throttles: 0, pinnedUntil: pinnedAt + THRASHING_DEFAULTS.pinNs });
		// while pinned every processor maps the page where it is pinned
		assert.deepEqual(t.uvm_perf_thrashing_get_hint(KEY, GPU, pinnedAt + us(100)), { hint: 'pin', napNs: 0, pinTo: CPU });
		assert.deepEqual(t.uvm_perf_thrashing_get_hint(KEY, CPU, pinnedAt + us(200)), { hint: 'pin', napNs: 0, pinTo: CPU });
		assert.equal(t.pins, 1, 'a pinned page is pinned once');
		// thrashing_unpin_pages: the pin expires and the page's history with it
		const expiry = pinnedAt + THRASHING_DEFAULTS.pinNs;
		assert.equal(t.pinnedTo(KEY, expiry - 1), CPU);
		assert.equal(t.pinnedTo(KEY, expiry), undefined);
		assert.equal(t.isThrashing(KEY, expiry), false);
		assert.deepEqual(t.uvm_perf_thrashing_get_hint(KEY, GPU, expiry), { hint: 'none', napNs: 0 });
	});

	it('get_hint_for_migration_thrashing: a preferred location every thrashing processor can map is pinned at once', () => {
		const t = new ThrashingTracker(THRASHING_DEFAULTS);
		pingPong(t, [0, 100, 200, 300]);
		assert.deepEqual(t.uvm_perf_thrashing_get_hint(KEY, GPU, us(350), CPU), { hint: 'pin', napNs: 0, pinTo: CPU });
		assert.equal(t.throttled, 0);
		// a GPU preferred location the CPU cannot map: the GPU is spared, the CPU throttled
		const u = new ThrashingTracker(THRASHING_DEFAULTS);
		pingPong(u, [0, 100, 200, 300]);
		assert.equal(u.uvm_perf_thrashing_get_hint(KEY, GPU, us(350), GPU).hint, 'none');
		assert.equal(u.uvm_perf_thrashing_get_hint(KEY, CPU, us(360), GPU).hint, 'throttle');
	});

	it('epoch: a page that stopped thrashing for 2000 lapses starts over', () => {
		const t = new ThrashingTracker(THRASHING_DEFAULTS);
		pingPong(t, [0, 100, 200, 300]);
		const epochEnd = us(300) + THRASHING_DEFAULTS.epochNs;
		assert.equal(t.uvm_perf_thrashing_get_hint(KEY, GPU, epochEnd).hint, 'none');
		assert.equal(t.isThrashing(KEY, epochEnd), true, 'until the epoch has passed the page still counts as thrashing');
		assert.equal(t.uvm_perf_thrashing_get_hint(KEY, GPU, epochEnd + 1).hint, 'none');
		assert.equal(t.isThrashing(KEY, epochEnd + 1), false);
		assert.deepEqual(t.describe(KEY, epochEnd + 1), { events: 0, throttles: 0 });
	});

	it('uvm_perf_thrashing_reset: a user migration clears the history', () => {
		const t = new ThrashingTracker(THRASHING_DEFAULTS);
		pingPong(t, [0, 100, 200, 300]);
		t.uvm_perf_thrashing_reset(KEY);
		assert.equal(t.isThrashing(KEY, us(300)), false);
	});
});
