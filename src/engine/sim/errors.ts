// Failures a statement can raise. They carry the errno/signal name the spec and the dmirror ioctls use.
import type { ErrorCode } from '../../lang/ast';

export class SimError extends Error {
	constructor(readonly code: ErrorCode, message: string) {
		super(message);
	}
}

export function fail(code: ErrorCode, message: string): never {
	throw new SimError(code, message);
}
