// Messages between the extension host (src/extension/residencyPanel.ts) and the residency
// webview (webview/main.ts), plus the `residency` / `processes` custom-request shapes the debug
// adapter answers. Type-only and free of DOM and vscode imports, so both sides can share it.

/** One VMA of the `residency` response. Addresses are bytes, `end` exclusive. */
export interface VmaInfo {
	start: number;
	end: number;
	prot: string;
	kind: string;
	name?: string;
}

/** Body of the adapter's `residency` custom request. */
export interface ResidencyBody {
	process: string;
	pid: number;
	/** Byte address of cell 0 and end (exclusive) of the last cell. */
	start: number;
	end: number;
	pagesPerCell: number;
	/** Location names by code: 0 none, 1 zero, 2 ram, 3 swap, 4.. devices, the last may be 'mixed'. */
	legend: string[];
	/** Run-length cells in address order: [code, count, code, count, ...]. */
	runs: number[];
	vmas: VmaInfo[];
	time: number;
}

/** Arguments of the `residency` custom request. */
export interface ResidencyArgs {
	process?: string;
	start?: number;
	end?: number;
	maxCells?: number;
}

export interface ProcessInfo {
	name: string;
	pid: number;
	/** false once the process has exited (the adapter lists exited processes too) */
	alive?: boolean;
}

/** What the webview asks for. It owns this (persisted with setState) so it survives hide/show. */
export interface ResidencyView {
	process?: string;
	/** Zoom; both unset = the process's whole mapped span. */
	start?: number;
	end?: number;
	maxCells: number;
}

export type ToWebview =
	| { type: 'residency'; body: ResidencyBody; processes: ProcessInfo[]; view: ResidencyView; session: string; ended?: boolean; notice?: string }
	| { type: 'status'; text: string; keep?: boolean };

export type FromWebview =
	| { type: 'ready'; view: ResidencyView }
	| { type: 'setView'; view: ResidencyView }
	/** A click on a cell: the extension zooms to the VMA holding `address`. */
	| { type: 'cellClicked'; address: number; view: ResidencyView };

export const PAGE_SIZE = 4096;
