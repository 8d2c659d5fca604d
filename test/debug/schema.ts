// Checks every message the adapter sends against the Debug Adapter Protocol's JSON schema
// (test/debug/schema/debugAdapterProtocol.json, see generate.mjs there) with ajv: an event
// against its event's definition, a response against its command's (`fooBar` ->
// `FooBarResponse`), an error response against ErrorResponse. Custom events and commands are
// checked against the base Event / Response.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';

interface Schema { definitions: Record<string, { allOf?: { properties?: Record<string, { enum?: string[] }> }[] }> }

function schemaFile(): string {
	// runs from out/test/debug (compiled) or test/debug
	let dir = __dirname;
	while (path.basename(dir) !== 'test') { dir = path.dirname(dir); }
	const root = path.basename(path.dirname(dir)) === 'out' ? path.dirname(path.dirname(dir)) : path.dirname(dir);
	return path.join(root, 'test', 'debug', 'schema', 'debugAdapterProtocol.json');
}

const schema = JSON.parse(readFileSync(schemaFile(), 'utf8')) as Schema;
const ajv = new Ajv({ allErrors: false, strict: false });
ajv.addSchema(schema, 'dap');
const cache = new Map<string, ValidateFunction>();

function validator(def: string): ValidateFunction {
	let v = cache.get(def);
	if (!v) {
		v = ajv.getSchema(`dap#/definitions/${def}`);
		if (!v) { throw new Error(`no definition ${def} in the DAP schema`); }
		cache.set(def, v);
	}
	return v;
}

/** event name -> definition, from the `event` enums of the *Event definitions */
const EVENTS = new Map<string, string>();
for (const [name, d] of Object.entries(schema.definitions)) {
	const e = d.allOf?.map(p => p.properties?.event?.enum?.[0]).find(x => x !== undefined);
	if (e && name.endsWith('Event')) { EVENTS.set(e, name); }
}

function definitionFor(msg: Record<string, unknown>): string {
	if (msg.type === 'event') { return EVENTS.get(String(msg.event)) ?? 'Event'; }
	if (msg.type === 'response') {
		if (msg.success === false) { return 'ErrorResponse'; }
		const c = String(msg.command);
		const name = `${c.charAt(0).toUpperCase()}${c.slice(1)}Response`;
		return name in schema.definitions ? name : 'Response';
	}
	if (msg.type === 'request') { return 'Request'; }
	return 'ProtocolMessage';
}

/** Why a message the adapter sent breaks the schema, or undefined when it conforms. */
export function schemaViolation(msg: unknown): string | undefined {
	if (!msg || typeof msg !== 'object' || Array.isArray(msg)) { return `not an object: ${JSON.stringify(msg)?.slice(0, 200)}`; }
	const def = definitionFor(msg as Record<string, unknown>);
	const v = validator(def);
	if (v(msg)) { return undefined; }
	const e = v.errors?.[0];
	return `${def}: ${e?.instancePath || '/'} ${e?.message ?? 'invalid'} (${JSON.stringify(e?.params)}) in ${JSON.stringify(msg).slice(0, 400)}`;
}
