// Thrashing detection and mitigation of NVIDIA UVM (kernel-open/nvidia-uvm/uvm_perf_thrashing.c),
// per page: migrations of a page that follow each other within `lapse` count as thrashing events;
// at `threshold` of them the page is thrashing, and faults on it get a hint: THROTTLE (the faulting
// processor naps while another keeps the page) or, after `pinThreshold` throttles, PIN (the page
// stays in one place and the others map it remotely) until the pin expires. State lives in typed
// arrays indexed through a sparse map, so a tracker over terabytes costs only the pages that moved.
import type { ThrashingConfig, ThrashingHint } from './types';

const LAPSE_NS = 500_000;

/** The driver's module-parameter defaults: uvm_perf_thrashing_threshold 3, _lapse_usec 500,
 * _pin_threshold 10, _nap 1, _pin 300 and _epoch 2000 (the last three in units of the lapse). */
export const THRASHING_DEFAULTS: ThrashingConfig = {
	threshold: 3,
	lapseNs: LAPSE_NS,
	pinThreshold: 10,
	napNs: 1 * LAPSE_NS,
	pinNs: 300 * LAPSE_NS,
	epochNs: 2000 * LAPSE_NS,
};

/** uvm_perf_thrashing_max_resets: epoch resets granted to one page's history */
export const UVM_PERF_THRASHING_MAX_RESETS = 4;

/** the CPU (system memory); devices are 0, 1, ... */
const CPU = -1;
const NO_PROC = -2;
const NONE = -1;
const SAT = 255;
/** num_thrashing_events is a 3-bit field (PAGE_THRASHING_NUM_EVENTS_BITS): it saturates at 7 */
const EVENTS_MAX = 7;

/** processor masks: bit p + 1 for processor p (the CPU is bit 0) */
const bit = (p: number) => 1 << (p + 1);

/** Under HMM on a PCIe system every processor can map system memory and its own memory, and no
 * processor maps another's device-private memory (the accessible_from matrix of uvm_va_space). */
function canAccess(from: number, to: number): boolean { return to === CPU || from === to; }

function allCanAccess(mask: number, to: number): boolean {
	for (let p = CPU; p < 31; p++) {
		if ((mask & bit(p)) && !canAccess(p, to)) { return false; }
	}
	return true;
}

export interface ThrashingHintResult { hint: ThrashingHint; napNs: number; pinTo?: number }

export class ThrashingTracker {
	private readonly slots = new Map<number, number>();
	private cap = 0;
	private used = 0;
	/** page_thrashing_info_t, one field per array */
	private last = new Float64Array(0);
	private events = new Uint8Array(0);
	private throttles = new Uint8Array(0);
	private throttleEnd = new Float64Array(0);
	private throttledMask = new Int32Array(0);
	private processors = new Int32Array(0);
	private doNotThrottle = new Int8Array(0);
	private pinned = new Uint8Array(0);
	private pinTo = new Int8Array(0);
	private pinUntil = new Float64Array(0);
	/** block_thrashing_info_t's last_thrashing_time_stamp and thrashing_reset_count, kept per page */
	private lastThrash = new Float64Array(0);
	private resets = new Uint8Array(0);
	private nThrottled = 0;
	private nPins = 0;

	constructor(readonly cfg: ThrashingConfig) { }

	/** THROTTLE hints given (num_throttle of the driver's thrashing_stats) */
	get throttled(): number { return this.nThrottled; }
	/** pages pinned (each transition into the pinned state) */
	get pins(): number { return this.nPins; }

	private slot(key: number, create: boolean): number {
		const s = this.slots.get(key);
		if (s !== undefined || !create) { return s ?? NONE; }
		if (this.used === this.cap) { this.grow(Math.max(64, this.cap * 2)); }
		const i = this.used++;
		this.slots.set(key, i);
		this.clear(i);
		this.resets[i] = 0;
		this.throttles[i] = 0;
		this.doNotThrottle[i] = NO_PROC;
		return i;
	}

	private grow(cap: number): void {
		const f64 = (a: Float64Array) => { const b = new Float64Array(cap); b.set(a); return b; };
		const i32 = (a: Int32Array) => { const b = new Int32Array(cap); b.set(a); return b; };
		const u8 = (a: Uint8Array) => { const b = new Uint8Array(cap); b.set(a); return b; };
		const i8 = (a: Int8Array) => { const b = new Int8Array(cap); b.set(a); return b; };
		this.last = f64(this.last); this.throttleEnd = f64(this.throttleEnd); this.pinUntil = f64(this.pinUntil); this.lastThrash = f64(this.lastThrash);
		this.throttledMask = i32(this.throttledMask); this.processors = i32(this.processors);
		this.events = u8(this.events); this.throttles = u8(this.throttles); this.pinned = u8(this.pinned); this.resets = u8(this.resets);
		this.doNotThrottle = i8(this.doNotThrottle); this.pinTo = i8(this.pinTo);
		this.cap = cap;
	}

