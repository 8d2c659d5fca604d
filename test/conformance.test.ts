// Runs every .hmmw script under test/conformance through the CLI, with the machine's invariants
// checked after every statement. A script passes when the CLI exits 0 (all expectations held).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

function scripts(dir: string): string[] {
	const out: string[] = [];
	for (const name of readdirSync(dir).sort()) {
		const p = path.join(dir, name);
		if (statSync(p).isDirectory()) { out.push(...scripts(p)); } else if (name.endsWith('.hmmw')) { out.push(p); }
	}
	return out;
}

describe('conformance scripts (hmm-tests ports and CPU semantics)', function () {
	this.timeout(120_000);
	const dir = path.join(ROOT, 'test', 'conformance');
	for (const file of scripts(dir)) {
		const rel = path.relative(ROOT, file);
		// the THP-migration benchmark port is slow by design; npm run bench covers speed
		if (process.env.HMMW_QUICK === '1' && rel.includes('benchmark')) { continue; }
		it(rel, () => {
			const r = spawnSync(process.execPath, [CLI, 'run', file], { encoding: 'utf8', env: { ...process.env, HMMW_CHECK_INVARIANTS: '1' } });
			assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr}`);
		});
	}
});
