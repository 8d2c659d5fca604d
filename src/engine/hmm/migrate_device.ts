// migrate_vma_setup / migrate_vma_pages / migrate_vma_finalize (mm/migrate_device.c).
// The caller (a device driver) allocates destination pages and "copies" between setup and pages.
// Copies are by reference: the driver points the destination at the source's content slot, and
// finalize leaves the slot with whichever page survives.
import { is_vm_hugetlb_page } from '../mm/hugetlb';
import type { Kernel } from '../kernel';
import type { K, SimEvent } from '../sim/events';
import { fail } from '../sim/errors';
import { HPAGE_NR, PG } from '../mm/frames';
import type { Mm } from '../mm/mm';
import { PTE, PTRS_PER_PMD } from '../mm/pagetable';
import type { Vma } from '../mm/vma';
import { page_add_anon_rmap, put_page, rmap_walk } from '../mm/page';
import { split_folio, split_huge_pmd } from '../mm/thp';
import { mmu_notifier_invalidate_range_start } from '../mm/mmu_notifier';
import { page_pgmap_owned, type PagemapOwner } from '../mm/memremap';
import { PAGE_SIZE } from '../mm/content';
import { folio_trylock } from '../sim/sched';
import { file_device_writable, file_folio_migratable, file_migrate_cache_entry, file_migrate_flags } from '../mm/file_migration';
import { dax_file_page, dax_folio_migratable, dax_migrate_cache_entry, dax_migrate_flags } from '../mm/dax_migration';

export const enum MPFN { VALID = 1, MIGRATE = 2, WRITE = 8, COMPOUND = 16 }
export const enum SELECT { SYSTEM = 1, DEVICE_PRIVATE = 2, DEVICE_COHERENT = 4, COMPOUND = 8 }

export class MigrateVma {
	npages: number;
	/** source pfn (-1 for a hole) and MPFN flags; allocated by collect when `deferArrays` (a
	 * driver's whole-leaf path may finish the migration without them) */
	src!: Int32Array;
	srcF!: Uint8Array;
	dst!: Int32Array;
	dstF!: Uint8Array;
	cpages = 0;
	/** pages left out because folio_trylock failed (another script thread holds the folio) */
	lockSkipped = 0;
	/** why the pages move (the device model's MigrationCause), carried on the 'migration' event */
	cause: SimEvent['cause'];
	/** where each collected page was mapped besides (mm, start+i): pages shared after fork
	 * (made by the first such page: most ranges have none) */
	others: Map<number, [Mm, number][]> | undefined;

	constructor(
		readonly mm: Mm,
		readonly vma: Vma,
		public start: number,
		readonly end: number,
		readonly flags: number,
		/** pgmap_owner: whose device pages may be selected, and whose notifier is skipped */
		readonly owner: PagemapOwner | undefined,
		/** for the event shown to the debugger */
		readonly direction: string,
		deferArrays = false,
	) {
		this.npages = end - start;
		if (!deferArrays) { this.allocArrays(); }
	}

	/** pages at the start of the call that a driver's whole-leaf path moved before it met one it
	 * leaves to collect (MigrateLeafPath), and the pages it copied: the driver's general steps
	 * count them with their own (the link time of one transfer is not that of two) */
	leafMoved = 0;
	leafCopied = 0;

	/** the whole-leaf path moved the first n pages (moved, copied as above): collect and the
	 * driver's steps take the rest of the range */
	leafTook(n: number, moved: number, copied: number): void {
		this.start += n;
		this.npages -= n;
		this.leafMoved = moved;
		this.leafCopied = copied;
	}

	/** the src/dst arrays, carved out of one buffer: one allocation per migrate_vma call */
	allocArrays(): void {
		if (this.src) { return; }
		const n = this.npages;
		const buf = new ArrayBuffer(n * 10);
		this.src = new Int32Array(buf, 0, n).fill(-1);
		this.dst = new Int32Array(buf, n * 4, n).fill(-1);
		this.srcF = new Uint8Array(buf, n * 8, n);
		this.dstF = new Uint8Array(buf, n * 9, n);
	}
}

