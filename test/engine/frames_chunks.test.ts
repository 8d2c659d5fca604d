import * as assert from 'node:assert/strict';
import { Frames, PG, RAM_POOL } from '../../src/engine/mm/frames';
import { FRAME_CHUNK, PfnStack } from '../../src/engine/mm/frames_chunks';
import { run } from './helpers';

describe('struct page in fixed chunks (issue 13, compact metadata)', () => {
	it('growing the pfn space adds chunks and never copies the ones that exist', () => {
		const f = new Frames(8 * FRAME_CHUNK);
		const first = f.refcount[0];
		const pfn = f.allocRam(PG.ANON);
		for (let i = 0; i < 3 * FRAME_CHUNK; i++) { f.allocRam(PG.ANON); }
		assert.equal(f.refcount[0], first, 'chunk 0 is the same array after growth');
		assert.equal(f.refcount[pfn >> 12][pfn & 4095], 1);
		assert.ok(f.chunks >= 4);
	});

	it('a chunk whose RAM frames are all free reads as free frames, and comes back on allocation', () => {
		const f = new Frames(8 * FRAME_CHUNK);
		const pfns: number[] = [];
		for (let i = 0; i < 4 * FRAME_CHUNK; i++) { pfns.push(f.allocRam(PG.ANON)); }
		const c = (pfns[FRAME_CHUNK * 2] >> 12);
		const own = f.refcount[c];
		assert.equal(f.releasedChunks(), 0);
		for (const p of pfns) { f.freeRamFrame(p); }
		// chunk 0 holds the zero pages and the chunk the pfn space ends in is still being filled
		assert.ok(f.releasedChunks() >= 2, `released ${f.releasedChunks()}`);
		assert.notEqual(f.refcount[c], own, 'the chunk handed its arrays back');
		const p = pfns[FRAME_CHUNK * 2];
		assert.equal(f.refcount[p >> 12][p & 4095], 0);
		assert.equal(f.owner[p >> 12][p & 4095], RAM_POOL);
		assert.equal(f.slot[p >> 12][p & 4095], -1);
		assert.equal(f.swap[p >> 12][p & 4095], -1);
		assert.equal(f.countLiveRam(), 0);
		// the free list hands the frames out again in the order a stack would, each chunk private again
		const again: number[] = [];
		for (let i = 0; i < 4 * FRAME_CHUNK; i++) { again.push(f.allocRam(PG.ANON)); }
		assert.deepEqual(again, [...pfns].reverse());
		assert.equal(f.releasedChunks(), 0);
		assert.equal(f.refcount[p >> 12][p & 4095], 1);
		assert.equal(f.lru[p >> 12][p & 4095] !== 0, true, 'on an LRU list again');
		assert.ok(f.defaultsIntact());
	});

	it('the shared free-frame defaults are checked: a write through them is an invariant violation', () => {
		const f = new Frames(8 * FRAME_CHUNK);
		const pfns: number[] = [];
		for (let i = 0; i < 3 * FRAME_CHUNK; i++) { pfns.push(f.allocRam(PG.ANON)); }
		for (const p of pfns) { f.freeRamFrame(p); }
		const p = pfns[FRAME_CHUNK + 7];
		assert.ok(f.defaultsIntact());
		f.mapcount[p >> 12][p & 4095] = 3;
		assert.equal(f.defaultsIntact(), false);
	});

	it('the RAM free list keeps plain stack order whatever the push pattern (runs up and down, popRun)', () => {
		const s = new PfnStack(), ref: number[] = [];
		let seed = 7;
		const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
		for (let step = 0; step < 200000; step++) {
			const r = rnd() % 11;
			if (r < 6) {
				const last = ref.length > 0 ? ref[ref.length - 1] : -1;
				const v = r < 2 && last >= 0 ? last + 1 : r < 4 && last > 0 ? last - 1 : rnd() % 100000;
				s.push(v); ref.push(v);
			} else if (r < 10) {
				assert.equal(s.pop(), ref.pop());
			} else {
				// popRun: as many pops at once, within one frame chunk, each popStep from the last
				const first = s.popRun(1 + rnd() % 600);
				if (first === undefined) { assert.equal(ref.length, 0); continue; }
				for (let i = 0, p = first; i < s.popped; i++, p += s.popStep) {
					assert.equal(p, ref.pop());
					assert.equal(p >> 12, first >> 12);
				}
			}
			assert.equal(s.length, ref.length);
		}
		while (ref.length > 0) { assert.equal(s.pop(), ref.pop()); }
		assert.equal(s.pop(), undefined);
	});

	it('pushMany is push after push: runs up and down, broken runs, single pfns', () => {
		const a = new PfnStack(), b = new PfnStack();
		let seed = 11;
		const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed; };
		for (let round = 0; round < 300; round++) {
			const n = rnd() % 700;
			const pfns = new Int32Array(n);
			let v = rnd() % 50000;
			for (let i = 0; i < n; i++) {
				const r = rnd() % 20;
				v = r < 15 ? v + 1 : r < 18 ? v - 1 : rnd() % 50000;
				pfns[i] = v;
			}
			a.pushMany(pfns, n);
			for (let i = 0; i < n; i++) { b.push(pfns[i]); }
			assert.equal(a.length, b.length);
			// some pops between the batches, so that runs get cut and extended again
			for (let k = rnd() % 50; k > 0 && b.length > 0; k--) { assert.equal(a.pop(), b.pop()); }
		}
		while (b.length > 0) { assert.equal(a.pop(), b.pop()); }
		assert.equal(a.pop(), undefined);
	});

	it('a device\'s frame chunks get arrays on first use; round trips reusing released arrays keep every byte', () => {
		const script = 'system ram=1GiB\ndevice gpu memory=512MiB\nprocess p\ngpu mirror p\nX = mmap 64MiB anon rw\ncpu write X = 5 * i + 2\n';
		const before = run(script);
		const f = before.machine.k.frames;
		const dev = before.machine.k.devices[0];
		// nothing allocated on the device yet: its chunks, if any, still read its free frames
		for (const ch of dev.chunks) {
			const p = ch.first + ch.npages - 1;
			assert.equal(f.owner[p >> 12][p & 4095], dev.index);
			assert.equal(f.refcount[p >> 12][p & 4095], 0);
			assert.equal(f.slot[p >> 12][p & 4095], -1);
		}
		const there = run(script + 'migrate X -> gpu\nexpect matches(X, 5 * i + 2)\n');
		assert.equal(there.failed, 0);
		const g = there.machine.k.frames;
		const d = there.machine.k.devices[0];
		// the device's 256 MiB chunk spans 16 frame chunks; 64 MiB migrated used 4 or 5 of them
		const first = d.chunks[0].first, last = first + d.chunks[0].npages - 1;
		assert.ok(g.isReleased(last >> 12), 'an unused frame chunk of the device has no arrays of its own');
		assert.ok(!g.isReleased(first >> 12));
		assert.equal(g.owner[last >> 12][last & 4095], d.index);
		assert.ok(g.defaultsIntact());
		const back = run(script + 'migrate X -> gpu\nmigrate X -> ram\nmigrate X -> gpu\nmigrate X -> ram\nexpect matches(X, 5 * i + 2)\nexpect where(X) == "ram"');
		assert.equal(back.failed, 0);
		assert.ok(back.machine.k.frames.defaultsIntact());
	});

	it('migrating touched memory to a device releases the RAM frames\' chunks; the round trip reads the same', () => {
		const script = 'system ram=1GiB\ndevice gpu memory=512MiB\nprocess p\ngpu mirror p\nX = mmap 64MiB anon rw\ncpu write X = 3 * i + 1\n'
			+ 'migrate X -> gpu\nexpect where(X) == "gpu"\n';
		const there = run(script);
		assert.equal(there.failed, 0);
		// 64 MiB is 4 chunks of frames; at most the first and the last are not wholly free
		assert.ok(there.machine.k.frames.releasedChunks() >= 3, `released ${there.machine.k.frames.releasedChunks()}`);
		const back = run(script + 'migrate X -> ram\nexpect matches(X, 3 * i + 1)\nexpect where(X) == "ram"');
		assert.equal(back.failed, 0);
		assert.equal(back.machine.k.frames.releasedChunks(), 0);
		assert.ok(back.machine.k.frames.defaultsIntact());
	});
});
