// Failures a statement can raise. They carry the errno/signal name docs/language.md#errors-and-signals lists and the dmirror ioctls use.
// The engine owns this list; the language re-exports it for `expect error CODE`.

// EOPNOTSUPP and EAGAIN are the kernel's answers for operations a page or a device cannot support
// (make_device_exclusive on a non-anonymous folio) and for a retry the caller must make
// (MADV_COLLAPSE over a pinned page: madvise_collapse_errno(SCAN_PAGE_COUNT)).
export const ERROR_CODES = ['EFAULT', 'EPERM', 'EINVAL', 'ENOENT', 'ENOMEM', 'EBUSY', 'EOPNOTSUPP', 'EAGAIN', 'SIGSEGV', 'SIGBUS'] as const;
export type ErrorCode = typeof ERROR_CODES[number];

export class SimError extends Error {
	constructor(readonly code: ErrorCode, message: string) {
		super(message);
	}
}

export function fail(code: ErrorCode, message: string): never {
	throw new SimError(code, message);
}
