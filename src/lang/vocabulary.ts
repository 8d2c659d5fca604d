// The words of the workload language, declared once: statements, builtins, the members of `last`,
// `event`, devices and processes, and the protection and advice words. The checker, the evaluator,
// the debugger (evaluate, completions, breakpoint conditions) and the grammar test all read these
// tables, so none of them can accept a word another rejects. Where the engine owns a word list
// (protections, madvise advice, device counters, event fields) the table is typed by or built from
// the engine's own declaration, so a change there shows up here at compile time.

import { ERROR_CODES, type Expr, type Stmt } from './ast';
import { shortText } from './diagnostics';
import { DEVICE_OPTIONS, notImplementedMessage, optionSyntax, SYSTEM_OPTIONS } from './vocabularyOptions';
import type { DeviceStats } from '../engine/device/device';
import type { LastOp } from '../engine/machine';
import type { Advice } from '../engine/mm/mmap';
import { PROT_FLAGS, VM } from '../engine/mm/vma';
import type { SimEvent } from '../engine/sim/events';
import { MIGRATION_CAUSES } from '../engine/device/uvm/types';

export { ERROR_CODES };

// ---------------------------------------------------------------- statements

export interface StatementSpec {
	/** the keywords of the statement, the one that decides it first (for `DEV op`, the op) */
	words: readonly string[];
	syntax: string;
	doc: string;
	/** may appear in a kernel body */
	inKernel?: boolean;
	/** written `DEV op ...`: the device name comes first and words[0] is the op */
	deviceOp?: boolean;
	/** not simulated yet: what it needs; the statement is an error at check time and at run time */
	needs?: string;
}