/** A driver's whole-leaf path (device/dmirror_migrate_leaf.ts), offered the range after the
 * MIGRATE invalidation: it returns -1 to leave the range to collect and the driver's general
 * steps, or finishes the whole migration itself (exactly as the general steps would) and returns
 * the driver's result. It may also move the range's first pages and leave the rest
 * (MigrateVma.leafTook), returning -1: no page of the range is collected before another is
 * migrated, so the general steps over the rest end where they would over the whole range. */
export type MigrateLeafPath = (k: Kernel, a: MigrateVma) => number;

/** Returns -1, or what `leaf` returned when it finished the migration (see MigrateLeafPath). */
export function* migrate_vma_setup(k: Kernel, a: MigrateVma, leaf?: MigrateLeafPath): K<number> {
	if (a.start < a.vma.start || a.end > a.vma.end || a.npages <= 0) { fail('EINVAL', 'migrate_vma_setup: range outside its VMA'); }
	// vma_is_dax; experimental=dax_migration lets a DAX page be copied to device memory
	if (a.vma.backing === 'dax' && !k.experimental('dax_migration')) { fail('EINVAL', 'migrate_vma_setup: DAX mappings cannot migrate'); }
	if (is_vm_hugetlb_page(a.vma)) { fail('EINVAL', 'migrate_vma_setup: hugetlb mappings cannot migrate'); }
	// pins in device memory whose time is up no longer hold their pages (experimental=pin_device)
	k.pins.expire(k);
	yield* k.enter('migrate_vma_setup', { addr: a.start * PAGE_SIZE, npages: a.npages, process: a.mm.name, device: a.owner?.name });
	try {
		if (k.wants('migration')) {
			yield { kind: 'migration', addr: a.start * PAGE_SIZE, npages: a.npages, process: a.mm.name, device: a.owner?.name, detail: a.direction, fn: 'migrate_vma_setup', ...(a.cause ? { cause: a.cause } : {}) };
		}
		yield* mmu_notifier_invalidate_range_start(k, { mm: a.mm, start: a.start, end: a.end, event: 'MIGRATE', owner: a.owner });
		if (leaf) {
			const r = leaf(k, a);
			if (r >= 0) { return r; }
		}
		a.allocArrays();
		yield* collect(k, a);
		return -1;
	} finally {
		k.leave();
	}
}

/** migrate_vma_collect_pmd's page checks: may this page be selected for the caller (flags, pgmap owner)? */
export function selectable(k: Kernel, a: MigrateVma, pfn: number): boolean {
	const f = k.frames;
	if (f.flags[pfn >> 12][pfn & 4095] & PG.DEV_PRIVATE) { return (a.flags & SELECT.DEVICE_PRIVATE) !== 0 && page_pgmap_owned(k, pfn, a.owner); }
	if (f.flags[pfn >> 12][pfn & 4095] & PG.DEV_COHERENT) { return (a.flags & SELECT.DEVICE_COHERENT) !== 0 && page_pgmap_owned(k, pfn, a.owner); }
	if (f.flags[pfn >> 12][pfn & 4095] & PG.DAX) { return (a.flags & SELECT.SYSTEM) !== 0 && dax_folio_migratable(k, a.vma, pfn); }
	return (a.flags & SELECT.SYSTEM) !== 0;
}

