// The system under test for the integrity model: a Machine driven one script line at a time
// through the language's own parser and statement executor (so a counterexample is a script), with
// a comparison against the reference model after every step.
import { Machine } from '../../src/engine/machine';
import { readBytes } from '../../src/engine/query';
import { checkInvariants } from '../../src/engine/sim/invariants';
import { SimError } from '../../src/engine/sim/errors';
import { parse } from '../../src/lang/parser';
import { execStmt, type ExecHost } from '../../src/lang/exec';
import type { Value } from '../../src/lang/values';
import { type Model, PAGE, type PageData, pageWords, PROT_STRING, WORDS } from './model';
import type { Outcome, Probe, Step } from './ops';

/** The machine a program runs on; variants change THP, which device migrates huge pages and
 * whether device memory runs out (variant >= 4): settings that change how pages move (whole,
 * split, or not at all) but never what they hold. */
function setupLines(variant = 0): string[] {
	const thp = ['madvise', 'always', 'never', 'madvise'][variant % 4];
	const small = smallDevices(variant);
	return [
		...(thp === 'madvise' ? [] : [`system thp=${thp}`]),
		`device gpu memory=${small ? '256KiB' : '64MiB'} kind=private${variant % 4 === 3 ? '' : ' huge=on'}`,
		`device cxl memory=${small ? '2MiB' : '64MiB'} kind=coherent${variant % 2 === 1 ? ' huge=on' : ''}`,
		'process p',
		'gpu mirror p',
		'cxl mirror p',
	];
}

export const smallDevices = (variant: number): boolean => variant >= 4;

export class Real implements Probe {
	readonly machine = new Machine();
	readonly vars = new Map<string, Value>();
	private readonly host: ExecHost = { vars: this.vars, machine: this.machine, print: () => undefined, expectResult: () => undefined };
	/** the script so far, each line as a replay must see it (failing ones inside `expect error`) */
	readonly script: string[] = [];

	constructor(variant = 0) {
		for (const l of setupLines(variant)) { this.must(l); }
	}

	/** Runs one statement; SimErrors are outcomes, anything else escapes (a bug, or a generator bug). */
	exec(line: string): Outcome {
		const { program, diagnostics } = parse(line, 'model.hmmw');
		if (diagnostics.length > 0 || program.body.length !== 1) { throw new Error(`generated line does not parse: ${line}: ${diagnostics.map(d => d.message).join('; ')}`); }
		try {
			const g = execStmt(program.body[0], this.machine, this.host);
			while (!g.next().done) { /* nobody watches events */ }
			return 'none';
		} catch (e) {
			if (e instanceof SimError) { return e.code; }
			throw e;
		}
	}

	must(line: string): void {
		const code = this.exec(line);
		this.script.push(line);
		if (code !== 'none') { throw new Error(`${line}: unexpected ${code}`); }
	}

	/** Records a step for the replay script: what the model predicted when it could, else what happened. */
	record(step: Step, code: Outcome): void {
		const want = step.codes.length === 1 ? step.codes[0] : code;
		this.script.push(want === 'none' ? step.line : `expect error ${want} { ${step.line} }`);
	}

	range(name: string): { addr: number; len: number } {
		const v = this.vars.get(name);
		if (typeof v !== 'object' || v.kind !== 'range') { throw new Error(`${name} is not a range`); }
		return v;
	}

	private words(proc: string, vpn: number): Int32Array | undefined {
		const b = readBytes(this.machine.k, this.machine.k.proc(proc), vpn * PAGE, PAGE);
		return b.unreadable ? undefined : new Int32Array(b.data.buffer, b.data.byteOffset, WORDS);
	}

	either(vpn: number, candidates: (PageData | undefined)[]): number {
		const proc = this.machine.current!.name;
		const w = this.words(proc, vpn);
		for (let c = 0; c < candidates.length; c++) {
			if (w && firstDiff(w, pageWords(candidates[c])) < 0) { return c; }
		}
		throw new Error(`${proc} page 0x${(vpn * PAGE).toString(16)} holds neither the old nor the new data (word 0: ${w?.[0]})`);
	}

