// Counters of what reached the persistence domain and what `crash` lost (mm/dax_migration.ts,
// mm/crash.ts), kept apart so that the kernel object can hold them without importing that code.

/** The pages of one process the last crash lost, by virtual page number: a sparse bitmap, one
 * 512-entry block per page-table leaf that had any. */
export class LostPages {
	readonly blocks = new Map<number, Uint8Array>();

	add(vpn: number): void {
		const key = Math.floor(vpn / 512);
		let b = this.blocks.get(key);
		if (!b) { b = new Uint8Array(512); this.blocks.set(key, b); }
		b[vpn - key * 512] = 1;
	}

	has(vpn: number): boolean {
		const key = Math.floor(vpn / 512);
		return this.blocks.get(key)?.[vpn - key * 512] === 1;
	}
}

export class PersistenceStats {
	/** DAX pages written from device memory into persistent memory (sync, eviction, the way back) */
	daxWrittenBack = 0;
	/** `crash` statements run */
	crashes = 0;
	/** bytes of file data (page cache and DAX) the last crash lost: one page per page not persisted */
	lostFileBytes = 0;
	/** per process id: the pages of its address space whose content the last crash lost */
	readonly lost = new Map<number, LostPages>();
}
