// The cost model behind `time` (v2). Host-side figures live in CostModel (one per kernel); every
// device-side term lives in DeviceCosts (one per device, each overridable on the `device` line by
// the option name COST_OPTIONS gives it). docs/cost-model.md cites where every default comes from
// and shows the measured first-touch batch (uvm-eval, 736 us) that the defaults reproduce.

export type LinkKind = 'pcie3' | 'pcie4' | 'pcie5' | 'c2c';

/** peak bytes/s per direction (x16 links; NVLink-C2C per direction) */
export const LINK_PEAK: Record<LinkKind, number> = {
	pcie3: 15.75e9, pcie4: 31.5e9, pcie5: 63e9, c2c: 450e9,
};

/** The share of a link's peak that the fitted transfer curve tends to (UVMSmart: a = 12 GB/s of 16). */
export const LINK_EFFICIENCY = 0.76;

export class CostModel {
	/** a CPU minor fault: trap, walk, PTE install (typical few-hundred-ns class figure) */
	cpuFaultNs = 500;
	/** host memory bandwidth for zeroing and copying pages, bytes/s */
	hostBw = 10e9;
	/** a notifier callback that shoots down device TLB entries */
	invalidateNs = 2_000;

	/** Time to zero or copy `bytes` in host memory. */
	hostCopyNs(bytes: number): number { return bytes / this.hostBw * 1e9; }
}

/** Effective link bandwidth for one transfer of `bytes`: small transfers do not reach the peak.
 * The saturating arctan curve is the one fitted to measured host-to-device copies (UVMSmart),
 * scaled so its asymptote is LINK_EFFICIENCY of the link's peak. */
export function linkBandwidth(peak: number, bytes: number): number {
	const kib = bytes / 1024;
	return peak * LINK_EFFICIENCY * (2 / Math.PI) * Math.atan(0.07292 * kib);
}

/** The bandwidth part of one transfer (no fixed latency): what dmirror's copies are charged. */
export function transferNs(peak: number, bytes: number): number {
	if (bytes <= 0) { return 0; }
	return bytes / linkBandwidth(peak, bytes) * 1e9;
}

/** Device-side cost terms, in ns (per the unit each names) and bytes/s. */
export interface DeviceCosts {
	/** per fault-buffer entry fetched (32 B entry read, sorted, coalesced) */
	faultEntryNs: number;
	/** per VA block serviced: block lock, residency choice, hmm_range_fault / migrate_vma bookkeeping */
	blockServiceNs: number;
	/** fixed part of zero-filling a newly allocated root chunk (one CE memset, waited for) */
	zeroFillNs: number;
	/** per copy operation of a VA block (block GPU state, DMA mapping of the CPU pages) */
	dmaSetupNs: number;
	/** fixed latency of one transfer on the link (CE push and completion) */
	transferLatencyNs: number;
	/** device page table updates: per 4 KiB PTE written, and per PMD (page-table page and TLB membar) */
	mapPageNs: number;
	mapPmdNs: number;
	unmapPageNs: number;
	unmapPmdNs: number;
	/** a notifier callback that shoots down the device's TLB entries */
	invalidateNs: number;
	/** kernel launch latency */
	launchNs: number;
	/** bandwidth of device accesses over the link to pages mapped remotely, bytes/s (0: link asymptote) */
	remoteBw: number;
	/** CPU access to a page of coherent device memory, bytes/s (0: link asymptote) */
	cpuCoherentBw: number;
	/** device accesses to another GPU's memory through peer mappings, bytes/s (0: PCIe peer-to-peer,
	 * the asymptote of the slower of the two devices' links) */
	peerBw: number;
}

/** Defaults; docs/cost-model.md gives the source of each next to our figure. */
export const DEFAULT_DEVICE_COSTS: Readonly<DeviceCosts> = {
	faultEntryNs: 500,
	blockServiceNs: 197_000,
	zeroFillNs: 314_000,
	dmaSetupNs: 112_000,
	transferLatencyNs: 13_757,
	mapPageNs: 250,
	mapPmdNs: 34_250,
	unmapPageNs: 250,
	unmapPmdNs: 34_250,
	invalidateNs: 2_000,
	launchNs: 5_000,
	remoteBw: 0,
	cpuCoherentBw: 0,
	peerBw: 0,
};

/** `device` option name -> DeviceCosts key and unit (DM-lang adds these to the vocabulary). */
export const COST_OPTIONS: Readonly<Record<string, { key: keyof DeviceCosts; unit: 'duration' | 'bandwidth' }>> = {
	fault_entry: { key: 'faultEntryNs', unit: 'duration' },
	block_service: { key: 'blockServiceNs', unit: 'duration' },
	zero_fill: { key: 'zeroFillNs', unit: 'duration' },
	dma_setup: { key: 'dmaSetupNs', unit: 'duration' },
	transfer_latency: { key: 'transferLatencyNs', unit: 'duration' },
	map_page: { key: 'mapPageNs', unit: 'duration' },
	map_pmd: { key: 'mapPmdNs', unit: 'duration' },
	unmap_page: { key: 'unmapPageNs', unit: 'duration' },
	unmap_pmd: { key: 'unmapPmdNs', unit: 'duration' },
	invalidate: { key: 'invalidateNs', unit: 'duration' },
	launch: { key: 'launchNs', unit: 'duration' },
	remote_bw: { key: 'remoteBw', unit: 'bandwidth' },
	cpu_coherent_bw: { key: 'cpuCoherentBw', unit: 'bandwidth' },
	peer_bw: { key: 'peerBw', unit: 'bandwidth' },
};

