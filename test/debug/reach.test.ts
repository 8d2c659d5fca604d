// Nothing the debugger offers is dead: every exception filter it advertises is raised, and every
// kernel function it accepts for a function breakpoint is entered, by a small script run through
// the interpreter with those events watched.
import assert from 'node:assert/strict';
import { ENGINE_FILTERS, FILTER_IDS, KERNEL_FUNCTIONS } from '../../src/debug/breakpoints';
import { capabilities } from '../../src/debug/capabilities';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';

/** Small scripts, one statement per kernel path the debugger offers to break on. */
const SCRIPTS: Record<string, string> = {
	'private device': [
		'device gpu memory=64MiB', 'process p', 'gpu mirror p', 'X = mmap 4 pages anon rw',
		'cpu write X = i', // page-fault: handle_mm_fault
		'B = gpu read X', // device-fault: dmirror_read, dmirror_fault, hmm_range_fault
		'gpu write X = i', // dmirror_write
		'exclusive X -> gpu', // make_device_exclusive
		'cpu read X', // the CPU takes the exclusive pages back
		'migrate X -> gpu', // migration: dmirror_migrate_to_device, migrate_vma_setup/_pages/_finalize
		'cpu read page(X, 1)', // cpu-fault: do_swap_page, migrate_to_ram
		'migrate X -> ram', // dmirror_migrate_to_system
		'mprotect X r', // invalidation: invalidate_range_start
		'pin X', 'unpin X', // pin_user_pages
		'fork c', 'exit c', // copy_process, exit_mmap
		'migrate X -> gpu', 'gpu unmirror p', // dmirror_fops_release
		'gpu release', // dmirror_device_remove_chunks
	].join('\n'),
	'device model': [
		// 8 MiB of device memory holds four 2 MiB root chunks: a 16 MiB kernel must evict
		'device g memory=8MiB policy=migrate prefetch=density sms=2 warps=4', 'process p', 'g mirror p',
		'X = mmap 16MiB anon rw', 'cpu write X = i',
		'kernel g "fill" { write X = i + 1 }', // fault-batch, migration, prefetch, eviction; uvm_* frames
		// CPU and device take turns on one page until it is throttled and pinned
		'repeat 40 { kernel g { write page(X, 0) = 7 }; cpu write page(X, 0) = 3 }', // thrashing
	].join('\n'),
	swap: [
		'system ram=16MiB swap=16MiB', 'process p', 'X = mmap 24MiB anon rw',
		'cpu write X = 1', // kswapd: balance_pgdat, shrink_folio_list; cpu read: do_swap_page on a swap entry
		'madvise page(X, 0) pageout', 'cpu read X',
	].join('\n'),
	threads: [
		'process p', 'X = mmap 4 pages anon rw', 'Y = mmap 4 pages anon rw',
		'thread t { munmap Y }', // mmap_write_lock
		'cpu write X = 1', // mmap_read_lock
		'join t',
	].join('\n'),
	oom: [
		'system ram=8MiB', 'process big', 'X = mmap 6MiB anon rw', 'cpu write X = 1',
		'process p', 'Y = mmap 4MiB anon rw',
		'cpu write Y = 2', // out_of_memory, oom_kill_process: big is killed, p's write completes
	].join('\n'),
};

/** Event kinds raised and kernel functions entered by the scripts, which must run cleanly. */
function observe(scripts: Record<string, string>): { kinds: Set<string>; fns: Set<string> } {
	const kinds = new Set<string>();
	const fns = new Set<string>();
	for (const [name, src] of Object.entries(scripts)) {
		const { program, diagnostics } = compileSource(src, `${name}.hmmw`);
		assert.deepEqual(diagnostics, [], name);
		const it = new Interpreter(program, src);
		it.machine.setEvents({ wants: k => k === 'call' || (ENGINE_FILTERS as readonly string[]).includes(k) });
		for (let steps = 0; !it.done && steps < 200_000; steps++) {
			const g = it.step();
			for (let r = g.next(); !r.done; r = g.next()) {
				kinds.add(r.value.kind);
				if (r.value.kind === 'call' && r.value.fn) { fns.add(r.value.fn); }
			}
		}
		assert.equal(it.error, undefined, `${name}: ${it.error?.line}: ${it.error?.message}`);
		assert.equal(it.failed, 0, name);
	}
	return { kinds, fns };
}

describe('debug adapter: everything offered can happen', function () {
	this.timeout(120_000);
	let seen: { kinds: Set<string>; fns: Set<string> };
	before(() => { seen = observe(SCRIPTS); });

	it('every advertised engine exception filter is raised by some script', () => {
		const advertised = (capabilities().exceptionBreakpointFilters ?? []).map(f => f.filter);
		assert.deepEqual(advertised, [...FILTER_IDS]);
		const expected = [...ENGINE_FILTERS];
		assert.deepEqual(expected.filter(f => !seen.kinds.has(f)), []);
	});

	it('every kernel function offered for function breakpoints is entered by some script', () => {
		const expected = KERNEL_FUNCTIONS;
		assert.deepEqual(expected.filter(f => !seen.fns.has(f)), []);
	});
});
