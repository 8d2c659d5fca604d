// The extension manifest's commands and menus: every contributed command is registered by the
// extension, and the thread commands of the debugger (src/extension/threadCommands.ts) sit where
// VS Code shows them: "Switch Thread Here" on a thread in the Call Stack view only.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

interface MenuItem { command: string; when?: string }
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
	contributes: { commands: { command: string; title: string }[]; menus: Record<string, MenuItem[]> };
};
const extensionSource = readdirSync(path.join(ROOT, 'src/extension')).filter(f => f.endsWith('.ts'))
	.map(f => readFileSync(path.join(ROOT, 'src/extension', f), 'utf8')).join('\n');

describe('extension manifest: commands and menus', () => {
	it('registers every contributed command', () => {
		const missing = pkg.contributes.commands.map(c => c.command).filter(c => !extensionSource.includes(`registerCommand('${c}'`));
		assert.deepEqual(missing, []);
	});

	it('offers Switch Thread Here on threads of an hmm session in the Call Stack view, not in the palette', () => {
		const items = pkg.contributes.menus['debug/callstack/context'] ?? [];
		const sw = items.find(i => i.command === 'hmm.switchThread');
		assert.ok(sw, 'hmm.switchThread in debug/callstack/context');
		assert.match(sw.when ?? '', /callStackItemType == 'thread'/);
		assert.match(sw.when ?? '', /debugType == 'hmm'/);
		const palette = pkg.contributes.menus.commandPalette.find(i => i.command === 'hmm.switchThread');
		assert.equal(palette?.when, 'false', 'it needs a thread: hidden from the palette');
	});

	it('offers Save Schedule during an hmm session, through the switchThread/schedule custom requests of the adapter', () => {
		assert.ok(pkg.contributes.commands.some(c => c.command === 'hmm.saveSchedule' && c.title === 'Save Schedule'));
		assert.match(extensionSource, /customRequest\('schedule'\)/);
		assert.match(extensionSource, /customRequest\('switchThread', \{ threadId \}\)/);
	});
});