export const STATEMENTS: Readonly<Record<Stmt['kind'], StatementSpec>> = {
	system: { words: ['system'], syntax: `system ${optionSyntax(SYSTEM_OPTIONS, [])}`, doc: 'configure RAM, swap and THP, once, before any process' },
	device: { words: ['device'], syntax: `device DEV ${optionSyntax(DEVICE_OPTIONS, ['memory'])}`, doc: 'declare a device with its memory' },
	process: { words: ['process'], syntax: 'process PROC', doc: 'create a process and make it current' },
	use: { words: ['use'], syntax: 'use PROC', doc: 'make PROC the current process' },
	file: { words: ['file'], syntax: 'file NAME size=SIZE [= EXPR]', doc: 'create a page-cache file, optionally filled per int32 word' },
	truncate: { words: ['truncate'], syntax: 'truncate NAME SIZE', doc: 'set a file\'s size (truncate(2)); a shrink unmaps and drops the pages beyond the new end' },
	'file-read': { words: ['file', 'read'], syntax: 'file read NAME[[A:B]]', doc: 'read(2) of bytes A to B of a file through the page cache (defaults: the whole file)' },
	'file-write': { words: ['file', 'write'], syntax: 'file write NAME[[A:B]] [= EXPR]', doc: 'write(2) of bytes A to B of a file through the page cache, per int32 word with i = word index from A; the file grows to B' },
	sync: { words: ['sync'], syntax: 'sync NAME', doc: 'fsync(2): write the file\'s dirty page-cache pages back' },
	crash: { words: ['crash'], syntax: 'crash', doc: 'power loss: the machine restarts at once; only what reached disk or persistent memory survives, every process runs again with the same mappings and nothing resident (lost(R) counts what each range lost)' },
	oom_score_adj: { words: ['oom_score_adj'], syntax: 'oom_score_adj PROC N', doc: 'write /proc/PID/oom_score_adj (-1000..1000; -1000: never OOM-killed; a fork child inherits it)' },
	mirror: { deviceOp: true, words: ['mirror', 'as'], syntax: 'DEV mirror PROC [as NAME]', doc: 'the device mirrors PROC\'s address space (an open file: interval notifier and page table); `as NAME` opens a further file, addressed as NAME where a statement names the device' },
	unmirror: { deviceOp: true, words: ['unmirror'], syntax: 'DEV unmirror PROC | NAME unmirror', doc: 'close the open file (dmirror_fops_release): its notifier and table go, the device\'s memory is evicted to RAM' },
	mmap: { words: ['mmap'], syntax: 'X = mmap SIZE anon|hugetlb[=SIZE]|file NAME|dax NAME PROT [shared|private] [huge|nohuge] [offset=SIZE]', doc: 'map memory into the current process' },
	mremap: { words: ['mremap'], syntax: 'X = mremap R SIZE [maymove] [fixed=ADDR] [dontunmap]', doc: 'resize or move a mapping with its pages (mremap(2)); X becomes the new range' },
	munmap: { words: ['munmap'], syntax: 'munmap R', doc: 'unmap a range' },
	mprotect: { words: ['mprotect'], syntax: 'mprotect R PROT', doc: 'change the protection of a range' },
	madvise: { words: ['madvise'], syntax: 'madvise R ADVICE', doc: 'give the kernel advice about a range' },
	fork: { words: ['fork'], syntax: 'fork PROC', doc: 'fork the current process (copy-on-write)' },
	exit: { words: ['exit'], syntax: 'exit PROC', doc: 'the process exits and its mm is torn down' },
	'cpu-read': { words: ['cpu', 'read'], syntax: 'cpu read R', doc: 'the current process reads every page of R' },
	'cpu-write': { words: ['cpu', 'write'], syntax: 'cpu write R [= EXPR]', doc: 'the current process writes R, per int32 word with i = word index' },
	'dev-read': { deviceOp: true, words: ['read'], syntax: '[B =] DEV read R', doc: 'the device reads R through its mirror (HMM_DMIRROR_READ)' },
	'dev-write': { deviceOp: true, words: ['write'], syntax: 'DEV write R = EXPR', doc: 'the device writes R through its mirror (HMM_DMIRROR_WRITE)' },
	kernel: { words: ['kernel'], syntax: 'kernel DEV ["name"] { ... }', doc: 'launch a device kernel: its read, write and atomic lines run on every warp, faulting pages in by batches' },
	'kernel-read': { words: ['read'], syntax: 'read R', doc: 'the kernel reads every word of R', inKernel: true },
	'kernel-write': { words: ['write'], syntax: 'write R [= EXPR]', doc: 'the kernel writes R, per int32 word with i = word index', inKernel: true },
	'kernel-atomic': { words: ['atomic'], syntax: 'atomic R', doc: 'the kernel performs atomics on R (needs the pages with atomic access)', inKernel: true },
	migrate: { words: ['migrate', 'from'], syntax: 'migrate R -> DEV|ram [from DEV]', doc: 'migrate_vma to device memory, or back to RAM (from every mirroring device, or only from DEV)' },
	prefetch: { words: ['prefetch'], syntax: 'prefetch R -> DEV|ram', doc: 'migrate R ahead of use (cudaMemPrefetchAsync); pages that cannot move stay where they are' },
	advise: { words: ['advise'], syntax: 'advise R preferred=LOC|none | accessed_by=DEV | read_mostly=on|off', doc: 'memory advice (cudaMemAdvise) that migrate-policy devices follow on faults' },
	exclusive: { words: ['exclusive'], syntax: 'exclusive R -> DEV', doc: 'make_device_exclusive, then a device read (HMM_DMIRROR_EXCLUSIVE)' },
	release: { deviceOp: true, words: ['release'], syntax: 'DEV release', doc: 'evict all of the device\'s memory to RAM (HMM_DMIRROR_RELEASE)' },
	fail_alloc: { deviceOp: true, words: ['fail_alloc'], syntax: 'DEV fail_alloc', doc: 'the next page allocation of a migration through DEV\'s mirror of the current process fails, once (HMM_DMIRROR_FLAGS FAIL_ALLOC)' },
	pin: { words: ['pin'], syntax: 'pin R [read] | pin R -> DEV [for DUR]', doc: 'long-term pin of R\'s pages (FOLL_LONGTERM; FOLL_WRITE if R is writable, unless `read`); with experimental=pin_device, `-> DEV` pins them in device memory' },
	unpin: { words: ['unpin'], syntax: 'unpin R', doc: 'drop the pins of R' },
	snapshot: { words: ['snapshot'], syntax: 'S = DEV snapshot R', doc: 'one byte per page as HMM_DMIRROR_SNAPSHOT reports it' },
	assign: { words: [], syntax: 'X = EXPR', doc: 'assign a script variable', inKernel: true },
	param: { words: ['param'], syntax: 'param NAME = CONSTANT', doc: 'declare a tunable constant (a number with its unit, a word, a string or a boolean); `hmmw run --set NAME=VALUE` and `hmmw sweep` override it' },
	for: { words: ['for', 'in', 'step'], syntax: 'for V in A..B [step S] { ... }', doc: 'V from A while before B', inKernel: true },
	repeat: { words: ['repeat'], syntax: 'repeat N { ... }', doc: 'run the block N times', inKernel: true },
	if: { words: ['if', 'else'], syntax: 'if COND { ... } [else { ... }]', doc: 'run a block if COND holds', inKernel: true },
	print: { words: ['print'], syntax: 'print EXPR [, EXPR ...]', doc: 'print a line' },
	expect: { words: ['expect'], syntax: 'expect COND [, "message"]', doc: 'a check; a failure is recorded and the run goes on' },
	'expect-error': { words: ['expect', 'error'], syntax: 'expect error CODE { ... }', doc: 'the block must fail with CODE' },
	thread: { words: ['thread'], syntax: 'thread NAME { ... }', doc: 'run the block concurrently with the rest of the script; threads switch only at simulated kernel function entries and contended locks' },
	join: { words: ['join'], syntax: 'join NAME', doc: 'wait until thread NAME has finished (the script\'s end waits for every thread)' },
	schedule: { words: ['schedule'], syntax: 'schedule round_robin|random [seed=N]', doc: 'how threads take turns at switch points: in order (the default), or drawn from a seeded generator' },
};

