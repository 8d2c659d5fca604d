// The cost model behind `time`. Every figure is a default that a script can override on its
// device line (fault_latency=, link_bw=, local_bw=); docs/cost-model.md cites where each comes from.

export type LinkKind = 'pcie3' | 'pcie4' | 'pcie5' | 'c2c';

/** peak bytes/s per direction (x16 links; NVLink-C2C per direction) */
export const LINK_PEAK: Record<LinkKind, number> = {
	pcie3: 15.75e9, pcie4: 31.5e9, pcie5: 63e9, c2c: 450e9,
};

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
 * scaled so its asymptote is the link's peak. */
export function linkBandwidth(peak: number, bytes: number): number {
	const kib = bytes / 1024;
	return peak * 0.76 * (2 / Math.PI) * Math.atan(0.07292 * kib);
}

export function transferNs(peak: number, bytes: number): number {
	if (bytes <= 0) { return 0; }
	return bytes / linkBandwidth(peak, bytes) * 1e9;
}
