// Failures a statement can raise. They carry the errno/signal name docs/language.md#errors-and-signals lists and the dmirror ioctls use.
// The engine owns this list; the language re-exports it for `expect error CODE`.

// EOPNOTSUPP and EAGAIN are the kernel's answers for operations a page or a device cannot support
// (make_device_exclusive on a non-anonymous folio) and for a retry the caller must make
// (MADV_COLLAPSE over a pinned page: madvise_collapse_errno(SCAN_PAGE_COUNT)). SIGKILL is the
// OOM killer's signal to a process it chose (mm/oom_kill.c): the statement that ran into it, and
// any later one in that process, fails with it. EDEADLK is experimental=pin_device's: a CPU access
// that would wait forever for a pin in device memory.
export const ERROR_CODES = ['EFAULT', 'EPERM', 'EINVAL', 'ENOENT', 'ENOMEM', 'EBUSY', 'EOPNOTSUPP', 'EAGAIN', 'EDEADLK', 'SIGSEGV', 'SIGBUS', 'SIGKILL'] as const;
export type ErrorCode = typeof ERROR_CODES[number];

export class SimError extends Error {
	constructor(readonly code: ErrorCode, message: string) {
		super(message);
	}
}

/** alloc_page found RAM full (after reclaim): ENOMEM, unless the OOM killer makes room first
 * (mm/oom_kill.ts catches it in the fault path). */
export class RamExhausted extends SimError {
	constructor(message: string) { super('ENOMEM', message); }
}

export function fail(code: ErrorCode, message: string): never {
	throw new SimError(code, message);
}
