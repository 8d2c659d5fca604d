import * as assert from 'node:assert/strict';
import { run, vmasOf } from './helpers';
import { PTE } from '../../src/engine/mm/pagetable';

describe('CPU-side mm', () => {
	it('maps the zero page on first read and allocates on write', () => {
		const i = run(`process p\nX = mmap 4 pages anon rw\ncpu read X\nexpect where(X) == "zero"\ncpu write page(X, 1) = 7\nexpect where(page(X, 1)) == "ram"\nexpect count(X, zero) == 3\nexpect word(X, 1024) == 7`);
		const k = i.machine.k;
		assert.equal(k.frames.ramUsed, 1);
		assert.equal(i.machine.proc('p').rss(p => k.frames.isZero(p)), 1);
	});

	it('fork shares pages copy-on-write and copies on the first write', () => {
		const i = run(`process p\nX = mmap 2 pages anon rw\ncpu write X = i\nfork c\nexpect count(X, ram) == 2\nuse c\ncpu write page(X, 0) = 5\nexpect word(X, 0) == 5\nuse p\nexpect matches(X, i)`);
		const k = i.machine.k;
		const p = i.machine.proc('p'), c = i.machine.proc('c');
		const v0 = p.vmas.list[0].start;
		assert.notEqual(p.pt.pfn(v0), c.pt.pfn(v0), 'page 0 was copied');
		assert.equal(p.pt.pfn(v0 + 1), c.pt.pfn(v0 + 1), 'page 1 is still shared');
		assert.equal(k.frames.mapcount[(p.pt.pfn(v0 + 1)) >> 12][(p.pt.pfn(v0 + 1)) & 4095], 2);
		assert.equal(p.pt.pte(v0 + 1) & PTE.WRITE, 0, 'shared page is write-protected in the parent');
		assert.equal(k.frames.ramUsed, 3);
	});

	it('mprotect splits and merges VMAs; writes to read-only memory raise SIGSEGV', () => {
		const i = run(`process p\nX = mmap 8 pages anon rw\nmprotect pages(X, 2, 3) r\nexpect error SIGSEGV {\n cpu write page(X, 3)\n}\ncpu write page(X, 5)`);
		assert.deepEqual(vmasOf(i), ['rw- 2', 'r-- 3', 'rw- 3']);
		run(`process p\nX = mmap 8 pages anon rw\nmprotect pages(X, 2, 3) r\nmprotect pages(X, 2, 3) rw`);
		const j = run(`process p\nX = mmap 8 pages anon rw\nmprotect pages(X, 2, 3) r\nmprotect pages(X, 2, 3) rw`);
		assert.deepEqual(vmasOf(j), ['rw- 8']);
	});

	it('munmap punches holes and frees the pages', () => {
		const i = run(`process p\nX = mmap 8 pages anon rw\ncpu write X = 1\nmunmap pages(X, 2, 2)\nexpect error SIGSEGV {\n cpu read page(X, 2)\n}\nexpect matches(page(X, 5), 1)`);
		assert.deepEqual(vmasOf(i), ['rw- 2', 'rw- 4']);
		assert.equal(i.machine.k.frames.ramUsed, 6);
	});

	it('THP: huge mappings fault in 2 MiB folios under thp=madvise, and split on partial munmap', () => {
		const i = run(`process p\nX = mmap 4MiB anon rw huge\ncpu write page(X, 0) = 1\nexpect count(X, ram) == 512\nmunmap page(X, 100)\nexpect count(X, ram) == 511`);
		const k = i.machine.k;
		assert.equal(k.frames.ramUsed, 511);
		const j = run(`process p\nX = mmap 4MiB anon rw\ncpu write page(X, 0) = 1\nexpect count(X, ram) == 1`);
		assert.equal(j.machine.k.frames.ramUsed, 1);
		const t = run(`system thp=always\nprocess p\nX = mmap 4MiB anon rw\ncpu read page(X, 0)\nexpect count(X, zero) == 512`);
		assert.ok(t.machine.proc('p').pt.isHuge(t.machine.proc('p').vmas.list[0].start), 'huge zero page is PMD-mapped');
	});

	it('file pages are shared between mappings; private mappings copy on write', () => {
		const i = run(`file f size=2 pages = i + 100\nprocess p\nA = mmap 2 pages file f rw shared\nB = mmap 2 pages file f rw private\ncpu write page(A, 0) = 9\nexpect word(B, 0) == 9\ncpu write page(B, 1) = 3\nexpect word(A, 1024) == 1124\nexpect word(B, 1024) == 3`);
		const k = i.machine.k;
		assert.equal(k.files.get('f')!.pages.countPresent(0, 2), 2);
	});

	it('madvise dontneed drops private anon pages back to zero', () => {
		const i = run(`process p\nX = mmap 4 pages anon rw\ncpu write X = 5\nmadvise X dontneed\nexpect where(X) == "none"\nexpect matches(X, 0)`);
		assert.equal(i.machine.k.frames.ramUsed, 0);
	});

	it('accesses beyond the end of a file raise SIGBUS', () => {
		run(`file f size=4096\nprocess p\nA = mmap 2 pages file f r shared\ncpu read page(A, 0)\nexpect error SIGBUS {\n cpu read page(A, 1)\n}`);
	});

	it('running out of RAM runs the OOM killer: the only process is killed at the statement (out_of_memory)', () => {
		const i = run(`system ram=16 pages\nprocess p\nX = mmap 64 pages anon rw\nexpect error SIGKILL {\n cpu write X = 1\n}\nexpect error SIGKILL {\n use p\n}`);
		assert.equal(i.machine.k.frames.ramUsed, 0, 'exit_mmap freed its pages');
		assert.match(i.machine.k.oomKills[0], /^Out of memory: Killed process 1000 \(p\) rss:64kB/);
	});

	it('select_bad_process: the highest oom_badness is killed, and on a tie the later process', () => {
		const i = run([
			'system ram=64 pages', 'process a', 'X = mmap 28 pages anon rw', 'cpu write X = 1',
			'process b', 'Y = mmap 28 pages anon rw', 'cpu write Y = 1',
			'process c', 'Z = mmap 40 pages anon rw',
			'expect error SIGKILL {\n cpu write Z = 1\n}', // a and b tie at 31 points: b (the later) goes first; then c itself, at 39
			'process d', 'W = mmap 10 pages anon rw', 'cpu write W = 1',
			'use a', 'expect matches(X, 1)',
		].join('\n'));
		assert.deepEqual(i.machine.k.oomKills.map(l => /\((\w)\)/.exec(l)![1]), ['b', 'c']);
	});

	it('a 1 TiB mapping with 4096 touched pages stays small', () => {
		const before = process.memoryUsage().rss;
		const i = run(`process p\nX = mmap 1TiB anon rw\nfor k in 0..4096 {\n cpu write page(X, k * 65536) = k\n}\nexpect count(X, ram) == 4096\nexpect word(page(X, 65536 * 4095), 0) == 4095`, { invariants: false });
		assert.equal(i.machine.k.frames.ramUsed, 4096);
		assert.ok(process.memoryUsage().rss - before < 300 * 2 ** 20);
	});
});

