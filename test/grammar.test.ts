// The workload-script grammar (syntaxes/hmmw.tmLanguage.json) and language configuration.
// Token-level checks live in test/grammar/*.test.hmmw (vscode-tmgrammar-test format); this file
// runs them and checks the grammar's structure against the language's word lists.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import {
	BUILTINS as VOCAB_BUILTINS, ERROR_CODES as VOCAB_ERROR_CODES, MMAP_MODIFIERS, PROTECTIONS, STATEMENT_KEYWORDS as STATEMENT_WORDS,
} from '../src/lang/vocabulary';
import { DEVICE_OPTIONS, SYSTEM_OPTIONS, UNITS as VOCAB_UNITS } from '../src/lang/vocabularyOptions';

const root = process.cwd();
const grammarPath = 'syntaxes/hmmw.tmLanguage.json';
const testGlob = 'test/grammar/*.test.hmmw';

interface Capture { name?: string }
interface Rule {
	name?: string;
	contentName?: string;
	match?: string;
	begin?: string;
	end?: string;
	include?: string;
	captures?: Record<string, Capture>;
	beginCaptures?: Record<string, Capture>;
	endCaptures?: Record<string, Capture>;
	patterns?: Rule[];
}
interface Grammar {
	scopeName: string;
	patterns: Rule[];
	repository: Record<string, Rule>;
}

// The language's word lists come from the vocabulary the checker and evaluator use, so the
// grammar cannot highlight a word the language dropped or miss one it added.
const STATEMENT_KEYWORDS = [...STATEMENT_WORDS];
const BUILTINS = [...VOCAB_BUILTINS];
const ERROR_CODES = [...VOCAB_ERROR_CODES];
const UNITS = Object.keys(VOCAB_UNITS);
const OPTION_WORDS = [...new Set([...Object.values(SYSTEM_OPTIONS), ...Object.values(DEVICE_OPTIONS)]
	.flatMap(o => typeof o.value === 'string' ? [] : [...o.value]))];

function readJson<T>(file: string): T {
	return JSON.parse(readFileSync(path.join(root, file), 'utf8')) as T;
}

/** Every rule of the grammar, top-level patterns and repository entries, depth first. */
function allRules(grammar: Grammar): Rule[] {
	const out: Rule[] = [];
	const walk = (rule: Rule): void => {
		out.push(rule);
		for (const child of rule.patterns ?? []) {
			walk(child);
		}
	};
	grammar.patterns.forEach(walk);
	Object.values(grammar.repository).forEach(walk);
	return out;
}

function scopesOf(rule: Rule): string[] {
	const caps = [rule.captures, rule.beginCaptures, rule.endCaptures]
		.flatMap(c => Object.values(c ?? {}).map(x => x.name));
	return [rule.name, rule.contentName, ...caps].filter((s): s is string => typeof s === 'string');
}

