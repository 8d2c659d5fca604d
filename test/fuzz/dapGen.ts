// Random DAP request sequences for the adapter fuzzer: every request the adapter supports, plus
// unknown ones, with arguments that are often valid (so the session gets somewhere: launched,
// stopped, expanding variables) and often not (wrong types, out-of-range numbers, garbage text).
// References the adapter hands out (variables, memory, frames, data ids) are kept in pools, and a
// request can name "the k-th one seen so far" with a placeholder resolved when it is sent.
import * as fc from 'fast-check';
import * as path from 'node:path';
import { ROOT } from './config';

export type Pool = 'var' | 'mem' | 'frame' | 'data' | 'bp' | 'progress';
/** A placeholder for a value from a pool, resolved at send time (see resolveRefs). */
interface PoolRef { $pool: Pool; k: number; fallback: unknown }
export interface Req { command: string; args?: unknown; omitArgs?: boolean }

const ref = (pool: Pool, fallback: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
	fc.oneof({ weight: 3, arbitrary: fc.record({ $pool: fc.constant(pool), k: fc.nat({ max: 40 }), fallback }) }, { weight: 1, arbitrary: fallback });

const fixtures = ['basic', 'events', 'migrate', 'errors', 'loop', 'evict', 'long', 'big', 'longer'].map(f => path.join(ROOT, 'test/debug/fixtures', `${f}.hmmw`));
const examples = ['migrate-roundtrip', 'fork-and-devices', 'exclusive-atomics'].map(f => path.join(ROOT, 'examples', `${f}.hmmw`));
/** Programs that load and run, weighted towards short ones. */
/** Long statements in a row, for pauses at random points inside them (`$pauseInside`). */
export const LONG_OPS = path.join(ROOT, 'test/fuzz/fixtures/long-ops.hmmw');
const goodProgram = fc.constantFrom(...fixtures.slice(0, 6), ...fixtures.slice(0, 6), ...examples, ...fixtures.slice(6), LONG_OPS);
/** continue, then a pause this many ms later: dapRun checks that it stops the run */
const pauseInside: fc.Arbitrary<Req> = fc.nat({ max: 600 }).map(ms => ({ command: '$pauseInside', args: { ms } }));

const garbageText = fc.oneof(
	fc.string({ maxLength: 30 }),
	fc.string({ unit: 'binary', maxLength: 30 }),
	fc.constantFrom('', ' ', '(', '"', 'X[', 'word(X, -1)', 'event.addr', '1/0', 'X.', 'p.rss', 'gpu.', 'last.', 'not', '9'.repeat(40),
		'where(X)', 'matches(X, i)', 'len(B)', 'X[0:4096]', 'at(0, 1)', 'pages(X, 0, 2)', 'time', 'i', '{x}', '{X} {', 'k', 'N * 2'),
);
const weirdNumber = fc.oneof(fc.integer({ min: -5, max: 50 }), fc.integer(), fc.constantFrom(0, -1, 2 ** 31, 2 ** 53, 1e300, -0, 0.5, Number.MAX_SAFE_INTEGER));
const anything: fc.Arbitrary<unknown> = fc.oneof(
	fc.constant(null), fc.constant(undefined), fc.boolean(), weirdNumber, garbageText, fc.constant([]), fc.constant({}), fc.array(weirdNumber, { maxLength: 3 }),
);
/** A value of the right type most of the time, anything else sometimes. */
const maybe = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<unknown> => fc.oneof({ weight: 4, arbitrary: a }, { weight: 1, arbitrary: anything });
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(maybe(a), { nil: undefined, freq: 3 });

// Stripping undefined keys keeps the JSON what a real client would send.
const rec = (o: Record<string, fc.Arbitrary<unknown>>) => fc.record(o, { requiredKeys: [] });

const source = fc.oneof(
	rec({ path: maybe(fc.oneof(goodProgram, fc.constant('/nonexistent.hmmw'), garbageText)) }),
	rec({ sourceReference: weirdNumber }),
	anything,
);
const sourceBp = rec({
	line: maybe(fc.integer({ min: -2, max: 40 })), column: opt(weirdNumber),
	condition: opt(garbageText), hitCondition: opt(fc.oneof(fc.constantFrom('2', '>= 3', '% 2', '== 1', 'x', '-1', ''), garbageText)), logMessage: opt(garbageText),
});
const filters = fc.array(maybe(fc.constantFrom('cpu-fault', 'device-fault', 'migration', 'eviction', 'invalidation', 'page-fault', 'error', 'expect', 'nope')), { maxLength: 5 });
const functionNames = fc.constantFrom('hmm_range_fault', 'migrate_vma_setup', 'migrate_vma_pages', 'migrate_vma_finalize', 'migrate_to_ram',
	'make_device_exclusive', 'handle_mm_fault', 'invalidate_range_start', 'do_nothing', '', 'dmirror_fault');
const memRef = ref('mem', fc.oneof(fc.constantFrom('0:0x7effffff0000', '1:0x0', 'x', '', '0:0x', '99:0x1000', '0:-0x10'), garbageText));
const varRef = ref('var', weirdNumber);
const frameId = ref('frame', weirdNumber);
const threadId = maybe(fc.constantFrom(1, 1, 1, 0, 2, -1));
const b64 = fc.oneof(fc.uint8Array({ maxLength: 64 }).map(b => Buffer.from(b).toString('base64')), garbageText, fc.constant('A'.repeat(5000)));

function launchArgs(tmp: string, good = false): fc.Arbitrary<unknown> {
	if (good) { return rec({ program: goodProgram, stopOnEntry: fc.nat({ max: 4 }).map(n => n > 0) }); }
	const program = fc.oneof(
		{ weight: 8, arbitrary: goodProgram },
		{ weight: 1, arbitrary: fc.constantFrom(path.join(ROOT, 'test/debug/fixtures/syntax.hmmw'), path.join(tmp, 'garbage.hmmw'), path.join(tmp, 'empty.hmmw'), '/nonexistent/x.hmmw', ROOT, 'relative.hmmw', '') },
		{ weight: 1, arbitrary: anything },
	);
	return fc.oneof(
		{ weight: 10, arbitrary: rec({ program, stopOnEntry: maybe(fc.boolean()), trace: fc.option(fc.constantFrom(path.join(tmp, 'trace.json'), '/nonexistent/dir/t.json', tmp), { nil: undefined, freq: 5 }), noDebug: opt(fc.boolean()) }) },
		{ weight: 1, arbitrary: anything },
	);
}

/** Malformed frames, sent raw by dapRun (command '$raw'): the adapter must answer those whose seq
 * is legible with an error and report the others, then go on. */
export const RAW_KINDS = ['null', 'array', 'string', 'empty', 'notJson', 'notUtf8', 'badLength', 'negativeLength', 'noLength', 'noSeq', 'huge', 'split'] as const;
export type RawKind = typeof RAW_KINDS[number];
const raw = fc.constantFrom(...RAW_KINDS).map(kind => ({ command: '$raw', args: { kind } }));

/** One request: the command and arguments (placeholders included). */
function request(tmp: string): fc.Arbitrary<Req> {
	const r = (command: string, args: fc.Arbitrary<unknown>, weight = 1) => ({ weight, arbitrary: args.map(a => ({ command, args: a })) });
	const step = (c: string, w: number) => r(c, fc.oneof(rec({ threadId, granularity: opt(fc.constantFrom('statement', 'line', 'instruction', 'x')) }), anything), w);
	return fc.oneof(
		r('initialize', rec({ adapterID: maybe(fc.constant('hmm')), linesStartAt1: opt(fc.boolean()), columnsStartAt1: opt(fc.boolean()), pathFormat: opt(fc.constantFrom('path', 'uri')), supportsProgressReporting: opt(fc.boolean()), supportsVariableType: opt(fc.boolean()) })),
		r('launch', launchArgs(tmp), 2),
		r('configurationDone', fc.oneof(fc.constant({}), anything), 2),
		r('setBreakpoints', fc.oneof(rec({ source, breakpoints: maybe(fc.array(sourceBp, { maxLength: 4 })), lines: opt(fc.array(weirdNumber, { maxLength: 3 })), sourceModified: opt(fc.boolean()) }), anything), 2),
		r('setExceptionBreakpoints', fc.oneof(rec({ filters: maybe(filters), filterOptions: opt(fc.array(rec({ filterId: maybe(fc.constantFrom('migration', 'cpu-fault', 'error', 'nope')), condition: opt(garbageText) }), { maxLength: 3 })) }), anything)),
		r('setFunctionBreakpoints', fc.oneof(rec({ breakpoints: maybe(fc.array(rec({ name: maybe(functionNames), condition: opt(garbageText), hitCondition: opt(garbageText) }), { maxLength: 3 })) }), anything)),
		r('breakpointLocations', rec({ source, line: maybe(weirdNumber), endLine: opt(weirdNumber) })),
		r('threads', fc.oneof(fc.constant({}), anything)),
		r('stackTrace', rec({ threadId, startFrame: opt(weirdNumber), levels: opt(weirdNumber), format: opt(rec({ parameters: fc.boolean() })) }), 3),
		r('scopes', rec({ frameId }), 3),
		r('variables', rec({ variablesReference: varRef, filter: opt(fc.constantFrom('indexed', 'named', 'x')), start: opt(weirdNumber), count: opt(weirdNumber), format: opt(rec({ hex: fc.boolean() })) }), 6),
		r('evaluate', rec({ expression: maybe(garbageText), frameId: opt(frameId), context: opt(fc.constantFrom('watch', 'repl', 'hover', 'clipboard', 'variables', 'x')), format: opt(rec({ hex: fc.boolean() })) }), 3),
		r('setVariable', rec({ variablesReference: varRef, name: maybe(garbageText), value: maybe(garbageText) })),
		step('next', 3), step('stepIn', 3), step('stepOut', 2), step('stepBack', 2), step('continue', 3), step('reverseContinue', 2), r('pause', rec({ threadId }), 2),
		r('readMemory', rec({ memoryReference: memRef, offset: opt(weirdNumber), count: maybe(fc.oneof(fc.integer({ min: 0, max: 70000 }), weirdNumber)) }), 3),
		r('writeMemory', rec({ memoryReference: memRef, offset: opt(weirdNumber), data: maybe(b64), allowPartial: opt(fc.boolean()) }), 2),
		r('dataBreakpointInfo', rec({ variablesReference: opt(varRef), name: maybe(fc.oneof(garbageText, fc.constantFrom('X', 'B', 'N', 'page 0', '[0] 0x7effffff0000'))), frameId: opt(frameId) }), 2),
		r('setDataBreakpoints', rec({ breakpoints: maybe(fc.array(rec({ dataId: maybe(ref('data', garbageText)), accessType: opt(fc.constantFrom('read', 'write', 'readWrite', 'x')), condition: opt(garbageText), hitCondition: opt(garbageText) }), { maxLength: 3 })) }), 2),
		r('completions', rec({ text: maybe(garbageText), column: maybe(weirdNumber), line: opt(weirdNumber), frameId: opt(frameId) })),
		r('exceptionInfo', rec({ threadId })),
		r('residency', fc.oneof(rec({ process: opt(fc.constantFrom('p', 'child', 'app', 'nope')), start: opt(weirdNumber), end: opt(weirdNumber), maxCells: opt(weirdNumber) }), anything)),
		r('processes', fc.oneof(fc.constant({}), anything)),
		r('toggleFormatting', fc.oneof(fc.constant({}), anything)),
		r('cancel', rec({ requestId: opt(weirdNumber), progressId: opt(ref('progress', garbageText)) })),
		r('restart', fc.oneof(rec({ arguments: opt(launchArgs(tmp)) }), anything)),
		r('terminate', fc.oneof(rec({ restart: opt(fc.boolean()) }), anything)),
		r('source', rec({ source, sourceReference: weirdNumber })),
		r('loadedSources', fc.constant({})),
		r('goto', rec({ threadId, targetId: weirdNumber })),
		r('stepInTargets', rec({ frameId })),
		r('modules', rec({ startModule: opt(weirdNumber), moduleCount: opt(weirdNumber) })),
		{ weight: 3, arbitrary: raw },
		{ weight: 1, arbitrary: pauseInside },
		{ weight: 1, arbitrary: fc.tuple(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', 'dispatchRequest', 'sendResponse')), anything).map(([command, args]) => ({ command, args })) },
	).chain(q => fc.nat({ max: 19 }).map(n => (n === 0 ? { ...q, omitArgs: true } : q)));
}

/** What a client does when stopped: frames, scopes, variables (nested), memory of a VMA. The
 * references come from the responses before, so the requests reach deep into the session. */
const explore: fc.Arbitrary<Req[]> = fc.tuple(fc.nat({ max: 40 }), fc.nat({ max: 40 }), fc.nat({ max: 40 }), fc.integer({ min: -8, max: 70000 }), fc.nat({ max: 3 }))
	.map(([a, b, c, count, extra]) => [
		{ command: 'stackTrace', args: { threadId: 1 } },
		{ command: 'scopes', args: { frameId: { $pool: 'frame', k: 0, fallback: 1 } } },
		{ command: 'variables', args: { variablesReference: { $pool: 'var', k: a, fallback: 1 } } },
		{ command: 'variables', args: { variablesReference: { $pool: 'var', k: b, fallback: 2 }, start: extra, count: extra * 7 } },
		...(extra > 1 ? [{ command: 'variables', args: { variablesReference: { $pool: 'var', k: c, fallback: 3 }, filter: 'indexed', start: 0, count: 600 } }] : []),
		{ command: 'readMemory', args: { memoryReference: { $pool: 'mem', k: a, fallback: 'x' }, offset: extra * 1000 - 100, count } },
		...(extra === 3 ? [{ command: 'dataBreakpointInfo', args: { variablesReference: { $pool: 'var', k: b, fallback: 1 }, name: 'page 0' } }] : []),
	]);

/** A session: usually initialize, launch and configurationDone first (so there is something to
 * poke at), then random requests and exploration, and sometimes a final disconnect. */
export function sequence(tmp: string, maxLength = 25): fc.Arbitrary<Req[]> {
	const init: Req = { command: 'initialize', args: { adapterID: 'hmm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' } };
	const group = fc.oneof({ weight: 5, arbitrary: request(tmp).map(q => [q]) }, { weight: 1, arbitrary: explore });
	return fc.tuple(
		fc.nat({ max: 9 }), fc.oneof(launchArgs(tmp, true), launchArgs(tmp)), fc.option(fc.array(fc.integer({ min: 1, max: 14 }), { maxLength: 4 }), { nil: undefined }),
		fc.array(group, { maxLength: Math.ceil(maxLength / 2) }),
		fc.option(fc.constantFrom<Req>({ command: 'disconnect', args: {} }, { command: 'disconnect', args: { terminateDebuggee: true } }, { command: 'disconnect', args: null }), { nil: undefined, freq: 2 }),
	).map(([prologue, launch, lines, body, end]) => {
		const program = (launch as { program?: unknown } | undefined)?.program;
		const bps: Req[] = lines && typeof program === 'string' ? [{ command: 'setBreakpoints', args: { source: { path: program }, breakpoints: lines.map(line => ({ line })) } }] : [];
		const head: Req[] = prologue < 1 ? [] : prologue < 2 ? [init] : [init, { command: 'launch', args: launch }, ...bps, { command: 'configurationDone', args: {} }];
		return [...head, ...body.flat(), ...(end ? [end] : [])];
	});
}

/** A session of pauses at random points inside long statements: LONG_OPS launched stopped on
 * entry, then rounds of continue, a pause some ms later and a look around (or a step). */
export function pauseSequence(): fc.Arbitrary<Req[]> {
	const init: Req = { command: 'initialize', args: { adapterID: 'hmm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' } };
	const round = fc.tuple(pauseInside, fc.oneof(explore, fc.constantFrom<Req[]>([{ command: 'next', args: { threadId: 1 } }], [{ command: 'stepBack', args: { threadId: 1 } }], [])));
	return fc.array(round, { minLength: 1, maxLength: 6 }).map(rounds => [
		init, { command: 'launch', args: { program: LONG_OPS, stopOnEntry: true } }, { command: 'configurationDone', args: {} },
		...rounds.flatMap(([p, after]) => [p, ...after]),
	]);
}

/** Replaces placeholders with values from the pools (or their fallback while a pool is empty). */
export function resolveRefs(v: unknown, pools: Map<Pool, unknown[]>): unknown {
	if (Array.isArray(v)) { return v.map(x => resolveRefs(x, pools)); }
	if (v && typeof v === 'object') {
		const p = v as Partial<PoolRef>;
		if (typeof p.$pool === 'string') {
			const list = pools.get(p.$pool) ?? [];
			return list.length > 0 ? list[(p.k as number) % list.length] : p.fallback;
		}
		return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolveRefs(x, pools)]));
	}
	return v;
}

/** Collects references from a response or event body into the pools. */
export function harvest(body: unknown, pools: Map<Pool, unknown[]>, depth = 0): void {
	if (!body || typeof body !== 'object' || depth > 6) { return; }
	const add = (p: Pool, x: unknown) => {
		const list = pools.get(p) ?? [];
		if (!list.includes(x) && list.length < 200) { list.push(x); }
		pools.set(p, list);
	};
	if (Array.isArray(body)) { for (const x of body.slice(0, 200)) { harvest(x, pools, depth + 1); } return; }
	const o = body as Record<string, unknown>;
	if (typeof o.variablesReference === 'number' && o.variablesReference > 0) { add('var', o.variablesReference); }
	if (typeof o.memoryReference === 'string') { add('mem', o.memoryReference); }
	if (typeof o.dataId === 'string') { add('data', o.dataId); }
	if (typeof o.progressId === 'string') { add('progress', o.progressId); }
	if (Array.isArray(o.stackFrames)) { for (const f of o.stackFrames as { id?: unknown }[]) { add('frame', f.id); } }
	for (const x of Object.values(o)) { harvest(x, pools, depth + 1); }
}
