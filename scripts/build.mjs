// Bundles the extension, the stdio debug adapter and the CLI into dist/.
import { build } from 'esbuild';
import { chmodSync, copyFileSync } from 'node:fs';

const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning' };
await Promise.all([
	build({ ...common, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } }),
	build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
	build({ ...common, entryPoints: ['src/debug/main.ts'], outfile: 'dist/debugAdapter.js' }),
	// The residency webview: a browser bundle; its CSS import becomes dist/webview.css.
	build({ ...common, platform: 'browser', target: 'es2022', entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js' }),
]);
chmodSync('dist/cli.js', 0o755);
// hmmw report inlines Chart.js into every HTML report it writes (no network when the report is viewed)
copyFileSync('node_modules/chart.js/dist/chart.umd.min.js', 'dist/chart.umd.min.js');
