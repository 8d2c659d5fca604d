// Abstract operations of the integrity test and their meaning in the reference model: each one
// resolves against the model's current state to a script line, the outcomes Linux allows for it,
// and how the model changes. Operands are fractions so that any generated (and any shrunk) op
// applies to whatever mappings exist when it runs.
import { DEVICES, FILL_SHAPES, type FillSpec, type Loc, type Model, type MPage, PAGE, type PageData, pageWords, type Prot } from './model';

export interface RangeSel { region: number; shape: 'whole' | 'page' | 'pages' | 'slice' | 'at'; a: number; b: number; spill: number }
export type FillSel = { shape: number; c: number } | null;

export type Op =
	| { t: 'mmap'; npages: number; prot: Prot; shared: boolean; huge: boolean; reuse: number }
	| { t: 'cpu-write'; r: RangeSel; fill: FillSel }
	| { t: 'cpu-read'; r: RangeSel }
	| { t: 'dev-write'; dev: Loc; r: RangeSel; fill: FillSel }
	| { t: 'dev-read'; dev: Loc; r: RangeSel }
	| { t: 'migrate'; to: Loc | 'ram'; r: RangeSel }
	| { t: 'exclusive'; dev: Loc; r: RangeSel }
	| { t: 'mprotect'; prot: Prot; r: RangeSel }
	| { t: 'munmap'; r: RangeSel }
	| { t: 'dontneed'; r: RangeSel }
	| { t: 'pin'; r: RangeSel }
	| { t: 'unpin'; r: RangeSel }
	| { t: 'release'; dev: Loc }
	| { t: 'mirror'; dev: Loc; on: boolean }
	| { t: 'fork'; mirror: boolean }
	| { t: 'use'; pick: number }
	| { t: 'exit'; pick: number };

/** A resolved range: its script text, its bytes and the pages [s, e) memory operations touch. */
interface Range { text: string; addr: number; len: number; s: number; e: number }

/** What the engine reports, as the line's outcome: 'none' or an error code. */
export type Outcome = string;

/** How a model reads the engine for outcomes it cannot predict to the byte. */
export interface Probe {
	/** the engine's page of the current process equals one of the candidates; returns the first
	 * that matches, and throws (data corruption) when none does */
	either(vpn: number, candidates: (PageData | undefined)[]): number;
}

export interface Step {
	line: string;
	/** outcomes Linux allows; one means the model predicts it exactly */
	codes: Outcome[];
	/** the model after the engine did `line` with outcome `code` */
	apply(m: Model, code: Outcome, probe: Probe): void;
	/** lines run after a successful `line` (fork is followed by `use` and maybe mirrors) */
	then?: string[];
	/** pages [s, e) whose words `B` (the read buffer) must hold */
	buffer?: Range;
	range?: Range;
}

const pick = <T>(xs: readonly T[], f: number): T => xs[Math.min(xs.length - 1, Math.floor(f * xs.length))];

