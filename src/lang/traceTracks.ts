// Where each trace record goes: one Chrome-trace "process" for the script, one per simulated device
// and one per simulated process, each with named threads (tracks). Metadata records (ph M) naming a
// track are written the first time the track is used, so a trace names exactly the tracks it holds.
import type { TraceEvent } from './trace';

export interface Track { pid: number; tid: number }

/** The script's statements: pid 1. Devices and processes are numbered in order of first use. */
export const SCRIPT_PID = 1;
const DEVICE_PID0 = 10;
const PROCESS_PID0 = 1000;

/** Threads of a device's and of a process's trace process, in display order. */
export const DEVICE_TRACKS = ['kernels', 'faults', 'migrations', 'prefetch', 'thrashing', 'invalidations'] as const;
export const PROCESS_TRACKS = ['faults', 'migrations', 'invalidations'] as const;
export type DeviceTrack = typeof DEVICE_TRACKS[number];
export type ProcessTrack = typeof PROCESS_TRACKS[number];

export class TrackTable {
	private readonly devices = new Map<string, number>();
	private readonly processes = new Map<string, number>();
	private readonly named = new Set<number>();

	/** `emit` receives each metadata record once, the first time its track is asked for. */
	constructor(private readonly emit: (ev: TraceEvent) => void, scriptName: string) {
		this.emit(meta('process_name', SCRIPT_PID, undefined, { name: `script ${scriptName}` }));
		this.emit(meta('process_sort_index', SCRIPT_PID, undefined, { sort_index: 0 }));
		this.emit(meta('thread_name', SCRIPT_PID, 1, { name: 'statements' }));
	}

	get script(): Track { return { pid: SCRIPT_PID, tid: 1 }; }

	device(name: string, track: DeviceTrack): Track {
		let pid = this.devices.get(name);
		if (pid === undefined) {
			pid = DEVICE_PID0 + this.devices.size;
			this.devices.set(name, pid);
			this.emit(meta('process_name', pid, undefined, { name: `device ${name}` }));
			this.emit(meta('process_sort_index', pid, undefined, { sort_index: pid }));
		}
		return this.thread(pid, DEVICE_TRACKS.indexOf(track) + 1, track);
	}

	process(name: string, track: ProcessTrack): Track {
		let pid = this.processes.get(name);
		if (pid === undefined) {
			pid = PROCESS_PID0 + this.processes.size;
			this.processes.set(name, pid);
			this.emit(meta('process_name', pid, undefined, { name: `process ${name}` }));
			this.emit(meta('process_sort_index', pid, undefined, { sort_index: pid }));
		}
		return this.thread(pid, PROCESS_TRACKS.indexOf(track) + 1, track);
	}

	/** The trace process of a device or process, for its counters (no thread). */
	devicePid(name: string): number { return this.device(name, 'kernels').pid; }
	processPid(name: string): number { return this.process(name, 'faults').pid; }

	private thread(pid: number, tid: number, name: string): Track {
		const key = pid * 64 + tid;
		if (!this.named.has(key)) {
			this.named.add(key);
			this.emit(meta('thread_name', pid, tid, { name }));
			this.emit(meta('thread_sort_index', pid, tid, { sort_index: tid }));
		}
		return { pid, tid };
	}
}

function meta(name: string, pid: number, tid: number | undefined, args: Record<string, unknown>): TraceEvent {
	return { name, cat: '__metadata', ph: 'M', ts: 0, pid, ...(tid !== undefined ? { tid } : {}), args };
}