/** `device` option name -> ThrashingConfig key (uvm_perf_thrashing_* module parameters), all durations
 * but the two counts. */
export const THRASHING_OPTIONS: Readonly<Record<string, { key: 'threshold' | 'lapseNs' | 'pinThreshold' | 'napNs' | 'pinNs' | 'epochNs'; unit: 'duration' | 'count' }>> = {
	thrashing_threshold: { key: 'threshold', unit: 'count' },
	thrashing_lapse: { key: 'lapseNs', unit: 'duration' },
	thrashing_pin_threshold: { key: 'pinThreshold', unit: 'count' },
	thrashing_nap: { key: 'napNs', unit: 'duration' },
	thrashing_pin: { key: 'pinNs', unit: 'duration' },
	thrashing_epoch: { key: 'epochNs', unit: 'duration' },
};

/** What one fault batch (or one prefetch/migrate/eviction) cost, term by term, ns. */
export interface CostBreakdown {
	service: number;
	zeroFill: number;
	dmaSetup: number;
	map: number;
	unmap: number;
	transfer: number;
	invalidate: number;
}

export function emptyBreakdown(): CostBreakdown {
	return { service: 0, zeroFill: 0, dmaSetup: 0, map: 0, unmap: 0, transfer: 0, invalidate: 0 };
}

export function totalNs(b: CostBreakdown): number {
	return b.service + b.zeroFill + b.dmaSetup + b.map + b.unmap + b.transfer + b.invalidate;
}

/** The per-device view of the model: link, local bandwidth and the terms above. */
export class DeviceCostModel {
	readonly c: DeviceCosts;
	readonly linkBw: number;
	readonly localBw: number;
	/** fixed part of servicing one fault batch (fetch, preprocess, replay): `fault_latency` */
	readonly batchNs: number;

	constructor(cfg: { costs?: Partial<DeviceCosts>; faultLatencyNs: number; linkBw: number; localBw: number }) {
		this.c = { ...DEFAULT_DEVICE_COSTS, ...cfg.costs };
		this.linkBw = cfg.linkBw;
		this.localBw = cfg.localBw;
		this.batchNs = cfg.faultLatencyNs;
	}

	/** One transfer of `bytes` (a contiguous run, or a huge page): latency plus the curve. */
	transfer(bytes: number): number {
		return bytes > 0 ? this.c.transferLatencyNs + transferNs(this.linkBw, bytes) : 0;
	}

	/** Zero-filling one root chunk of `bytes` on the device: one memset at device bandwidth. */
	zeroFill(bytes: number): number { return this.c.zeroFillNs + bytes / this.localBw * 1e9; }

	/** Mapping `pages` PTEs over `pmds` page-table pages. */
	map(pages: number, pmds: number): number { return pages * this.c.mapPageNs + pmds * this.c.mapPmdNs; }
	unmap(pages: number, pmds: number): number { return pages * this.c.unmapPageNs + pmds * this.c.unmapPmdNs; }

	/** Kernel accesses: device memory at local_bw, remote mappings over the link. */
	local(bytes: number): number { return bytes / this.localBw * 1e9; }
	remote(bytes: number): number {
		const bw = this.c.remoteBw > 0 ? this.c.remoteBw : this.linkBw * LINK_EFFICIENCY;
		return bytes / bw * 1e9;
	}

	/** This device's accesses to `owner`'s memory through peer mappings: at the lower of the two
	 * devices' `peer_bw`, or, when neither sets one, PCIe peer-to-peer through the slower link. */
	peer(bytes: number, owner: DeviceCostModel): number {
		const set = [this.c.peerBw, owner.c.peerBw].filter(b => b > 0);
		const bw = set.length > 0 ? Math.min(...set) : Math.min(this.linkBw, owner.linkBw) * LINK_EFFICIENCY;
		return bytes / bw * 1e9;
	}

	/** The CPU reading or writing coherent device memory in place. */
	cpuCoherent(bytes: number): number {
		const bw = this.c.cpuCoherentBw > 0 ? this.c.cpuCoherentBw : this.linkBw * LINK_EFFICIENCY;
		return bytes / bw * 1e9;
	}

	/** Servicing a batch of `entries` fault entries, with its VA blocks charged separately. */
	batch(entries: number): number { return this.batchNs + entries * this.c.faultEntryNs; }
}
