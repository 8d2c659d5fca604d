// Every example runs to its end with all its expectations holding: an example that fails, or that
// shows something the engine does not do, misleads whoever copies it.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { hmmwFiles } from './hmmwFiles';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

describe('examples run clean through hmmw', function () {
	this.timeout(120_000);
	const all = hmmwFiles(path.join(ROOT, 'examples'));
	it('has examples, the device model\'s included', () => {
		assert.ok(all.length >= 8, all.join('\n'));
		assert.ok(all.some(f => f.includes('device-model')));
	});
	for (const file of all) {
		it(path.relative(ROOT, file), () => {
			const r = spawnSync(process.execPath, [CLI, 'run', '--json', file], { encoding: 'utf8' });
			assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr}`);
			const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ok: boolean; passed: number; failed: number };
			assert.ok(out.ok && out.failed === 0 && out.passed > 0, r.stdout);
		});
	}
});
