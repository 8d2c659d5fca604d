// The replayable fault buffer (uvm_gpu_replayable_faults.c): warps that miss the device page table
// write an entry each (duplicates included: 32 warps share a 4 KiB page) and stall. The driver
// fetches up to fault_batch entries (fetch_fault_buffer_entries), sorts them by address and access
// type and coalesces them per page (preprocess_fault_batch), services them, and replays.

export const enum ACCESS { READ = 1, WRITE = 2, ATOMIC = 3 }

/** One fetched and preprocessed batch: `entries` raw entries, `npages` distinct pages in address
 * order with the strongest access asked for each, and the warps that waited on them. */
export interface FaultBatch {
	entries: number;
	npages: number;
	vpn: Float64Array;
	access: Uint8Array;
	/** entries per coalesced page (duplicates included) */
	dup: Int32Array;
}

export class FaultBuffer {
	/** pending entries in arrival order (a ring) */
	private vpn: Float64Array;
	private access: Uint8Array;
	private warp: Int32Array;
	private head = 0;
	count = 0;
	/** entries written since the device came up, and the most ever pending */
	total = 0;
	peak = 0;
	/** entries dropped by flushes (their warps fault again if their page is still missing) */
	flushed = 0;

	constructor(readonly capacity: number) {
		this.vpn = new Float64Array(capacity);
		this.access = new Uint8Array(capacity);
		this.warp = new Int32Array(capacity);
	}

	/** Grows the ring (a kernel with more warps than entries ever seen). */
	reserve(n: number): void {
		if (n <= this.capacity) { return; }
		const cap = n;
		const v = new Float64Array(cap), a = new Uint8Array(cap), w = new Int32Array(cap);
		for (let i = 0; i < this.count; i++) {
			const j = (this.head + i) % this.capacity;
			v[i] = this.vpn[j]; a[i] = this.access[j]; w[i] = this.warp[j];
		}
		this.vpn = v; this.access = a; this.warp = w; this.head = 0;
		(this as { capacity: number }).capacity = cap;
	}

	push(vpn: number, access: ACCESS, warp: number): void {
		if (this.count === this.capacity) { this.reserve(this.capacity * 2); }
		const j = (this.head + this.count) % this.capacity;
		this.vpn[j] = vpn;
		this.access[j] = access;
		this.warp[j] = warp;
		this.count++;
		this.total++;
		if (this.count > this.peak) { this.peak = this.count; }
	}

	/** The pending entries (oldest first), for the debugger: at most `limit`. */
	pending(limit: number): { vpn: number; access: number; warp: number }[] {
		const out: { vpn: number; access: number; warp: number }[] = [];
		for (let i = 0; i < Math.min(limit, this.count); i++) {
			const j = (this.head + i) % this.capacity;
			out.push({ vpn: this.vpn[j], access: this.access[j], warp: this.warp[j] });
		}
		return out;
	}

	/** Drops what is pending (the flush of the BATCH_FLUSH replay policy); returns how many. */
	flush(): number {
		const n = this.count;
		this.head = (this.head + n) % this.capacity;
		this.count = 0;
		this.flushed += n;
		return n;
	}

	/** fetch_fault_buffer_entries + preprocess_fault_batch: up to `max` entries, coalesced per page. */
	fetch(max: number): FaultBatch {
		const n = Math.min(max, this.count);
		// sort key: page, then access type (reads before writes of the same page)
		const keys = new Float64Array(n);
		let sorted = true;
		for (let i = 0; i < n; i++) {
			const j = (this.head + i) % this.capacity;
			keys[i] = this.vpn[j] * 4 + this.access[j];
			if (i > 0 && keys[i] < keys[i - 1]) { sorted = false; }
		}
		this.head = (this.head + n) % this.capacity;
		this.count -= n;
		if (!sorted) { keys.sort(); }
		const vpn = new Float64Array(n), access = new Uint8Array(n), dup = new Int32Array(n);
		let npages = 0;
		for (let i = 0; i < n; i++) {
			const v = Math.floor(keys[i] / 4);
			const a = keys[i] - v * 4;
			if (npages > 0 && vpn[npages - 1] === v) {
				// coalesced: the page keeps the strongest access any entry asked for
				if (a > access[npages - 1]) { access[npages - 1] = a; }
				dup[npages - 1]++;
				continue;
			}
			vpn[npages] = v;
			access[npages] = a;
			dup[npages] = 1;
			npages++;
		}
		return { entries: n, npages, vpn: vpn.subarray(0, npages), access: access.subarray(0, npages), dup: dup.subarray(0, npages) };
	}
}
