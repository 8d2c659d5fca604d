// Swap: mm/swapfile.c slot counts, mm/swap_state.c swap cache, mm/rmap.c try_to_unmap_one,
// mm/memory.c do_swap_page / copy_nonpresent_pte / zap_pte_range, mm/vmscan.c LRU aging.
import * as assert from 'node:assert/strict';
import { run } from './helpers';
import { Machine } from '../../src/engine/machine';
import type { K, SimEvent } from '../../src/engine/sim/events';
import { PTE } from '../../src/engine/mm/pagetable';
import { LRU } from '../../src/engine/mm/frames';
import { shrink_inactive_list, shrink_node } from '../../src/engine/mm/vmscan';
import { checkInvariants, contentChecksum } from '../../src/engine/sim/invariants';
import { SimError } from '../../src/engine/sim/errors';

function drain<T>(g: K<T>, seen?: SimEvent[]): T {
	for (;;) {
		const r = g.next();
		if (r.done) { return r.value; }
		seen?.push(r.value);
	}
}

function machine(ram: string, swap: string): Machine {
	const m = new Machine();
	const mib = (s: string) => Number(s.replace('MiB', '')) * 2 ** 20;
	m.configure({ ramBytes: mib(ram), swapBytes: mib(swap) });
	m.process('p');
	return m;
}

