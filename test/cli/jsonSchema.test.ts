// `hmmw run --json` (issue 12, item 2): stdout holds exactly one JSON document, and the document of
// every example and of a sample of conformance scripts (passing, failing and erroring runs) is valid
// against docs/run-result.schema.json (ajv), with figures that agree with the run.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import Ajv from 'ajv';
import { hmmwFiles } from '../hmmwFiles';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const schema = JSON.parse(readFileSync(path.join(ROOT, 'docs', 'run-result.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
const dir = mkdtempSync(path.join(tmpdir(), 'hmmw-json-'));

interface Doc {
	ok: boolean; exit_code: number; passed: number; failed: number; script: { path: string; sha256: string; bytes: number };
	expectations: { line: number; result: string; kind: string; message?: string }[]; output: string[];
	failures: { line: number }[]; error?: { code: string }; kernels: unknown[]; devices: Record<string, Record<string, number>>;
	processes: Record<string, { rss_pages: number }>; config: { devices: Record<string, { policy: string }> }; trace?: { records: number; engine_events: number };
}

/** Runs hmmw run --json; the document is the whole of stdout. */
function runJson(file: string, ...extra: string[]): { doc: Doc; code: number | null; stderr: string; stdout: string } {
	const r = spawnSync(process.execPath, [CLI, 'run', file, '--json', ...extra], { encoding: 'utf8' });
	assert.ok(r.stdout.endsWith('}\n') && r.stdout.indexOf('\n') === r.stdout.length - 1, `stdout is one line: ${r.stdout.slice(0, 300)}`);
	const doc = JSON.parse(r.stdout) as Doc;
	const ok = validate(doc);
	assert.ok(ok, `${file}: ${JSON.stringify(validate.errors, null, 1)}`);
	return { doc, code: r.status, stderr: r.stderr, stdout: r.stdout };
}

function script(name: string, text: string): string {
	const p = path.join(dir, name);
	writeFileSync(p, text);
	return p;
}

describe('hmmw run --json: one document, valid against docs/run-result.schema.json', function () {
	this.timeout(120_000);
	const corpus = [
		...hmmwFiles(path.join(ROOT, 'examples')),
		...hmmwFiles(path.join(ROOT, 'test', 'conformance')).filter((_, i) => i % 8 === 0),
	];
	for (const f of corpus) {
		it(path.relative(ROOT, f), () => {
			const { doc, code } = runJson(f);
			assert.equal(doc.exit_code, code);
			assert.equal(doc.expectations.length, doc.passed + doc.failed, 'every expectation is listed, passed ones too');
			assert.equal(doc.expectations.filter(e => e.result === 'passed').length, doc.passed);
			const src = readFileSync(f);
			assert.equal(doc.script.sha256, createHash('sha256').update(src).digest('hex'));
			assert.equal(doc.script.bytes, src.length);
		});
	}

	it('keeps print lines off stdout (stderr and the document have them), and lists failures with their lines', () => {
		const f = script('mixed.hmmw', 'process p\nX = mmap 2 pages anon r\nprint "hello", npages(X)\nexpect npages(X) == 2\nexpect where(X) == "gpu", "nowhere"\n'
			+ 'expect error SIGSEGV {\n  cpu write X = 1\n}\nprint "bye"\n');
		const { doc, code, stderr } = runJson(f);
		assert.equal(code, 1);
		assert.equal(doc.ok, false);
		assert.deepEqual(doc.output, ['hello 2', 'bye']);
		assert.match(stderr, /^hello 2$/m);
		assert.deepEqual(doc.expectations.map(e => [e.line, e.kind, e.result]), [[4, 'expect', 'passed'], [5, 'expect', 'failed'], [6, 'expect-error', 'passed']]);
		assert.match(doc.expectations[1].message ?? '', /nowhere/);
		assert.deepEqual(doc.failures.map(x => x.line), [5]);
	});

	it('describes a run stopped by an error, and names the trace it wrote', () => {
		const f = script('crash.hmmw', 'device gpu memory=16MiB policy=migrate\nprocess p\nX = mmap 1 page anon r\ncpu write X = 1\n');
		const { doc, code } = runJson(f, '--trace', path.join(dir, 'crash.json'));
		assert.equal(code, 2);
		assert.equal(doc.error?.code, 'SIGSEGV');
		assert.equal(doc.config.devices.gpu.policy, 'migrate');
		const t = JSON.parse(readFileSync(path.join(dir, 'crash.json'), 'utf8')) as { traceEvents: unknown[] };
		assert.equal(doc.trace?.records, t.traceEvents.length);
	});

	it('the schema rejects a document that drifts from it', () => {
		const { doc } = runJson(path.join(ROOT, 'examples', 'migrate-roundtrip.hmmw'));
		for (const bad of [{ ...doc, extra: 1 }, { ...doc, passed: -1 }, { ...doc, expectations: [{ line: 1 }] }, { ...doc, script: { ...doc.script, sha256: 'x' } }]) {
			assert.equal(validate(bad), false, JSON.stringify(bad).slice(0, 100));
		}
	});
});
