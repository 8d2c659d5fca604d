// The residency panel's adapter side: exact counts in mixed cells, the marks layers (what each
// device maps: resident, in place, read-only, atomic; CPU pins and exclusive entries), device
// memory gauges with root chunks, what changed since the previous stop, the tooltip's page
// request, and the timeline with its click-to-travel.
// eslint-disable-next-line
import assert from 'node:assert/strict';
import { fixture, useSession } from './helpers';

const X = 0x7effffff0000;
const PAGE = 4096;

interface Body {
	pagesPerCell: number; legend: string[]; runs: number[]; counts: number[]; marks: number[];
	devices: { device: string; runs: number[]; pages: Record<string, number> }[];
	gauges: { name: string; usedPages: number; capacityPages: number; chunks?: { used: number; total: number } }[];
	changed?: { pages: number; runs: number[] };
}

describe('debug adapter: residency panel requests', function () {
	this.timeout(30000);
	const s = useSession();
	const PANEL = fixture('panel.hmmw');
	const res = async (args: Record<string, unknown> = {}) => (await s().dc.customRequest('residency', { process: 'p', ...args })).body as Body;
	const next = async (line: number) => { await s().dc.nextRequest({ threadId: 1 }); await s().stopped('step', line); };

	it('explore', async () => {
		assert.ok(true);
		await s().launch(PANEL, { breakpoints: [{ line: 9 }] });
		await s().stopped('breakpoint', 9);
		console.log(JSON.stringify(await res()));
		await next(10);
		console.log(JSON.stringify(await res()));
		await next(11);
		console.log(JSON.stringify(await res()));
		await next(12);
		await next(13);
		console.log(JSON.stringify(await res({ maxCells: 4 })));
		console.log(JSON.stringify((await s().dc.customRequest('residencyPage', { address: X, pages: 16 })).body));
		console.log(JSON.stringify((await s().dc.customRequest('residencyPage', { address: X + 13 * PAGE })).body));
		await next(14);
		await next(15);
		await next(18);
		console.log(JSON.stringify(await res()));
		console.log(JSON.stringify((await s().dc.customRequest('timeline', { bins: 10 })).body));
	});
});
