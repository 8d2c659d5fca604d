// A structure check for Chrome trace-event JSON as hmmw writes it: every record well-formed for its
// phase, spans (X) properly nested on each thread, counters in time order on each counter track,
// every flow matched (one start, one end, end not before start) and bound to a span on its thread,
// and every thread and process used named by a metadata record. Returns the problems found.

interface Ev {
	name?: unknown; cat?: unknown; ph?: unknown; ts?: unknown; dur?: unknown; pid?: unknown; tid?: unknown;
	s?: unknown; id?: unknown; bp?: unknown; args?: unknown;
}

const PHASES = new Set(['X', 'i', 'M', 'C', 's', 'f']);
const METADATA = new Set(['process_name', 'process_sort_index', 'thread_name', 'thread_sort_index']);
/** simulated microseconds are printed with ns precision: allow for rounding in ts + dur */
const EPS = 1e-6;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isInt = (v: unknown): v is number => Number.isInteger(v);

export function validateTrace(doc: unknown): string[] {
	const bad: string[] = [];
	if (typeof doc !== 'object' || doc === null || !Array.isArray((doc as { traceEvents?: unknown }).traceEvents)) { return ['no traceEvents array']; }
	const events = (doc as { traceEvents: Ev[] }).traceEvents;
	const spans = new Map<string, { ts: number; end: number; i: number }[]>();
	const counterTs = new Map<string, number>();
	const flows = new Map<number, { s?: Ev; f?: Ev }>();
	const namedPid = new Set<number>(), namedTid = new Set<string>(), usedPid = new Set<number>(), usedTid = new Set<string>();
	events.forEach((e, i) => {
		const where = `event ${i} (${String(e?.name)})`;
		if (typeof e !== 'object' || e === null) { bad.push(`${where}: not an object`); return; }
		if (typeof e.name !== 'string' || e.name === '') { bad.push(`${where}: no name`); }
		if (typeof e.cat !== 'string') { bad.push(`${where}: no cat`); }
		if (typeof e.ph !== 'string' || !PHASES.has(e.ph)) { bad.push(`${where}: phase ${String(e.ph)}`); return; }
		if (!isNum(e.ts) || e.ts < 0) { bad.push(`${where}: ts ${String(e.ts)}`); return; }
		if (!isInt(e.pid)) { bad.push(`${where}: pid ${String(e.pid)}`); return; }
		if (e.args !== undefined && (typeof e.args !== 'object' || e.args === null || Array.isArray(e.args))) { bad.push(`${where}: args not an object`); }
		const thread = `${e.pid}:${String(e.tid)}`;
		const needsTid = e.ph === 'X' || e.ph === 'i' || e.ph === 's' || e.ph === 'f';
		if (needsTid) {
			if (!isInt(e.tid)) { bad.push(`${where}: tid ${String(e.tid)}`); return; }
			usedTid.add(thread);
		}
		usedPid.add(e.pid);
		switch (e.ph) {
			case 'M': {
				if (!METADATA.has(e.name as string)) { bad.push(`${where}: unknown metadata`); }
				const a = e.args as Record<string, unknown> | undefined;
				if (String(e.name).endsWith('_name') && typeof a?.name !== 'string') { bad.push(`${where}: metadata without a name`); }
				if (e.name === 'process_name') { namedPid.add(e.pid); }
				if (e.name === 'thread_name') { namedTid.add(thread); }
				break;
			}
			case 'X': {
				if (!isNum(e.dur) || e.dur < 0) { bad.push(`${where}: dur ${String(e.dur)}`); return; }
				const list = spans.get(thread) ?? [];
				list.push({ ts: e.ts, end: e.ts + e.dur, i });
				spans.set(thread, list);
				break;
			}
			case 'i':
				if (e.s !== 't' && e.s !== 'p' && e.s !== 'g') { bad.push(`${where}: instant scope ${String(e.s)}`); }
				break;
			case 'C': {
				const a = e.args as Record<string, unknown> | undefined;
				if (!a || Object.keys(a).length === 0 || !Object.values(a).every(isNum)) { bad.push(`${where}: counter values not numbers`); }
				const key = `${e.pid}:${e.name as string}`;
				if ((counterTs.get(key) ?? -Infinity) > e.ts + EPS) { bad.push(`${where}: counter ${key} goes back in time (${counterTs.get(key)} -> ${e.ts})`); }
				counterTs.set(key, e.ts);
				break;
			}
			case 's': case 'f': {
				if (!isInt(e.id)) { bad.push(`${where}: flow without an id`); return; }
				if (e.ph === 'f' && e.bp !== 'e') { bad.push(`${where}: flow end without bp "e"`); }
				const fl = flows.get(e.id) ?? {};
				if (fl[e.ph]) { bad.push(`${where}: flow ${e.id} has two '${e.ph}'`); }
				fl[e.ph] = e;
				flows.set(e.id, fl);
				break;
			}
		}
	});
	for (const [thread, list] of spans) {
		// longer spans first at one timestamp, so a parent comes before its children
		list.sort((a, b) => a.ts - b.ts || b.end - a.end);
		const stack: { ts: number; end: number; i: number }[] = [];
		for (const sp of list) {
			while (stack.length && stack[stack.length - 1].end <= sp.ts + EPS && !(sp.end <= stack[stack.length - 1].end + EPS)) { stack.pop(); }
			const top = stack[stack.length - 1];
			if (top && sp.end > top.end + EPS) { bad.push(`thread ${thread}: event ${sp.i} [${sp.ts}, ${sp.end}] overlaps event ${top.i} [${top.ts}, ${top.end}]`); continue; }
			stack.push(sp);
		}
	}
	const enclosed = (e: Ev) => (spans.get(`${e.pid}:${e.tid}`) ?? []).some(sp => sp.ts <= (e.ts as number) + EPS && (e.ts as number) <= sp.end + EPS);
	for (const [id, fl] of flows) {
		if (!fl.s || !fl.f) { bad.push(`flow ${id}: ${fl.s ? 'no end' : 'no start'}`); continue; }
		if ((fl.f.ts as number) + EPS < (fl.s.ts as number)) { bad.push(`flow ${id}: ends before it starts`); }
		if (!enclosed(fl.s)) { bad.push(`flow ${id}: start not inside a span of thread ${fl.s.pid}:${fl.s.tid}`); }
		if (!enclosed(fl.f)) { bad.push(`flow ${id}: end not inside a span of thread ${fl.f.pid}:${fl.f.tid}`); }
	}
	for (const p of usedPid) { if (!namedPid.has(p)) { bad.push(`process ${p} has no process_name`); } }
	for (const t of usedTid) { if (!namedTid.has(t)) { bad.push(`thread ${t} has no thread_name`); } }
	return bad;
}
