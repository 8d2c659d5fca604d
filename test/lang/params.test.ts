// `param NAME = CONSTANT` and `--set` overrides (docs/language.md#param): the parser substitutes
// the value for every later use, so a param works wherever its constant would, device options included.
import * as assert from 'node:assert/strict';
import type { Program } from '../../src/lang/ast';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';
import { declaredParams, paramValues, splitAssignment, unknownParamsMessage } from '../../src/lang/params';

const SCRIPT = [
	'param MEM = 8MiB   # device memory',
	'param POL = migrate',
	'param N = 4',
	'device gpu memory=MEM policy=POL prefetch=none',
	'process p',
	'gpu mirror p',
	'X = mmap N * 1MiB anon rw',
	'cpu write X = i',
	'kernel gpu { read X }',
	'print npages(X), gpu.migrated_in',
].join('\n') + '\n';

function run(source: string, set?: Record<string, string>): { out: string[]; diags: string[]; interp?: Interpreter; program?: Program } {
	const { program, diagnostics } = compileSource(source, 't.hmmw', set);
	const diags = diagnostics.map(d => `${d.file}:${d.line}:${d.col}: ${d.message}`);
	if (diagnostics.some(d => d.severity === 'error')) { return { out: [], diags }; }
	const out: string[] = [];
	const interp = new Interpreter(program, source, { print: l => out.push(l), onFailure: () => undefined });
	interp.runToEnd();
	return { out, diags, interp, program };
}

describe('param and --set', () => {
	it('a param stands for its default in expressions and device options', () => {
		const r = run(SCRIPT);
		assert.deepEqual(r.diags, []);
		assert.equal(r.interp?.error, undefined);
		// 4 MiB mapped, and policy=migrate (from POL) moved every page to the device
		assert.deepEqual(r.out, ['1024 1024']);
		assert.equal(r.interp!.machine.view.deviceSummary('gpu')!.capacityPages, 2048);
	});

	it('--set overrides a default, word options included', () => {
		const r = run(SCRIPT, { N: '2', POL: 'mirror', MEM: '16MiB' });
		assert.deepEqual(r.diags, []);
		// policy=mirror maps pages where they are: nothing migrates
		assert.deepEqual(r.out, ['512 0']);
		assert.equal(r.interp!.machine.view.deviceSummary('gpu')!.capacityPages, 4096);
		const p = declaredParams(r.program!);
		assert.deepEqual(p.map(x => [x.name, x.overridden]), [['MEM', true], ['POL', true], ['N', true]]);
	});

	it('a wrong value is caught by the checker where the param is used', () => {
		const r = run(SCRIPT, { POL: 'sideways' });
		assert.deepEqual(r.diags, ["t.hmmw:4:30: 'policy' must be one of mirror, migrate"]);
		const u = run(SCRIPT, { MEM: '"big"' });
		assert.match(u.diags.join('\n'), /'memory' expects a size/);
	});

	it('a --set value must be a constant', () => {
		const r = run(SCRIPT, { N: '1 + 2' });
		assert.match(r.diags.join('\n'), /^--set N:1:1: '1 \+ 2' is not a constant/);
	});

	it('a default must be a constant; a param cannot be assigned or declared twice', () => {
		assert.match(run('param A = 1 + 2\n').diags.join('\n'), /t\.hmmw:1:11: param 'A' must be a constant/);
		assert.match(run('param A = 1\nA = 2\n').diags.join('\n'), /t\.hmmw:2:1: cannot assign to param 'A'/);
		assert.match(run('param A = 1\nparam A = 2\n').diags.join('\n'), /t\.hmmw:2:7: param 'A' is declared twice/);
	});

	it('negative numbers, strings and booleans are constants; `param = 3` is still an assignment', () => {
		const r = run('param A = -3\nparam S = "hi"\nparam B = true\nparam = 3\nprint A, S, B, param\n');
		assert.deepEqual(r.diags, []);
		assert.deepEqual(r.out, ['-3 hi true 3']);
	});

	it('names --set gives that no param declares are reported, with what is declared', () => {
		const { program } = compileSource(SCRIPT, 't.hmmw');
		assert.equal(unknownParamsMessage(program, ['MEM']), undefined);
		assert.equal(unknownParamsMessage(program, ['MEM', 'LINK']), "unknown param 'LINK' in --set (the script declares MEM, POL, N)");
		assert.equal(unknownParamsMessage(compileSource('process p\n', 't').program, ['X']), "unknown param 'X' in --set (the script declares no param)");
	});

	it('values as written: the override, or the default without its comment', () => {
		const { program } = compileSource(SCRIPT, 't.hmmw', { N: '8' });
		assert.deepEqual(paramValues(program, SCRIPT, { N: '8' }), { MEM: '8MiB', POL: 'migrate', N: '8' });
	});

	it('--set NAME=VALUE is split at the first =', () => {
		assert.deepEqual(splitAssignment('A=x=y'), { name: 'A', value: 'x=y' });
		assert.equal(splitAssignment('=3'), "--set expects NAME=VALUE, got '=3'");
		assert.equal(splitAssignment('A'), "--set expects NAME=VALUE, got 'A'");
	});
});
