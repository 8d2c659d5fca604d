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
	/** Exact pages per legend code (older adapters leave it out: the panel then estimates). */
	counts?: number[];
	/** CPU-table marks per cell: (MARK bits, cells) runs over the same cells. */
	marks?: number[];
	/** What each device mirroring the process maps, per cell, and its pages by kind. */
	devices?: DeviceLayer[];
	gauges?: DeviceGauge[];
	/** Pages whose location changed since the previous stop, and the cells holding them as
	 * (0|1, cells) runs. */
	changed?: { pages: number; runs: number[] };
	/** The panel's page watches on this process (src/debug/pageWatch.ts). */
	watches?: PageWatch[];
}

/** A data breakpoint the panel set on pages; byte addresses, `end` exclusive. */
export interface PageWatch {
	id: number;
	process: string;
	start: number;
	end: number;
	access: 'write' | 'read' | 'readWrite';
	hits: number;
	description: string;
}

/** Bits of the marks runs (src/engine/view_residency.ts MARK; test/webview/grid.test.ts checks
 * they agree). */
export const MARK = { RESIDENT: 1, REMOTE: 2, COPY: 4, READONLY: 8, EXCLUSIVE: 16, PINNED: 32, UNPERSISTED: 64 } as const;

export interface DeviceLayer {
	device: string;
	runs: number[];
	pages: { resident: number; remote: number; copy: number; readonly: number; atomic: number };
}

export interface DeviceGauge {
	name: string;
	usedPages: number;
	capacityPages: number;
	/** root chunks of a policy=migrate device */
	chunks?: { used: number; total: number };
}

/** Body of the `timeline` custom request (src/debug/timeline.ts). */
export interface TimelineBody {
	start: number;
	end: number;
	now: number;
	bins: number;
	lanes: string[];
	/** per non-empty (lane, bin): lane, bin, events, pages, first event's step, its time (ns) */
	cells: number[];
	/** per cell: which of its statement's timeline events the first event is, -1 for a
	 * per-statement count (absent from an older adapter) */
	nth?: number[];
	totals: number[];
	dropped: number;
}

/** Body of the `residencyPage` custom request (src/debug/residencyPage.ts): the tooltip's details. */
export interface PageDetail {
	process: string;
	address: number;
	vpn: number;
	location: string;
	pte: { type: string; flags: string[]; pfn: number };
	refcount?: number;
	mapcount?: number;
	pincount?: number;
	mappedBy: { device: string; perm: string; how: string }[];
	vma?: string;
	breakdown: Record<string, number>;
	pages: number;
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
	/** `sessionId` tells sessions of the same name apart: a new one starts with no zoom history */
	| { type: 'residency'; body: ResidencyBody; processes: ProcessInfo[]; view: ResidencyView; session: string; sessionId?: string; ended?: boolean; notice?: string; timeline?: TimelineBody }
	| { type: 'status'; text: string; keep?: boolean }
	/** The answer to a `hover`: details of the cell's first page and the cell's breakdown. */
	| { type: 'page'; seq: number; detail?: PageDetail; error?: string };

export type FromWebview =
	| { type: 'ready'; view: ResidencyView }
	| { type: 'setView'; view: ResidencyView }
	/** A click on a VMA band: the extension zooms to the VMA holding `address`. */
	| { type: 'cellClicked'; address: number; view: ResidencyView }
	/** The mouse rests on a cell: details of its pages, answered by a `page` message. */
	| { type: 'hover'; seq: number; process: string; address: number; pages: number }
	/** Click on a cell (reveal the page in the debugger) or its context menu's actions. */
	| { type: 'pageAction'; action: PageAction; process: string; address: number; pages: number }
	/** Remove a page watch (the context menu on a watched cell, or the watch list's button). */
	| { type: 'unwatch'; id: number }
	/** A click on a timeline event: time travel to it (the `nth` timeline event of the statement
	 * at `step`; -1: the statement's start). */
	| { type: 'timelineClicked'; step: number; nth: number; label: string };

/** A cell's context-menu actions: reveal it in Watch, evaluate it, or watch its pages (stop on a
 * write, or on any access). */
export type PageAction = 'reveal' | 'evaluate' | 'watchWrite' | 'watchAccess';

export const PAGE_SIZE = 4096;
