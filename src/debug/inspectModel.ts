// The device model's state in the Variables view (a policy=migrate device): the fault buffer, the
// last fault batch with each VA block's decision (residency chosen, prefetch regions with the
// tree's counts, thrashing hint, cost by term), the eviction order of root chunks, the pages
// thrashing or pinned, the advice in effect, and migrations by cause. Read from the engine view's
// DeviceRecord, never from the engine itself.
import type { AdviceRunRecord, BlockDecisionRecord, DeviceModelRecord, DeviceRecord, FaultBatchRecord } from '../engine/view';
import { hex, PAGE, time } from './describe';
import type { V, VariableStore } from './variables';

export function deviceModel(vs: VariableStore, d: DeviceRecord): V[] {
	const out: V[] = [];
	const causes = Object.entries(d.byCause).filter(([, c]) => c.in > 0 || c.out > 0);
	out.push(vs.container('migrations by cause', causes.length ? causes.map(([c, n]) => `${c} ${n.in}/${n.out}`).join(', ') : 'none', {
		named: () => causes.map(([c, n]) => vs.leaf(c, `${n.in} in, ${n.out} out`)),
	}));
	const m = d.model;
	if (!m) { return out; }
	out.push(vs.container('device model', `${m.policy}, prefetch ${m.prefetch}, evict ${m.evict}, ${m.batches} batches`, { named: () => model(vs, d.name, m) }));
	return out;
}

function model(vs: VariableStore, dev: string, m: DeviceModelRecord): V[] {
	const fb = m.faultBuffer;
	const kids: V[] = [
		vs.leaf('fault_batch', m.faultBatch), vs.leaf('warps (sms x warps)', m.warps), vs.leaf('fault batches', m.batches, { evaluateName: `${dev}.fault_batches` }),
		vs.container('fault buffer', `${fb.count} pending, ${fb.written} written, peak ${fb.peak}`, {
			named: () => [vs.leaf('pending', fb.count), vs.leaf('written', fb.written), vs.leaf('flushed', fb.flushed), vs.leaf('peak', fb.peak)],
			indexed: { count: fb.pending.length, get: (s, c) => fb.pending.slice(s, s + c).map((e, i) => vs.leaf(`[${s + i}]`, `${e.access} ${hex(e.address)} by warp ${e.warp}`)) },
		}),
		vs.container('root chunks', `${m.rootChunks.used} used of ${m.rootChunks.total}, ${m.rootChunks.free} free`, {
			named: () => [vs.leaf('total', m.rootChunks.total), vs.leaf('used', m.rootChunks.used), vs.leaf('free', m.rootChunks.free)],
		}),
		vs.container('eviction order', m.evictionOrder.length ? `next victim ${hex(m.evictionOrder[0].start)} of ${m.evictionOrder[0].process}` : 'empty', {
			indexed: {
				count: m.evictionOrder.length,
				get: (s, c) => m.evictionOrder.slice(s, s + c).map((r, i) => vs.leaf(`[${s + i}]`,
					`${r.process} ${hex(r.start)}-${hex(r.end)}: ${r.resident} pages resident, allocated #${r.allocSeq}, used at ${r.lastUse}`)),
			},
		}),
	];
	if (m.lastBatch) { kids.push(batch(vs, m.lastBatch)); }
	kids.push(vs.container('thrashing pages', m.thrashing.count ? `${m.thrashing.count} (${m.thrashing.pages.filter(p => p.pinnedTo).length} pinned)` : 'none', {
		indexed: {
			count: m.thrashing.pages.length,
			get: (s, c) => m.thrashing.pages.slice(s, s + c).map((p, i) => vs.leaf(`[${s + i}]`,
				`${p.process} ${hex(p.address)}: ${p.events} events, ${p.throttles} throttles${p.pinnedTo ? `, pinned to ${p.pinnedTo} until ${time(p.pinnedUntil ?? 0)}` : ''}`)),
		},
	}));
	kids.push(vs.container('advice', m.advice.length ? `${m.advice.length} range${m.advice.length === 1 ? '' : 's'}` : 'none', {
		indexed: {
			count: m.advice.length,
			get: (s, c) => m.advice.slice(s, s + c).map((a, i) => vs.leaf(`[${s + i}]`, `${a.process} ${hex(a.start)}-${hex(a.end)}: ${adviceText(a)}`)),
		},
	}));
	return kids;
}

function adviceText(a: AdviceRunRecord): string {
	const parts: string[] = [];
	if (a.preferred !== undefined) { parts.push(`preferred=${a.preferred}`); }
	for (const d of a.accessedBy) { parts.push(`accessed_by=${d}`); }
	if (a.readMostly) { parts.push('read_mostly=on'); }
	return parts.join(' ');
}

function batch(vs: VariableStore, b: FaultBatchRecord): V {
	return vs.container('last batch', `#${b.seq}: ${b.entries} entries, ${b.pages} pages, ${b.blocks.length} VA block${b.blocks.length === 1 ? '' : 's'}, ${time(b.timeNs)}`, {
		named: () => [
			vs.leaf('entries', b.entries), vs.leaf('pages (coalesced)', b.pages), vs.leaf('service time', time(b.timeNs)),
			vs.container('faults', `${b.faults.length} pages`, {
				indexed: { count: b.faults.length, get: (s, c) => b.faults.slice(s, s + c).map((f, i) => vs.leaf(`[${s + i}]`, `${f.access} ${hex(f.address)} (${f.entries} entries)`)) },
			}),
			vs.container('VA blocks', `${b.blocks.length}`, { indexed: { count: b.blocks.length, get: (s, c) => b.blocks.slice(s, s + c).map(bl => block(vs, bl)) } }),
			vs.container('cost by term', Object.entries(b.cost).filter(([, ns]) => ns > 0).map(([t, ns]) => `${t} ${time(ns)}`).join(', ') || 'none', {
				named: () => Object.entries(b.cost).map(([t, ns]) => vs.leaf(t, time(ns))),
			}),
		],
	});
}

function block(vs: VariableStore, b: BlockDecisionRecord): V {
	return vs.container(`${b.process} ${hex(b.start)}`, `${b.faulted} faulted → ${b.residency}: ${b.migrated} migrated, ${b.prefetched} prefetched, ${b.remote} remote`, {
		named: () => [
			vs.leaf('block', `${hex(b.start)}-${hex(b.end)} (${(b.end - b.start) / PAGE} pages)`), vs.leaf('faulted pages', b.faulted),
			vs.leaf('residency chosen', b.residency), vs.leaf('migrated', b.migrated), vs.leaf('prefetched', b.prefetched),
			vs.leaf('mapped (already resident)', b.mapped), vs.leaf('remote', b.remote), vs.leaf('throttled', b.throttled), vs.leaf('thrashing hint', b.thrashing),
			vs.container('prefetch regions', `${b.prefetch.length}`, {
				indexed: {
					count: b.prefetch.length,
					get: (s, c) => b.prefetch.slice(s, s + c).map((r, i) => vs.leaf(`[${s + i}]`, `pages ${r.first}-${r.last} of the block: ${r.occupied}/${r.size} resident or faulting`)),
				},
			}),
		],
	});
}
