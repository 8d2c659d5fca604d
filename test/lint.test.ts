// The linter and formatter (eslint.config.mjs) as part of the suite: a style or lint violation
// anywhere in the sources fails `npm test`. `npm run format` fixes most of them.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** stderr without @stylistic's notes about the deprecated rules it still runs. */
function quiet(stderr: string): string {
	return stderr.split('\n').filter(l => !l.startsWith('[@stylistic/')).join('\n');
}

describe('lint (npm run lint)', function () {
	this.timeout(180_000);
	it('reports no problem in src, test, bench, scripts and webview', () => {
		const r = spawnSync('npm', ['run', '--silent', 'lint'], { cwd: ROOT, encoding: 'utf8' });
		assert.equal(r.error, undefined, `could not run eslint: ${r.error?.message}`);
		assert.equal(r.status, 0, `npm run lint exits ${r.status}; \`npm run format\` fixes most problems\n${r.stdout}${quiet(r.stderr)}`);
	});
});