/** Every keyword of every statement, once. */
export const STATEMENT_KEYWORDS: readonly string[] = [...new Set(Object.values(STATEMENTS).flatMap(s => s.words))];

/** The second words that make a line a `DEV op` statement. */
export const DEVICE_OPS: ReadonlySet<string> = new Set(Object.values(STATEMENTS).filter(s => s.deviceOp).map(s => s.words[0]));

/** `mmap ... hugetlb` without `=SIZE`: 2 MiB huge pages (the default hstate). */
export const HUGETLB_DEFAULT_SIZE = 2 * 2 ** 20;

/** mmap modifiers after the protection. */
export const MMAP_MODIFIERS = ['shared', 'private', 'huge', 'nohuge'] as const;

/** mremap flags after the size (besides `fixed=ADDR`). */
export const MREMAP_MODIFIERS = ['maymove', 'dontunmap'] as const;

/** How a statement is written, for messages (`cpu read`, not `cpu-read`). */
export function spelling(kind: Stmt['kind']): string {
	if (kind.startsWith('dev-')) { return 'DEV ' + kind.slice(4); }
	if (kind.startsWith('kernel-')) { return kind.slice(7); }
	return kind.replace('-', ' ');
}

/** The error for a statement that is not simulated yet, or undefined. */
export function pendingStatement(kind: Stmt['kind']): string | undefined {
	const needs = STATEMENTS[kind].needs;
	return needs === undefined ? undefined : notImplementedMessage(`\`${spelling(kind)}\``, needs);
}

/** A statement a kernel body may not hold. */
export function notInKernelMessage(kind: Stmt['kind']): string {
	const allowed = Object.entries(STATEMENTS).filter(([k, s]) => s.inKernel && k !== 'assign').map(([k]) => spelling(k as Stmt['kind']));
	const hint = kind === 'print' || kind === 'expect' || kind === 'expect-error'
		? '; a kernel body is evaluated before the launch, so put it after the kernel' : '';
	return `'${spelling(kind)}' is not allowed inside a kernel body (a kernel holds ${allowed.join(', ')} and assignments)${hint}`;
}

/** A kernel-body line outside a kernel. */
export function kernelLineMessage(kind: 'kernel-read' | 'kernel-write' | 'kernel-atomic'): string {
	const hint = kind === 'kernel-atomic' ? '' : ` (use 'cpu ${spelling(kind)}' or 'DEV ${spelling(kind)}')`;
	return `'${spelling(kind)}' is only allowed inside a kernel body${hint}`;
}

