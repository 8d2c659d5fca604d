// The run's flat profile for the editor: the `profile` custom request answers it, and the
// `hmm.profile` custom event carries it when the run ends, for the extension's inline hints
// (src/extension/profileHints.ts). The numbers are those of `hmmw run --profile`.
import { causeText, fmtBytes, fmtNs } from '../cli/profile';
import type { LineCost, Profile } from '../lang/profile';

export interface ProfileLine {
	line: number;
	/** the hint shown after the line: time, share, runs, faults, batches, pages by cause, bytes */
	text: string;
	timeNs: number;
	runs: number;
	deviceFaults: number;
	cpuFaults: number;
	batches: number;
	bytes: number;
}

export interface ProfileBody {
	/** the script the lines belong to */
	file: string;
	totalNs: number;
	/** lines that cost something, most expensive first */
	lines: ProfileLine[];
	/** false when the debugger went back in time: the profile covers only what ran since */
	complete: boolean;
}

export function hintText(r: LineCost, totalNs: number): string {
	const parts = [`${fmtNs(r.timeNs)}${totalNs > 0 ? ` (${(100 * r.timeNs / totalNs).toFixed(1)}%)` : ''}`];
	if (r.runs > 1) { parts.push(`${r.runs} runs`); }
	if (r.deviceFaults > 0) { parts.push(`${r.deviceFaults} device faults in ${r.batches} batches`); }
	if (r.cpuFaults > 0) { parts.push(`${r.cpuFaults} CPU faults`); }
	const moved = causeText(r);
	if (moved) { parts.push(`moved ${moved}`); }
	if (r.bytes > 0) { parts.push(fmtBytes(r.bytes)); }
	return parts.join(' · ');
}

export function profileBody(file: string, p: Profile, complete: boolean): ProfileBody {
	const costly = p.lines.filter(r => r.timeNs > 0 || r.cpuFaults + r.deviceFaults + r.bytes > 0);
	return {
		file, totalNs: p.totalNs, complete,
		lines: costly.map(r => ({
			line: r.line, text: hintText(r, p.totalNs), timeNs: r.timeNs, runs: r.runs, deviceFaults: r.deviceFaults,
			cpuFaults: r.cpuFaults, batches: r.batches, bytes: r.bytes,
		})),
	};
}
