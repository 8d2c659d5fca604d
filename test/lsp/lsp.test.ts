// The language server over the protocol, as an editor drives it: `hmmw lsp --stdio` in its own
// process, JSON-RPC over its stdin/stdout.
import * as assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createMessageConnection, type MessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

interface Diag { range: { start: { line: number; character: number } }; message: string; severity: number }

const SCRIPT = [
	'device gpu memory=64MiB',          // 1
	'process app',                      // 2
	'gpu mirror app',                   // 3
	'X = mmap 4MiB anon rw',            // 4
	'cpu write X = i',                  // 5
	'migrate X -> gpu',                 // 6
	'expect where(X) == "gpu"',         // 7
	'expect count(X, gpu) == npages(X)', // 8
	'print gpu.migrated_in',            // 9
].join('\n');

describe('language server (hmmw lsp) over the protocol', function () {
	this.timeout(30_000);
	let child: ChildProcess;
	let conn: MessageConnection;
	const diags = new Map<string, Diag[][]>();
	let version = 1;

	const uri = (name: string) => `file:///work/${name}`;
	const waitDiags = async (u: string, n: number): Promise<Diag[]> => {
		for (let t = 0; t < 200; t++) {
			const got = diags.get(u) ?? [];
			if (got.length >= n) { return got[n - 1]; }
			await new Promise(r => setTimeout(r, 25));
		}
		throw new Error(`no diagnostics #${n} for ${u}`);
	};
	const open = (name: string, text: string) => conn.sendNotification('textDocument/didOpen', { textDocument: { uri: uri(name), languageId: 'hmmw', version: version++, text } });
	const at = (name: string, line: number, character: number) => ({ textDocument: { uri: uri(name) }, position: { line: line - 1, character } });

	before(async () => {
		child = spawn(process.execPath, [CLI, 'lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
		conn = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
		conn.onNotification('textDocument/publishDiagnostics', (p: { uri: string; diagnostics: Diag[] }) => {
			const l = diags.get(p.uri) ?? [];
			l.push(p.diagnostics);
			diags.set(p.uri, l);
		});
		conn.listen();
		const init = await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: { delay: 10 } }) as { capabilities: Record<string, unknown> };
		for (const c of ['completionProvider', 'hoverProvider', 'signatureHelpProvider', 'documentSymbolProvider', 'definitionProvider', 'referencesProvider', 'codeActionProvider']) {
			assert.ok(init.capabilities[c], `capability ${c}`);
		}
		await conn.sendNotification('initialized', {});
		await open('ok.hmmw', SCRIPT);
	});

	after(async () => {
		await conn.sendRequest('shutdown');
		await conn.sendNotification('exit');
		conn.dispose();
		child.kill();
	});

	it('publishes the checker\'s diagnostics, located, with the message `hmmw check` prints', async () => {
		assert.deepEqual(await waitDiags(uri('ok.hmmw'), 1), []);
		const bad = 'device gpu memory=64MiB\nprocess app\ngpuu mirror app\nX = mmap 4MiB anon rw\nmadvise X dontned\n';
		await open('bad.hmmw', bad);
		const d = await waitDiags(uri('bad.hmmw'), 1);
		const dir = mkdtempSync(path.join(os.tmpdir(), 'lsp-'));
		writeFileSync(path.join(dir, 'bad.hmmw'), bad);
		const check = spawnSync(process.execPath, [CLI, 'check', 'bad.hmmw'], { cwd: dir, encoding: 'utf8' });
		const expected = check.stderr.trim().split('\n').map(l => /^bad\.hmmw:(\d+):(\d+): (.*)$/.exec(l)!).map(m => `${m[1]}:${m[2]}: ${m[3]}`);
		assert.ok(expected.length >= 2, check.stderr);
		assert.deepEqual(d.map(x => `${x.range.start.line + 1}:${x.range.start.character + 1}: ${x.message}`), expected);
		assert.ok(d.some(x => /unknown device 'gpuu'/.test(x.message)));
		assert.ok(d.some(x => /unknown advice 'dontned'/.test(x.message)), 'a checker error on a later line is reported too');
	});

	it('re-checks after an edit', async () => {
		await conn.sendNotification('textDocument/didChange', {
			textDocument: { uri: uri('bad.hmmw'), version: version++ },
			contentChanges: [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 4 } }, text: 'gpu' }],
		});
		const d = await waitDiags(uri('bad.hmmw'), 2);
		assert.ok(!d.some(x => /unknown device/.test(x.message)), JSON.stringify(d));
		assert.ok(d.some(x => /unknown advice/.test(x.message)), JSON.stringify(d));
		assert.equal(diags.get(uri('bad.hmmw'))!.length, 2, 'one publish for the open, one for the edit');
	});

	it('completes statements, members, options, locations and words of each statement from the vocabulary', async () => {
		type L = { items?: { label: string }[] } | { label: string }[];
		const labels = async (name: string, text: string, line: number, ch: number) => {
			await open(name, text);
			const r = await conn.sendRequest('textDocument/completion', at(name, line, ch)) as L;
			return (Array.isArray(r) ? r : r.items ?? []).map(i => i.label);
		};
		const head = await labels('c1.hmmw', SCRIPT + '\n', 10, 0);
		for (const w of ['device', 'process', 'migrate', 'expect', 'for', 'gpu', 'X']) { assert.ok(head.includes(w), `statement start offers ${w}: ${head.join(' ')}`); }
		const mem = await labels('c2.hmmw', SCRIPT + '\nprint gpu.', 10, 10);
		assert.ok(mem.includes('migrated_in') && mem.includes('cpu_faults') && mem.includes('used'), mem.join(' '));
		const last = await labels('c3.hmmw', SCRIPT + '\nprint last.', 10, 11);
		assert.deepEqual(last.sort(), ['cpages', 'error', 'faults', 'moved', 'retries']);
		const opts = await labels('c4.hmmw', 'device gpu memory=1GiB ', 1, 23);
		assert.ok(opts.includes('kind') && opts.includes('link'), opts.join(' '));
		const kinds = await labels('c5.hmmw', 'device gpu kind=', 1, 16);
		assert.deepEqual(kinds.sort(), ['coherent', 'private']);
		const to = await labels('c6.hmmw', SCRIPT + '\nmigrate X -> ', 10, 13);
		assert.deepEqual(to.sort(), ['gpu', 'ram']);
		const ops = await labels('c7.hmmw', SCRIPT + '\ngpu ', 10, 4);
		assert.ok(ops.includes('mirror') && ops.includes('release') && ops.includes('read'), ops.join(' '));
		const expr = await labels('c8.hmmw', SCRIPT + '\nexpect ', 10, 7);
		assert.ok(expr.includes('where') && expr.includes('X') && expr.includes('app'), expr.join(' '));
		const codes = await labels('c9.hmmw', 'expect error ', 1, 13);
		assert.ok(codes.includes('EFAULT') && codes.includes('SIGSEGV'));
	});

	it('hovers keywords, builtins, members and names with their documentation', async () => {
		const h = async (line: number, ch: number) => ((await conn.sendRequest('textDocument/hover', at('ok.hmmw', line, ch))) as { contents: { value: string } } | null)?.contents.value ?? '';
		assert.match(await h(6, 2), /migrate R -> DEV\|ram/);
		assert.match(await h(7, 9), /where\(R\)/);
		assert.match(await h(9, 11), /migrated_in.*migrated to the device/);
		assert.match(await h(7, 14), /variable `X`[\s\S]*X = mmap 4MiB anon rw/);
		assert.match(await h(3, 1), /device `gpu`[\s\S]*device gpu memory=64MiB/);
		assert.match(await h(1, 12), /memory=/);
	});

	it('gives signature help inside builtin calls, on the right argument', async () => {
		const s = await conn.sendRequest('textDocument/signatureHelp', at('ok.hmmw', 8, 17)) as { signatures: { label: string }[]; activeParameter: number };
		assert.equal(s.signatures[0].label, 'count(R, LOC)');
		assert.equal(s.activeParameter, 1);
	});

	it('outlines devices, processes with their mappings, and kernels', async () => {
		await open('o.hmmw', SCRIPT + '\nprocess other\nY = mmap 1MiB anon rw\n');
		const syms = await conn.sendRequest('textDocument/documentSymbol', { textDocument: { uri: uri('o.hmmw') } }) as { name: string; children?: { name: string }[] }[];
		assert.deepEqual(syms.map(s => s.name), ['gpu', 'app', 'other']);
		assert.deepEqual(syms[1].children?.map(c => c.name), ['X']);
		assert.deepEqual(syms[2].children?.map(c => c.name), ['Y']);
	});

	it('goes to definitions and finds references', async () => {
		const defs = await conn.sendRequest('textDocument/definition', at('ok.hmmw', 6, 8)) as { range: { start: { line: number; character: number } } }[];
		assert.deepEqual(defs.map(d => [d.range.start.line + 1, d.range.start.character + 1]), [[4, 1]]);
		const refs = await conn.sendRequest('textDocument/references', { ...at('ok.hmmw', 4, 0), context: { includeDeclaration: true } }) as { range: { start: { line: number } } }[];
		assert.deepEqual(refs.map(r => r.range.start.line + 1), [4, 5, 6, 7, 8, 8]);
		const gpu = await conn.sendRequest('textDocument/references', { ...at('ok.hmmw', 1, 8), context: { includeDeclaration: false } }) as { range: { start: { line: number } } }[];
		assert.deepEqual(gpu.map(r => r.range.start.line + 1), [3, 6, 8, 9]);
	});

	it('offers quick fixes for misspelt names', async () => {
		const text = 'device gpu memory=64MiB\nprocess app\ngpu mirror app\nX = mmap 4MiB anon rw\nexpect wher(X) == "ram"\nmadvise X dontned\n';
		await open('fix.hmmw', text);
		const d = await waitDiags(uri('fix.hmmw'), 1);
		const actions = await conn.sendRequest('textDocument/codeAction', { textDocument: { uri: uri('fix.hmmw') }, range: d[0].range, context: { diagnostics: d } }) as { title: string; edit: { changes: Record<string, { newText: string }[]> } }[];
		const titles = actions.map(a => a.title);
		assert.ok(titles.includes('Change to \'where\''), titles.join(', '));
		assert.ok(titles.includes('Change to \'dontneed\''), `${titles.join(', ')} from ${d.map(x => x.message).join(' | ')}`);
		assert.equal(actions.find(a => a.title === 'Change to \'where\'')!.edit.changes[uri('fix.hmmw')][0].newText, 'where');
	});
});
