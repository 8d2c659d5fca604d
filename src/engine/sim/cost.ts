// The cost model moved to device/cost.ts (cost model v2); this keeps the old import path working.
export { CostModel, LINK_PEAK, type LinkKind, linkBandwidth, transferNs } from '../device/cost';
