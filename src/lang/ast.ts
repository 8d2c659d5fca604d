// The workload-script syntax tree. Every node carries the position of its first token, so that
// diagnostics, breakpoints and the debugger's stack frames can point back into the source.

import type { Advice } from '../engine/mm/mmap';

/** 1-based line and column of a node's first character. */
export interface Loc {
	line: number;
	col: number;
}

export interface Diagnostic {
	file: string;
	line: number;
	col: number;
	message: string;
	severity: 'error' | 'warning';
}

// ---------------------------------------------------------------- expressions

/** Sizes (`4KiB`, `3 pages`), durations (`5us`) and bandwidths (`12GB/s`) are folded into the
 * number: bytes, nanoseconds and bytes per second. `unit` remembers which family it came from. */
export interface NumExpr { kind: 'num'; value: number; unit?: 'bytes' | 'ns' | 'bps'; loc: Loc }
export interface BoolExpr { kind: 'bool'; value: boolean; loc: Loc }
export interface StrExpr { kind: 'str'; value: string; loc: Loc }
/** A variable, or a bare word used as a name (`ram`, a device or process name). */
export interface IdentExpr { kind: 'ident'; name: string; loc: Loc }
/** `last.cpages`, `gpu.faults`, `p.pid`, `event.kind` */
export interface MemberExpr { kind: 'member'; object: string; property: string; loc: Loc }
export interface UnaryExpr { kind: 'unary'; op: '-' | 'not'; arg: Expr; loc: Loc }
export type BinaryOp = '+' | '-' | '*' | '/' | '%' | '|' | '&' | '^' | '<<' | '>>'
	| '==' | '!=' | '<' | '<=' | '>' | '>=' | 'and' | 'or';
export interface BinaryExpr { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; loc: Loc }
/** A builtin call; the builtins are declared in vocabulary.ts. */
export interface CallExpr { kind: 'call'; callee: string; args: Expr[]; loc: Loc }
/** `X[A:B]`, either bound optional. */
export interface SliceExpr { kind: 'slice'; object: Expr; lo?: Expr; hi?: Expr; loc: Loc }
/** `B[K]` */
export interface IndexExpr { kind: 'index'; object: Expr; index: Expr; loc: Loc }

export type Expr = NumExpr | BoolExpr | StrExpr | IdentExpr | MemberExpr | UnaryExpr | BinaryExpr
	| CallExpr | SliceExpr | IndexExpr;

// ---------------------------------------------------------------- statements

/** `key=value` option of `system`, `device`, `file`, `mmap ... offset=`. Word values (`kind=private`)
 * are IdentExprs; the parser has already checked the key and the word against the statement. */
export interface Option { key: string; value: Expr; loc: Loc }

export type Prot = 'none' | 'r' | 'rw' | 'rx' | 'rwx';
/** madvise advice is the engine's own type (the words are listed in vocabulary.ts). */
export type { Advice };

interface StmtBase { loc: Loc }

export interface SystemStmt extends StmtBase { kind: 'system'; options: Option[] }
export interface DeviceStmt extends StmtBase { kind: 'device'; name: string; options: Option[] }
export interface ProcessStmt extends StmtBase { kind: 'process'; name: string }
export interface UseStmt extends StmtBase { kind: 'use'; name: string }
/** `file NAME size=SIZE [= EXPR]` */
export interface FileStmt extends StmtBase { kind: 'file'; name: string; size: Expr; init?: Expr }
export interface TruncateStmt extends StmtBase { kind: 'truncate'; name: string; size: Expr }
/** `file read NAME[A:B]` / `file write NAME[A:B] [= EXPR]`: read(2) / write(2) of bytes A to B
 * (defaults: 0 and the file's size) */
