// The .hmmw scripts under a folder, in a stable order: the corpora the conformance, differential
// and example tests run.
import { readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

export function hmmwFiles(dir: string): string[] {
	return readdirSync(dir).sort().flatMap(name => {
		const p = path.join(dir, name);
		return statSync(p).isDirectory() ? hmmwFiles(p) : name.endsWith('.hmmw') ? [p] : [];
	});
}