/** migrate_vma_collect + migrate_vma_unmap: select pages and replace their PTEs with migration entries. */
function* collect(k: Kernel, a: MigrateVma): K {
	const { mm } = a;
	const f = k.frames;
	// vpns are beyond the small-integer range: the loop runs on the page index and the leaf index
	let li = (a.start & (PTRS_PER_PMD - 1));
	let leaf = mm.pt.leaf(a.start);
	for (let i = 0; i < a.npages; i++, li++) {
		if (li === PTRS_PER_PMD) { li = 0; leaf = mm.pt.leaf(a.start + i); }
		const vpn = a.start + i;
		if (leaf?.huge && pmdSkipped(k, a, leaf.pte[li], leaf.pfn[li])) {
			// the whole PMD is left as it is, unsplit (its part of the range stays src = 0)
			const n = Math.min(PTRS_PER_PMD - li, a.npages - i);
			i += n - 1;
			li += n - 1;
			continue;
		}
		if (leaf?.huge && li === 0 && (a.flags & SELECT.COMPOUND) && i + PTRS_PER_PMD <= a.npages) {
			if (collectPmd(k, a, vpn, i)) { i += PTRS_PER_PMD - 1; li += PTRS_PER_PMD - 1; continue; }
		}
		if (leaf?.huge) { yield* split_huge_pmd(k, mm, vpn); }
		const pte = leaf ? leaf.pte[li] : 0;
		const type = pte & PTE.TYPE_MASK;
		if (type === PTE.NONE || (type === PTE.PRESENT && (f.flags[(leaf!.pfn[li]) >> 12][(leaf!.pfn[li]) & 4095] & PG.ZERO) && (a.flags & SELECT.SYSTEM))) {
			// a hole: the driver allocates a zero-filled page, only for anonymous memory
			if (a.vma.isAnonPrivate) {
				a.srcF[i] = MPFN.MIGRATE;
				if (a.flags & SELECT.COMPOUND && li === 0 && i + PTRS_PER_PMD <= a.npages && emptyPmd(k, mm, vpn)) {
					a.srcF[i] |= MPFN.COMPOUND;
					a.cpages += PTRS_PER_PMD;
					i += PTRS_PER_PMD - 1;
					li += PTRS_PER_PMD - 1;
					continue;
				}
				a.cpages++;
			}
			continue;
		}
		if (type !== PTE.PRESENT && type !== PTE.DEVPRIV) { continue; }
		let pfn = leaf!.pfn[li];
		if ((f.flags[pfn >> 12][pfn & 4095] & PG.ZERO) || !selectable(k, a, pfn) || f.pincount[pfn >> 12][pfn & 4095] > 0) { continue; }
		// migrate_vma_collect_pmd: a folio another thread has locked (its CPU fault) is not waited
		// for, it is left where it is (src = 0, not counted in cpages)
		if (k.threaded && !folio_trylock(k, pfn)) { a.lockSkipped++; continue; }
		if (f.isCompound(pfn)) { split_folio(k, pfn); pfn = leaf!.pfn[li]; }
		const write = (pte & PTE.WRITE) !== 0 || file_device_writable(k, a.vma, pfn);
		if (f.mapcount[pfn >> 12][pfn & 4095] <= 1) {
			leaf!.pte[li] = PTE.MIGRATION | (pte & PTE.DIRTY) | (write ? PTE.WRITE : 0);
		} else {
			yield* unmapAll(k, a, i, vpn, pfn);
			if (write) { a.mm.pt.setFlags(vpn, a.mm.pt.pte(vpn) | PTE.WRITE); }
		}
		a.src[i] = pfn;
		a.srcF[i] = MPFN.VALID | MPFN.MIGRATE | (write ? MPFN.WRITE : 0);
		a.cpages++;
	}
}

/** migrate_vma_collect_huge_pmd's early exits, which skip a PMD without splitting it: a present
 * (trans-huge) PMD when system memory is not selected (the huge zero page and a coherent device
 * THP included), a device-private PMD of another owner or without SELECT_DEVICE_PRIVATE; and a
 * coherent device THP under SELECT_SYSTEM, which the driver refuses (dst left empty) so that
 * finalize restores the PMD. */
function pmdSkipped(k: Kernel, a: MigrateVma, pte: number, pfn: number): boolean {
	const type = pte & PTE.TYPE_MASK;
	if (type === PTE.PRESENT) {
		if (!(a.flags & SELECT.SYSTEM)) { return true; }
		return (k.frames.flags[pfn >> 12][pfn & 4095] & PG.DEV_COHERENT) !== 0;
	}
	if (type === PTE.DEVPRIV) { return !selectable(k, a, pfn); }
	return false;
}

