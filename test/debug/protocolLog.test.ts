// The adapter's optional traffic log (HMM_DAP_LOG): nothing without it, and with it a file that
// rotates at its size limit, so a long session keeps at most two bounded files and no queue.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ProtocolLog } from '../../src/debug/protocolLog';

describe('debug adapter: protocol log', () => {
	it('logs nothing unless asked', () => {
		const log = new ProtocolLog(undefined);
		assert.equal(log.enabled, false);
		log.write('->', { big: 'x'.repeat(1000) });
	});

	it('writes records as they come and rotates at the size limit', () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'hmm-dap-log-'));
		try {
			const file = path.join(dir, 'dap.log');
			const log = new ProtocolLog(file, 2000);
			for (let i = 0; i < 200; i++) { log.write(i % 2 ? '<-' : '->', { seq: i, command: 'threads' }); }
			log.close();
			assert.ok(statSync(file).size <= 2000, `${statSync(file).size} bytes`);
			assert.ok(existsSync(`${file}.1`) && statSync(`${file}.1`).size <= 2000);
			const last = readFileSync(file, 'utf8').trim().split('\n').pop()!;
			assert.match(last, /-> \{"seq":199,"command":"threads"\}$|<- \{"seq":199,"command":"threads"\}$/);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	it('an unwritable path disables the log instead of failing', () => {
		const log = new ProtocolLog('/nonexistent-dir/dap.log');
		assert.equal(log.enabled, false);
		log.write('!!', 'nothing happens');
	});
});
