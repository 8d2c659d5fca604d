// One step of the integrity test (resolve, run, check the outcome, update the model, compare), the
// fast-check command around it, and the replay script a counterexample becomes.
import type * as fc from 'fast-check';
import { Model, PAGE, pageWords, shifted, WORDS } from './model';
import { applicable, type Op, resolve } from './ops';
import { Real, smallDevices } from './real';

class StepFailure extends Error { }

function runOp(op: Op, m: Model, real: Real): string {
	const step = resolve(op, m);
	let code: string;
	try {
		code = real.exec(step.line);
	} catch (e) {
		real.record(step, 'none');
		throw new StepFailure(`${step.line}: exception ${(e as Error).stack ?? e}`);
	}
	real.record(step, code);
	if (!step.codes.includes(code)) {
		throw new StepFailure(`${step.line}: engine says ${code}, Linux would give ${step.codes.join(' or ')}`);
	}
	try {
		step.apply(m, code, real);
		if (op.t === 'mmap' && code === 'none') {
			const name = step.line.split(' ')[0];
			const r = real.range(name);
			m.mmap(name, r.addr, r.len / PAGE, op.prot, op.shared);
		}
		if (code === 'none') { for (const l of step.then ?? []) { real.must(l); } }
		real.compare(m, code === 'none' ? step : undefined);
	} catch (e) {
		if (e instanceof StepFailure) { throw e; }
		throw new StepFailure(`after ${step.line} (${code}): ${(e as Error).message}`);
	}
	return step.line;
}

export class Cmd implements fc.Command<Model, Real> {
	line?: string;
	constructor(readonly op: Op) { }
	check(m: Readonly<Model>): boolean { return applicable(this.op, m as Model); }
	run(m: Model, real: Real): void { this.line = runOp(this.op, m, real); }
	toString(): string { return this.line ?? `${this.op.t} (not run)`; }
}

export function setup(variant = 0): { model: Model; real: Real } {
	const real = new Real(variant);
	const model = new Model(smallDevices(variant));
	runOp({ t: 'mmap', npages: 8, prot: 'rw', shared: false, huge: false, reuse: 1 }, model, real);
	return { model, real };
}

/** Replays commands as modelRun does, and returns the script they make, with the model's view
 * of every process at the end as expectations, and the failure (if any) as a comment. */
export function toScript(cmds: Iterable<Cmd>, header: string[], variant = 0): { script: string; failure?: string } {
	const { model, real } = setup(variant);
	let failure: string | undefined;
	for (const c of cmds) {
		if (!c.check(model)) { continue; }
		try { c.run(model, real); } catch (e) { failure = (e as Error).message; break; }
	}
	const out = [...header.map(h => `# ${h}`)];
	if (failure) { out.push(...failure.split('\n').slice(0, 3).map(l => `# ${l}`)); }
	out.push(...real.script, '', '# what every process must read now (the reference model)');
	const cur = model.current;
	for (const p of model.procs.values()) {
		out.push(`use ${p.name}`);
		for (const reg of model.regions) {
			const v0 = reg.addr / PAGE;
			for (let k = 0; k < reg.len / PAGE;) {
				const pg = p.pages.get(v0 + k);
				if (!pg) { k++; continue; }
				// a run of pages one fill wrote in order is one expectation
				const d = model.data(p, v0 + k);
				if (d && Number.isNaN(d.base)) {
					// a page a sub-range write left mixed has no one expression: word runs instead
					out.push(...wordRuns(reg.name, k, pageWords(d), `${p.name} ${reg.name} page ${k}`));
					k++;
					continue;
				}
				let n = 1;
				while (k + n < reg.len / PAGE && p.pages.has(v0 + k + n)) {
					const e = model.data(p, v0 + k + n);
					const same = d && e ? e.fill === d.fill && !Number.isNaN(e.base) && e.base === d.base + n * WORDS : !d && !e;
					if (!same) { break; }
					n++;
				}
				const expr = d ? shifted(d.fill, d.base) : '0';
				const zeroFill = d && pageWords(d).every(w => w === 0);
				out.push(`expect matches(pages(${reg.name}, ${k}, ${n}), ${zeroFill ? '0' : expr}), "${p.name} ${reg.name} pages ${k}..${k + n - 1}"`);
				k += n;
			}
		}
	}
	out.push(`use ${cur}`);
	return { script: out.join('\n') + '\n', failure };
}

/** Expectations for one page of mixed content: runs of equal words or of words stepping by one
 * become one `matches` over a byte slice each, any other word a `word() ==` of its own. */
function wordRuns(region: string, page: number, w: Int32Array, label: string): string[] {
	const out: string[] = [];
	for (let j = 0; j < w.length;) {
		let best = { n: 1, step: 0 };
		for (const step of [0, 1, -1]) {
			let n = 1;
			while (j + n < w.length && w[j + n] === ((w[j] + step * n) | 0)) { n++; }
			if (n > best.n) { best = { n, step }; }
		}
		const at = page * PAGE + j * 4;
		const c = w[j] < 0 ? `(${w[j]})` : String(w[j]);
		if (best.n === 1) {
			out.push(`expect word(${region}[${at}:${at + 4}], 0) == ${c}, "${label} word ${j}"`);
		} else {
			const expr = best.step === 0 ? c : best.step === 1 ? `i + ${c}` : `${c} - i`;
			out.push(`expect matches(${region}[${at}:${at + best.n * 4}], ${expr}), "${label} words ${j}..${j + best.n - 1}"`);
		}
		j += best.n;
	}
	return out;
}