	/** thrashing_reset_page: the history goes, the throttle count and the next processor spared do
	 * not (the driver zeroes neither there). */
	private clear(i: number): void {
		this.last[i] = -1;
		this.events[i] = 0;
		this.processors[i] = 0;
		this.throttledMask[i] = 0;
		this.throttleEnd[i] = -1;
		this.pinned[i] = 0;
		this.pinTo[i] = NO_PROC;
		this.pinUntil[i] = 0;
		this.lastThrash[i] = -1;
	}

	/** thrashing_unpin_pages: the delayed worker unpins a page at its deadline and resets it. */
	private expirePin(i: number, now: number): void {
		if (this.pinned[i] && this.pinUntil[i] <= now) { this.clear(i); }
	}

	/** thrashing_event_cb: a migration or revocation of the page towards `to`. A gap longer than the
	 * lapse resets a page that was thrashing; below the threshold the count just waits. */
	uvm_perf_thrashing_event(key: number, to: number, now: number): void {
		const i = this.slot(key, true);
		this.expirePin(i, now);
		const last = this.last[i];
		this.processors[i] |= bit(to);
		this.last[i] = now;
		if (last < 0) { return; }
		const threshold = this.cfg.threshold;
		if (now - last <= this.cfg.lapseNs) {
			if (this.events[i] < Math.max(EVENTS_MAX, threshold)) { this.events[i]++; }
			if (this.events[i] >= threshold) { this.lastThrash[i] = now; }
		} else if (this.events[i] >= threshold && !this.pinned[i]) {
			this.clear(i);
		}
	}

	/** thrashing_reset_page on user request (thrashing_reset_pages_in_region): an explicit
	 * migration or advice takes precedence over the heuristic. */
	uvm_perf_thrashing_reset(key: number): void {
		const i = this.slot(key, false);
		if (i !== NONE) { this.clear(i); }
	}

	/** uvm_perf_thrashing_get_hint: what a fault of `processor` on the page should do. `preferred`
	 * is the page's preferred location (-1 = system memory), if any. */
	uvm_perf_thrashing_get_hint(key: number, processor: number, now: number, preferred?: number): ThrashingHintResult {
		const none: ThrashingHintResult = { hint: 'none', napNs: 0 };
		const i = this.slot(key, false);
		if (i === NONE) { return none; }
		this.expirePin(i, now);
		if (this.lastThrash[i] >= 0 && now - this.lastThrash[i] > this.cfg.epochNs && !this.pinned[i]
			&& this.resets[i] < UVM_PERF_THRASHING_MAX_RESETS) {
			// the epoch passed without thrashing: the history starts over
			this.resets[i]++;
			this.clear(i);
			this.throttles[i] = 0;
			this.doNotThrottle[i] = NO_PROC;
			return none;
		}
		if (this.events[i] < this.cfg.threshold) { return none; }
		if (this.throttledMask[i] & bit(processor)) {
			if (now < this.throttleEnd[i] && processor !== this.doNotThrottle[i]) { return this.throttle(i, processor, now); }
			// thrashing_throttle_end_processor
			this.throttledMask[i] &= ~bit(processor);
			if (this.throttledMask[i] === 0) { this.throttleEnd[i] = -1; }
		}
		if (now - this.last[i] > this.cfg.lapseNs && !this.pinned[i]) { return none; }
		this.processors[i] |= bit(processor);
		this.throttle_update(i, processor, now);
		const r = this.hint_for_migration_thrashing(i, processor, preferred);
		if (r.hint === 'pin') {
			this.pin(i, r.pinTo!, now);
			return r;
		}
		if (r.hint === 'throttle') { return this.throttle(i, processor, now); }
		return none;
	}

	/** thrashing_throttle_update: a new throttling period starts once the last one ended; the
	 * processor that opens it is spared, but not twice in a row. */
	private throttle_update(i: number, processor: number, now: number): void {
		if (now > this.throttleEnd[i]) {
			this.throttleEnd[i] = now + this.cfg.napNs;
			this.doNotThrottle[i] = this.doNotThrottle[i] === processor ? NO_PROC : processor;
		} else if (this.doNotThrottle[i] === NO_PROC) {
			this.doNotThrottle[i] = processor;
		}
	}

