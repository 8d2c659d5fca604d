// Every variable has an evaluateName (Add to Watch, Copy as Expression), and where the variable
// stands for something a script can say, evaluating that name gives the value shown.
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { fixture, useSession } from './helpers';

describe('debug adapter: evaluateName on every variable', function () {
	this.timeout(30000);
	const s = useSession();

	it('walks every scope three levels deep: each variable has one, and the script ones evaluate to what is shown', async () => {
		await s().launch(fixture('migrate.hmmw'), { breakpoints: [{ line: 9 }] });
		await s().stopped('breakpoint', 9);
		const seen: DebugProtocol.Variable[] = [];
		const walk = async (ref: number, depth: number): Promise<void> => {
			for (const v of await s().vars(ref, { start: 0, count: 3 })) {
				seen.push(v);
				if (v.variablesReference > 0 && depth < 3) { await walk(v.variablesReference, depth + 1); }
			}
		};
		for (const scope of (await s().scopes()).values()) { await walk(scope.variablesReference, 1); }
		assert.ok(seen.length > 60, `only ${seen.length} variables seen`);
		const missing = seen.filter(v => !v.evaluateName);
		assert.deepEqual(missing.map(v => v.name), []);
		// the ones that name script expressions evaluate to the value shown
		const scripted = seen.filter(v => /^(where|addr|len|npages|count|perm|page|at)\(|^[a-z]+\.(pid|rss|faults|migrated_in|migrated_out|invalidations|cpu_faults|fault_batches)$|^time$/.test(v.evaluateName!)
			&& /^(-?\d+|0x[0-9a-f]+|[a-z_]+)$/.test(v.value) && v.variablesReference === 0);
		assert.ok(scripted.length >= 10, `only ${scripted.length} scripted names: ${scripted.map(v => v.evaluateName).join(', ')}`);
		for (const v of scripted) {
			const got = await s().evaluate(v.evaluateName!);
			const want = v.value.startsWith('0x') ? String(parseInt(v.value, 16)) : v.value;
			assert.ok(got === want || got === `"${want}"` || got === v.value, `${v.evaluateName} evaluates to ${got}, shown as ${v.value}`);
		}
	});
});

describe('debug adapter: devices, processes and addresses in evaluate', function () {
	this.timeout(30000);
	const s = useSession();

	it('a device or process name evaluates to it (expandable), an address in hex, arithmetic in decimal', async () => {
		await s().launch(fixture('migrate.hmmw'), { breakpoints: [{ line: 9 }] });
		await s().stopped('breakpoint', 9);
		const gpu = (await s().dc.evaluateRequest({ expression: 'gpu', context: 'hover', frameId: 1 })).body;
		assert.match(gpu.result, /^private, 64 MiB, 4 pages used$/);
		assert.ok(gpu.variablesReference > 0);
		const counters = await s().children((await s().children(gpu.variablesReference)).get('counters')!.variablesReference);
		assert.equal(counters.get('migrated_in')?.value, '4');
		const p = (await s().dc.evaluateRequest({ expression: 'p', context: 'watch', frameId: 1 })).body;
		assert.match(p.result, /^pid 1000, 1 VMA$/);
		assert.equal(await s().evaluate('addr(X)'), '0x7effffffc000');
		assert.equal(await s().evaluate('addr(page(X, 1)) - addr(X)'), '4096');
		await assert.rejects(s().dc.evaluateRequest({ expression: 'nosuch', context: 'watch', frameId: 1 }), /unknown name|no variable|nosuch/);
	});
});
