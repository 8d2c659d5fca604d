// Request checking before any handler runs: the commands this adapter serves, and the types and
// ranges of their arguments as the Debug Adapter Protocol's schema gives them (integers are
// safe integers in the ranges below, strings have a length limit). A request that fails gets an
// error response naming the argument, so no handler ever sees a value of the wrong shape.

/** Longest expression, condition, log message or completions text accepted (characters). */
export const MAX_TEXT = 10_000;
/** Longest path, name or other short string. */
const MAX_NAME = 4096;
const INT32 = 2 ** 31 - 1;
/** memory offsets: any safe integer, the address check comes later (memory.ts) */
const SAFE = Number.MAX_SAFE_INTEGER;

type Field =
	| 'string' | 'text' | 'boolean' | 'any' | 'object'
	| { int: [number, number] }
	| { enum: readonly string[] }
	| { array: Field; max?: number }
	| { fields: Fields };
type Fields = Record<string, Field | [Field, 'required']>;

const req = (f: Field): [Field, 'required'] => [f, 'required'];
const id: Field = { int: [0, INT32] };
const count: Field = { int: [0, INT32] };
const line: Field = { int: [0, INT32] };
const format: Field = { fields: { hex: 'boolean' } };
const source: Field = { fields: { path: 'string', name: 'string', sourceReference: id } };
const step: Fields = { threadId: req(id), singleThread: 'boolean', granularity: { enum: ['statement', 'line', 'instruction'] } };
const launch: Fields = { program: 'string', stopOnEntry: 'boolean', trace: 'string', noDebug: 'boolean', maxScriptSize: { int: [1, 2 ** 31] }, schedule: 'string' };

/** The requests this adapter serves, with their arguments; anything else is refused. */
const COMMANDS: Record<string, Fields> = {
	initialize: {
		adapterID: req('string'), clientID: 'string', clientName: 'string', locale: 'string', pathFormat: 'string',
		linesStartAt1: 'boolean', columnsStartAt1: 'boolean', supportsProgressReporting: 'boolean', supportsVariableType: 'boolean',
		supportsVariablePaging: 'boolean', supportsRunInTerminalRequest: 'boolean', supportsMemoryReferences: 'boolean', supportsInvalidatedEvent: 'boolean',
		supportsMemoryEvent: 'boolean',
	},
	launch,
	restart: { arguments: { fields: launch } },
	disconnect: { restart: 'boolean', terminateDebuggee: 'boolean', suspendDebuggee: 'boolean' },
	terminate: { restart: 'boolean' },
	configurationDone: {},
	setBreakpoints: {
		source: req(source),
		breakpoints: { array: { fields: { line: req(line), column: line, condition: 'text', hitCondition: 'text', logMessage: 'text', mode: 'string' } }, max: 100_000 },
		lines: { array: line, max: 100_000 }, sourceModified: 'boolean',
	},
	setFunctionBreakpoints: { breakpoints: req({ array: { fields: { name: req('string'), condition: 'text', hitCondition: 'text' } }, max: 10_000 }) },
	setExceptionBreakpoints: {
		filters: req({ array: 'string', max: 1000 }),
		filterOptions: { array: { fields: { filterId: req('string'), condition: 'text', mode: 'string' } }, max: 1000 },
		exceptionOptions: { array: 'object', max: 1000 },
	},
	breakpointLocations: { source: req(source), line: req(line), column: line, endLine: line, endColumn: line },
	dataBreakpointInfo: { variablesReference: id, name: req('text'), frameId: id, bytes: count, asAddress: 'boolean', mode: 'string' },
	setDataBreakpoints: {
		breakpoints: req({ array: { fields: { dataId: req('string'), accessType: { enum: ['read', 'write', 'readWrite'] }, condition: 'text', hitCondition: 'text' } }, max: 10_000 }),
	},
	continue: step, next: step, stepIn: { ...step, targetId: id }, stepOut: step, stepBack: step, reverseContinue: step,
	pause: { threadId: req(id) },
	cancel: { requestId: id, progressId: 'string' },
	threads: {},
	stackTrace: { threadId: req(id), startFrame: count, levels: count, format: 'object' },
	scopes: { frameId: req(id) },
	variables: { variablesReference: req(id), filter: { enum: ['indexed', 'named'] }, start: count, count, format },
	evaluate: { expression: req('text'), frameId: id, line, column: line, source, context: 'string', format },
	completions: { frameId: id, text: req('text'), column: req(line), line },
	readMemory: { memoryReference: req('string'), offset: { int: [-SAFE, SAFE] }, count: req(count) },
	writeMemory: { memoryReference: req('string'), offset: { int: [-SAFE, SAFE] }, allowPartial: 'boolean', data: req('string') },
	exceptionInfo: { threadId: req(id) },
	// custom requests of this adapter (the residency view, the hex toggle, the profile hints)
	residency: { process: 'string', start: { int: [0, SAFE] }, end: { int: [0, SAFE] }, maxCells: { int: [1, 1 << 20] } },
	residencyPage: { process: 'string', address: req({ int: [0, SAFE] }), pages: { int: [1, 1 << 26] } },
	timeline: { start: { int: [0, SAFE] }, end: { int: [0, SAFE] }, bins: { int: [1, 4096] } },
	timelineGoto: { step: req({ int: [0, SAFE] }), nth: { int: [-1, SAFE] }, label: 'string' },
	pageWatch: { process: req('string'), address: req({ int: [0, SAFE] }), pages: { int: [1, 2 ** 28] }, access: { enum: ['write', 'read', 'readWrite'] } },
	pageUnwatch: { id },
	processes: {},
	switchThread: { threadId: req(id) },
	schedule: {},
	toggleFormatting: {},
	profile: {},
};

