// The reference model for the integrity test: only what each process should read, page by page,
// under Linux semantics. It knows nothing of frames, devices or residency: migrations, pins and
// exclusive access are invisible to it by design, since none of them may change a byte.
export const PAGE = 4096;
export const WORDS = PAGE / 4;

export type Prot = 'none' | 'r' | 'rw';
export const PROT_STRING: Record<Prot, string> = { none: 'none', r: 'r--', rw: 'rw-' };

/** A fill expression of the language (`cpu write R = EXPR`) and the int32 it stores at word i. */
export interface FillSpec { text: string; word(i: number): number }

/** A whole page written by one fill: word j holds fill(base + j). Immutable, so fork shares it. */
export interface PageData { fill: FillSpec; base: number; words?: Int32Array }

const ZERO_WORDS = new Int32Array(WORDS);

export function pageWords(d: PageData | undefined): Int32Array {
	if (!d) { return ZERO_WORDS; }
	if (!d.words) {
		d.words = new Int32Array(WORDS);
		for (let j = 0; j < WORDS; j++) { d.words[j] = d.fill.word(d.base + j) | 0; }
	}
	return d.words;
}

/** The pages behind a shared anonymous mapping (shmem): every process mapping it sees them. */
interface SharedObj { id: number; pages: (PageData | undefined)[] }

/** `ro`: the page may be mapped read-only although its VMA is writable: COW-shared with a fork
 * relative, or write-protected by an mprotect (Linux's change_pte_range makes device-private
 * entries read-only whatever the new protection), and not written since. The private device cannot
 * write its own read-only pages (see ops.ts), so the model must know when that can happen. */
export interface MPage { prot: Prot; shared?: { obj: SharedObj; idx: number }; data?: PageData; ro?: boolean }

export class MProc {
	readonly pages = new Map<number, MPage>();
	constructor(readonly name: string) { }
}

/** A script variable naming a mapping (variables are global: a fork child uses its parent's). */
export interface Region { name: string; addr: number; len: number }

export type Loc = 'gpu' | 'cxl';
export const DEVICES: Loc[] = ['gpu', 'cxl'];

export class Model {
	readonly procs = new Map<string, MProc>();
	current = 'p';
	/** `${device} ${process}` for every mirror */
	readonly mirrors = new Set<string>();
	readonly regions: Region[] = [];
	private nextObj = 0;
	private nextProc = 0;

	/** small: device memory can run out, so a migration to a device may leave pages behind (ENOENT) */
	constructor(readonly small = false) {
		this.procs.set('p', new MProc('p'));
		for (const d of DEVICES) { this.mirrors.add(`${d} p`); }
	}

	cur(): MProc { return this.procs.get(this.current)!; }

	data(p: MProc, vpn: number): PageData | undefined {
		const pg = p.pages.get(vpn)!;
		return pg.shared ? pg.shared.obj.pages[pg.shared.idx] : pg.data;
	}

	/** A store by this process: it breaks COW, so the page is its own from now on. */
	setData(p: MProc, vpn: number, d: PageData | undefined): void {
		const pg = p.pages.get(vpn)!;
		pg.ro = false;
		if (pg.shared) { pg.shared.obj.pages[pg.shared.idx] = d; } else { pg.data = d; }
	}

	mirrored(dev: string, proc = this.current): boolean { return this.mirrors.has(`${dev} ${proc}`); }

	newProcName(): string { return `c${++this.nextProc}`; }

	mmap(name: string, addr: number, npages: number, prot: Prot, shared: boolean): void {
		const p = this.cur();
		const obj: SharedObj | undefined = shared ? { id: this.nextObj++, pages: new Array(npages).fill(undefined) } : undefined;
		const vpn0 = addr / PAGE;
		for (let k = 0; k < npages; k++) {
			if (p.pages.has(vpn0 + k)) { throw new Error(`mmap returned 0x${addr.toString(16)}, which overlaps a live mapping`); }
			p.pages.set(vpn0 + k, { prot, shared: obj && { obj, idx: k }, ro: prot !== 'rw' });
		}
		const i = this.regions.findIndex(r => r.name === name);
		const r = { name, addr, len: npages * PAGE };
		if (i >= 0) { this.regions[i] = r; } else { this.regions.push(r); }
	}

	fork(child: string): void {
		const parent = this.cur();
		const c = new MProc(child);
		for (const [vpn, pg] of parent.pages) {
			if (!pg.shared) { pg.ro = true; }
			c.pages.set(vpn, { ...pg });
		}
		this.procs.set(child, c);
	}

	exit(name: string): void {
		this.procs.delete(name);
		for (const d of DEVICES) { this.mirrors.delete(`${d} ${name}`); }
	}

	munmap(s: number, e: number): void {
		for (let v = s; v < e; v++) { this.cur().pages.delete(v); }
	}

	/** First page of [s, e) the predicate rejects (unmapped pages are passed as undefined), or e. */
	firstBad(s: number, e: number, bad: (pg: MPage | undefined) => boolean): number {
		const p = this.cur();
		for (let v = s; v < e; v++) { if (bad(p.pages.get(v))) { return v; } }
		return e;
	}
}

// ---------------------------------------------------------------- fills

const C = (c: number) => (c < 0 ? `(${c})` : String(c));

/** Fill shapes: the linear ones take the engine's pattern fast path, the others its per-word path. */
export const FILL_SHAPES: ((c: number) => FillSpec)[] = [
	() => ({ text: 'i', word: i => i }),
	() => ({ text: '-i', word: i => -i }),
	c => ({ text: `i + ${C(c)}`, word: i => i + c }),
	c => ({ text: C(c), word: () => c }),
	c => ({ text: `${C(c)} - i`, word: i => c - i }),
	c => ({ text: `i * 3 ^ ${C(c)}`, word: i => (i * 3) ^ c }),
	c => ({ text: `i % 7 + ${C(c)}`, word: i => (i % 7) + c }),
	() => ({ text: 'i * i', word: i => i * i }),
	() => ({ text: 'i >> 3', word: i => Math.floor(i / 8) }),
	() => ({ text: '0', word: () => 0 }),
];

/** The fill's expression with word 0 moved to `base` (for expectations over a sub-range). */
export function shifted(f: FillSpec, base: number): string {
	return base === 0 ? f.text : f.text.replace(/\bi\b/g, `(i + ${base})`);
}