	/** get_hint_for_migration_thrashing on an HMM system: the only location every processor can
	 * map is system memory, so a pin that is not the preferred location (or the faulting processor,
	 * when all thrashing processors can reach it) goes there. */
	private hint_for_migration_thrashing(i: number, processor: number, preferred: number | undefined): ThrashingHintResult {
		const throttle: ThrashingHintResult = { hint: 'throttle', napNs: 0 };
		const pin = (to: number): ThrashingHintResult => ({ hint: 'pin', napNs: 0, pinTo: to });
		const spared = this.doNotThrottle[i];
		const mask = this.processors[i];
		if (preferred !== undefined && allCanAccess(mask, preferred)) { return pin(preferred); }
		if (processor === preferred) {
			if (this.pinned[i]) { return this.pinTo[i] === preferred || spared === preferred ? pin(preferred) : throttle; }
			if (spared !== preferred) { return throttle; }
			return this.throttles[i] >= this.cfg.pinThreshold ? pin(preferred) : { hint: 'none', napNs: 0 };
		}
		if (this.pinned[i]) {
			if (processor === spared) { return pin(allCanAccess(mask, processor) ? processor : CPU); }
			return canAccess(processor, this.pinTo[i]) ? pin(this.pinTo[i]) : throttle;
		}
		if (processor !== spared) { return throttle; }
		if (this.throttles[i] >= this.cfg.pinThreshold) { return pin(allCanAccess(mask, processor) ? processor : CPU); }
		return { hint: 'none', napNs: 0 };
	}

	/** thrashing_throttle_processor: the first throttle of a processor in a period counts towards
	 * the pin threshold. */
	private throttle(i: number, processor: number, now: number): ThrashingHintResult {
		if (!(this.throttledMask[i] & bit(processor))) {
			this.throttledMask[i] |= bit(processor);
			if (!this.pinned[i] && this.throttles[i] < SAT) { this.throttles[i]++; }
		}
		this.nThrottled++;
		return { hint: 'throttle', napNs: Math.max(0, this.throttleEnd[i] - now) };
	}

	/** thrashing_pin_page: a first pin clears the throttles and starts the pin timer. */
	private pin(i: number, to: number, now: number): void {
		if (!this.pinned[i]) {
			this.throttledMask[i] = 0;
			this.throttleEnd[i] = -1;
			this.throttles[i] = 0;
			this.pinned[i] = 1;
			this.pinUntil[i] = this.cfg.pinNs > 0 ? now + this.cfg.pinNs : Infinity;
			this.nPins++;
		}
		this.pinTo[i] = to;
	}

	/** uvm_perf_thrashing_get_thrashing_pages, for one page */
	isThrashing(key: number, now: number): boolean {
		const i = this.slot(key, false);
		if (i === NONE) { return false; }
		this.expirePin(i, now);
		return this.events[i] >= this.cfg.threshold;
	}

	pinnedTo(key: number, now: number): number | undefined {
		const i = this.slot(key, false);
		if (i === NONE) { return undefined; }
		this.expirePin(i, now);
		return this.pinned[i] ? this.pinTo[i] : undefined;
	}

	/** Pages that are thrashing or pinned at `now`, for the debugger (procfs thrashing_stats, per
	 * page): at most `limit` of them, in key order, and how many there are. Reads only. */
	thrashingPages(now: number, limit: number): { count: number; pages: { key: number; events: number; throttles: number; pinTo?: number; pinnedUntil?: number }[] } {
		const keys: number[] = [];
		for (const [key, i] of this.slots) {
			if (this.pinnedAt(i, now) || (this.events[i] >= this.cfg.threshold && now - this.last[i] <= this.cfg.lapseNs)) { keys.push(key); }
		}
		keys.sort((a, b) => a - b);
		const pages = keys.slice(0, limit).map(key => {
			const i = this.slots.get(key)!;
			const p: { key: number; events: number; throttles: number; pinTo?: number; pinnedUntil?: number } = { key, events: this.events[i], throttles: this.throttles[i] };
			if (this.pinnedAt(i, now)) { p.pinTo = this.pinTo[i]; p.pinnedUntil = this.pinUntil[i]; }
			return p;
		});
		return { count: keys.length, pages };
	}

	/** slot i holds a pin that has not expired by `now` (without expiring it: a read) */
	private pinnedAt(i: number, now: number): boolean { return this.pinned[i] === 1 && this.pinUntil[i] > now; }

	/** The page's state for the debugger, or undefined if it never moved. */
	describe(key: number, now: number): { events: number; throttles: number; pinnedUntil?: number } | undefined {
		const i = this.slot(key, false);
		if (i === NONE) { return undefined; }
		this.expirePin(i, now);
		const d: { events: number; throttles: number; pinnedUntil?: number } = { events: this.events[i], throttles: this.throttles[i] };
		if (this.pinned[i]) { d.pinnedUntil = this.pinUntil[i]; }
		return d;
	}
}