// ---------------------------------------------------------------- words

/** mmap/mprotect protections: the engine's PROT_FLAGS, described from their VM flags. */
export const PROTECTIONS: readonly string[] = Object.keys(PROT_FLAGS);
export function protectionDoc(prot: string): string {
	const f = PROT_FLAGS[prot] ?? 0;
	const parts = [[VM.READ, 'read'], [VM.WRITE, 'write'], [VM.EXEC, 'execute']].filter(([bit]) => f & (bit as number)).map(([, w]) => w);
	return parts.length === 0 ? 'no access (PROT_NONE)' : parts.join(', ');
}

/** madvise advice: exactly the engine's Advice (a missing or extra key fails to compile). */
export const ADVICE_DOCS: Readonly<Record<Advice, string>> = {
	dontneed: 'MADV_DONTNEED: drop the pages; private anon reads back zeroes',
	free: 'MADV_FREE: private anon pages become lazily freeable',
	hugepage: 'MADV_HUGEPAGE: the range may use transparent huge pages',
	nohugepage: 'MADV_NOHUGEPAGE: the range never uses transparent huge pages',
	collapse: 'MADV_COLLAPSE: make whole 2 MiB blocks huge pages now',
	cold: 'MADV_COLD: deactivate the pages, so reclaim takes them before pages in use',
	pageout: 'MADV_PAGEOUT: reclaim the pages now (swapped out when there is swap)',
};
export const ADVICE = Object.keys(ADVICE_DOCS) as readonly Advice[];

/** `advise R KEY=VALUE` keys. */
export const ADVISE_KEYS = ['preferred', 'accessed_by', 'read_mostly'] as const;

/** Advice the device model keeps but its fault service does not act on yet: refused, in the same
 * words at check time and at run time, rather than accepted and ignored. */
const PENDING_ADVICE: Partial<Record<typeof ADVISE_KEYS[number], string>> = {};

export function pendingAdvice(key: string): string | undefined {
	const needs = (PENDING_ADVICE as Record<string, string | undefined>)[key];
	return needs === undefined ? undefined : notImplementedMessage(`\`advise ${key}=\``, needs);
}

/** Location words `count(R, LOC)` accepts besides device names. */
export const COUNT_LOCATIONS = ['ram', 'zero', 'none', 'swap'] as const;

/** Names that would make `LOC`, `cpu read` or `last.x` ambiguous. */
export const RESERVED_DEVICE_NAMES = ['ram', 'none', 'cpu', 'last', 'event', 'system'];
export const RESERVED_PROCESS_NAMES = ['last', 'event', 'system'];

/** Words an expression may use besides variables, devices, processes and builtins. */
export const EXPRESSION_WORDS: Readonly<Record<string, string>> = {
	and: 'logical and', or: 'logical or', not: 'logical not', true: 'boolean', false: 'boolean',
	time: 'simulated time in ns', last: 'the last device operation', event: 'the engine event stopped on', ram: 'system RAM (a location)',
	thread: 'the name of the script thread running now: "main" or a `thread NAME` (e.g. a breakpoint condition thread == "writer")',
};

/** `schedule MODE`: how script threads take turns at switch points (src/lang/threads.ts) */
export const SCHEDULE_MODES = ['round_robin', 'random'] as const;

// ---------------------------------------------------------------- members

/** `last.*`: exactly the engine's LastOp. */
export const LAST_MEMBERS: Readonly<Record<keyof LastOp, string>> = {
	cpages: 'pages the last device operation or migration handled (dmirror cpages)',
	faults: 'fault rounds of the last device operation (dmirror faults)',
	error: 'error code of the last device operation, or "none"',
	moved: 'pages that actually moved in the last kernel, prefetch or migrate (device model)',
	retries: 'times the last device read or write redid hmm_range_fault because mmu_interval_read_retry saw an invalidation',
};

