// Packaging (`npm run package`): the .vsix holds exactly what the extension needs at run time, and
// everything package.json points at is in it (vsce ls lists what vsce package would pack).
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

describe('packaging (.vsix contents)', function () {
	this.timeout(60_000);
	const ls = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce'), 'ls', '--no-dependencies'], { cwd: ROOT, encoding: 'utf8' });
	const files = ls.stdout.trim().split('\n').filter(f => f !== '');
	const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
		main: string; icon: string; scripts: Record<string, string>;
		contributes: { languages: { icon?: { light: string; dark: string }; configuration: string }[]; grammars: { path: string }[]; debuggers: { program: string }[]; walkthroughs: { steps: { media: { markdown?: string } }[] }[] };
	};
	const rel = (p: string) => path.posix.normalize(p.replace(/^\.\//, ''));

	it('lists its files', () => { assert.equal(ls.status, 0, ls.stderr); assert.ok(files.length > 5, ls.stdout); });

	it('packs no sources, tests, dependencies or build leftovers', () => {
		const stray = files.filter(f => /^(src|test|out|bench|scripts|webview|node_modules|docs|\.)/.test(f) || f.endsWith('.map') || f.endsWith('.ts'));
		assert.deepEqual(stray, []);
	});

	it('packs everything package.json refers to: bundles, the language server, grammar, icons, walkthrough media', () => {
		const needed = [
			pkg.main, pkg.icon, 'dist/cli.js', 'dist/webview.js', 'dist/webview.css',
			...pkg.contributes.debuggers.map(d => d.program), ...pkg.contributes.grammars.map(g => g.path),
			...pkg.contributes.languages.flatMap(l => [l.configuration, ...(l.icon ? [l.icon.light, l.icon.dark] : [])]),
			...pkg.contributes.walkthroughs.flatMap(w => w.steps.flatMap(s => s.media.markdown ? [s.media.markdown] : [])),
		].map(rel);
		assert.deepEqual([...new Set(needed)].filter(n => !files.includes(n)), []);
	});

	it('builds before packaging, and packages with no extra flags', () => {
		assert.equal(pkg.scripts['vscode:prepublish'], 'npm run build');
		assert.match(pkg.scripts.package, /^vsce package\b/);
	});
});
