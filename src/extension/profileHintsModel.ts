// What the profile hints show, without VS Code: the adapter's `hmm.profile` body kept per script,
// turned into one hint per costly line, placed after the line's text. Lines the document no
// longer has are skipped, and an edit to a script drops its hints (the numbers would point at the
// wrong lines).
import type { ProfileBody } from '../debug/profile';

export interface Hint { line: number; character: number; label: string; tooltip: string }

export class ProfileStore {
	private readonly byFile = new Map<string, ProfileBody>();

	/** A run ended (or the profile was asked for): replaces that script's profile. */
	set(body: ProfileBody): void { this.byFile.set(body.file, body); }

	/** The script changed: its hints go. Returns whether there were any. */
	drop(file: string): boolean { return this.byFile.delete(file); }

	/** Hints for a document, `lineLength(i)` giving the length of 0-based line i. */
	hints(file: string, lineCount: number, lineLength: (line: number) => number): Hint[] {
		const p = this.byFile.get(file);
		if (!p) { return []; }
		const out: Hint[] = [];
		for (const l of p.lines) {
			const i = l.line - 1;
			if (i < 0 || i >= lineCount) { continue; }
			out.push({
				line: i, character: lineLength(i), label: `  ⏱ ${l.text}`,
				tooltip: `Simulated cost of line ${l.line} in the last debug run${p.complete ? '' : ' (since it last went back in time)'}: ${l.text}`,
			});
		}
		return out.sort((a, b) => a.line - b.line);
	}
}
