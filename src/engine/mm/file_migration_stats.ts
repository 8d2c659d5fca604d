// Counters of experimental=file_migration (mm/file_migration.ts), kept apart so that the kernel
// object can hold them without importing the mode's code (for system.* and --json).

export class FileMigrationStats {
	/** cache pages brought back from device memory other than by a mapping's own migrate_to_ram: page-cache paths (read, write, sync, truncate, faults of other mappings) and dmirror release */
	faultedBack = 0;
	/** pages written back to disk by `sync` and reclaim, and the part written straight from a device */
	writebackPages = 0;
	writebackFromDevice = 0;
}
