// Fuzzing knobs shared by the fuzz and model suites. `npm test` runs a small, fixed-seed sample so
// it stays fast and reproducible; `npm run fuzz` (HMM_FUZZ=1) runs the long campaign with a fresh
// seed unless FUZZ_SEED pins one. Every run count can be overridden from the environment.
import * as path from 'node:path';

/** true under `npm run fuzz` */
export const FUZZ = process.env.HMM_FUZZ === '1';

/** The repository root, whether this runs from test/ (ts-node) or out/test/ (compiled). */
export const ROOT = (() => {
	let dir = __dirname;
	while (path.basename(dir) !== 'test') { dir = path.dirname(dir); }
	const parent = path.dirname(dir);
	return path.basename(parent) === 'out' ? path.dirname(parent) : parent;
})();

/** Runs for one property: `quick` under npm test, `full` under npm run fuzz, or the env override. */
export function runs(quick: number, full: number, envName?: string): number {
	const v = Number(envName ? process.env[envName] : undefined);
	if (Number.isInteger(v) && v > 0) { return v; }
	return FUZZ ? full : quick;
}

/** npm test uses a fixed seed so a failure there is a reproducible failure, not a flake. */
export function seed(fixed: number): number {
	const v = Number(process.env.FUZZ_SEED);
	if (Number.isInteger(v)) { return v; }
	return FUZZ ? Date.now() ^ (process.pid << 8) : fixed;
}