describe('snapshots (time travel)', () => {
	it('restores memory and page tables, sharing contents copy-on-write', () => {
		const i = run(`process p\nX = mmap 2 pages anon rw\ncpu write X = 1`);
		const snap = i.snapshot();
		const m = i.machine;
		const g = m.cpuWrite({ addr: m.proc('p').vmas.list[0].start * 4096, len: 8192 }, { kind: 'linear', a: 0, b: 2 });
		while (!g.next().done) { /* */ }
		assert.equal(m.word({ addr: m.proc('p').vmas.list[0].start * 4096, len: 8192 }, 0), 2);
		i.restore(snap);
		assert.equal(i.machine.word({ addr: i.machine.proc('p').vmas.list[0].start * 4096, len: 8192 }, 0), 1);
		i.restore(snap);
		assert.equal(i.machine.word({ addr: i.machine.proc('p').vmas.list[0].start * 4096, len: 8192 }, 5), 1);
	});
});

describe('fills', () => {
	it('linear fills of any slope store exact int32 words, wrapping like C', () => {
		const i = run(`process p\nX = mmap 4 pages anon rw\ncpu write X = 3 * i + 7\nexpect word(X, 3000) == 9007\nexpect matches(X, 3 * i + 7)\ncpu write X = i * 1000000000\nexpect word(X, 5) == 705032704\nexpect word(X, 3) == -1294967296\ncpu write X = 2 - i\nexpect word(X, 4095) == -4093`);
		assert.equal(i.machine.k.content.live, 0, 'whole pages of a linear fill need no bytes');
		assert.equal(i.machine.k.content.patterns, 4);
	});

	it('non-linear fills and partial writes store bytes that read back exactly', () => {
		const i = run(`process p\nX = mmap 4 pages anon rw\ncpu write X = i\ncpu write X = (i * i) & 0xFFFF\nexpect matches(X, (i * i) & 0xFFFF)\nexpect word(X, 300) == 24464`);
		assert.equal(i.machine.k.content.live, 4);
		const m = i.machine;
		const X = { addr: m.proc('p').vmas.list[0].start * 4096, len: 4 * 4096 };
		const g = m.writeBytes(X.addr + 4096 + 6, new Uint8Array([1, 2, 3, 4]));
		while (!g.next().done) { /* */ }
		// word 1025 held 1025*1025 & 0xFFFF = 2049; bytes 6 and 7 of page 1 are its upper half
		assert.equal(m.word(X, 1025), 2049 | (1 << 16) | (2 << 24));
		assert.equal(m.word(X, 1026) & 0xffff, (4 << 8) | 3);
		assert.equal(m.word(X, 1027), (1027 * 1027) & 0xffff);
	});
});
