// Shared page contents (src/engine/mm/content.ts): a byte slot held by several pages is copied on
// the first write to one of them (wp_page_copy's copy is a reference until then), and whole pages
// of a periodic fill share the slot of the first page equal to them. Every holder must keep
// reading what it read before, through writes, fork, snapshots, migrations and swap; the
// invariants (run after every statement by `run`) check each slot's count against its holders.
import * as assert from 'node:assert/strict';
import { run } from './helpers';
import { ContentStore, PAGE_SIZE } from '../../src/engine/mm/content';
import { checkInvariants } from '../../src/engine/sim/invariants';
import type { Interpreter } from '../../src/lang/interp';
import { rng } from '../lang/rng';

const FILL = '(i * i) & 0xFFFF';
/** word w of the fill, as stored */
const want = (w: number) => Number((BigInt(w) * BigInt(w)) & 0xFFFFn);
const PAGES = 4096;
const SETUP = `system ram=256MiB swap=64MiB\ndevice gpu memory=64MiB\nprocess p\ngpu mirror p\nX = mmap ${PAGES * 4}KiB anon rw\ncpu write X = ${FILL}\n`;

function slotOf(i: Interpreter, proc: string, page: number): number {
	const mm = i.machine.proc(proc);
	const vpn = mm.vmas.list[0].start + page;
	const pfn = mm.pt.pfn(vpn);
	return i.machine.k.frames.slot[pfn >> 12][pfn & 4095];
}

/** word w of X in process `proc`, read from its page's slot */
function wordOf(i: Interpreter, proc: string, w: number): number {
	return i.machine.k.content.word(slotOf(i, proc, Math.floor(w / 1024)), w % 1024);
}

describe('shared page contents, copied on write', () => {
	it('a periodic fill stores each page of its period once: the other pages refer to it', () => {
		const i = run(SETUP + `expect matches(X, ${FILL})`);
		const c = i.machine.k.content;
		// (i * i) & 0xFFFF repeats every 64 pages; a few pages are computed before the period is
		assert.ok(c.live <= 128, `${c.live} byte slots for ${PAGES} pages`);
		assert.equal(slotOf(i, 'p', 1000), slotOf(i, 'p', 1064), 'pages one period apart share a slot');
		assert.ok(c.refCount(slotOf(i, 'p', 1000)) >= PAGES / 64 - 2);
	});

	it('a write to one page of a shared set copies it: the others keep their words', () => {
		const at = 1000 * 1024 + 2;
		const i = run(SETUP + `cpu write X[${at * 4}:${at * 4 + 4}] = 7\nexpect word(X, ${at}) == 7\n`
			+ `expect word(X, ${at + 64 * 1024}) == ${want(at + 64 * 1024)}\nexpect word(X, ${at - 64 * 1024}) == ${want(at - 64 * 1024)}\n`
			+ `expect matches(X[0:${1000 * PAGE_SIZE}], ${FILL})`);
		assert.notEqual(slotOf(i, 'p', 1000), slotOf(i, 'p', 1064));
		assert.equal(slotOf(i, 'p', 1064), slotOf(i, 'p', 1128));
		for (let w = 1000 * 1024; w < 1001 * 1024; w++) { assert.equal(wordOf(i, 'p', w), w === at ? 7 : want(w) | 0); }
	});

	it('fork: the child writes a shared page, the parent reads the fill; COW copies take a reference until written', () => {
		const i = run(SETUP + 'fork c\nuse c\ncpu write page(X, 5) = 3\nexpect word(X, 5 * 1024) == 3\nuse p\n'
			+ `expect matches(X, ${FILL})\nuse c\nexpect word(X, 69 * 1024 + 9) == ${want(69 * 1024 + 9)}`);
		assert.equal(wordOf(i, 'p', 5 * 1024 + 1), want(5 * 1024 + 1));
		assert.equal(wordOf(i, 'c', 5 * 1024 + 1), 3);
		// a partial write after fork: wp_page_copy's copy shares the bytes, the write unshares them
		const live = run(SETUP).machine.k.content.live;
		assert.equal(run(SETUP + 'fork c\nuse c\ncpu read X').machine.k.content.live, live, 'fork copies no bytes');
		const j = run(SETUP + 'fork c\nuse c\ncpu write X[40:44] = 1');
		assert.equal(j.machine.k.content.live, live + 1, 'one new slot for the written page');
		assert.equal(wordOf(j, 'c', 10), 1);
		assert.equal(wordOf(j, 'p', 10), want(10));
	});

	it('snapshots: a write after a snapshot is undone by restoring it, shared slots included', () => {
		const i = run(SETUP);
		const snap = i.snapshot();
		const m = i.machine;
		const base = m.proc('p').vmas.list[0].start * PAGE_SIZE;
		const g = m.writeBytes(base + 2000 * PAGE_SIZE + 12, new Uint8Array([9, 9, 9, 9]));
		while (!g.next().done) { /* unwatched */ }
		assert.equal(wordOf(i, 'p', 2000 * 1024 + 3), 0x09090909);
		i.restore(snap);
		assert.deepEqual(checkInvariants(i.machine.k), []);
		assert.equal(wordOf(i, 'p', 2000 * 1024 + 3), want(2000 * 1024 + 3));
		assert.equal(wordOf(i, 'p', 2064 * 1024 + 3), want(2064 * 1024 + 3));
		assert.equal(slotOf(i, 'p', 2000), slotOf(i, 'p', 2064));
	});

	it('migration moves shared slots by reference; a device write to one page copies it', () => {
		const i = run(SETUP + `migrate X -> gpu\nexpect where(X) == "gpu"\nexpect matches(X, ${FILL})\n`
			+ `gpu write page(X, 300) = 11\nmigrate X -> ram\nexpect where(X) == "ram"\n`
			+ `expect word(X, 300 * 1024 + 5) == 11\nexpect word(X, 364 * 1024 + 5) == ${want(364 * 1024 + 5)}\nexpect matches(X[0:${300 * PAGE_SIZE}], ${FILL})`);
		assert.equal(slotOf(i, 'p', 364), slotOf(i, 'p', 428));
	});

	it('swap: shared slots go out and come back by reference, every holder counted', () => {
		const i = run(SETUP + `madvise X pageout\nexpect count(X, swap) > 0\nexpect matches(X, ${FILL})\n`
			+ `cpu write page(X, 7) = 1\ncpu read X\nexpect word(X, 7 * 1024) == 1\nexpect word(X, 71 * 1024) == ${want(71 * 1024)}\nexpect matches(X[0:${7 * PAGE_SIZE}], ${FILL})`);
		assert.ok(i.machine.k.content.live <= 130);
	});
});