function emptyPmd(k: Kernel, mm: Mm, base: number): boolean {
	const l = mm.pt.leaf(base);
	if (!l) { return true; }
	return l.used === 0 || (l.huge && k.frames.isZero(l.pfn[0]));
}

/** A whole PMD-mapped folio selected as one compound entry (MIGRATE_VMA_SELECT_COMPOUND). */
function collectPmd(k: Kernel, a: MigrateVma, base: number, i: number): boolean {
	const l = a.mm.pt.leaf(base)!;
	const head = l.pfn[0];
	const type = l.pte[0] & PTE.TYPE_MASK;
	if (k.frames.isZero(head)) {
		if (!(a.flags & SELECT.SYSTEM)) { return false; }
		a.srcF[i] = MPFN.MIGRATE | MPFN.COMPOUND;
		a.cpages += HPAGE_NR;
		return true;
	}
	if ((type !== PTE.PRESENT && type !== PTE.DEVPRIV) || !selectable(k, a, head)) { return false; }
	for (let j = 0; j < HPAGE_NR; j++) { if (k.frames.pincount[(head + j) >> 12][(head + j) & 4095] > 0 || k.frames.mapcount[(head + j) >> 12][(head + j) & 4095] !== 1) { return false; } }
	const write = (l.pte[0] & PTE.WRITE) !== 0;
	for (let j = 0; j < HPAGE_NR; j++) { l.pte[j] = PTE.MIGRATION | (l.pte[j] & (PTE.WRITE | PTE.DIRTY)); }
	a.src[i] = head;
	a.srcF[i] = MPFN.VALID | MPFN.MIGRATE | MPFN.COMPOUND | (write ? MPFN.WRITE : 0);
	a.cpages += HPAGE_NR;
	return true;
}

/** The range's own entry becomes a migration entry (under setup's MIGRATE invalidation), then
 * try_to_migrate reaches every other mapping of the page: try_to_migrate_one invalidates each
 * with CLEAR, no owner to skip, before its entry becomes a migration entry too. */
function* unmapAll(k: Kernel, a: MigrateVma, i: number, vpn: number, pfn: number): K {
	const mark = (mm: Mm, v: number) => {
		mm.pt.setFlags(v, PTE.MIGRATION | (mm.pt.pte(v) & (PTE.WRITE | PTE.DIRTY)));
	};
	if (k.frames.mapcount[pfn >> 12][pfn & 4095] <= 1) { mark(a.mm, vpn); return; }
	const others: [Mm, number][] = [];
	rmap_walk(k, pfn, (mm, v) => { if (mm !== a.mm || v !== vpn) { others.push([mm, v]); } });
	mark(a.mm, vpn);
	for (const [mm, v] of others) {
		yield* mmu_notifier_invalidate_range_start(k, { mm, start: v, end: v + 1, event: 'CLEAR' });
		mark(mm, v);
	}
	(a.others ??= new Map()).set(i, others);
}

/** Driver helper: a compound source whose destination is not compound is split into base pages
 * after unmap (migrate_vma_split_unmapped_folio). */
export function* migrate_vma_split_src(k: Kernel, a: MigrateVma, i: number): K {
	const head = a.src[i];
	const write = a.srcF[i] & MPFN.WRITE;
	const hole = head < 0;
	if (!hole) { k.frames.split(head); }
	for (let j = 0; j < HPAGE_NR; j++) {
		a.src[i + j] = hole ? -1 : head + j;
		a.srcF[i + j] = hole ? MPFN.MIGRATE : MPFN.VALID | MPFN.MIGRATE | write;
	}
	if (hole) {
		// a huge zero PMD becomes 512 small zero-page entries: __split_huge_pmd's CLEAR reaches
		// every mirror, the migrating device's own included (no owner to skip)
		yield* mmu_notifier_invalidate_range_start(k, { mm: a.mm, start: a.start + i, end: a.start + i + HPAGE_NR, event: 'CLEAR' });
	}
	a.mm.pt.leafFor(a.start + i).huge = false;
	if (hole) {
		const l = a.mm.pt.leaf(a.start + i);
		if (l) { for (let j = 0; j < HPAGE_NR; j++) { if (k.frames.isZero(l.pfn[j])) { l.pfn[j] = 0; } } }
	}
}

