// The Variables view: a registry of lazily expanded nodes behind variablesReference numbers, and
// the script-level parts (Locals, values, the Event scope, kernel frame arguments). Engine state
// (processes, VMAs, pages, devices, statistics) is built in inspect.ts. Nothing is computed until
// it is expanded, and paged children (pages of a VMA, entries of a mirror) are built only for the
// start/count asked, so a 4M-page VMA opens as fast as a small one.
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { Interpreter } from '../lang/interp';
import { bufferElement, bufferLength, formatValue, type Value } from '../lang/values';
import type { SimEvent } from '../engine/sim/events';
import type { KernelFrameRecord, ProcessSummary } from '../engine/view';
import type { DataTarget } from './breakpoints';
import { hex, num, PAGE } from './describe';
import { memoryReference } from './memory';

export type V = DebugProtocol.Variable;

/** What a variablesReference stands for: named children and/or a paged list. */
export interface Node {
	named?: () => V[];
	indexed?: { count: number; get(start: number, count: number): V[] };
}

/** Without paging arguments a client gets at most this many indexed children. */
const UNPAGED_LIMIT = 1000;
/** children built for one variables request at most, whatever count asks for */
const MAX_PER_REQUEST = 10_000;

export class VariableStore {
	hex = false;
	private nodes = new Map<number, Node>();
	private next = 1;
	private targets = new Map<string, DataTarget>();
	private parent = 0;

	constructor(private readonly rt: { interp: Interpreter }) { }

	get interp(): Interpreter { return this.rt.interp; }

	/** Forget every node (the program moved on; old references must not show new state). */
	reset(): void {
		// clearing a Map allocates a new table: at every stop, only when there is something to forget
		if (this.nodes.size > 0) { this.nodes.clear(); }
		if (this.targets.size > 0) { this.targets.clear(); }
		this.next = 1;
	}

	add(node: Node): number { const ref = this.next++; this.nodes.set(ref, node); return ref; }

	num(n: number): string { return num(n, this.hex); }

	/** A child with children. Every variable has an evaluateName (Add to Watch, Copy as
	 * Expression): the script expression for it where there is one, else its value as a literal. */
	container(name: string, value: string, node: Node, extra: Partial<V> = {}): V {
		const ref = this.add(node);
		const v: V = { name, value, variablesReference: ref, evaluateName: literal(value), ...extra };
		if (node.indexed) { v.indexedVariables = node.indexed.count; }
		if (node.indexed && node.named) { v.namedVariables = 1; }
		return v;
	}

	leaf(name: string, value: string | number | boolean, extra: Partial<V> = {}): V {
		if (typeof value === 'number') {
			return { name, value: this.num(value), variablesReference: 0, evaluateName: String(value), __vscodeVariableMenuContext: 'number', presentationHint: { attributes: ['readOnly'] }, ...extra } as V;
		}
		return { name, value: String(value), variablesReference: 0, evaluateName: literal(String(value)), presentationHint: { attributes: ['readOnly'] }, ...extra };
	}

	/** Records that the child `name` of the node being listed can carry a data breakpoint. */
	mark(name: string, t: DataTarget): void { this.targets.set(`${this.parent}\0${name}`, t); }

	dataTarget(ref: number, name: string): DataTarget | undefined { return this.targets.get(`${ref}\0${name}`); }

	list(ref: number, filter?: 'indexed' | 'named', start?: number, count?: number): V[] | string {
		const node = this.nodes.get(ref);
		if (!node) { return `variablesReference ${ref} is out of date (the program has moved on)`; }
		this.parent = ref;
		const out: V[] = [];
		if (filter !== 'indexed' && node.named) { out.push(...node.named()); }
		if (filter !== 'named' && node.indexed) {
			const total = node.indexed.count;
			const s = Math.max(0, Math.min(start ?? 0, total));
			// a request without a count gets the first page of children, never millions of them
			const n = Math.max(0, Math.min(count || UNPAGED_LIMIT, MAX_PER_REQUEST, total - s));
			out.push(...node.indexed.get(s, n));
		}
		return out;
	}

	// ------------------------------------------------------------ script values

