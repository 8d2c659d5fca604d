// Inspection: the Locals / Processes / Devices / Statistics scopes (paged VMAs and mirrors, pages
// decoded per field), the hex toggle, evaluate and completions, readMemory / writeMemory, and the
// `residency` and `processes` custom requests.
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, useSession } from './helpers';

const X = 0x7effffffc000;

describe('debug adapter: variables, evaluate, memory, residency', function () {
	this.timeout(20000);
	const s = useSession();
	const MIGRATE = fixture('migrate.hmmw');

	/** Stopped on line 9 of migrate.hmmw: X's four pages are on the gpu. */
	async function onGpu(): Promise<void> {
		await s().launch(MIGRATE, { breakpoints: [{ line: 9 }] });
		await s().stopped('breakpoint', 9);
	}

	it('Locals: ranges show address and length and expand to where and pages; numbers are plain', async () => {
		await onGpu();
		const locals = await s().children((await s().scopes()).get('Locals')!.variablesReference);
		const x = locals.get('X')!;
		assert.equal(x.value, '[0x7effffffc000, 0x7f0000000000) 16384 bytes');
		assert.ok(x.memoryReference, 'a range carries a memoryReference');
		assert.equal(x.indexedVariables, 4);
		const named = await s().children(x.variablesReference, { filter: 'named' });
		assert.deepEqual(['address', 'length', 'pages', 'where'].map(n => named.get(n)?.value), ['0x7effffffc000', '16384', '4', 'gpu']);
		const pages = await s().vars(x.variablesReference, { filter: 'indexed', start: 1, count: 2 });
		assert.deepEqual(pages.map(p => p.name), ['0x7effffffd000', '0x7effffffe000']);
		assert.match(pages[0].value, /^gpu, device-private entry/);
	});

	it('buffers expand paged, element by element', async () => {
		await s().launch(fixture('events.hmmw'), { breakpoints: [{ line: 8 }] });
		await s().stopped('breakpoint', 8);
		const b = (await s().children((await s().scopes()).get('Locals')!.variablesReference)).get('B')!;
		assert.equal(b.value, 'buffer of 4096 words');
		assert.equal(b.indexedVariables, 4096);
		const els = await s().vars(b.variablesReference, { filter: 'indexed', start: 1500, count: 3 });
		assert.deepEqual(els.map(e => [e.name, e.value]), [['[1500]', '1500'], ['[1501]', '1501'], ['[1502]', '1502']]);
	});

	it('Processes: pid, rss, faults, VMAs, and pages decoded (location, CPU PTE, mirror entry, struct page)', async () => {
		await onGpu();
		const p = await s().children((await s().lookup('Processes', 'p')).variablesReference);
		assert.deepEqual(['pid', 'alive', 'current', 'rss (pages)', 'faults', 'mirrored by'].map(n => p.get(n)?.value), ['1000', 'true', 'true', '4', '4', 'gpu']);
		const vmas = p.get('VMAs')!;
		assert.equal(vmas.indexedVariables, 1);
		const vma = (await s().vars(vmas.variablesReference))[0];
		assert.equal(vma.value, '0x7effffffc000-0x7f0000000000 rw- anon private, 4 pages');
		assert.equal(vma.indexedVariables, 4);
		assert.ok(vma.memoryReference);
		const vn = await s().children(vma.variablesReference, { filter: 'named' });
		assert.deepEqual(['start', 'end', 'prot', 'kind', 'pages'].map(n => vn.get(n)?.value), ['0x7effffffc000', '0x7f0000000000', 'rw-', 'anon private', '4']);
		const res = await s().children(vn.get('residency')!.variablesReference);
		assert.equal(res.get('gpu')?.value, '4');
		const page = (await s().vars(vma.variablesReference, { filter: 'indexed', start: 0, count: 1 }))[0];
		const pk = await s().children(page.variablesReference);
		assert.equal(pk.get('location')?.value, 'gpu');
		assert.match(pk.get('gpu mirror')?.value ?? '', /^(none|r|rw)/);
		assert.equal(pk.get('memory')?.value, 'gpu (device)');
		assert.match(pk.get('flags')?.value ?? '', /DEV_PRIVATE/);
		assert.equal(pk.get('refcount')?.value, '1');
		assert.ok(pk.has('mapcount') && pk.has('pincount'));
		const pte = await s().children(pk.get('CPU PTE')!.variablesReference);
		assert.equal(pte.get('type')?.value, 'device-private entry');
		assert.equal(pte.get('write')?.value, 'true');
		assert.ok(pte.has('dirty') && pte.has('young') && pte.has('pfn') && pte.has('PMD mapped (huge)'));
	});

	it('a RAM page decodes as present, dirty, anonymous', async () => {
		await s().launch(MIGRATE, { breakpoints: [{ line: 7 }] });
		await s().stopped('breakpoint', 7);
		const vma = (await s().vars((await s().lookup('Processes', 'p', 'VMAs')).variablesReference))[0];
		const page = (await s().vars(vma.variablesReference, { filter: 'indexed', start: 3, count: 1 }))[0];
		assert.match(page.value, /^ram, present write dirty young/);
		const pk = await s().children(page.variablesReference);
		assert.equal(pk.get('flags')?.value, 'ANON | DIRTY');
		assert.equal(pk.get('mapcount')?.value, '1');
	});

	it('a THP page shows (PMD) and its folio; a file VMA shows its file, offset and advice', async () => {
		await s().launch(fixture('thp.hmmw'), { breakpoints: [{ line: 9 }] });
		await s().stopped('breakpoint', 9);
		const vmas = await s().vars((await s().lookup('Processes', 'p', 'VMAs')).variablesReference);
		assert.deepEqual(vmas.map(v => v.name.split(' ')[1]), ['F', 'H']);
		const [f, h] = vmas;
		assert.match(f.value, / r-- file f shared, 4 pages$/);
		const fn = await s().children(f.variablesReference, { filter: 'named' });
		assert.deepEqual(['file', 'file offset', 'kind'].map(n => fn.get(n)?.value), ['f', '8192', 'file f shared']);
		const hn = await s().children(h.variablesReference, { filter: 'named' });
		assert.equal(hn.get('advice')?.value, 'hugepage');
		const res = await s().children(hn.get('residency')!.variablesReference);
		assert.deepEqual([...res].map(([n, v]) => [n, v.value]), [['ram', '512']]);
		const [head, tail] = await s().vars(h.variablesReference, { filter: 'indexed', start: 0, count: 2 });
		assert.match(head.value, /^ram, present write dirty young \(PMD\)$/);
		const hk = await s().children(head.variablesReference);
		const tk = await s().children(tail.variablesReference);
		assert.equal(hk.get('flags')?.value, 'ANON | HEAD | DIRTY');
		assert.match(tk.get('flags')?.value ?? '', /TAIL/);
		assert.equal(Number(tk.get('pfn')?.value), Number(hk.get('pfn')?.value) + 1);
		const pte = await s().children(hk.get('CPU PTE')!.variablesReference);
		assert.equal(pte.get('PMD mapped (huge)')?.value, 'true');
		const r = (await s().dc.customRequest('residency', { maxCells: 4 })).body as { legend: string[]; runs: number[]; pagesPerCell: number };
		// F's 4 page-cache pages right below H's 512: 516 pages of RAM in 4 cells of 129
		assert.deepEqual([r.pagesPerCell, r.runs.map((c, i) => (i % 2 ? c : r.legend[c]))], [129, ['ram', 4]]);
	});

	it('a VMA of 4M pages pages its children: only what is asked is built', async () => {
		await s().launch(fixture('big.hmmw'), { breakpoints: [{ line: 6 }] });
		await s().stopped('breakpoint', 6);
		const vma = (await s().vars((await s().lookup('Processes', 'p', 'VMAs')).variablesReference))[0];
		assert.equal(vma.indexedVariables, 4194304);
		const tail = await s().vars(vma.variablesReference, { filter: 'indexed', start: 4194300, count: 100 });
		assert.equal(tail.length, 4);
		assert.equal(tail[3].value, 'none');
		const head = await s().vars(vma.variablesReference, { filter: 'indexed', start: 16383, count: 2 });
		assert.deepEqual(head.map(v => v.value.split(',')[0]), ['ram', 'none']);
		const res = await s().children((await s().children(vma.variablesReference, { filter: 'named' })).get('residency')!.variablesReference);
		assert.deepEqual([res.get('ram')?.value, res.get('none')?.value], ['16384', String(4194304 - 16384)]);
	});

	it('Devices: config, memory, mirror page tables (paged) and counters; Statistics', async () => {
		await s().launch(fixture('events.hmmw'), { breakpoints: [{ line: 8 }] });
		await s().stopped('breakpoint', 8);
		const gpu = await s().children((await s().lookup('Devices', 'gpu')).variablesReference);
		assert.deepEqual(['kind', 'policy', 'link', 'capacity', 'used (pages)', 'free (pages)'].map(n => gpu.get(n)?.value), ['private', 'mirror', 'pcie4', '64 MiB', '0', '16384']);
		const mirrors = await s().children(gpu.get('mirrors')!.variablesReference);
		const table = mirrors.get('p')!;
		assert.equal(table.indexedVariables, 4);
		const entries = await s().vars(table.variablesReference, { filter: 'indexed', start: 2, count: 2 });
		assert.deepEqual(entries.map(e => e.name), ['0x7effffffe000', '0x7efffffff000']);
		assert.match(entries[0].value, /^rw? pfn 0x[0-9a-f]+ \(ram\)$/);
		const counters = await s().children(gpu.get('counters')!.variablesReference);
		assert.equal(counters.get('faults')?.value, '4');
		assert.ok(gpu.has('memory chunks'));
		const stats = await s().children((await s().scopes()).get('Statistics')!.variablesReference);
		assert.equal(stats.get('steps')?.value, '6');
		assert.match(stats.get('simulated time')?.value ?? '', / (ns|us|ms)$/);
		assert.deepEqual([stats.get('expectations passed')?.value, stats.get('expectations failed')?.value], ['0', '0']);
		assert.ok(stats.get('gpu')!.variablesReference > 0, 'per-device counters');
	});

	it('toggleFormatting switches numbers to hex and invalidates the Variables view', async () => {
		await onGpu();
		const before = await s().lookup('Processes', 'p', 'pid');
		assert.equal(before.value, '1000');
		assert.equal((before as { __vscodeVariableMenuContext?: string }).__vscodeVariableMenuContext, 'number');
		await s().dc.customRequest('toggleFormatting');
		const inv = await s().next<DebugProtocol.InvalidatedEvent>('invalidated');
		assert.deepEqual(inv.body.areas, ['variables']);
		assert.equal((await s().lookup('Processes', 'p', 'pid')).value, '0x3e8');
		assert.equal(await s().evaluate('count(X, gpu)'), '0x4');
		await s().dc.customRequest('toggleFormatting');
		assert.equal((await s().lookup('Processes', 'p', 'pid')).value, '1000');
		const viaFormat = await s().dc.evaluateRequest({ expression: '255', context: 'watch', format: { hex: true } });
		assert.equal(viaFormat.body.result, '0xff');
	});

	it('evaluates any expression in watch, hover and repl', async () => {
		await onGpu();
		assert.equal(await s().evaluate('count(X, gpu) + mapped(gpu, X)'), String(4 + Number(await s().evaluate('mapped(gpu, X)'))));
		assert.equal(await s().evaluate('gpu.migrated_in', 'repl'), '4');
		assert.equal(await s().evaluate('p.pid == 1000 and last.cpages == 4', 'repl'), 'true');
		assert.equal(await s().evaluate('npages(X[4096:])'), '3');
		const hover = (await s().dc.evaluateRequest({ expression: 'X', context: 'hover' })).body;
		assert.equal(hover.result, '[0x7effffffc000, 0x7f0000000000) 16384 bytes');
		assert.ok(hover.variablesReference > 0 && hover.memoryReference);
		// a device name is not a script value, but hovering it shows the device
		assert.ok((await s().dc.evaluateRequest({ expression: 'gpu', context: 'hover' })).body.variablesReference > 0);
		await assert.rejects(s().dc.evaluateRequest({ expression: 'event.kind', context: 'repl' }), /only while stopped on an engine event/);
		await assert.rejects(s().dc.evaluateRequest({ expression: '1 / 0', context: 'repl' }), /division by zero/);
	});

	it('completes variables, builtins, devices, processes and their properties, last.* and event.*', async () => {
		await onGpu();
		const labels = async (text: string) => (await s().dc.completionsRequest({ text, column: text.length + 1 })).body.targets.map(t => t.label);
		assert.ok((await labels('')).includes('X'));
		assert.deepEqual(await labels('wh'), ['where']);
		assert.ok((await labels('g')).includes('gpu'));
		assert.deepEqual(await labels('gpu.migr'), ['migrated_in', 'migrated_out']);
		assert.deepEqual(await labels('p.'), ['pid', 'rss', 'faults', 'oom_score_adj']);
		assert.deepEqual(await labels('1 + last.'), ['cpages', 'faults', 'error', 'moved', 'retries']);
		assert.ok((await labels('event.')).includes('npages'));
	});

	it('readMemory returns process memory without side effects; unmapped bytes are unreadable', async () => {
		await onGpu();
		const ref = (await s().lookup('Locals', 'X')).memoryReference!;
		const faults = await s().evaluate('p.faults');
		const r = (await s().dc.customRequest('readMemory', { memoryReference: ref, offset: 4096, count: 8 })).body as DebugProtocol.ReadMemoryResponse['body'];
		const bytes = Buffer.from(r!.data!, 'base64');
		assert.deepEqual([bytes.readInt32LE(0), bytes.readInt32LE(4)], [1024, 1025]);
		assert.equal(r!.address, '0x' + (X + 4096).toString(16));
		// pages stay on the device and no fault is taken
		assert.equal(await s().evaluate('where(X)'), '"gpu"');
		assert.equal(await s().evaluate('p.faults'), faults);
		const tail = (await s().dc.customRequest('readMemory', { memoryReference: ref, offset: 16384 - 4, count: 12 })).body as DebugProtocol.ReadMemoryResponse['body'];
		assert.equal(Buffer.from(tail!.data!, 'base64').length, 4);
		assert.equal(tail!.unreadableBytes, 8);
		const before = (await s().dc.customRequest('readMemory', { memoryReference: ref, offset: -65536, count: 16 })).body as DebugProtocol.ReadMemoryResponse['body'];
		assert.equal(before!.data ?? '', '');
		assert.equal(before!.unreadableBytes, 16);
	});

	it('writeMemory is a CPU write with its faults, then memory and invalidated events', async () => {
		await onGpu();
		const ref = (await s().lookup('Locals', 'X')).memoryReference!;
		const data = Buffer.alloc(4);
		data.writeInt32LE(-7);
		const w = await s().dc.customRequest('writeMemory', { memoryReference: ref, offset: 8, data: data.toString('base64') });
		assert.equal((w.body as { bytesWritten: number }).bytesWritten, 4);
		const mem = await s().next<DebugProtocol.MemoryEvent>('memory');
		assert.deepEqual([mem.body.memoryReference, mem.body.offset, mem.body.count], [ref, 8, 4]);
		await s().next('invalidated');
		assert.equal(await s().evaluate('word(X, 2)'), '-7');
		assert.equal(await s().evaluate('word(X, 3)'), '3', 'the rest of the page is unchanged');
		assert.equal(await s().evaluate('where(page(X, 0))'), '"ram"', 'the CPU write faulted the page back from the device');
		assert.equal(await s().evaluate('p.faults'), '5');
		await assert.rejects(s().dc.customRequest('writeMemory', { memoryReference: ref, offset: 16384, data: data.toString('base64') }), /not mapped/);
	});

	it('residency: run-length cells by location, VMAs, and coarser cells on request', async () => {
		await onGpu();
		let r = (await s().dc.customRequest('residency')).body as Record<string, unknown>;
		assert.deepEqual(r, {
			process: 'p', pid: 1000, start: X, end: X + 16384, pagesPerCell: 1,
			legend: ['none', 'zero', 'ram', 'swap', 'gpu', 'mixed'], runs: [4, 4],
			vmas: [{ start: X, end: X + 16384, prot: 'rw-', kind: 'anon', name: 'X' }], time: r.time,
			counts: [0, 0, 0, 0, 4, 0], marks: [0, 4], devices: [{ device: 'gpu', runs: [1, 4], pages: { resident: 4, remote: 0, copy: 0, readonly: 0, atomic: 0 } }],
			gauges: [{ name: 'gpu', usedPages: 4, capacityPages: 16384 }], watches: [],
		});
		await s().dc.nextRequest({ threadId: 1 });
		await s().stopped('step', 10);
		r = (await s().dc.customRequest('residency', { process: 'p' })).body as Record<string, unknown>;
		assert.deepEqual(r.runs, [4, 1, 2, 1, 4, 2]);
		r = (await s().dc.customRequest('residency', { maxCells: 2 })).body as Record<string, unknown>;
		assert.deepEqual([r.pagesPerCell, r.runs], [2, [5, 1, 4, 1]]);
		r = (await s().dc.customRequest('residency', { start: X - 8192, end: X + 4096 })).body as Record<string, unknown>;
		assert.deepEqual(r.runs, [0, 2, 4, 1]);
		const procs = (await s().dc.customRequest('processes')).body;
		assert.deepEqual(procs, { processes: [{ name: 'p', pid: 1000, alive: true }] });
	});

	it('residency of a 4M-page mapping is compact', async () => {
		await s().launch(fixture('big.hmmw'), { breakpoints: [{ line: 6 }] });
		await s().stopped('breakpoint', 6);
		const r = (await s().dc.customRequest('residency')).body as { pagesPerCell: number; runs: number[] };
		assert.equal(r.pagesPerCell, 64, 'at most 65536 cells unless asked');
		assert.deepEqual(r.runs, [2, 256, 0, 65536 - 256]);
	});
});