	/** The engine against the model: processes, mappings, protections, every byte, and invariants. */
	compare(m: Model, step?: Step): void {
		const k = this.machine.k;
		const bad = checkInvariants(k);
		if (bad.length > 0) { throw new Error(`invariants: ${bad.slice(0, 6).join('; ')}`); }
		const live = [...k.procs.keys()].sort().join(' ');
		const want = [...m.procs.keys()].sort().join(' ');
		if (live !== want) { throw new Error(`processes: engine has ${live}, model ${want}`); }
		if (this.machine.current?.name !== m.current) { throw new Error(`current process: engine ${this.machine.current?.name}, model ${m.current}`); }
		for (const p of m.procs.values()) {
			const mm = k.proc(p.name);
			const npages = mm.vmas.list.reduce((n, v) => n + v.npages, 0);
			if (npages !== p.pages.size) { throw new Error(`${p.name}: engine maps ${npages} pages, model ${p.pages.size}`); }
			for (const [vpn, pg] of p.pages) {
				const at = `${p.name} page 0x${(vpn * PAGE).toString(16)}`;
				const vma = mm.vmas.find(vpn);
				if (!vma) { throw new Error(`${at}: unmapped in the engine`); }
				if (vma.protString() !== PROT_STRING[pg.prot]) { throw new Error(`${at}: engine prot ${vma.protString()}, model ${pg.prot}`); }
				if (vma.shared !== !!pg.shared) { throw new Error(`${at}: engine ${vma.shared ? 'shared' : 'private'}, model the other`); }
				const w = this.words(p.name, vpn)!;
				const d = m.data(p, vpn);
				const j = firstDiff(w, pageWords(d));
				if (j >= 0) { throw new Error(`${at} word ${j}: engine ${w[j]}, model ${pageWords(d)[j]} (${d ? `fill '${d.fill.text}' from i = ${d.base}` : 'zero'})`); }
			}
		}
		this.spotCheck(m, step);
	}

	/** word() and matches(), the builtins scripts use, agree with the model on the step's range. */
	private spotCheck(m: Model, step?: Step): void {
		const r = step?.range;
		if (!r) { return; }
		const p = m.cur();
		for (let v = r.s; v < r.e; v++) {
			if (!p.pages.has(v)) { continue; }
			const expect = pageWords(m.data(p, v));
			const page = { addr: v * PAGE, len: PAGE };
			if (!this.machine.matches(page, j => expect[j])) { throw new Error(`matches() disagrees with the model on page 0x${page.addr.toString(16)}`); }
			const j = (v * 7) % WORDS;
			if (this.machine.word(page, j) !== expect[j]) { throw new Error(`word() disagrees with the model on page 0x${page.addr.toString(16)} word ${j}`); }
		}
		if (step.buffer) {
			const b = this.vars.get('B');
			if (typeof b !== 'object' || b.kind !== 'buffer') { throw new Error('B is not a buffer after a device read'); }
			const got = new Int32Array(b.bytes.buffer, b.bytes.byteOffset, b.bytes.length / 4);
			for (let v = step.buffer.s; v < step.buffer.e; v++) {
				const j = firstDiff(got.subarray((v - step.buffer.s) * WORDS, (v - step.buffer.s + 1) * WORDS), pageWords(m.data(p, v)));
				if (j >= 0) { throw new Error(`device read buffer, page 0x${(v * PAGE).toString(16)} word ${j}: ${got[(v - step.buffer.s) * WORDS + j]}, model ${pageWords(m.data(p, v))[j]}`); }
			}
		}
	}
}

function firstDiff(a: Int32Array, b: Int32Array): number {
	for (let j = 0; j < a.length; j++) { if (a[j] !== b[j]) { return j; } }
	return -1;
}
