// A debugger with only the page-fault filter on takes the inline zero-page fault of hmm_vma_fault
// (src/engine/hmm/hmm_range_fault.ts, faultRun); one with every filter on takes handle_mm_fault
// itself. Both must see the same page-fault events, each with the same call stack, clock and
// fault count at the moment it is raised, and end in the same machine (issue 13, one semantics).
import * as assert from 'node:assert/strict';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';
import type { EventFilter } from '../../src/engine/sim/events';
import { contentChecksum } from '../../src/engine/sim/invariants';
import { PTE } from '../../src/engine/mm/pagetable';

const FAULTS_ONLY: EventFilter = { wants: k => k === 'page-fault' };
const EVERYTHING: EventFilter = { wants: () => true };

/** Every page-fault event with the machine as it stands when it is raised, then the end state. */
function faultTrace(source: string, filter: EventFilter): string[] {
	const { program } = compileSource(source, 'faults.hmmw');
	const it = new Interpreter(program, source, {});
	it.machine.setEvents(filter);
	const k = it.machine.k;
	const seen: string[] = [];
	while (!it.done) {
		const g = it.step();
		for (let r = g.next(); !r.done; r = g.next()) {
			if (r.value.kind !== 'page-fault') { continue; }
			const faults = k.mms.map(mm => mm.faults).join(',');
			seen.push(`${JSON.stringify(r.value)} at ${it.machine.time} faults ${faults} stack ${JSON.stringify(k.stack)}`);
		}
	}
	assert.equal(it.error, undefined);
	assert.equal(it.failed, 0);
	const ptes: string[] = [];
	for (const mm of k.mms) {
		mm.pt.forEach(0, Number.MAX_SAFE_INTEGER, (vpn, pfn, pte) => {
			const t = pte & PTE.TYPE_MASK;
			ptes.push(`${vpn}:${pte}:${t === PTE.SWAP ? 'swap' : k.frames.isZero(pfn) ? 'zero' : k.frames.owner[pfn >> 12][pfn & 4095]}:${mm.pt.isHuge(vpn)}`);
		});
	}
	seen.push(`end ${it.machine.time} passed ${it.passed} ${k.devices.map(d => JSON.stringify(d.stats)).join()} bytes ${contentChecksum(k)} ptes ${ptes.join(' ')}`);
	return seen;
}

const SCRIPTS: Record<string, string> = {
	'untouched read': 'device gpu memory=64MiB\nprocess p\ngpu mirror p\nX = mmap 8MiB anon rw\nB = gpu read X\nexpect where(X) == "zero"',
	'holes among written and read pages': 'device gpu memory=64MiB\nprocess p\ngpu mirror p\nX = mmap 4MiB anon rw\n'
		+ 'cpu write X[8KiB:64KiB] = i\ncpu read page(X, 1)\ncpu write X[1MiB:1MiB+4KiB] = 3\nB = gpu read X\nexpect word(X, 262144) == 3',
	'THP madvise region next to a plain one': 'system thp=madvise\ndevice gpu memory=64MiB\nprocess p\ngpu mirror p\nX = mmap 4MiB anon rw\n'
		+ 'madvise X[0:2MiB] hugepage\nB = gpu read X\nexpect count(X, zero) == 1024',
	'reclaim due while faulting': 'system ram=8MiB swap=16MiB\ndevice gpu memory=64MiB\nprocess p\ngpu mirror p\nX = mmap 7MiB anon rw\n'
		+ 'cpu write X = i\nY = mmap 4MiB anon rw\nB = gpu read Y\nexpect matches(X, i)',
};

describe('watched device reads: inline zero-page faults raise what handle_mm_fault raises', () => {
	for (const [name, src] of Object.entries(SCRIPTS)) {
		it(name, () => {
			const inline = faultTrace(src, FAULTS_ONLY);
			const general = faultTrace(src, EVERYTHING);
			assert.ok(inline.length > 0, 'the read faulted');
			assert.deepEqual(inline, general);
		});
	}
});
