// The adapter's transport and request checking (issue "Reliability II", item 1): malformed frames
// are answered (when their seq is legible) or reported, and skipped; the adapter stays up and
// answers the next request. Unserved requests and arguments of the wrong type or range are error
// responses. Every message it sends is checked against the DAP schema.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { RawDapClient, type DapMessage } from '../fuzz/dapClient';
import { fixture } from './helpers';

const ADAPTER = path.join(process.cwd(), 'dist/debugAdapter.js');
const frame = (body: Buffer | string) => Buffer.concat([Buffer.from(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`), Buffer.from(body)]);

describe('debug adapter: transport and request checking', function () {
	this.timeout(30_000);
	let c: RawDapClient;
	beforeEach(() => { c = new RawDapClient(ADAPTER); });
	afterEach(async () => {
		const schema = c.schemaErrors;
		c.kill();
		await c.waitExit(2000);
		assert.deepEqual(schema, [], 'messages that break the DAP schema');
	});

	async function alive(): Promise<void> {
		const r = await c.request('threads', {}, 5000);
		assert.ok(r?.success, `the adapter still answers (exited: ${c.exited}, stderr: ${c.stderr})`);
	}

	function stderrOutputs(): string[] {
		return c.events.filter(e => e.event === 'output' && (e.body as { category?: string }).category === 'stderr').map(e => (e.body as { output: string }).output);
	}

	it('answers a request it cannot parse when its seq is legible, and goes on', async () => {
		const bad: [string, Buffer][] = [
			['not JSON', Buffer.from('{"seq": SEQ, "type": "request", "command": "threads", ')],
			['not valid UTF-8', Buffer.concat([Buffer.from('{"seq": SEQ, "type": "request", "command": "evaluate", "arguments": {"expression": "'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}}')])],
		];
		for (const [what, body] of bad) {
			const seq = c.takeSeq();
			c.writeRaw(frame(Buffer.from(body.toString('latin1').replace('SEQ', String(seq)), 'latin1')));
			const r = await c.response(seq, 5000);
			assert.ok(r, `no answer to a request that is ${what}`);
			assert.equal(r.success, false);
			assert.match(r.message ?? '', new RegExp(what));
			await alive();
		}
	});

	it('reports and skips frames without a legible request: null, arrays, bad lengths, huge bodies', async () => {
		c.writeRaw(frame('null'));
		c.writeRaw(frame('[1, 2]'));
		c.writeRaw(frame('"just a string"'));
		c.writeRaw(frame(''));
		c.writeRaw('Content-Length: -5\r\n\r\n');
		c.writeRaw('Content-Length: abc\r\n\r\n');
		c.writeRaw('X-Nothing: 1\r\n\r\n');
		c.writeRaw(frame('{"type": "request", "command": "threads"}'));
		await alive();
		// 20 MiB announced and sent: skipped as it streams past, never held whole
		const huge = Buffer.alloc(20 << 20, 0x20);
		c.writeRaw(Buffer.concat([Buffer.from(`Content-Length: ${huge.length}\r\n\r\n`), huge]));
		await alive();
		const said = stderrOutputs().join('');
		for (const why of ['not a JSON object', 'bad Content-Length', 'without Content-Length', 'without a valid seq', 'over the']) {
			assert.match(said, new RegExp(why), `reported: ${said}`);
		}
		assert.equal(c.exited, undefined);
	});

	it('refuses requests it does not serve, by name', async () => {
		for (const command of ['source', 'loadedSources', 'stepInTargets', 'goto', 'gotoTargets', 'modules', 'attach', 'setVariable', 'disassemble', '__proto__', 'constructor']) {
			const r = await c.request(command, {}, 5000);
			assert.equal(r?.success, false, command);
			assert.match(r?.message ?? '', /not supported/, command);
		}
		await alive();
	});

	it('checks argument types and ranges before using them', async () => {
		await c.request('initialize', { adapterID: 'hmm', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' }, 5000);
		const launched = c.request('launch', { program: fixture('basic.hmmw'), stopOnEntry: true }, 10_000);
		await c.request('configurationDone', {}, 5000);
		assert.ok((await launched)?.success);
		const bad: [string, unknown, RegExp][] = [
			['initialize', null, /must be an object/],
			['setBreakpoints', { source: { path: 5 }, breakpoints: [{ line: 2 }] }, /source\.path/],
			['setBreakpoints', { source: { path: fixture('basic.hmmw') }, breakpoints: [{ line: 1e300 }] }, /breakpoints\[0\]\.line/],
			['writeMemory', { memoryReference: '0:0x0', offset: 2 ** 60, data: 'AAAA' }, /offset/],
			['writeMemory', { memoryReference: '0:0x0', offset: 1e300, data: 'AAAA' }, /offset/],
			['readMemory', { memoryReference: '0:0x0', count: -1 }, /count/],
			['evaluate', { expression: 42 }, /expression/],
			['evaluate', { expression: 'x'.repeat(80_000) }, /limit/],
			['completions', { text: 'a'.repeat(80_000), column: 80_001 }, /limit/],
			['variables', { variablesReference: 'x' }, /variablesReference/],
			['stackTrace', { threadId: 1, levels: 0.5 }, /levels/],
			['next', {}, /threadId/],
		];
		for (const [command, args, why] of bad) {
			const r = await c.request(command, args, 5000);
			assert.equal(r?.success, false, `${command} ${JSON.stringify(args).slice(0, 80)}`);
			assert.match(r?.message ?? '', why);
		}
		assert.equal(c.events.filter(e => e.event === 'memory').length, 0, 'no memory event for a refused write');
		// at the length limit, completions, evaluate and conditions take linear paths: answered at once
		const long = 'a'.repeat(9_999);
		const t0 = Date.now();
		assert.ok((await c.request('completions', { text: `${long.slice(0, 4999)}.${long.slice(0, 5000)}`, column: 10_001 }, 5000))?.success);
		assert.ok((await c.request('completions', { text: long, column: 10_000 }, 5000))?.success);
		assert.equal((await c.request('evaluate', { expression: `${long} + 1`, context: 'repl' }, 5000))?.success, false);
		assert.ok((await c.request('setBreakpoints', { source: { path: fixture('basic.hmmw') }, breakpoints: [{ line: 9, condition: `${'a.'.repeat(4999)}b`, hitCondition: `${' '.repeat(9_000)}x` }] }, 5000))?.success);
		assert.ok(Date.now() - t0 < 3000, `long texts took ${Date.now() - t0} ms`);
		await alive();
	});

	it('writeMemory outside any mapping is an error with no memory event', async () => {
		await c.request('initialize', { adapterID: 'hmm', pathFormat: 'path' }, 5000);
		const launched = c.request('launch', { program: fixture('basic.hmmw'), stopOnEntry: true }, 10_000);
		await c.request('configurationDone', {}, 5000);
		await launched;
		const high = [2 ** 60, 2 ** 56 + 8, 2 ** 52, 2 ** 47 + 4096, 0x1000];
		for (const addr of high) {
			const r: DapMessage | undefined = await c.request('writeMemory', { memoryReference: `0:0x${addr.toString(16)}`, data: 'AAAA' }, 5000);
			assert.equal(r?.success, false, `write at 0x${addr.toString(16)}`);
		}
		assert.equal(c.events.filter(e => e.event === 'memory').length, 0);
	});
	it('launch refuses an unwritable trace path and a script over maxScriptSize, before running', async () => {
		await c.request('initialize', { adapterID: 'hmm', pathFormat: 'path' }, 5000);
		const t = await c.request('launch', { program: fixture('basic.hmmw'), trace: '/nonexistent-dir/t.json' }, 10_000);
		assert.equal(t?.success, false);
		assert.match(t?.message ?? '', /cannot write trace/);
		const big = await c.request('launch', { program: fixture('basic.hmmw'), maxScriptSize: 10 }, 10_000);
		assert.equal(big?.success, false);
		assert.match(big?.message ?? '', /basic\.hmmw:1:1: the script is \d+ bytes, over the limit of 10 bytes/);
		const dev = await c.request('launch', { program: '/dev/zero' }, 10_000);
		assert.match(dev?.message ?? '', /not a regular file/);
		await alive();
	});
});
