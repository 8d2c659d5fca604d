// Bundles the extension, the stdio debug adapter and the CLI into dist/.
import { build } from 'esbuild';
import { chmodSync, existsSync } from 'node:fs';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };
await Promise.all([
	build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
	// TEMPORARY (remove once src/debug/session.ts lands): the extension bundles the debug session
	// inline, so until it exists building the extension would fail every build.
	existsSync('src/debug/session.ts')
		? build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] })
		: console.warn('build: src/debug/session.ts is missing; dist/extension.js not built'),
	// The residency webview: a browser bundle; its CSS import becomes dist/webview.css.
	build({ ...common, platform: 'browser', target: 'es2022', entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js' }),
]);
chmodSync('dist/cli.js', 0o755);