export function isServed(command: string): boolean { return Object.hasOwn(COMMANDS, command); }

function describe(f: Field): string {
	if (typeof f === 'string') { return f === 'text' ? 'a string' : f === 'any' ? 'anything' : `a${f === 'object' ? 'n' : ''} ${f}`; }
	if ('int' in f) { return `an integer in [${f.int[0]}, ${f.int[1]}]`; }
	if ('enum' in f) { return `one of ${f.enum.map(e => `'${e}'`).join(', ')}`; }
	if ('array' in f) { return 'an array'; }
	return 'an object';
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const wrong = (v: unknown, f: Field, prefix: string, name: string) => `'${prefix}${name}' must be ${describe(f)}, not ${JSON.stringify(v)?.slice(0, 60) ?? String(v)}`;

/** The problem with value `v` of field `prefix + name`, if any (the name is put together only
 * for a message: every request is checked, and almost all are fine). */
function checkField(v: unknown, f: Field, prefix: string, name: string): string | undefined {
	if (f === 'any') { return undefined; }
	if (f === 'string' || f === 'text') {
		if (typeof v !== 'string') { return wrong(v, f, prefix, name); }
		const max = f === 'text' ? MAX_TEXT : MAX_NAME;
		return v.length > max ? `'${prefix}${name}' is ${v.length} characters long: the limit is ${max}` : undefined;
	}
	if (f === 'boolean') { return typeof v === 'boolean' ? undefined : wrong(v, f, prefix, name); }
	if (f === 'object') { return isObject(v) ? undefined : wrong(v, f, prefix, name); }
	if ('int' in f) { return Number.isSafeInteger(v) && (v as number) >= f.int[0] && (v as number) <= f.int[1] ? undefined : wrong(v, f, prefix, name); }
	if ('enum' in f) { return typeof v === 'string' && f.enum.includes(v) ? undefined : wrong(v, f, prefix, name); }
	if ('array' in f) {
		if (!Array.isArray(v)) { return wrong(v, f, prefix, name); }
		const max = f.max ?? 10_000;
		if (v.length > max) { return `'${prefix}${name}' has ${v.length} elements: the limit is ${max}`; }
		for (let i = 0; i < v.length; i++) {
			const p = checkField(v[i], f.array, `${prefix}${name}`, `[${i}]`);
			if (p) { return p; }
		}
		return undefined;
	}
	return isObject(v) ? checkFields(v, f.fields, `${prefix}${name}.`) : wrong(v, f, prefix, name);
}

/** A Fields table as a flat list, made once per table (every request is checked: a loop over
 * an array costs less than a for-in over the table's keys, above all before the JIT warms up). */
type FieldList = { name: string; f: Field; required: boolean }[];
const lists = new Map<Fields, FieldList>();
function fieldList(fields: Fields): FieldList {
	let l = lists.get(fields);
	if (!l) {
		l = Object.keys(fields).map(name => { const spec = fields[name]; return Array.isArray(spec) ? { name, f: spec[0], required: true } : { name, f: spec, required: false }; });
		lists.set(fields, l);
	}
	return l;
}

function checkFields(o: Record<string, unknown>, fields: Fields, prefix: string): string | undefined {
	const list = fieldList(fields);
	for (let i = 0; i < list.length; i++) {
		const { name, f, required } = list[i];
		// most fields are absent: the own-property check only for a value found
		let v = o[name];
		if (v !== undefined && !Object.hasOwn(o, name)) { v = undefined; }
		// null stands for "absent" only where the protocol says so; here no argument may be null
		if (v === undefined) {
			if (required) { return `'${prefix}${name}' is required`; }
			continue;
		}
		const p = checkField(v, f, prefix, name);
		if (p) { return p; }
	}
	return undefined;
}

/** Why a request cannot be served as it is, or undefined when it can. */
export function requestProblem(request: { command?: unknown; arguments?: unknown }): string | undefined {
	const { command } = request;
	if (typeof command !== 'string' || command === '') { return 'the request has no command'; }
	if (!isServed(command)) { return `the '${command.slice(0, 80)}' request is not supported by the HMM debugger`; }
	const args = request.arguments;
	if (args === undefined) {
		const fields = COMMANDS[command];
		const missing = Object.entries(fields).find(([, s]) => Array.isArray(s));
		return missing ? `the '${command}' request needs arguments ('${missing[0]}' is required)` : undefined;
	}
	if (!isObject(args)) { return `the arguments of '${command}' must be an object, not ${JSON.stringify(args)?.slice(0, 60)}`; }
	const p = checkFields(args, COMMANDS[command], '');
	return p ? `${command}: ${p}` : undefined;
}