/** `event.*`: exactly the fields of the engine's SimEvent. */
export const EVENT_MEMBERS: Readonly<Record<keyof SimEvent, string>> = {
	kind: 'what happened: page-fault, cpu-fault, device-fault, fault-batch, migration, prefetch, thrashing, eviction, invalidation, call, access',
	addr: 'start address of the affected range',
	npages: 'pages affected',
	device: 'the device involved, or ""',
	process: 'the process involved, or ""',
	write: 'true for a write access or write fault',
	fn: 'the simulated kernel function raising it',
	detail: 'notifier event, migration direction, fault-batch entries, thrashing action, or ""',
	cause: `why pages moved, on a migration: ${MIGRATION_CAUSES.join(', ')}; "" otherwise`,
	warp: 'on a kernel access as a warp first issues it: the warp (0 to sms x warps - 1); -1 otherwise',
	sm: 'on a kernel access as a warp first issues it: the SM the warp runs on; -1 otherwise',
	page: 'on a kernel access as a warp first issues it: address of the page the warp touches; -1 otherwise',
	line: 'on a kernel access as a warp first issues it: the script line of the kernel-body statement; 0 otherwise',
};

/** Device counters: exactly the engine's DeviceStats. */
export const DEVICE_COUNTERS: Readonly<Record<keyof DeviceStats, string>> = {
	faults: 'device page faults, in pages (after coalescing)',
	fault_batches: 'fault batches serviced (dmirror: device fault service rounds)',
	migrated_in: 'pages migrated to the device',
	migrated_out: 'pages migrated from the device to RAM',
	evicted: 'pages moved to RAM to free device memory (policy=migrate)',
	prefetched: 'pages migrated by the prefetcher or a prefetch statement (policy=migrate)',
	throttled: 'faults throttled by thrashing mitigation (policy=migrate)',
	thrash_pins: 'pages pinned by thrashing mitigation (policy=migrate)',
	remote_bytes: 'bytes kernels accessed over the link through remote mappings',
	read_duplicated: 'read-only copies made on the device by read faults on read-mostly ranges (policy=migrate)',
	peer_bytes: 'bytes kernels accessed in another GPU\'s memory through peer mappings (accessed_by, policy=migrate)',
	peer_copy_bytes: 'bytes migrated into the device straight from another GPU\'s memory over the peer link (policy=migrate)',
	invalidations: 'notifier callbacks that removed mirror entries',
	retries: 'hmm_range_fault walks redone because an invalidation raced them (mmu_interval_read_retry)',
	lock_skipped: 'pages a migration left where they were because folio_trylock failed (another thread\'s fault held the folio)',
	cpu_faults: 'CPU faults on this device\'s pages',
};

/** `DEV.*`: the counters, and the memory figures. */
export const DEVICE_MEMBERS: Readonly<Record<keyof DeviceStats | 'used' | 'free' | 'struct_page_bytes' | 'pinned', string>> = {
	...DEVICE_COUNTERS,
	used: 'device memory in use, in bytes',
	free: 'device memory free, in bytes',
	struct_page_bytes: 'host RAM spent on this device memory\'s struct pages (0 for device-private memory with experimental=no_devpriv_struct_page)',
	pinned: 'bytes of device memory held by pins (experimental=pin_device)',
};

