// One semantics (issue "Architecture", item 3): every fast path must give exactly what the general
// path gives. Each script runs twice in-process, once with no engine event wanted (what the CLI
// and the benchmarks do, so every bulk path is taken) and once with every event kind wanted (a
// debugger stepping into kernel frames with every filter on), and the two outcomes must agree:
// expectations, the error, simulated time, every device and process counter, where every page
// lives with its PTE bits, and a checksum of every byte a process can read.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import { compileSource } from '../../src/lang/frontend';
import { hasErrors } from '../../src/lang/diagnostics';
import { Interpreter } from '../../src/lang/interp';
import type { EventFilter } from '../../src/engine/sim/events';
import { NO_EVENTS } from '../../src/engine/sim/events';
import { contentChecksum } from '../../src/engine/sim/invariants';
import { PTE } from '../../src/engine/mm/pagetable';
import { program } from '../fuzz/programs';
import { hmmwFiles } from '../hmmwFiles';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const EVERYTHING: EventFilter = { wants: () => true };
const MAX_STEPS = 200_000;

export interface Outcome {
	passed: number;
	failed: number;
	error: string;
	time: number;
	devices: string;
	processes: string;
	pages: number;
	bytes: number;
	events: number;
}

/** Runs a script to its end with the given filter; every event is drained, as the CLI does. */
export function outcome(source: string, file: string, filter: EventFilter): Outcome | undefined {
	const { program: prog, diagnostics } = compileSource(source, file);
	if (hasErrors(diagnostics)) { return undefined; }
	const it = new Interpreter(prog, source, {});
	it.machine.setEvents(filter);
	let events = 0;
	while (!it.done && it.steps < MAX_STEPS) {
		const g = it.step();
		for (let r = g.next(); !r.done; r = g.next()) { events++; }
	}
	const k = it.machine.k;
	const devices = k.devices.map(d => `${d.name} ${JSON.stringify(d.stats)} used=${d.usedPages}`).join('\n');
	const processes = k.mms.map(mm => `${mm.name} pid=${mm.pid} alive=${mm.alive} faults=${mm.faults} rss=${mm.rss(p => k.frames.isZero(p))}`).join('\n');
	// every PTE by kind, flags and the memory it points into (pfns themselves may differ)
	let pages = 0;
	for (const mm of k.mms) {
		if (!mm.alive) { continue; }
		mm.pt.forEach(0, Number.MAX_SAFE_INTEGER, (vpn, pfn, pte) => {
			const t = pte & PTE.TYPE_MASK;
			const mem = t === PTE.SWAP ? -3 : k.frames.isZero(pfn) ? -2 : k.frames.owner[pfn >> 12][pfn & 4095];
			pages = (Math.imul(pages, 31) + (vpn % 1_000_003) * 7 + pte * 131 + mem * 17 + (mm.pt.isHuge(vpn) ? 5 : 0)) | 0;
		});
	}
	const e = it.error;
	return {
		passed: it.passed, failed: it.failed, error: e ? `${e.line}:${e.col} ${e.code} ${e.message}` : '',
		time: it.machine.time, devices, processes, pages, bytes: contentChecksum(k), events,
	};
}

/** Asserts the unwatched and the fully watched run agree; returns both for figures. */
export function assertSame(source: string, file: string): { quiet: Outcome; watched: Outcome } | undefined {
	const quiet = outcome(source, file, NO_EVENTS);
	if (!quiet) { return undefined; }
	const watched = outcome(source, file, EVERYTHING)!;
	const strip = (o: Outcome) => ({ ...o, events: 0 });
	assert.deepEqual(strip(quiet), strip(watched), `${file}: the run differs when every event is watched`);
	return { quiet, watched };
}

describe('one semantics: watched and unwatched runs agree', function () {
	this.timeout(120_000);
	for (const dir of ['test/conformance', 'examples']) {
		for (const file of hmmwFiles(path.join(ROOT, dir))) {
			const rel = path.relative(ROOT, file);
			it(rel, () => {
				const r = assertSame(readFileSync(file, 'utf8'), rel);
				assert.ok(r, `${rel} does not compile`);
				// a script whose watched run raises no event would compare nothing interesting
				assert.ok(r.watched.events > 0, `${rel}: no engine event when everything is watched`);
			});
		}
	}

	it('random checked programs from the fuzz generator (fixed seed)', () => {
		const n = Number(process.env.DIFF_RUNS ?? 150);
		let compared = 0;
		fc.assert(fc.property(program, source => {
			if (assertSame(source, 'generated.hmmw')) { compared++; }
		}), { numRuns: n, seed: 8008 });
		assert.ok(compared >= n * 0.9, `only ${compared} of ${n} generated programs compiled`);
	});

	it('hmm_vma_fault: a device read faults every page from the first missing one to the end of the walk (anon_read)', () => {
		// pages 2..1023 written, page 1 the zero page, page 0 pte_none: the read walk hits page 0
		// first and hmm_vma_fault calls handle_mm_fault for every page up to the end of the walk
		// (present ones included), which is the end of dmirror_fault's 32-page chunk: pages 0..31
		const src = [
			'device gpu memory=64MiB', 'process p', 'gpu mirror p', 'X = mmap 4MiB anon rw',
			'cpu write X[8KiB:] = i', 'cpu read page(X, 1)', 'f0 = p.faults', 'B = gpu read X',
			'expect p.faults - f0 == 32', 'expect last.faults == 1',
		].join('\n');
		for (const filter of [NO_EVENTS, EVERYTHING]) {
			const o = outcome(src, 'hmm_vma_fault.hmmw', filter)!;
			assert.equal(o.error, '');
			assert.equal(o.failed, 0);
			assert.equal(o.passed, 2);
		}
	});
});
