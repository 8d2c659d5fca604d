// The adapter's writing side (issue 13, debugger `next` speed): the messages of one turn of the
// event loop leave in one write, in order, and nothing is lost at the end; `next` is answered with its response and its stopped
// event in one write, and a continue that ends the run is answered before its end is reported. The plain Content-Length header is read
// without regular expressions and means what the general reader says it means.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { BatchedWriter, Framer } from '../../src/debug/transport';
import { fixture } from './helpers';

function sink(): { out: Writable; writes: string[]; ended: () => boolean } {
	const writes: string[] = [];
	let ended = false;
	const out = new Writable({ write(chunk: Buffer, _enc, cb) { writes.push(chunk.toString()); cb(); }, final(cb) { ended = true; cb(); } });
	return { out, writes, ended: () => ended };
}

const turn = () => new Promise<void>(resolve => setImmediate(resolve));

describe('debug adapter: batched writes', () => {
	it('writes the messages of one event-loop turn once, in order', async () => {
		const s = sink();
		const w = new BatchedWriter(s.out);
		w.write('a');
		w.write('b');
		w.write('c');
		assert.deepEqual(s.writes, [], 'nothing leaves before the turn ends');
		await turn();
		await turn();
		assert.deepEqual(s.writes, ['abc']);
		w.write('d');
		await turn();
		await turn();
		assert.deepEqual(s.writes, ['abc', 'd']);
	});

	it('a message queued after a scheduled job (the step) leaves with what the job sends; flush writes at once', async () => {
		const s = sink();
		const w = new BatchedWriter(s.out);
		// a job scheduled before the response was queued (a run's next slice) still leaves with it
		setImmediate(() => w.write('stopped'));
		w.write('response');
		await turn();
		await turn();
		assert.deepEqual(s.writes, ['responsestopped']);
		w.write('continued');
		w.flush();
		assert.deepEqual(s.writes, ['responsestopped', 'continued']);
	});

	it('end flushes what is queued before ending the stream', async () => {
		const s = sink();
		const w = new BatchedWriter(s.out);
		w.write('last');
		w.end();
		await turn();
		assert.deepEqual(s.writes, ['last']);
		assert.equal(s.ended(), true);
	});
});

describe('debug adapter: writes of a chunk being handled, and straight to the file descriptor', () => {
	it('what is sent while a chunk is handled leaves in one write at its end, with no job left for the turn', async () => {
		const s = sink();
		const w = new BatchedWriter(s.out);
		w.batch(() => {
			w.write('response');
			w.batch(() => w.write('event'));
			assert.deepEqual(s.writes, [], 'an inner batch does not write');
		});
		assert.deepEqual(s.writes, ['responseevent'], 'written when the outer batch ends, before the turn does');
		await turn();
		await turn();
		assert.deepEqual(s.writes, ['responseevent'], 'nothing written twice');
		w.write('later');
		await turn();
		await turn();
		assert.deepEqual(s.writes, ['responseevent', 'later'], 'outside a batch, the end of the turn as before');
	});

	it('with a file descriptor: written to it while the stream holds nothing, else through the stream, in order', async () => {
		const dir = mkdtempSync(path.join(os.tmpdir(), 'bw-'));
		const file = path.join(dir, 'out');
		const fd = openSync(file, 'w');
		try {
			// a stream whose writes complete only when released: while one waits, order needs the stream
			const held: (() => void)[] = [];
			const streamed: string[] = [];
			const out = new Writable({ write(chunk: Buffer, _enc, cb) { streamed.push(chunk.toString()); held.push(cb); } });
			const w = new BatchedWriter(out, fd);
			w.batch(() => w.write('a€'));
			assert.equal(readFileSync(file, 'utf8'), 'a€', 'straight to the descriptor');
			out.write('x');
			w.batch(() => w.write('b'));
			assert.equal(readFileSync(file, 'utf8'), 'a€', 'not past what the stream holds');
			while (held.length) { held.shift()!(); await turn(); }
			assert.deepEqual(streamed, ['x', 'b'], 'behind it, through the stream');
			w.batch(() => w.write('c'));
			assert.equal(readFileSync(file, 'utf8'), 'a€c');
			closeSync(fd);
			w.batch(() => w.write('d'));
			while (held.length) { held.shift()!(); await turn(); }
			assert.deepEqual(streamed, ['x', 'b', 'd'], 'a descriptor that fails leaves the write to the stream (which reports its errors)');
		} finally {
			try { closeSync(fd); } catch { /* closed above */ }
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('a pipe that takes part of a write (or none) gets the rest through the stream, in order', async () => {
		// cat echoes what it reads; its stdin is a non-blocking pipe of 64 KiB, so writes of 300 KB
		// are taken in part (or refused) while cat has not read yet
		const cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'ignore'] });
		const back: Buffer[] = [];
		cat.stdout.on('data', (d: Buffer) => back.push(d));
		const done = new Promise(resolve => cat.on('close', resolve));
		const fd = (cat.stdin as unknown as { _handle: { fd: number } })._handle.fd;
		const w = new BatchedWriter(cat.stdin, fd);
		const sent: string[] = [];
		for (let i = 0; i < 6; i++) {
			const text = `${i}:${String.fromCharCode(0x41 + i).repeat(300_000)}é\n`;
			sent.push(text);
			w.batch(() => w.write(text));
		}
		w.end();
		await done;
		assert.equal(Buffer.concat(back).toString('utf8'), sent.join(''));
	});
});

