// The profile hints' logic (src/extension/profileHintsModel.ts): one hint per costly line, after
// its text, for the script the profile belongs to, gone once the script is edited.
import assert from 'node:assert/strict';
import { ProfileStore } from '../../src/extension/profileHintsModel';
import type { ProfileBody } from '../../src/debug/profile';

const BODY: ProfileBody = {
	file: '/w/a.hmmw', totalNs: 1000, complete: true,
	lines: [
		{ line: 6, text: '900 ns (90.0%) · 12 device faults in 3 batches', timeNs: 900, runs: 1, deviceFaults: 12, cpuFaults: 0, batches: 3, bytes: 0 },
		{ line: 2, text: '100 ns (10.0%) · 4 CPU faults', timeNs: 100, runs: 1, deviceFaults: 0, cpuFaults: 4, batches: 0, bytes: 0 },
		{ line: 40, text: 'beyond the end', timeNs: 0, runs: 1, deviceFaults: 0, cpuFaults: 0, batches: 0, bytes: 0 },
	],
};

describe('profile hints', () => {
	it('places one hint at the end of each costly line, in line order', () => {
		const s = new ProfileStore();
		s.set(BODY);
		const lines = ['a', 'bb', 'ccc', 'dddd', 'eeeee', 'kernel gpu { read X }', ''];
		const h = s.hints('/w/a.hmmw', lines.length, i => lines[i].length);
		assert.deepEqual(h.map(x => [x.line, x.character]), [[1, 2], [5, 21]]);
		assert.equal(h[1].label, '  ⏱ 900 ns (90.0%) · 12 device faults in 3 batches');
		assert.match(h[1].tooltip, /line 6 in the last debug run: 900 ns/);
	});

	it('shows nothing for another script, after an edit, and says when the run went back in time', () => {
		const s = new ProfileStore();
		s.set(BODY);
		assert.deepEqual(s.hints('/w/b.hmmw', 10, () => 0), []);
		assert.equal(s.drop('/w/a.hmmw'), true);
		assert.equal(s.drop('/w/a.hmmw'), false);
		assert.deepEqual(s.hints('/w/a.hmmw', 10, () => 0), []);
		s.set({ ...BODY, complete: false });
		assert.match(s.hints('/w/a.hmmw', 10, () => 0)[0].tooltip, /since it last went back in time/);
	});
});