function resolveRange(m: Model, sel: RangeSel): Range {
	// mostly a mapping the current process has (a fork child has its parent's); sometimes any
	// variable, whose pages may be gone: that is how stale pointers are tested
	const p = m.cur();
	const live = m.regions.filter(r => { for (let a = r.addr; a < r.addr + r.len; a += PAGE) { if (p.pages.has(a / PAGE)) { return true; } } return false; });
	const reg = sel.region < 0.9 && live.length > 0 ? pick(live, sel.region / 0.9) : pick(m.regions, (sel.region % 0.1) * 10);
	const np = reg.len / PAGE;
	let text = reg.name, addr = reg.addr, len = reg.len;
	if (sel.shape === 'page') {
		const k = Math.floor(sel.a * np);
		text = `page(${reg.name}, ${k})`; addr += k * PAGE; len = PAGE;
	} else if (sel.shape === 'pages') {
		const k = Math.floor(sel.a * np);
		const n = 1 + Math.floor(sel.b * (np - k));
		text = `pages(${reg.name}, ${k}, ${n})`; addr += k * PAGE; len = n * PAGE;
	} else if (sel.shape === 'slice') {
		// word-aligned: "i = word index from R's start" has no meaning inside a word
		const lo = Math.floor(sel.a * reg.len / 4) * 4;
		const hi = lo + 1 + Math.floor(sel.b * (reg.len - lo - 1));
		text = `${reg.name}[${lo}:${hi}]`; addr += lo; len = hi - lo;
	} else if (sel.shape === 'at') {
		// absolute, possibly over the neighbours and the holes around the mapping
		addr = Math.max(PAGE, reg.addr + sel.spill * PAGE);
		len = (1 + Math.floor(sel.b * (np + 3))) * PAGE;
		text = `at(${addr}, ${len})`;
	}
	return { text, addr, len, s: Math.floor(addr / PAGE), e: Math.ceil((addr + len) / PAGE) };
}

function resolveFill(f: FillSel): FillSpec | undefined {
	return f ? FILL_SHAPES[f.shape % FILL_SHAPES.length](f.c) : undefined;
}

const unmapped = (pg: MPage | undefined) => !pg;
const noAccess = (pg: MPage | undefined) => !pg || pg.prot === 'none';
const noWrite = (pg: MPage | undefined) => !pg || pg.prot !== 'rw';
const unchanged = () => undefined;

/** Page v after a fill over the byte range r: word i of r (counted from r's first byte, docs/language.md#fills-and-the-int32-words-they-store)
 * holds fill(i); the words of the page outside r keep their old values. */
function written(old: PageData | undefined, r: Range, fill: FillSpec, v: number): PageData {
	const page = v * PAGE;
	const from = Math.max(0, Math.floor((r.addr - page) / 4));
	const to = Math.min(1024, Math.floor((r.addr + r.len - page) / 4));
	const base = (page - r.addr) / 4;
	if (from === 0 && to === 1024) { return { fill, base }; }
	const words = pageWords(old).slice();
	for (let j = from; j < to; j++) { words[j] = fill.word(base + j) | 0; }
	return { fill, base: NaN, words };
}

/** Writes fill over pages [s, until) of the current process (a store without fill: COW only). */
function write(m: Model, r: Range, fill: FillSpec | undefined, until: number): void {
	const p = m.cur();
	for (let v = r.s; v < until; v++) { m.setData(p, v, fill ? written(m.data(p, v), r, fill, v) : m.data(p, v)); }
}

/** Pages [s, until) may each hold the old data or the fill: a device write failed somewhere. */
function maybeWritten(m: Model, r: Range, fill: FillSpec, until: number, probe: Probe): void {
	const p = m.cur();
	for (let v = r.s; v < until; v++) {
		const next = written(m.data(p, v), r, fill, v);
		if (probe.either(v, [m.data(p, v), next]) === 1) { m.setData(p, v, next); }
	}
}