/** migrate_vma_pages: commit. Holes get their new page; migrations that cannot happen are dropped. */
export function* migrate_vma_pages(k: Kernel, a: MigrateVma): K {
	yield* k.enter('migrate_vma_pages', { addr: a.start * PAGE_SIZE, npages: a.npages, process: a.mm.name });
	try {
		const f = k.frames;
		for (let i = 0; i < a.npages; i++) {
			if (!(a.srcF[i] & MPFN.MIGRATE)) { continue; }
			const dst = a.dst[i];
			if (dst < 0 || !(a.dstF[i] & MPFN.VALID)) { a.srcF[i] &= ~MPFN.MIGRATE; continue; }
			const src = a.src[i];
			const n = a.srcF[i] & MPFN.COMPOUND ? HPAGE_NR : 1;
			if (src < 0) {
				if (!insertPage(k, a, i, dst, n)) { a.srcF[i] &= ~MPFN.MIGRATE; }
				continue;
			}
			// "For now only support anonymous memory migrating to device private or coherent memory"
			// (folio_mapping() is set); experimental=file_migration lifts it for shared file mappings
			if ((f.flags[src >> 12][src & 4095] & PG.FILE) && f.isDevice(dst) && !file_folio_migratable(k, a.vma, src)) { a.srcF[i] &= ~MPFN.MIGRATE; continue; }
			// a swap-cache page moves only if folio_free_swap succeeds; it stays in the swap cache
			// only while another swap entry shares its slot, so it never does
			if (f.swap[src >> 12][src & 4095] >= 0) { a.srcF[i] &= ~MPFN.MIGRATE; continue; }
			for (let j = 0; j < n; j++) {
				f.mapping[(dst + j) >> 12][(dst + j) & 4095] = f.mapping[(src + j) >> 12][(src + j) & 4095];
				f.index[(dst + j) >> 12][(dst + j) & 4095] = f.index[(src + j) >> 12][(src + j) & 4095];
				f.flags[(dst + j) >> 12][(dst + j) & 4095] |= f.flags[(src + j) >> 12][(src + j) & 4095] & (PG.ANON | PG.DIRTY);
			}
			if (f.flags[src >> 12][src & 4095] & (PG.FILE | PG.DAX)) { if (dax_file_page(k, src)) { dax_migrate_flags(k, dst); } else { file_migrate_flags(k, src, dst); } }
		}
	} finally {
		k.leave();
	}
}

/** migrate_vma_insert_page: a hole becomes the new zero-filled page, if still a hole. */
function insertPage(k: Kernel, a: MigrateVma, i: number, dst: number, n: number): boolean {
	const vpn = a.start + i;
	for (let j = 0; j < n; j++) {
		const t = a.mm.pt.pte(vpn + j) & PTE.TYPE_MASK;
		if (!(t === PTE.NONE || (t === PTE.PRESENT && k.frames.isZero(a.mm.pt.pfn(vpn + j))))) { return false; }
	}
	const type = newType(k, dst);
	const w = a.vma.writable ? PTE.WRITE : 0;
	for (let j = 0; j < n; j++) {
		page_add_anon_rmap(k, dst + j, a.mm, vpn + j);
		k.frames.slot[(dst + j) >> 12][(dst + j) & 4095] = -1;
		a.mm.pt.set(vpn + j, dst + j, type | w | (type === PTE.PRESENT ? PTE.YOUNG | PTE.DIRTY : 0));
	}
	a.mm.pt.leafFor(vpn).huge = n === HPAGE_NR;
	return true;
}

function newType(k: Kernel, pfn: number): number {
	return k.frames.flags[pfn >> 12][pfn & 4095] & PG.DEV_PRIVATE ? PTE.DEVPRIV : PTE.PRESENT;
}