	/** A script value as a variable: ranges expand to address/length/where/pages, buffers to elements.
	 * `expr` is the script expression that yields it (the variable's name for a local). */
	value(name: string, v: Value, expr = name): V {
		const e = { evaluateName: expr };
		if (typeof v === 'number') { return this.leaf(name, v, e); }
		if (typeof v === 'boolean') { return this.leaf(name, v, e); }
		if (typeof v === 'string') { return this.leaf(name, JSON.stringify(v), e); }
		if (v.kind === 'buffer') {
			const n = bufferLength(v);
			return this.container(name, formatValue(v), {
				named: () => [this.leaf('length', n, { evaluateName: `len(${expr})` }), this.leaf('element size', `${v.elem} byte${v.elem === 1 ? '' : 's'}`)],
				indexed: { count: n, get: (s, c) => Array.from({ length: c }, (_, i) => this.leaf(`[${s + i}]`, bufferElement(v, s + i), { evaluateName: `${expr}[${s + i}]` })) },
			}, e);
		}
		const view = this.interp.machine.view;
		const p = view.current();
		const first = Math.floor(v.addr / PAGE);
		const end = Math.ceil((v.addr + v.len) / PAGE);
		if (p) { this.mark(name, { process: p.name, start: first, end, description: `${name} [${hex(v.addr)}, ${hex(v.addr + v.len)}) of ${p.name}` }); }
		return this.container(name, formatValue(v, true), {
			named: () => {
				const kids = [this.leaf('address', hex(v.addr), { evaluateName: `addr(${expr})` }), this.leaf('length', v.len, { evaluateName: `len(${expr})` }),
					this.leaf('end', hex(v.addr + v.len), { evaluateName: `addr(${expr}) + len(${expr})` }), this.leaf('pages', end - first, { evaluateName: `npages(${expr})` })];
				if (p) { kids.push(this.leaf('process', p.name), this.leaf('where', v.len > 0 ? view.where(p.id, first, end) : 'none', { evaluateName: `where(${expr})` })); }
				return kids;
			},
			indexed: p ? { count: end - first, get: (s, c) => Array.from({ length: c }, (_, i) => ({ ...this.pageOf(p, first + s + i), evaluateName: `page(${expr}, ${s + i})` })) } : undefined,
		}, p ? { memoryReference: memoryReference(p, v.addr), ...e } : e);
	}

	/** Filled in by inspect.ts: one page of a process as a variable. */
	pageOf: (p: Pick<ProcessSummary, 'id' | 'name'>, vpn: number) => V = (_p, vpn) => this.leaf(hex(vpn * PAGE), '');

	/** A script variable holding a range that starts at addr: names VMAs in the views. */
	rangeNameAt(addr: number): string | undefined {
		for (const [name, v] of this.interp.vars) { if (typeof v === 'object' && v.kind === 'range' && v.addr === addr) { return name; } }
		return undefined;
	}

	locals(): V[] {
		return [...this.interp.vars].map(([name, v]) => this.value(name, v));
	}

	/** The Event scope: the engine event stopped on. */
	event(ev: SimEvent): V[] {
		const m = (member: keyof SimEvent) => ({ evaluateName: `event.${member}` });
		const out = [this.leaf('kind', ev.kind, m('kind')), this.leaf('address', hex(ev.addr), m('addr')), this.leaf('pages', ev.npages, m('npages'))];
		if (ev.device !== undefined) { out.push(this.leaf('device', ev.device, m('device'))); }
		if (ev.process !== undefined) { out.push(this.leaf('process', ev.process, m('process'))); }
		if (ev.write !== undefined) { out.push(this.leaf('access', ev.write ? 'write' : 'read', m('write'))); }
		if (ev.fn !== undefined) { out.push(this.leaf('function', ev.fn, m('fn'))); }
		if (ev.detail !== undefined) { out.push(this.leaf('detail', ev.detail, m('detail'))); }
		// a kernel access as a warp issues it: which warp, where it runs, what it touches
		if (ev.warp !== undefined) { out.push(this.leaf('warp', ev.warp, m('warp'))); }
		if (ev.sm !== undefined) { out.push(this.leaf('SM', ev.sm, m('sm'))); }
		if (ev.page !== undefined) { out.push(this.leaf('page', hex(ev.page), m('page'))); }
		if (ev.line !== undefined) { out.push(this.leaf('line', ev.line, m('line'))); }
		return out;
	}

	/** Arguments scope of a kernel frame. */
	frame(f: KernelFrameRecord): V[] {
		const out = [this.leaf('function', f.fn)];
		if (f.addr !== undefined) { out.push(this.leaf('address', hex(f.addr))); }
		if (f.npages !== undefined) { out.push(this.leaf('pages', f.npages)); }
		if (f.process !== undefined) { out.push(this.leaf('process', f.process)); }
		if (f.device !== undefined) { out.push(this.leaf('device', f.device)); }
		return out;
	}
}

/** A value shown in the Variables view as a script literal: hex and decimal numbers and booleans
 * as they are, anything else as a string. */
export function literal(value: string): string {
	return /^(0x[0-9a-f]+|-?\d+|true|false)$/i.test(value) ? value : JSON.stringify(value);
}
