// Runs every .hmmw script under test/conformance through the CLI (`hmmw run --json`), with the
// machine's invariants checked after every statement. A script passes when no expectation fails,
// no statement fails outside `expect error`, and at least as many expectations held as its header
// declares (`# expectations: N`): a script whose checks silently stop running fails too.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { hmmwFiles } from './hmmwFiles';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const DECLARATION = /^#\s*expectations:\s*(\d+)\s*$/;

/** The count in the script's `# expectations: N` line, which must be in its leading comment. */
function declaredExpectations(source: string, rel: string): number {
	const lines = source.split(/\r\n|\r|\n/);
	const header = lines.slice(0, lines.findIndex(l => !l.startsWith('#')));
	const found = header.map(l => DECLARATION.exec(l)).filter(m => m !== null);
	assert.equal(found.length, 1, `${rel}: the leading comment must declare its count once, as \`# expectations: N\` (test/conformance/README.md)`);
	const n = Number(found[0][1]);
	assert.ok(n > 0, `${rel}: a conformance script must check something (\`# expectations: ${n}\`)`);
	return n;
}

interface RunReport { ok: boolean; passed: number; failed: number; failures: { line: number; message: string }[] }

describe('conformance headers', () => {
	it('reads `# expectations: N` from the leading comment', () => {
		assert.equal(declaredExpectations('# a case\n# expectations: 12\nprocess p\n', 't'), 12);
	});
	it('rejects a script without a declaration, with two, with 0, or with one below the comment', () => {
		assert.throws(() => declaredExpectations('# a case\nprocess p\n', 't'), /declare its count once/);
		assert.throws(() => declaredExpectations('# expectations: 1\n# expectations: 2\nprocess p\n', 't'), /declare its count once/);
		assert.throws(() => declaredExpectations('# expectations: 0\nprocess p\n', 't'), /must check something/);
		assert.throws(() => declaredExpectations('process p\n# expectations: 3\n', 't'), /declare its count once/);
	});
});

describe('conformance scripts (hmm-tests ports and CPU semantics)', function () {
	this.timeout(120_000);
	const dir = path.join(ROOT, 'test', 'conformance');
	const files = hmmwFiles(dir);
	it('finds the scripts', () => { assert.ok(files.length > 0, `no .hmmw script under ${dir}`); });
	for (const file of files) {
		const rel = path.relative(ROOT, file);
		// the THP-migration benchmark port is slow by design; npm run bench covers speed
		if (process.env.HMMW_QUICK === '1' && rel.includes('benchmark')) { continue; }
		it(rel, () => {
			const declared = declaredExpectations(readFileSync(file, 'utf8'), rel);
			const r = spawnSync(process.execPath, [CLI, 'run', '--json', file], { encoding: 'utf8', env: { ...process.env, HMMW_CHECK_INVARIANTS: '1' } });
			assert.equal(r.status, 0, `exit ${r.status}\n${r.stderr}`);
			// `print` output comes first; the report is the last line
			const report = JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as RunReport;
			assert.deepEqual(report.failures, [], `${rel}: failures\n${r.stderr}`);
			assert.equal(report.failed, 0, `${rel}: ${report.failed} expectations failed`);
			assert.ok(report.ok, `${rel}: the run did not end cleanly\n${r.stderr}`);
			assert.ok(report.passed >= declared, `${rel}: ${report.passed} expectations held, the header declares ${declared}`);
		});
	}
});