export interface FileIoStmt extends StmtBase { kind: 'file-read' | 'file-write'; name: string; lo?: Expr; hi?: Expr; value?: Expr }
/** `sync NAME`: fsync(2) */
export interface SyncStmt extends StmtBase { kind: 'sync'; name: string }
/** `crash`: power loss and restart; only the persistence domain survives (engine/mm/crash.ts) */
export interface CrashStmt extends StmtBase { kind: 'crash' }
/** `oom_score_adj PROC N`: a write of /proc/PID/oom_score_adj */
export interface OomScoreAdjStmt extends StmtBase { kind: 'oom_score_adj'; name: string; value: Expr }
/** `DEV mirror PROC [as NAME]`: NAME names a further open file of DEV on PROC (its own dmirror) */
export interface MirrorStmt extends StmtBase { kind: 'mirror'; device: string; process: string; handle?: string }
/** `DEV unmirror PROC`, or `NAME unmirror` (device holds the open file's name, process absent) */
export interface UnmirrorStmt extends StmtBase { kind: 'unmirror'; device: string; process?: string }

/** `X = mmap SIZE anon|hugetlb[=SIZE]|file NAME|dax NAME PROT [shared|private] [huge|nohuge] [offset=SIZE]` */
export interface MmapStmt extends StmtBase {
	kind: 'mmap';
	target: string;
	size: Expr;
	backing: 'anon' | 'file' | 'dax' | 'hugetlb';
	/** `hugetlb=SIZE`: the huge page size (2 MiB when left out) */
	hugetlbSize?: Expr;
	file?: string;
	prot: Prot;
	shared: boolean;
	huge?: 'huge' | 'nohuge';
	offset?: Expr;
}
export interface MunmapStmt extends StmtBase { kind: 'munmap'; range: Expr }
/** `X = mremap R SIZE [maymove] [fixed=ADDR] [dontunmap]` */
export interface MremapStmt extends StmtBase {
	kind: 'mremap';
	target: string;
	range: Expr;
	size: Expr;
	maymove: boolean;
	fixed?: Expr;
	dontunmap: boolean;
}
export interface MprotectStmt extends StmtBase { kind: 'mprotect'; range: Expr; prot: Prot }
export interface MadviseStmt extends StmtBase { kind: 'madvise'; range: Expr; advice: Advice }
export interface ForkStmt extends StmtBase { kind: 'fork'; name: string }
export interface ExitStmt extends StmtBase { kind: 'exit'; name: string }

export interface CpuReadStmt extends StmtBase { kind: 'cpu-read'; range: Expr }
/** `value` is evaluated per 32-bit word with `i` bound to the word index. */
export interface CpuWriteStmt extends StmtBase { kind: 'cpu-write'; range: Expr; value?: Expr }
/** `[B =] DEV read R` */
export interface DevReadStmt extends StmtBase { kind: 'dev-read'; device: string; range: Expr; target?: string }
export interface DevWriteStmt extends StmtBase { kind: 'dev-write'; device: string; range: Expr; value: Expr }
/** `kernel DEV ["name"] { ... }`; the body holds kernel-read/-write/-atomic and control statements. */
export interface KernelStmt extends StmtBase { kind: 'kernel'; device: string; name?: string; body: Stmt[] }
export interface KernelReadStmt extends StmtBase { kind: 'kernel-read'; range: Expr }
export interface KernelWriteStmt extends StmtBase { kind: 'kernel-write'; range: Expr; value?: Expr }
export interface KernelAtomicStmt extends StmtBase { kind: 'kernel-atomic'; range: Expr }

/** `migrate R -> DEV|ram [from DEV]`; `to` is `ram` or a device name; `from` (only with `ram`)
 * names the one device whose pages go back. */