describe('swap', () => {
	it('MADV_PAGEOUT: add_to_swap + try_to_unmap_one leave one counted swap entry per page; munmap frees the slots (free_swap_and_cache)', () => {
		const i = run('system ram=16MiB swap=16MiB\nprocess p\nX = mmap 8 pages anon rw\ncpu write X = i\nmadvise X pageout\nexpect count(X, swap) == 8\nmunmap X');
		const k = i.machine.k;
		assert.equal(k.swap!.inuse, 0, 'no slot left in use');
		assert.equal(k.swap!.pswpout, 8);
		assert.equal(k.frames.ramUsed, 0);
		assert.equal(k.content.live + k.content.patterns, 0, 'no content slot leaked');
	});

	it('do_swap_page: an exclusive swap-in frees the slot and maps the page writable with mapcount 1', () => {
		const i = run('system ram=16MiB swap=16MiB\nprocess p\nX = mmap 1 page anon rw\ncpu write X = 3\nmadvise X pageout\ncpu read X\nexpect matches(X, 3)');
		const k = i.machine.k;
		const mm = i.machine.proc('p');
		const vpn = mm.vmas.list[0].start;
		const pfn = mm.pt.pfn(vpn);
		assert.equal(mm.pt.pte(vpn) & PTE.TYPE_MASK, PTE.PRESENT);
		assert.ok(mm.pt.pte(vpn) & PTE.WRITE, 'exclusive and VM_WRITE: writable without another fault');
		assert.equal(k.frames.mapcount[pfn >> 12][pfn & 4095], 1);
		assert.equal(k.frames.refcount[pfn >> 12][pfn & 4095], 1);
		assert.equal(k.frames.swap[pfn >> 12][pfn & 4095], -1, 'no longer in the swap cache');
		assert.equal(k.swap!.inuse, 0);
		assert.equal(k.swap!.pswpin, 1);
	});

	it('copy_nonpresent_pte shares the slot (swap_duplicate); both swap-ins map one swap-cache page, read-only', () => {
		const i = run('system ram=16MiB swap=16MiB\nprocess p\nX = mmap 1 page anon rw\ncpu write X = 3\nmadvise X pageout\nfork c\nuse c\ncpu read X\nuse p\ncpu read X');
		const k = i.machine.k;
		const p = i.machine.proc('p'), c = i.machine.proc('c');
		const vpn = p.vmas.list[0].start;
		const pfn = p.pt.pfn(vpn);
		assert.equal(c.pt.pfn(vpn), pfn, 'the same page');
		assert.equal(k.frames.mapcount[pfn >> 12][pfn & 4095], 2);
		assert.equal(k.frames.refcount[pfn >> 12][pfn & 4095], 2, 'the slot was freed with the last entry, and the cache reference with it');
		assert.equal(p.pt.pte(vpn) & PTE.WRITE, 0);
		assert.equal(c.pt.pte(vpn) & PTE.WRITE, 0);
		assert.equal(k.swap!.inuse, 0);
		assert.equal(k.swap!.pswpin, 1, 'read from swap once');
	});

	it('exit drops the child\'s holds on shared slots; the parent keeps its data (zap_pte_range)', () => {
		const i = run('system ram=16MiB swap=16MiB\nprocess p\nX = mmap 4 pages anon rw\ncpu write X = i\nmadvise X pageout\nfork c\nexit c\nexpect count(X, swap) == 4\nexpect matches(X, i)');
		const k = i.machine.k;
		for (let s = 0; s < 4; s++) { assert.equal(k.swap!.map[s], 1, `slot ${s}: only the parent's entry is left`); }
		assert.equal(k.swap!.inuse, 4);
	});

	it('try_to_unmap_one tells every mirroring device first (MMU_NOTIFY_CLEAR), one invalidation per mapping', () => {
		const m = machine('16MiB', '16MiB');
		m.addDevice({ name: 'gpu', memoryBytes: 2 ** 30, kind: 'private' } as never);
		drain(m.mirror('gpu', 'p'));
		const X = m.mmap({ len: 2 * 4096, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		drain(m.devRead('gpu', X, false));
		assert.equal(m.mapped('gpu', X), 2);
		const seen: SimEvent[] = [];
		m.setEvents({ wants: kind => kind === 'invalidation' });
		drain(m.madvise(X, 'pageout'), seen);
		assert.deepEqual(seen.map(e => [e.detail, e.addr - X.addr, e.npages]), [['CLEAR', 0, 1], ['CLEAR', 4096, 1]]);
		assert.equal(m.mapped('gpu', X), 0);
		assert.equal(m.count(X, 'swap'), 2);
	});

	it('RAM and swap both full: the OOM killer kills the only process at its statement, nothing leaked', () => {
		const m = machine('4MiB', '4MiB');
		const X = m.mmap({ len: 12 * 2 ** 20, prot: 'rw', backing: 'anon', shared: false });
		assert.throws(() => drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 })), (e: unknown) => e instanceof SimError && e.code === 'SIGKILL');
		const k = m.k;
		// oom_badness counted both halves: 4 MiB resident and 4 MiB of swap entries
		assert.match(k.oomKills[0], /rss:\d+kB swapents:4096kB/);
		assert.deepEqual(checkInvariants(k), []);
		assert.equal(k.frames.ramUsed, 0, 'exit_mmap freed every page');
		assert.equal(k.swap!.inuse, 0, 'and every swap slot');
	});

	it('LRU: new anonymous pages start inactive; referenced twice by reclaim\'s scans they are activated (folio_check_references)', () => {
		const m = machine('16MiB', '16MiB');
		const X = m.mmap({ len: 4 * 4096, prot: 'rw', backing: 'anon', shared: false });
		drain(m.cpuWrite(X, { kind: 'linear', a: 1, b: 0 }));
		const k = m.k;
		const mm = m.cur();
		const pfn = (j: number) => mm.pt.pfn(X.addr / 4096 + j);
		for (let j = 0; j < 4; j++) { assert.equal(k.frames.lru[(pfn(j)) >> 12][(pfn(j)) & 4095], LRU.INACTIVE_ANON); }
		const sum = contentChecksum(k);
		drain(shrink_inactive_list(k, 4));         // young once: PG_referenced set, kept
		for (let j = 0; j < 4; j++) { assert.equal(k.frames.lru[(pfn(j)) >> 12][(pfn(j)) & 4095], LRU.INACTIVE_ANON); }
		assert.equal(m.count(X, 'swap'), 0, 'young pages are not reclaimed');
		drain(m.cpuRead(X));                        // referenced again
		drain(shrink_inactive_list(k, 4));
		for (let j = 0; j < 4; j++) { assert.equal(k.frames.lru[(pfn(j)) >> 12][(pfn(j)) & 4095], LRU.ACTIVE_ANON); }
		assert.equal(m.count(X, 'swap'), 0);
		drain(shrink_node(k, 4));                   // ages the active list, then reclaims: young bits were cleared
		const swapped = m.count(X, 'swap');
		assert.ok(swapped > 0 && swapped === k.swap!.pswpout, 'unreferenced since, deactivated pages are reclaimed');
		assert.equal(contentChecksum(k), sum, 'the checksum reads swapped pages as their bytes');
		assert.deepEqual(checkInvariants(k), []);
	});

	it('the invariants see a wrong swap count and a lost slot', () => {
		const i = run('system ram=16MiB swap=16MiB\nprocess p\nX = mmap 2 pages anon rw\ncpu write X = i\nmadvise X pageout');
		const k = i.machine.k;
		k.swap!.map[0]++;
		assert.ok(checkInvariants(k).some(s => s.includes('swap slot 0: count 2 but 1 swap entries')));
		k.swap!.map[0]--;
		k.swap!.release(1);
		assert.ok(checkInvariants(k).some(s => s.includes('swap entry for free swap slot 1')));
	});
});