export function resolve(op: Op, m: Model): Step {
	const p = m.cur();
	switch (op.t) {
		case 'mmap': {
			const name = op.reuse < 0.2 && m.regions.length > 1 ? pick(m.regions, op.reuse * 5).name : `m${m.regions.length}`;
			const size = op.huge ? '2MiB' : `${op.npages} pages`;
			return {
				line: `${name} = mmap ${size} anon ${op.prot}${op.shared ? ' shared' : ''}${op.huge ? ' huge' : ''}`, codes: ['none'],
				apply: () => undefined, // the address comes from the engine: see Real.step
			};
		}
		case 'cpu-write': case 'cpu-read': {
			const r = resolveRange(m, op.r);
			const w = op.t === 'cpu-write';
			const bad = m.firstBad(r.s, r.e, w ? noWrite : noAccess);
			const fill = w ? resolveFill(op.fill) : undefined;
			const line = w ? `cpu write ${r.text}${fill ? ` = ${fill.text}` : ''}` : `cpu read ${r.text}`;
			// the CPU stores page by page: the pages before the faulting one are written
			return { line, range: r, codes: [bad < r.e ? 'SIGSEGV' : 'none'], apply: () => { if (w) { write(m, r, fill, bad); } } };
		}
		case 'dev-write': {
			const r = resolveRange(m, op.r);
			const fill = resolveFill(op.fill) ?? resolveFill({ shape: 0, c: 0 })!;
			const line = `${op.dev} write ${r.text} = ${fill.text}`;
			if (!m.mirrored(op.dev)) { return { line, codes: ['EINVAL'], apply: unchanged }; }
			const bad = m.firstBad(r.s, r.e, noWrite);
			// hmm_range_fault reports the private device's own read-only device-private entries as
			// they are (after fork or mprotect) and dmirror_do_fault refuses them with EFAULT
			// (lib/test_hmm.c, with a WARN): such a page before the first bad one may end the write
			const cow = op.dev === 'gpu' && m.firstBad(r.s, bad, pg => !!pg?.ro) < bad;
			if (bad === r.e && !cow) { return { line, range: r, codes: ['none'], apply: () => write(m, r, fill, r.e) }; }
			if (bad === r.e) {
				return {
					line, range: r, codes: ['none', 'EFAULT'],
					apply: (_m, code, probe) => { if (code === 'none') { write(m, r, fill, r.e); } else { maybeWritten(m, r, fill, r.e, probe); } },
				};
			}
			// a read-only page in the device's own private memory is reported as is by hmm_range_fault
			// and refused by dmirror_do_fault with EFAULT (lib/test_hmm.c); the model does not know
			// where pages live, so on the private device either code is Linux's
			const codes = noAccess(p.pages.get(bad)) && !cow ? ['EFAULT'] : op.dev === 'gpu' ? ['EPERM', 'EFAULT'] : ['EPERM'];
			// pages the device already mapped writable were copied before the fault failed
			return { line, codes, apply: (_m, _c, probe) => maybeWritten(m, r, fill, bad, probe) };
		}
		case 'dev-read': {
			const r = resolveRange(m, op.r);
			const line = `B = ${op.dev} read ${r.text}`;
			if (!m.mirrored(op.dev)) { return { line, codes: ['EINVAL'], apply: unchanged }; }
			const ok = m.firstBad(r.s, r.e, noAccess) === r.e;
			return { line, range: r, codes: [ok ? 'none' : 'EFAULT'], apply: unchanged, buffer: ok ? r : undefined };
		}
		case 'migrate': {
			const r = resolveRange(m, op.r);
			const line = `migrate ${r.text} -> ${op.to}`;
			if (op.to === 'ram') {
				const any = DEVICES.some(d => m.mirrored(d));
				return { line, range: r, codes: [!any || m.firstBad(r.s, r.e, unmapped) < r.e ? 'EINVAL' : 'none'], apply: unchanged };
			}
			if (!m.mirrored(op.to) || m.firstBad(r.s, r.e, noAccess) < r.e) { return { line, range: r, codes: ['EINVAL'], apply: unchanged }; }
			// shared, pinned and other devices' pages stay where they are: -ENOENT from the read-back
			return { line, range: r, codes: ['none', 'ENOENT', ...(m.small ? ['ENOMEM'] : [])], apply: unchanged };
		}
		case 'exclusive': {
			const r = resolveRange(m, op.r);
			const line = `exclusive ${r.text} -> ${op.dev}`;
			if (!m.mirrored(op.dev)) { return { line, codes: ['EINVAL'], apply: unchanged }; }
			const bad = m.firstBad(r.s, r.e, pg => noWrite(pg) || !!pg?.shared);
			const code = bad === r.e ? 'none' : noWrite(p.pages.get(bad)) ? 'EFAULT' : 'EINVAL';
			// a page in coherent device memory is refused with EINVAL wherever it is in the range
			return { line, range: r, codes: code === 'EINVAL' ? ['EINVAL'] : [code, 'EINVAL'], apply: unchanged };
		}
		case 'pin': case 'unpin': {
			const r = resolveRange(m, op.r);
			const line = `${op.t} ${r.text}`;
			if (op.t === 'pin') { return { line, range: r, codes: [m.firstBad(r.s, r.e, noAccess) < r.e ? 'EFAULT' : 'none'], apply: unchanged }; }
			// pins live on pages, which the model does not track
			return { line, range: r, codes: ['none', 'EINVAL'], apply: unchanged };
		}
		case 'release': return { line: `${op.dev} release`, codes: ['none'], apply: unchanged };
		case 'mirror': {
			const has = m.mirrored(op.dev);
			const line = `${op.dev} ${op.on ? 'mirror' : 'unmirror'} ${m.current}`;
			return {
				line, codes: [has === op.on ? 'EINVAL' : 'none'], apply: (_m, code) => {
					if (code === 'none') { if (op.on) { m.mirrors.add(`${op.dev} ${m.current}`); } else { m.mirrors.delete(`${op.dev} ${m.current}`); } }
				},
			};
		}
		case 'mprotect': case 'dontneed': case 'munmap': {
			const r = resolveRange(m, op.r);
			const line = op.t === 'mprotect' ? `mprotect ${r.text} ${op.prot}` : op.t === 'dontneed' ? `madvise ${r.text} dontneed` : `munmap ${r.text}`;
			if (op.t === 'munmap') { return { line, range: r, codes: ['none'], apply: () => m.munmap(r.s, r.e) }; }
			const one = (v: number) => {
				if (op.t === 'mprotect') { p.pages.get(v)!.prot = op.prot; p.pages.get(v)!.ro = true; } else if (!p.pages.get(v)!.shared) { m.setData(p, v, undefined); }
			};
			const hole = m.firstBad(r.s, r.e, unmapped);
			const all = Array.from({ length: r.e - r.s }, (_, k) => r.s + k);
			if (hole === r.e) { return { line, range: r, codes: ['none'], apply: () => all.forEach(one) }; }
			// Linux: mprotect changes the VMAs before the first hole, madvise advises every mapped
			// part (mm/mprotect.c, mm/madvise.c); then both return ENOMEM
			const linux = op.t === 'mprotect' ? all.slice(0, hole - r.s) : all.filter(v => p.pages.has(v));
			return { line, range: r, codes: ['ENOMEM'], apply: () => linux.forEach(one) };
		}
		case 'fork': {
			const child = m.newProcName();
			const mirrors = op.mirror ? DEVICES.map(d => `${d} mirror ${child}`) : [];
			return {
				line: `fork ${child}`, then: [`use ${child}`, ...mirrors], codes: ['none'],
				apply: () => {
					m.fork(child);
					m.current = child;
					if (op.mirror) { for (const d of DEVICES) { m.mirrors.add(`${d} ${child}`); } }
				},
			};
		}
		case 'use': {
			const name = pick([...m.procs.keys()].filter(n => n !== m.current), op.pick);
			return { line: `use ${name}`, codes: ['none'], apply: () => { m.current = name; } };
		}
		case 'exit': {
			const name = pick([...m.procs.keys()].filter(n => n !== m.current), op.pick);
			return { line: `exit ${name}`, codes: ['none'], apply: () => m.exit(name) };
		}
	}
}

/** Whether an op can run in this model state (fast-check skips it otherwise). */
export function applicable(op: Op, m: Model): boolean {
	if (op.t === 'use' || op.t === 'exit') { return m.procs.size > 1; }
	if (op.t === 'fork') { return m.procs.size < 5; }
	if (op.t === 'mmap') { return m.regions.length < 12; }
	return true;
}