/** `system.*`: machine-wide figures, those the experimental kernel designs change (docs/proposals.md). */
export const SYSTEM_MEMBERS: Readonly<Record<'struct_page_bytes' | 'invalidations' | 'invalidate_ns' | 'invalidate_saved_ns' | 'pin_blocked' | 'pin_wait_ns'
	| 'file_device_pages' | 'file_device_dirty' | 'file_faulted_back' | 'file_writeback_pages' | 'file_writeback_device'
	| 'dax_device_pages' | 'dax_unpersisted' | 'dax_written_back' | 'crashes' | 'lost_bytes', string>> = {
	struct_page_bytes: 'host RAM spent on struct pages of device memory (64 bytes per 4 KiB page hotplugged)',
	invalidations: 'CPU page-table updates that invalidated mirroring devices (invalidate_range_start calls)',
	invalidate_ns: 'simulated time those updates spent waiting for device TLB flushes',
	invalidate_saved_ns: 'flush latency saved by overlapping them (experimental=parallel_invalidate)',
	pin_blocked: 'CPU accesses that hit a page pinned in device memory (experimental=pin_device)',
	pin_wait_ns: 'simulated time CPU accesses waited for pins in device memory to end (pin_device=stall)',
	file_device_pages: 'page-cache pages now in device memory (experimental=file_migration)',
	file_device_dirty: 'those of them dirty: what a crash before writeback would lose',
	file_faulted_back: 'page-cache pages brought back from device memory other than by a mapping\'s own migrate_to_ram (file read/write, sync, truncate, another mapping\'s fault, DEV release)',
	file_writeback_pages: 'file pages written back to disk (sync and reclaim)',
	file_writeback_device: 'those written straight from device memory (file_writeback=device)',
	dax_device_pages: 'DAX pages whose live copy is in device memory (experimental=dax_migration)',
	dax_unpersisted: 'those of them not written back to persistent memory: what a crash now would lose',
	dax_written_back: 'DAX pages written from device memory into persistent memory (sync, eviction, CPU access)',
	crashes: '`crash` statements run',
	lost_bytes: 'bytes of file data (page cache and DAX) the last crash lost',
};

/** The member table of a word that always names an object (`last`, `event`, `system`). */
export function fixedMembers(object: string): Readonly<Record<string, string>> | undefined {
	return object === 'last' ? LAST_MEMBERS : object === 'event' ? EVENT_MEMBERS : object === 'system' ? SYSTEM_MEMBERS : undefined;
}

export const PROCESS_MEMBERS: Readonly<Record<'pid' | 'rss' | 'faults' | 'oom_score_adj', string>> = {
	pid: 'process id',
	rss: 'resident pages (the zero page excluded)',
	faults: 'CPU page faults taken',
	oom_score_adj: '/proc/PID/oom_score_adj (0 unless set with oom_score_adj)',
};

export type DeviceMember = keyof typeof DEVICE_MEMBERS;
export type ProcessMember = keyof typeof PROCESS_MEMBERS;

export function hasMember(table: object, name: string): boolean {
	return Object.prototype.hasOwnProperty.call(table, name);
}

export function noMemberMessage(object: string, property: string, table: Readonly<Record<string, string>>): string {
	return `'${shortText(object)}' has no property '${shortText(property)}' (expected one of ${Object.keys(table).join(', ')})`;
}

// ---------------------------------------------------------------- builtins

/** What an argument must be: `device`, `location` (where data can be, for count) and `place`
 * (ram or a device) are names, `word` an expression of `i`. */
export type ArgKind = 'range' | 'data' | 'int' | 'device' | 'location' | 'place' | 'word';

export interface BuiltinSpec {
	args: readonly ArgKind[];
	/** fewest arguments; the most is args.length */
	min: number;
	syntax: string;
	doc: string;
}

const fixed = (args: readonly ArgKind[], syntax: string, doc: string): BuiltinSpec => ({ args, min: args.length, syntax, doc });

export const BUILTIN_SPECS = {
	where: fixed(['range'], 'where(R)', 'where R\'s data lives: "none", "zero", "ram", "swap", a device or "mixed"'),
	count: fixed(['range', 'location'], 'count(R, LOC)', 'pages of R whose data is at LOC'),
	mapped: fixed(['device', 'range'], 'mapped(DEV, R)', 'pages of R in DEV\'s page table'),
	perm: fixed(['device', 'range'], 'perm(DEV, R)', 'DEV\'s access to R: "none", "r", "rw", "atomic" or "mixed"'),
	exclusive: fixed(['device', 'range'], 'exclusive(DEV, R)', 'any page of R still exclusive to DEV'),
	refcount: fixed(['range'], 'refcount(R)', 'struct page refcount of R\'s pages (0 where no page is mapped), or "mixed"'),
	mapcount: fixed(['range'], 'mapcount(R)', 'struct page mapcount of R\'s pages (0 where no page is mapped), or "mixed"'),
	pincount: fixed(['range'], 'pincount(R)', 'long-term pins held on R\'s pages (0 where no page is mapped), or "mixed"'),
	matches: fixed(['data', 'word'], 'matches(R or B, EXPR)', 'every int32 word equals EXPR with i = word index (no side effects)'),
	word: fixed(['data', 'int'], 'word(R or B, K)', 'int32 word K (no side effects)'),
	len: fixed(['data'], 'len(R or B)', 'bytes of a range, elements of a buffer'),
	npages: fixed(['range'], 'npages(R)', 'pages R touches'),
	addr: fixed(['range'], 'addr(R)', 'start address of R'),
	page: fixed(['range', 'int'], 'page(X, K)', 'page K of X, as a range'),
	pages: fixed(['range', 'int', 'int'], 'pages(X, K, N)', 'N pages of X from page K, as a range'),
	at: fixed(['int', 'int'], 'at(ADDR, LEN)', 'the range of LEN bytes at an absolute address'),
	copies: fixed(['range', 'place'], 'copies(R, LOC)', 'pages of R with a copy at LOC (read-mostly pages may have several)'),
	lost: fixed(['range'], 'lost(R)', 'bytes of R in pages whose content the last crash lost (0 before any crash)'),
} as const satisfies Record<string, BuiltinSpec>;

