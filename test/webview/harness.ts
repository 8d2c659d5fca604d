// Serves the residency webview standalone, the way VS Code would show it, for browser tests:
// the real HTML (residencyHtml, same CSP and nonce scheme), the real bundle (built here with
// esbuild from webview/main.ts), a fake VS Code theme, and a stub acquireVsCodeApi that records
// what the page posts and stores its state on window.

import { build } from 'esbuild';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { residencyHtml } from '../../src/extension/residencyHtml';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** Stand-ins for the --vscode-* variables VS Code puts on <html> (Dark Modern-like values), so the
 * test knows exactly which color each location must get. */
export const THEME: Record<string, string> = {
	'--vscode-editor-background': '#1f1f1f',
	'--vscode-foreground': '#cccccc',
	'--vscode-editorWidget-border': '#454545',
	'--vscode-charts-foreground': '#cccccc',
	'--vscode-charts-blue': '#3794ff',
	'--vscode-charts-orange': '#d18616',
	'--vscode-charts-green': '#89d185',
	'--vscode-charts-purple': '#b180d7',
	'--vscode-charts-yellow': '#cca700',
	'--vscode-charts-red': '#f14c4c',
};

const STUB = `(() => {
	window.__posted = [];
	window.__state = undefined;
	let acquired = false;
	window.acquireVsCodeApi = () => {
		if (acquired) throw new Error('acquireVsCodeApi called twice');
		acquired = true;
		return {
			postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
			getState: () => window.__state,
			setState: (s) => { window.__state = JSON.parse(JSON.stringify(s)); },
		};
	};
})();`;

export interface Harness {
	url: string;
	close(): Promise<void>;
}

export async function startHarness(root: string): Promise<Harness> {
	const dir = mkdtempSync(path.join(tmpdir(), 'hmm-webview-'));
	await build({
		entryPoints: [path.join(root, 'webview/main.ts')], bundle: true, platform: 'browser', target: 'es2022',
		outfile: path.join(dir, 'webview.js'), logLevel: 'warning',
	});
	if (!existsSync(path.join(dir, 'webview.css'))) {
		throw new Error('the webview bundle produced no webview.css');
	}
	const theme = `:root {\n${Object.entries(THEME).map(([k, v]) => `\t${k}: ${v};`).join('\n')}\n}\n`;
	let origin = '';
	const server: Server = createServer((req, res) => {
		const url = req.url ?? '/';
		const send = (type: string, body: string | Buffer): void => {
			res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
			res.end(body);
		};
		if (url === '/' || url.startsWith('/?')) {
			const nonce = randomBytes(16).toString('base64');
			let html = residencyHtml({ cspSource: origin, nonce, scriptUri: `${origin}/webview.js`, styleUri: `${origin}/webview.css` });
			// The stub must run first, like VS Code's own preload; the theme sheet stands in for the
			// variables VS Code injects.
			html = html.replace('<script ', `<script nonce="${nonce}" src="${origin}/stub.js"></script>\n<script `)
				.replace('</head>', `<link rel="stylesheet" href="${origin}/theme.css">\n</head>`);
			send('text/html; charset=utf-8', html);
		} else if (url === '/stub.js') {
			send('text/javascript', STUB);
		} else if (url === '/theme.css') {
			send('text/css', theme);
		} else if (url === '/webview.js' || url === '/webview.css') {
			send(url.endsWith('.js') ? 'text/javascript' : 'text/css', readFileSync(path.join(dir, url.slice(1))));
		} else if (url === '/favicon.ico') {
			res.writeHead(204).end();
		} else {
			res.writeHead(404).end();
		}
	});
	await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
	origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		url: `${origin}/`,
		close: async () => {
			await new Promise<void>(resolve => server.close(() => resolve()));
			rmSync(dir, { recursive: true, force: true });
		},
	};
}
