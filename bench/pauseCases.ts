// The long statements pause and --timeout must reach inside (issue 16, item 4), each over 8 GiB,
// shared by bench/pause.ts (the latency figures) and test/lang/pauseInside.test.ts.
export interface PauseCase {
	name: string;
	/** lines after the common prelude, the long statement last */
	setup: string[];
	/** the kernel frame a pause inside it shows, innermost last ('' if the statement has none) */
	frame: string;
	/** too long to finish in a test (or too big to hold): the test abandons it after a few stops */
	partial?: boolean;
	/** expectations that hold once the statement has finished */
	after?: string[];
}

export const PAUSE_PRELUDE = ['system ram=20GiB', 'device gpu memory=9GiB', 'process p', 'gpu mirror p', 'X = mmap 8GiB anon rw'];

const FILLED = 'cpu write X = i';
/** a stored-bytes fill no page of which equals another's */
export const STORED = 'cpu write X = (i * 40503) % 65521';

export const PAUSE_CASES: PauseCase[] = [
	{ name: 'cpu write of 8 GiB (fill = i)', setup: [FILLED], frame: '', after: ['expect word(X, 2147483647) == 2147483647'] },
	// not periodic (a modulus that is no power of two): every page's bytes are computed and stored;
	// (i * i) & 0xFFFF now fills by shared period pages, too fast to pause inside
	{ name: 'cpu write of 8 GiB (stored bytes)', setup: [STORED], frame: '', partial: true },
	{ name: 'expect matches(X, i & 0x7FFFFFFF) over 8 GiB (word by word: not a pattern)', setup: [FILLED, 'expect matches(X, i & 0x7FFFFFFF)'], frame: '', partial: true },
	{ name: 'migrate 8 GiB to the device', setup: [FILLED, 'migrate X -> gpu'], frame: 'dmirror_migrate_to_device', after: ['expect count(X, gpu) == npages(X)'] },
	{ name: 'migrate 8 GiB back to RAM', setup: [FILLED, 'migrate X -> gpu', 'migrate X -> ram'], frame: 'dmirror_migrate_to_system', after: ['expect count(X, ram) == npages(X)'] },
	{ name: 'gpu release of 2M device pages', setup: [FILLED, 'migrate X -> gpu', 'gpu release'], frame: 'dmirror_device_remove_chunks', after: ['expect count(X, ram) == npages(X)'] },
	{ name: 'gpu unmirror with 2M device pages', setup: [FILLED, 'migrate X -> gpu', 'gpu unmirror p'], frame: 'dmirror_fops_release', after: ['expect count(X, ram) == npages(X)'] },
	{ name: 'exclusive of 8 GiB', setup: [FILLED, 'exclusive X -> gpu'], frame: '', after: ['expect exclusive(gpu, X)'] },
	{ name: 'fork of 8 GiB', setup: [FILLED, 'fork c'], frame: 'copy_process', after: ['use c', 'expect mapcount(X) == 2'] },
	{ name: 'munmap of 8 GiB', setup: [FILLED, 'munmap X'], frame: '', after: ['expect error SIGSEGV { cpu read X }'] },
	{ name: 'madvise dontneed of 8 GiB', setup: [FILLED, 'madvise X dontneed'], frame: '', after: ['expect count(X, none) == npages(X)'] },
	{ name: 'exit of a process with 8 GiB', setup: [FILLED, 'exit p'], frame: 'exit_mmap', after: ['expect p.rss == 0'] },
	{ name: 'gpu read of 8 GiB (hmm_range_fault)', setup: [FILLED, 'gpu read X'], frame: 'dmirror_read', after: ['expect mapped(gpu, X) == npages(X)'] },
	{ name: 'gpu write of 8 GiB', setup: ['gpu write X = i'], frame: 'dmirror_write', after: ['expect word(X, 12345) == 12345'] },
	{ name: 'snapshot of 8 GiB', setup: [FILLED, 'S = gpu snapshot X'], frame: '', after: ['expect len(S) == npages(X)'] },
	{ name: 'kernel reading 8 GiB', setup: [FILLED, 'kernel gpu { read X }'], frame: 'kernel line 7', partial: true },
];

/** The whole script of a case, with `print "end"` after its expectations. */
export function pauseScript(c: PauseCase): { source: string; line: number } {
	const lines = [...PAUSE_PRELUDE, ...c.setup];
	return { source: [...lines, ...(c.after ?? []), 'print "end"'].join('\n'), line: lines.length };
}