export type Builtin = keyof typeof BUILTIN_SPECS;
export const BUILTINS = Object.keys(BUILTIN_SPECS) as readonly Builtin[];

export function isBuiltin(name: string): name is Builtin {
	return Object.prototype.hasOwnProperty.call(BUILTIN_SPECS, name);
}

export function unknownFunctionMessage(name: string): string {
	return `unknown function '${shortText(name)}' (builtins: ${BUILTINS.join(', ')})`;
}

/** The arity error for a call of `name` with `n` arguments, or undefined. */
export function arityMessage(name: Builtin, n: number): string | undefined {
	const s: BuiltinSpec = BUILTIN_SPECS[name];
	const max = s.args.length;
	if (n >= s.min && n <= max) { return undefined; }
	const want = s.min === max ? `${max}` : `${s.min} to ${max}`;
	return `${name}() takes ${want} argument${max === 1 ? '' : 's'}, got ${n}`;
}

// ---------------------------------------------------------------- completion and hover text

/** One entry per word the language knows, for completions and hovers. */
export interface WordDoc { label: string; detail: string }

export function memberDocs(table: Readonly<Record<string, string>>): WordDoc[] {
	return Object.entries(table).map(([label, detail]) => ({ label, detail }));
}

export function builtinDocs(): WordDoc[] {
	return BUILTINS.map(b => ({ label: b, detail: `${BUILTIN_SPECS[b].syntax}: ${BUILTIN_SPECS[b].doc}` }));
}

/** The first vocabulary mistake in an expression that needs no script context to see: an unknown
 * `last.*` or `event.*` member, an unknown builtin or a wrong argument count. Debugger conditions
 * are checked with it when they are set, not when they first fail. */
export function vocabularyError(e: Expr): string | undefined {
	switch (e.kind) {
		case 'member':
			if (e.object === 'last' && !hasMember(LAST_MEMBERS, e.property)) { return noMemberMessage(e.object, e.property, LAST_MEMBERS); }
			if (e.object === 'event' && !hasMember(EVENT_MEMBERS, e.property)) { return noMemberMessage(e.object, e.property, EVENT_MEMBERS); }
			if (e.object === 'system' && !hasMember(SYSTEM_MEMBERS, e.property)) { return noMemberMessage(e.object, e.property, SYSTEM_MEMBERS); }
			return undefined;
		case 'call': {
			if (!isBuiltin(e.callee)) { return unknownFunctionMessage(e.callee); }
			return arityMessage(e.callee, e.args.length) ?? first(e.args);
		}
		case 'unary': return vocabularyError(e.arg);
		case 'binary': return first([e.left, e.right]);
		case 'slice': return first([e.object, ...(e.lo ? [e.lo] : []), ...(e.hi ? [e.hi] : [])]);
		case 'index': return first([e.object, e.index]);
		default: return undefined;
	}
}

function first(es: readonly Expr[]): string | undefined {
	for (const x of es) {
		const m = vocabularyError(x);
		if (m !== undefined) { return m; }
	}
	return undefined;
}