/** migrate_vma_finalize: install the new pages where migration entries are, or put the old back. */
export function* migrate_vma_finalize(k: Kernel, a: MigrateVma): K {
	yield* k.enter('migrate_vma_finalize', { addr: a.start * PAGE_SIZE, npages: a.npages, process: a.mm.name });
	try {
		// no device entry can point at a page that goes away here: the MIGRATE invalidation of
		// setup reached every other device, unmapAll's CLEAR every other mapping, and the owner
		// dropped or replaced its own entries in its alloc-and-copy step
		const f = k.frames;
		// leaf-indexed walk: one table lookup per PMD instead of several per page
		let li = a.start & (PTRS_PER_PMD - 1);
		let leaf = a.mm.pt.leaf(a.start);
		for (let i = 0; i < a.npages; i++, li++) {
			if (li === PTRS_PER_PMD) {
				li = 0;
				leaf = a.mm.pt.leaf(a.start + i);
			}
			const src = a.src[i];
			const dst = a.dst[i];
			const hasDst = dst >= 0 && (a.dstF[i] & MPFN.VALID) !== 0;
			if (src < 0) {
				if (hasDst && !(a.srcF[i] & MPFN.MIGRATE)) { freeUnused(k, dst, a.srcF[i] & MPFN.COMPOUND ? HPAGE_NR : 1); }
				continue;
			}
			if (!(a.srcF[i] & MPFN.VALID)) { continue; }
			const n = a.srcF[i] & MPFN.COMPOUND ? HPAGE_NR : 1;
			const ok = (a.srcF[i] & MPFN.MIGRATE) !== 0 && hasDst;
			const others = a.others?.get(i);
			for (let j = 0; j < n; j++) {
				const from = src + j;
				const to = ok ? dst + j : from;
				const type = newType(k, to);
				const e = li + j;
				leaf!.pfn[e] = to;
				leaf!.pte[e] = type | (leaf!.pte[e] & (PTE.WRITE | PTE.DIRTY)) | (type === PTE.PRESENT ? PTE.YOUNG : 0);
				if (others) { for (const [mm, base] of others) { remap(k, mm, base + j, to); } }
				if (!ok) { continue; }
				// the new page takes over the old one's mappings, references and bytes
				const maps = 1 + (others?.length ?? 0);
				f.mapcount[to >> 12][to & 4095] = maps;
				f.refcount[to >> 12][to & 4095] = maps;
				f.slot[to >> 12][to & 4095] = f.slot[from >> 12][from & 4095];
				f.slot[from >> 12][from & 4095] = -1;
				f.mapcount[from >> 12][from & 4095] -= maps;
				for (let r = 0; r < maps; r++) { put_page(k, from); }
				if (f.flags[to >> 12][to & 4095] & (PG.FILE | PG.DAX)) { if (dax_file_page(k, to)) { dax_migrate_cache_entry(k, from, to); } else { file_migrate_cache_entry(k, from, to); } }
			}
			if (ok) {
				leaf!.huge = n === HPAGE_NR;
				if (others) { for (const [mm, base] of others) { mm.pt.leafFor(base).huge = n === HPAGE_NR; } }
			}
			if (!ok && hasDst) { freeUnused(k, dst, n); }
		}
	} finally {
		k.leave();
	}
}

/** remove_migration_pte: the migration entry becomes an entry for `to`, keeping its write bit. */
function remap(k: Kernel, mm: Mm, vpn: number, to: number): void {
	const type = newType(k, to);
	const l = mm.pt.leaf(vpn)!;
	const li = (vpn & (PTRS_PER_PMD - 1));
	l.pfn[li] = to;
	l.pte[li] = type | (l.pte[li] & (PTE.WRITE | PTE.DIRTY)) | (type === PTE.PRESENT ? PTE.YOUNG : 0);
}

function freeUnused(k: Kernel, dst: number, n: number): void {
	for (let j = 0; j < n; j++) {
		k.frames.slot[(dst + j) >> 12][(dst + j) & 4095] = -1;
		put_page(k, dst + j);
	}
}