function escapeRegExp(s: string): string {
	return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The words of `words` that are not an alternative (`(word|` ... `|word)`) of a regex whose rule
 * assigns a scope starting with one of `scopePrefixes`. */
function missingWords(grammar: Grammar, words: string[], scopePrefixes: string[]): string[] {
	const regexes = allRules(grammar)
		.filter(r => scopesOf(r).some(s => scopePrefixes.some(p => s.startsWith(p))))
		.flatMap(r => [r.match, r.begin])
		.filter((s): s is string => typeof s === 'string');
	return words.filter(word => {
		const alt = new RegExp(`(?:\\(|\\(\\?:|\\|)${escapeRegExp(word)}(?=[)|])`);
		return !regexes.some(re => alt.test(re));
	});
}

/** The words of every `\b(a|b|c)\b`-style alternation of a regex that holds `probe`. */
function alternationWith(regex: string, probe: string): string[] {
	for (const m of regex.matchAll(/\((?:\?:)?([A-Za-z0-9_|]+)\)/g)) {
		const words = m[1].split('|');
		if (words.includes(probe)) {
			return words;
		}
	}
	return [];
}

describe('hmmw grammar', () => {
	it('passes the vscode-tmgrammar-test unit tests in test/grammar', function () {
		this.timeout(120000);
		const files = readdirSync(path.join(root, 'test/grammar')).filter(f => f.endsWith('.test.hmmw'));
		assert.ok(files.length > 0, 'no test/grammar/*.test.hmmw files');
		const windows = process.platform === 'win32';
		const result = spawnSync(windows ? 'npx.cmd' : 'npx',
			['--no', '--', 'vscode-tmgrammar-test', '-g', grammarPath, testGlob],
			{ cwd: root, encoding: 'utf8', shell: windows, timeout: 110000 });
		const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
		assert.equal(result.error, undefined, `could not run vscode-tmgrammar-test: ${String(result.error)}\n${output}`);
		assert.equal(result.status, 0, `vscode-tmgrammar-test failed (exit ${result.status}):\n${output}`);
		for (const f of files) {
			assert.ok(output.includes(f), `${f} was not run:\n${output}`);
		}
	});

	it('declares source.hmmw and covers the language\'s word lists', () => {
		const grammar = readJson<Grammar>(grammarPath);
		assert.equal(grammar.scopeName, 'source.hmmw');
		assert.deepEqual(missingWords(grammar, STATEMENT_KEYWORDS, ['keyword.control.', 'keyword.other.']), [],
			'statement keywords without a keyword rule');
		assert.deepEqual(missingWords(grammar, BUILTINS, ['support.function.']), [], 'builtins without a rule');
		assert.deepEqual(missingWords(grammar, ERROR_CODES, ['constant.language.']), [], 'error codes without a rule');
		assert.deepEqual(missingWords(grammar, UNITS, ['keyword.other.unit.']), [], 'suffixes without a rule');
		assert.deepEqual(missingWords(grammar, OPTION_WORDS, ['constant.language.option-value.']), [], 'option values without a rule');
		assert.deepEqual(missingWords(grammar, [...PROTECTIONS], ['constant.language.prot.']), [], 'protections without a rule');
		assert.deepEqual(missingWords(grammar, [...MMAP_MODIFIERS], ['storage.modifier.']), [], 'mmap modifiers without a rule');
		for (const rule of allRules(grammar)) {
			for (const scope of scopesOf(rule)) {
				assert.match(scope, /\.hmmw$/, `scope ${scope} does not end in .hmmw`);
			}
		}
	});

	it('highlights no builtin, error code or option value the language does not have', () => {
		const grammar = readJson<Grammar>(grammarPath);
		const sorted = (xs: string[]): string[] => [...xs].sort();
		const builtin = grammar.repository.builtin.match ?? '';
		assert.deepEqual(sorted(alternationWith(builtin, 'where')), sorted(BUILTINS));
		const codes = grammar.repository.constant.patterns?.map(r => r.match ?? '').find(m => m.includes('EFAULT')) ?? '';
		assert.deepEqual(sorted(alternationWith(codes, 'EFAULT')), sorted(ERROR_CODES));
		const option = grammar.repository.option.patterns?.[0].match ?? '';
		assert.deepEqual(sorted(alternationWith(option, 'madvise')), sorted(OPTION_WORDS));
	});

	it('resolves every #include to a repository entry', () => {
		const grammar = readJson<Grammar>(grammarPath);
		const missing = allRules(grammar)
			.map(r => r.include)
			.filter((inc): inc is string => typeof inc === 'string' && inc.startsWith('#'))
			.filter(inc => !(inc.slice(1) in grammar.repository));
		assert.deepEqual(missing, []);
	});
});

describe('hmmw language configuration', () => {
	interface LanguageConfiguration {
		comments: { lineComment: string };
		brackets: [string, string][];
		autoClosingPairs: { open: string; close: string; notIn?: string[] }[];
		surroundingPairs: [string, string][];
		indentationRules: { increaseIndentPattern: string; decreaseIndentPattern: string };
		folding?: { markers?: { start: string; end: string } };
	}
	const load = (): LanguageConfiguration => readJson<LanguageConfiguration>('language-configuration.json');

	it('uses # comments and pairs the brackets and quotes', () => {
		const config = load();
		assert.equal(config.comments.lineComment, '#');
		for (const pair of [['{', '}'], ['[', ']'], ['(', ')']]) {
			assert.ok(config.brackets.some(b => b[0] === pair[0] && b[1] === pair[1]), `bracket ${pair.join('')}`);
			assert.ok(config.surroundingPairs.some(b => b[0] === pair[0] && b[1] === pair[1]), `surrounding ${pair.join('')}`);
			assert.ok(config.autoClosingPairs.some(p => p.open === pair[0] && p.close === pair[1]), `auto-closing ${pair.join('')}`);
		}
		const quote = config.autoClosingPairs.find(p => p.open === '"');
		assert.equal(quote?.close, '"');
		assert.deepEqual(quote?.notIn, ['string', 'comment']);
	});

	it('indents after a line ending in { and outdents on }', () => {
		const config = load();
		const increase = new RegExp(config.indentationRules.increaseIndentPattern);
		const decrease = new RegExp(config.indentationRules.decreaseIndentPattern);
		for (const line of ['kernel gpu0 "k" {', 'for i in 0..4 step 2 {', '} else {', 'expect error EFAULT { # why',
			'kernel gpu0 "a # b {" {']) {
			assert.ok(increase.test(line), `should indent after: ${line}`);
		}
		for (const line of ['repeat 2 { cpu read x }', 'x = 1 # {', 'print "{"', '}']) {
			assert.ok(!increase.test(line), `should not indent after: ${line}`);
		}
		assert.ok(decrease.test('\t}'));
		assert.ok(decrease.test('} else {'));
		assert.ok(!decrease.test('\tcpu read x'));
		const markers = config.folding?.markers;
		assert.ok(markers, 'region folding markers');
		assert.ok(new RegExp(markers.start).test('# region setup'));
		assert.ok(new RegExp(markers.end).test('# endregion'));
	});
});