export interface MigrateStmt extends StmtBase { kind: 'migrate'; range: Expr; to: string; from?: string }
export interface PrefetchStmt extends StmtBase { kind: 'prefetch'; range: Expr; to: string }
/** `advise R preferred=LOC|none`, `accessed_by=DEV`, `read_mostly=on|off` */
export interface AdviseStmt extends StmtBase {
	kind: 'advise';
	range: Expr;
	advice: 'preferred' | 'accessed_by' | 'read_mostly';
	value: string;
}
export interface ExclusiveStmt extends StmtBase { kind: 'exclusive'; range: Expr; device: string }
export interface ReleaseStmt extends StmtBase { kind: 'release'; device: string }
/** `DEV fail_alloc`: HMM_DMIRROR_FLAGS(HMM_DMIRROR_FLAG_FAIL_ALLOC) on DEV's mirror of the current process */
export interface FailAllocStmt extends StmtBase { kind: 'fail_alloc'; device: string }
/** `pin R [read]`: FOLL_WRITE when R's mapping is writable, unless `read` asks for a read-only pin. */
/** `pin R [read]` (GUP), or `pin R -> DEV [for DUR]` (in device memory, experimental=pin_device) */
export interface PinStmt extends StmtBase { kind: 'pin'; range: Expr; readOnly?: boolean; device?: string; duration?: Expr }
export interface UnpinStmt extends StmtBase { kind: 'unpin'; range: Expr }
/** `S = DEV snapshot R` */
export interface SnapshotStmt extends StmtBase { kind: 'snapshot'; target: string; device: string; range: Expr }

export interface AssignStmt extends StmtBase { kind: 'assign'; target: string; value: Expr }
/** `param NAME = CONSTANT`: a tunable. The parser substitutes its value (the default, or the
 * `--set NAME=VALUE` override, then `overridden` is true) for every later use of NAME. */
export interface ParamStmt extends StmtBase { kind: 'param'; name: string; value: Expr; overridden: boolean }
/** `for V in A..B [step S] { }`: V runs from A while V < B (or V > B for a negative step). */
export interface ForStmt extends StmtBase { kind: 'for'; variable: string; from: Expr; to: Expr; step?: Expr; body: Stmt[] }
export interface RepeatStmt extends StmtBase { kind: 'repeat'; count: Expr; body: Stmt[] }
export interface IfStmt extends StmtBase { kind: 'if'; cond: Expr; then: Stmt[]; else?: Stmt[] }
export interface PrintStmt extends StmtBase { kind: 'print'; args: Expr[] }
export interface ExpectStmt extends StmtBase { kind: 'expect'; cond: Expr; message?: Expr }
/** `expect error CODE { ... }`; `code` is one of ERROR_CODES. */
export interface ExpectErrorStmt extends StmtBase { kind: 'expect-error'; code: string; body: Stmt[] }

/** `thread NAME { ... }`: the body runs concurrently with the rest of the script (threads.ts) */
export interface ThreadStmt extends StmtBase { kind: 'thread'; name: string; body: Stmt[] }
/** `join NAME`: wait until thread NAME has finished */
export interface JoinStmt extends StmtBase { kind: 'join'; name: string }
/** `schedule round_robin` | `schedule random seed=N`: how threads take turns at switch points */
export interface ScheduleStmt extends StmtBase { kind: 'schedule'; mode: string; options: Option[] }

export type Stmt = SystemStmt | DeviceStmt | ProcessStmt | UseStmt | FileStmt | TruncateStmt | FileIoStmt | SyncStmt | CrashStmt | OomScoreAdjStmt | MirrorStmt | UnmirrorStmt
	| MmapStmt | MremapStmt | MunmapStmt | MprotectStmt | MadviseStmt | ForkStmt | ExitStmt
	| CpuReadStmt | CpuWriteStmt | DevReadStmt | DevWriteStmt
	| KernelStmt | KernelReadStmt | KernelWriteStmt | KernelAtomicStmt
	| MigrateStmt | PrefetchStmt | AdviseStmt | ExclusiveStmt | ReleaseStmt | FailAllocStmt | PinStmt | UnpinStmt | SnapshotStmt
	| AssignStmt | ParamStmt | ForStmt | RepeatStmt | IfStmt | PrintStmt | ExpectStmt | ExpectErrorStmt
	| ThreadStmt | JoinStmt | ScheduleStmt;

export interface Program { file: string; body: Stmt[] }

// the error codes belong to the engine, which raises them
export { ERROR_CODES } from '../engine/sim/errors';