describe('the invariants count each slot\'s holders', () => {
	it('see a page that holds a slot without a reference, and a reference nobody holds', () => {
		const i = run(SETUP);
		const k = i.machine.k;
		const mm = i.machine.proc('p');
		const pfn = mm.pt.pfn(mm.vmas.list[0].start + 3);
		const own = k.frames.slot[pfn >> 12][pfn & 4095];
		// page 3 takes page 2's slot, as a migration that forgot to clear its source would
		k.frames.slot[pfn >> 12][pfn & 4095] = slotOf(i, 'p', 2);
		const bad = checkInvariants(k);
		assert.ok(bad.some(b => b.startsWith(`content slot ${slotOf(i, 'p', 2)}:`)), bad.join('\n'));
		assert.ok(bad.some(b => b.startsWith(`content slot ${own}:`) || b.startsWith('content accounting')), bad.join('\n'));
	});
});

describe('the content store: counted slots against a model of every holder', () => {
	it('copy, write, release, remembered pages and snapshots keep every holder\'s bytes', () => {
		const r = rng(13);
		let store = new ContentStore();
		// holders: slot and the bytes it must read
		const holders: { slot: number; bytes: Uint8Array }[] = [];
		const remembered = new Map<number, Uint8Array>();
		const owner = {};
		const pick = () => Math.floor(r() * holders.length);
		const read = (slot: number) => { const out = new Uint8Array(PAGE_SIZE); store.read(slot, 0, PAGE_SIZE, out, 0); return out; };
		for (let step = 0; step < 3000; step++) {
			const op = Math.floor(r() * 8);
			if (op === 0 || holders.length === 0) {
				const data = new Uint8Array(PAGE_SIZE).map(() => Math.floor(r() * 4));
				holders.push({ slot: store.write(-1, 0, data), bytes: data });
			} else if (op === 1) {
				const h = holders[pick()];
				holders.push({ slot: store.copy(h.slot), bytes: h.bytes.slice() });
			} else if (op === 2) {
				const h = holders[pick()];
				const off = Math.floor(r() * (PAGE_SIZE - 8)), data = new Uint8Array([1 + Math.floor(r() * 200), 7, 7]);
				h.slot = store.write(h.slot, off, data);
				h.bytes.set(data, off);
			} else if (op === 3) {
				const [h] = holders.splice(pick(), 1);
				store.release(h.slot);
			} else if (op === 4) {
				const h = holders[pick()];
				const key = Math.floor(r() * 6);
				store.remember(owner, key, h.slot);
				remembered.set(key, h.bytes.slice());
			} else if (op === 5) {
				const key = Math.floor(r() * 6);
				const s = store.sameAs(owner, key);
				if (s >= 0) {
					assert.deepEqual(read(s), remembered.get(key), `step ${step}: remembered page ${key} changed`);
					holders.push({ slot: s, bytes: remembered.get(key)!.slice() });
				}
			} else if (op === 6) {
				// a snapshot: the clone carries on, the original must not change under it
				const before = holders.map(h => ({ slot: h.slot, bytes: h.bytes.slice() }));
				const old = store;
				store = store.cowClone();
				if (r() < 0.5) {
					const h = holders[pick()];
					h.slot = store.write(h.slot, 0, new Uint8Array([42]));
					h.bytes[0] = 42;
				}
				for (const b of before) {
					const out = new Uint8Array(PAGE_SIZE);
					old.read(b.slot, 0, PAGE_SIZE, out, 0);
					assert.deepEqual(out, b.bytes, `step ${step}: the snapshot changed`);
				}
			} else {
				// a private copy to write into: the holder adopts it and lets the shared one go
				const h = holders[pick()];
				const s = store.writable(h.slot);
				if (s !== h.slot) { store.release(h.slot); h.slot = s; }
			}
			const counts = new Map<number, number>();
			for (const h of holders) {
				assert.deepEqual(read(h.slot), h.bytes, `step ${step}: a holder of slot ${h.slot} reads other bytes`);
				counts.set(h.slot, (counts.get(h.slot) ?? 0) + 1);
			}
			for (const [s, n] of counts) { assert.equal(store.refCount(s), n, `step ${step}: slot ${s}`); }
			assert.equal(store.live, counts.size, `step ${step}: slots in use`);
			while (holders.length > 40) { store.release(holders.pop()!.slot); }
		}
	});
});
