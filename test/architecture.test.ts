// Layering rules, checked on the TypeScript sources' import statements (`import type` and
// re-exports included). A new rule is one entry in RULES.
import * as assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

interface Rule {
	/** what the rule protects, for the test name */
	name: string;
	/** repo-relative folders whose .ts files the rule applies to */
	files: string[];
	/** repo-relative folders those files may not import from */
	mayNotImport: string[];
	/** source text those files may not contain (reaching around the imports) */
	mayNotUse?: RegExp[];
	/** inside `dir`, only these repo-relative modules may be imported (the public door) */
	onlyThrough?: { dir: string; allow: string[] };
}

const RULES: Rule[] = [
	{
		name: 'core mm and HMM reach devices only through dev_pagemap ops and mmu notifiers',
		files: ['src/engine/mm', 'src/engine/hmm'],
		mayNotImport: ['src/engine/device'],
		mayNotUse: [/\bk\.devices\b/, /\.mirrors\b/, /\.stats\./],
	},
	{
		name: 'the engine imports nothing from the language, the debugger, the CLI or the extension',
		files: ['src/engine'],
		mayNotImport: ['src/lang', 'src/debug', 'src/cli', 'src/extension'],
	},
	{
		name: 'the debugger, the CLI and the extension see the engine only through Machine and its read-only view',
		files: ['src/debug', 'src/cli', 'src/extension'],
		mayNotImport: [],
		onlyThrough: {
			dir: 'src/engine',
			allow: ['src/engine/machine', 'src/engine/view', 'src/engine/view_types', 'src/engine/sim/events', 'src/engine/sim/errors', 'src/engine/device/uvm/types'],
		},
		mayNotUse: [/\.k\.|\.k\b(?!')/],
	},
	{
		name: 'the language reaches the machine through its methods and view, never its kernel (machine.k)',
		files: ['src/lang'],
		mayNotImport: ['src/debug', 'src/cli', 'src/extension'],
		mayNotUse: [/\.k\.|\.k\b(?!')/],
	},
];

interface Source { file: string; text: string }

/** Every module specifier a TypeScript source names: import / import type / export ... from,
 * side-effect imports, dynamic import() and require(). */
export function importsOf(text: string): string[] {
	const out: string[] = [];
	const patterns = [
		/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
		/^\s*import\s*['"]([^'"]+)['"]/gm,
		/\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
	];
	for (const re of patterns) {
		for (const m of text.matchAll(re)) { out.push(m[1]); }
	}
	return out;
}

const within = (p: string, dir: string) => p === dir || p.startsWith(dir + '/');

/** Repo-relative target of a relative specifier; bare module names are returned as they are. */
function target(file: string, spec: string): string {
	if (!spec.startsWith('.')) { return spec; }
	return path.relative(ROOT, path.resolve(ROOT, path.dirname(file), spec)).split(path.sep).join('/');
}

/** `file: imports 'spec'` for every breach of the rule. */
export function violations(rule: Rule, sources: Source[]): string[] {
	const bad: string[] = [];
	for (const { file, text } of sources) {
		if (!rule.files.some(d => within(file, d))) { continue; }
		for (const spec of importsOf(text)) {
			const to = target(file, spec);
			const hit = rule.mayNotImport.find(d => within(to, d));
			if (hit) { bad.push(`${file}: imports '${spec}' (${hit})`); }
			const door = rule.onlyThrough;
			if (door && within(to, door.dir) && !door.allow.includes(to)) { bad.push(`${file}: imports '${spec}' (past the public door of ${door.dir})`); }
		}
		for (const re of rule.mayNotUse ?? []) {
			const m = re.exec(text);
			if (m) { bad.push(`${file}: uses '${m[0]}' (line ${text.slice(0, m.index).split('\n').length})`); }
		}
	}
	return bad;
}

function sources(dir: string): Source[] {
	return readdirSync(path.join(ROOT, dir)).flatMap(n => {
		const rel = `${dir}/${n}`;
		if (statSync(path.join(ROOT, rel)).isDirectory()) { return sources(rel); }
		return n.endsWith('.ts') ? [{ file: rel, text: readFileSync(path.join(ROOT, rel), 'utf8') }] : [];
	});
}

describe('architecture: layering of the sources', () => {
	const all = sources('src');

	for (const rule of RULES) {
		it(rule.name, () => {
			assert.ok(all.some(s => rule.files.some(d => within(s.file, d))), `no source file under ${rule.files.join(', ')}`);
			const bad = violations(rule, all);
			assert.deepEqual(bad, [], `${rule.name}:\n  ${bad.join('\n  ')}`);
		});
	}

	it('sees every form of import, and names the file and the import in a breach', () => {
		const text = [
			`import type { Device } from '../device/device';`,
			`import {\n\tA,\n\tB,\n} from "../device/mirror";`,
			`export { C } from '../../lang/ast';`,
			`import '../device/side';`,
			`const x = require('../device/req');`,
			`const y = await import('../device/dyn');`,
			`import { ok } from './frames';`,
			`// a comment that mentions k.devices`,
		].join('\n');
		assert.deepEqual(importsOf(text).sort(), [
			'../../lang/ast', '../device/device', '../device/dyn', '../device/mirror', '../device/req', '../device/side', './frames',
		]);
		const bad = violations(RULES[0], [{ file: 'src/engine/mm/x.ts', text }]);
		assert.ok(bad.includes(`src/engine/mm/x.ts: imports '../device/device' (src/engine/device)`), bad.join('\n'));
		assert.equal(bad.filter(b => b.includes('imports')).length, 5);
		assert.ok(bad.some(b => b.startsWith('src/engine/mm/x.ts: uses \'k.devices\' (line 11)')), bad.join('\n'));
		assert.deepEqual(violations(RULES[1], [{ file: 'src/engine/mm/x.ts', text }]), [`src/engine/mm/x.ts: imports '../../lang/ast' (src/lang)`]);
		// the debugger may import the engine's door, not what is behind it
		const dbg = `import { Machine } from '../engine/machine';\nimport type { Kernel } from '../engine/kernel';\nconst n = rt.interp.machine.k.devices.length;`;
		assert.deepEqual(violations(RULES[2], [{ file: 'src/debug/x.ts', text: dbg }]), [
			`src/debug/x.ts: imports '../engine/kernel' (past the public door of src/engine)`, `src/debug/x.ts: uses '.k.' (line 3)`,
		]);
		// a folder name that merely starts like a forbidden one is not inside it
		assert.deepEqual(violations(RULES[0], [{ file: 'src/engine/hmm/y.ts', text: `import { z } from '../devices2/z';` }]), []);
	});
});
