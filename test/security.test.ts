// Scripts cannot reach the host: the language has no file, network or process statements, and the
// engine and interpreter import nothing that could give them any. `file NAME` is a simulated file.
import * as assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { run } from './engine/helpers';

const ROOT = path.resolve(__dirname, '..', '..');

function sources(dir: string): string[] {
	return readdirSync(dir).flatMap(n => {
		const p = path.join(dir, n);
		return statSync(p).isDirectory() ? sources(p) : n.endsWith('.ts') ? [p] : [];
	});
}

describe('security: scripts stay inside the simulation', () => {
	it('the engine and the interpreter import no host I/O (fs, net, child processes, workers)', () => {
		const allowed = new Set(['node:os']);
		for (const f of [...sources(path.join(ROOT, 'src', 'engine')), ...sources(path.join(ROOT, 'src', 'lang'))]) {
			const text = readFileSync(f, 'utf8');
			for (const m of text.matchAll(/^\s*(?:import\b[^;]*?\bfrom\s+|import\s+|.*\brequire\(\s*)'([^']+)'/gm)) {
				const mod = m[1];
				if (mod.startsWith('.')) { continue; }
				assert.ok(allowed.has(mod), `${path.relative(ROOT, f)} imports ${mod}`);
			}
			assert.doesNotMatch(text, /\b(eval|Function)\s*\(/, `${path.relative(ROOT, f)} evaluates code`);
		}
	});

	it('`file` names a simulated file: nothing is read from or written to the host', () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'hmmw-sec-'));
		const cwd = process.cwd();
		process.chdir(dir);
		try {
			run(`file passwd size=8192 = i\nprocess p\nF = mmap 8192 file passwd rw shared\ncpu write F = 7\nexpect word(F, 0) == 7`);
			assert.deepEqual(readdirSync(dir), []);
			assert.ok(!existsSync(path.join(dir, 'passwd')));
		} finally {
			process.chdir(cwd);
		}
	});

	it('strings are only printed and compared, never interpreted as paths or commands', () => {
		const i = run(`x = "/etc/passwd"\nprint x\nexpect x + "!" == "/etc/passwd!"`);
		assert.deepEqual((i as unknown as { printed: string[] }).printed, ['/etc/passwd']);
	});
});