describe('debug adapter: the plain header', () => {
	function read(chunks: string[]): { messages: unknown[]; bad: string[] } {
		const messages: unknown[] = [];
		const bad: string[] = [];
		const f = new Framer({ message: m => messages.push(m), bad: b => bad.push(b.why) });
		for (const c of chunks) { f.feed(Buffer.from(c, 'latin1')); }
		return { messages, bad };
	}
	const body = '{"seq":1,"type":"request","command":"threads"}';

	it('reads `Content-Length: N` and the headers the general reader accepts alike', () => {
		for (const header of [`Content-Length: ${body.length}`, `content-length:${body.length}`, `Content-Length:  ${body.length} `, `X-Other: 1\r\nContent-Length: ${body.length}`]) {
			const r = read([`${header}\r\n\r\n${body}`]);
			assert.deepEqual(r.bad, [], header);
			assert.deepEqual(r.messages, [JSON.parse(body)], header);
		}
	});

	it('refuses what is not a length, whichever reader sees it', () => {
		for (const len of ['', '12a', '-1', '99999999999999999', '1.5']) {
			const r = read([`Content-Length: ${len}\r\n\r\n`]);
			assert.equal(r.messages.length, 0, len);
			assert.equal(r.bad.length, 1, `'${len}' is reported`);
		}
	});

	it('reads frames in place: several in one chunk, one and a part of the next, a leading byte order mark', () => {
		const whole = `Content-Length: ${body.length}\r\n\r\n${body}`;
		assert.deepEqual(read([whole + whole + whole]).messages, [1, 2, 3].map(() => JSON.parse(body)));
		const r = read([whole + whole.slice(0, 30), whole.slice(30)]);
		assert.deepEqual([r.messages.length, r.bad], [2, []]);
		const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(body)]);
		const f = read([]);
		const messages: unknown[] = [];
		const framer = new Framer({ message: m => messages.push(m), bad: b => f.bad.push(b.why) });
		framer.feed(Buffer.concat([Buffer.from(`Content-Length: ${bom.length}\r\n\r\n`), bom]));
		assert.deepEqual([messages, f.bad], [[JSON.parse(body)], []], 'the mark is dropped, as a UTF-8 decoder does');
	});

	it('reads a message split anywhere, the header included', () => {
		const whole = `Content-Length: ${body.length}\r\n\r\n${body}`;
		for (let cut = 1; cut < whole.length; cut += 7) {
			const r = read([whole.slice(0, cut), whole.slice(cut)]);
			assert.deepEqual(r.messages, [JSON.parse(body)], `cut at ${cut}`);
		}
	});
});

describe('debug adapter: a step answered in one write', function () {
	this.timeout(30_000);

	it('next: the response and the stopped event arrive in the same chunk, the response first', async () => {
		const proc = spawn(process.execPath, [path.join(process.cwd(), 'dist/debugAdapter.js')], { stdio: ['pipe', 'pipe', 'ignore'] });
		const chunks: string[] = [];
		const waiting: { test: (all: string) => boolean; resolve: () => void }[] = [];
		proc.stdout.on('data', (d: Buffer) => {
			chunks.push(d.toString());
			const all = chunks.join('');
			for (const w of waiting.filter(x => x.test(all))) { waiting.splice(waiting.indexOf(w), 1); w.resolve(); }
		});
		const until = (test: (all: string) => boolean) => new Promise<void>(resolve => waiting.push({ test, resolve }));
		let seq = 1;
		const send = (command: string, args: unknown) => {
			const json = JSON.stringify({ seq: seq++, type: 'request', command, arguments: args });
			proc.stdin.write(`Content-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`);
		};
		try {
			send('initialize', { adapterID: 'hmm' });
			send('launch', { program: fixture('loop.hmmw'), stopOnEntry: true });
			await until(all => all.includes('"event":"initialized"'));
			send('configurationDone', {});
			await until(all => all.includes('"event":"stopped"'));
			for (let i = 0; i < 3; i++) {
				const before = chunks.length;
				const stops = chunks.join('').split('"event":"stopped"').length;
				send('next', { threadId: 1 });
				await until(all => all.split('"event":"stopped"').length > stops);
				const fresh = chunks.slice(before).join('');
				const response = fresh.indexOf('"command":"next"');
				assert.ok(response >= 0 && response < fresh.indexOf('"event":"stopped"'), 'the response comes first');
				assert.equal(chunks.length - before, 1, `one chunk for the response and the stop, not ${chunks.length - before}`);
			}
			// a continue is answered at once, before the slices that run it (and its end) write anything
			const before = chunks.length;
			send('continue', { threadId: 1 });
			await until(all => all.includes('"event":"terminated"'));
			const first = chunks[before];
			assert.ok(first.includes('"command":"continue"') && !first.includes('"event":"exited"'), `the response leaves alone: ${first.slice(0, 200)}`);
		} finally {
			proc.kill('SIGKILL');
		}
	});
});
