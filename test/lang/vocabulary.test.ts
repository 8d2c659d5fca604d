// The vocabulary against the engine it describes and the tools that read it: device counters are
// DeviceStats, protections are PROT_FLAGS, units are what the lexer folds, every builtin and member
// evaluates, and what is not simulated yet is refused by `check` and by `run` in the same words.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { defaultDeviceConfig, DeviceStats } from '../../src/engine/device/device';
import { COST_OPTIONS, DEFAULT_DEVICE_COSTS, THRASHING_OPTIONS } from '../../src/engine/device/cost';
import { THRASHING_DEFAULTS } from '../../src/engine/device/uvm/perf_thrashing';
import { PROT_FLAGS } from '../../src/engine/mm/vma';
import type { SimEvent } from '../../src/engine/sim/events';
import type { Expr } from '../../src/lang/ast';
import { formatDiagnostic } from '../../src/lang/diagnostics';
import { evaluate } from '../../src/lang/eval';
import { compileSource } from '../../src/lang/frontend';
import { Interpreter } from '../../src/lang/interp';
import { parse, parseExpression } from '../../src/lang/parser';
import {
	ADVICE, type ArgKind, BUILTIN_SPECS, BUILTINS, DEVICE_COUNTERS, DEVICE_MEMBERS, EVENT_MEMBERS, LAST_MEMBERS, PROCESS_MEMBERS, PROTECTIONS,
	ADVISE_KEYS, pendingAdvice, protectionDoc, STATEMENTS, vocabularyError,
} from '../../src/lang/vocabulary';
import { DEVICE_OPTION_FIELDS, DEVICE_OPTIONS, MIRROR_ONLY_OPTIONS, SYSTEM_OPTIONS, UNITS } from '../../src/lang/vocabularyOptions';

const SETUP = 'device gpu memory=64MiB\nprocess p\ngpu mirror p\nX = mmap 4 pages anon rw\ncpu write X = i\nB = gpu read X\nS = gpu snapshot X\n';

/** The interpreter after running `src` to its end (it must not fail). */
function ran(src: string): Interpreter {
	const { program, diagnostics } = compileSource(src, 'v.hmmw');
	assert.deepEqual(diagnostics.map(formatDiagnostic), []);
	const it = new Interpreter(program, src);
	it.runToEnd();
	assert.equal(it.error, undefined, it.error?.message);
	return it;
}

function expr(text: string): Expr {
	const r = parseExpression(text);
	assert.ok(r.expr, `${text}: ${r.diagnostics[0]?.message}`);
	return r.expr;
}

describe('vocabulary', () => {
	describe('agrees with the engine', () => {
		it('DEV counters are exactly the keys of DeviceStats, and DEV members add used, free, struct_page_bytes and pinned', () => {
			const keys = Object.keys(new DeviceStats()).sort();
			assert.deepEqual(Object.keys(DEVICE_COUNTERS).sort(), keys);
			assert.deepEqual(Object.keys(DEVICE_MEMBERS).sort(), [...keys, 'free', 'used', 'struct_page_bytes', 'pinned'].sort());
		});
		it('every DeviceStats counter is incremented by some script (none is offered dead)', () => {
			const dmirror = ran(`${SETUP}mprotect X r\ngpu read X\nmigrate X -> gpu\ncpu read page(X, 1)\n`).machine.k.devices[0].stats;
			// a migrate-policy device: 2 root chunks for 8 MiB of data (evicted, prefetched); a pinned
			// file page is accessed remotely (remote_bytes); a read-mostly range read (read_duplicated);
			// CPU/GPU ping-pong on one page (throttled, thrash_pins)
			const src = [
				'device g memory=4MiB policy=migrate prefetch=density sms=2 warps=4 thrashing_lapse=1ms thrashing_pin_threshold=4', 'process q', 'g mirror q', 'file f size=1 page = 5',
				'Y = mmap 8MiB anon rw', 'F = mmap 1 page file f rw shared', 'cpu write Y = i',
				'kernel g { read Y; read F }', 'R = mmap 64KiB anon rw', 'advise R read_mostly=on', 'kernel g { read R }', 'repeat 40 { kernel g { write page(Y, 0) = 7 }; cpu write page(Y, 0) = 3 }',
			].join('\n');
			const um = ran(src).machine.k.devices[0].stats;
			// a device read racing munmap in a thread: the walk is redone once (retries)
			const raced = ran([
				'schedule random seed=1', 'device gpu memory=64MiB', 'process p', 'gpu mirror p', 'a = mmap 64KiB anon rw', 'cpu write a = 7',
				'thread reader { expect error EFAULT { gpu read a } }', 'munmap a', 'join reader',
			].join('\n')).machine.k.devices[0].stats;
			// a second GPU reading the first one's memory through an accessed-by peer mapping (peer_bytes),
			// then migrating it straight from there (peer_copy_bytes)
			const peer = ran(['device g0 memory=4MiB policy=migrate', 'device g1 memory=4MiB policy=migrate', 'process q', 'g0 mirror q', 'g1 mirror q',
				'Z = mmap 64KiB anon rw', 'cpu write Z = i', 'advise Z accessed_by=g1', 'prefetch Z -> g0', 'kernel g1 { read Z }', 'migrate Z -> g1'].join('\n')).machine.k.devices[1].stats;
			// a migration back to RAM racing a CPU fault that holds one page's folio lock (lock_skipped)
			const locked = ran([
				'schedule random seed=10', 'device gpu memory=64MiB', 'process p', 'gpu mirror p', 'a = mmap 4 pages anon rw', 'cpu write a = i',
				'migrate a -> gpu', 'thread back { migrate a -> ram }', 'cpu read a', 'join back',
			].join('\n')).machine.k.devices[0].stats;
			for (const c of Object.keys(DEVICE_COUNTERS) as (keyof DeviceStats)[]) {
				assert.ok(dmirror[c] > 0 || um[c] > 0 || raced[c] > 0 || peer[c] > 0 || locked[c] > 0, `DEV.${c} stayed 0`);
			}
		});
		it('every device option sets its DeviceConfig field, or the engine cost or thrashing term it names', () => {
			const engine = [...Object.keys(COST_OPTIONS), ...Object.keys(THRASHING_OPTIONS)];
			assert.deepEqual([...Object.keys(DEVICE_OPTION_FIELDS), ...engine].sort(), Object.keys(DEVICE_OPTIONS).sort());
			const defaults = defaultDeviceConfig('d', 4096);
			for (const f of Object.values(DEVICE_OPTION_FIELDS)) { assert.ok(f in defaults, f); }
			// a value unlike the default for every option, written as the user would
			const given: Record<string, [string, unknown]> = {
				memory: ['3GiB', 3 * 2 ** 30], kind: ['coherent', 'coherent'], link: ['c2c', 'c2c'], policy: ['migrate', 'migrate'],
				prefetch: ['density', 'density'], evict: ['lru', 'lru'], fault_batch: ['64', 64], sms: ['7', 7], warps: ['9', 9], block_threads: ['64', 64],
				fault_latency: ['31us', 31000], link_bw: ['77GB/s', 77e9], local_bw: ['999GB/s', 999e9], huge: ['on', true], read_retry: ['skip', 'skip'], peer: ['off', 'off'],
				fault_entry: ['3us', 3000], block_service: ['4us', 4000], zero_fill: ['5us', 5000], dma_setup: ['6us', 6000],
				transfer_latency: ['7us', 7000], map_page: ['70ns', 70], map_pmd: ['8us', 8000], unmap_page: ['80ns', 80], unmap_pmd: ['9us', 9000],
				invalidate: ['300ns', 300], launch: ['3us', 3000], remote_bw: ['11GB/s', 11e9], cpu_coherent_bw: ['12GB/s', 12e9], peer_bw: ['13GB/s', 13e9],
				thrashing_threshold: ['5', 5], thrashing_lapse: ['2ms', 2e6], thrashing_pin_threshold: ['12', 12], thrashing_nap: ['1ms', 1e6],
				thrashing_pin: ['20ms', 2e7], thrashing_epoch: ['3s', 3e9],
			};
			assert.deepEqual(Object.keys(given).sort(), Object.keys(DEVICE_OPTIONS).sort());
			// the options a policy=migrate device refuses (MIRROR_ONLY_OPTIONS) go on a second, policy=mirror device
			const main = Object.entries(given).filter(([k]) => !(k in MIRROR_ONLY_OPTIONS));
			const mirror = Object.entries(given).filter(([k]) => k in MIRROR_ONLY_OPTIONS);
			const devs = ran(`device d ${main.map(([k, [v]]) => `${k}=${v}`).join(' ')}\ndevice e memory=1GiB ${mirror.map(([k, [v]]) => `${k}=${v}`).join(' ')}\n`).machine.k.devices;
			const got = (k: string): unknown => {
				const cfg = devs[k in MIRROR_ONLY_OPTIONS ? 1 : 0].cfg;
				if (k in COST_OPTIONS) { return cfg.costs[COST_OPTIONS[k].key]; }
				if (k in THRASHING_OPTIONS) { return cfg.thrashing[THRASHING_OPTIONS[k].key]; }
				return (cfg as unknown as Record<string, unknown>)[DEVICE_OPTION_FIELDS[k as keyof typeof DEVICE_OPTION_FIELDS]];
			};
			for (const [k, [, want]] of Object.entries(given)) { assert.deepEqual(got(k), want, k); }
		});
		it('link_bw follows the link unless given; the option defaults are the engine\'s', () => {
			const cfg = ran('device d memory=1GiB link=pcie5\ndevice e memory=1GiB link_bw=10GB/s\n').machine.k.devices.map(d => d.cfg);
			assert.equal(cfg[0].linkBw, 63e9);
			assert.equal(cfg[1].linkBw, 10e9);
			const defaults = defaultDeviceConfig('d', 4096) as unknown as Record<string, unknown>;
			for (const [k, spec] of Object.entries(DEVICE_OPTIONS)) {
				if (spec.default === undefined || !(k in DEVICE_OPTION_FIELDS)) { continue; }
				const e = parseExpression(spec.default).expr;
				const v = e?.kind === 'num' ? e.value : e?.kind === 'ident' ? (k === 'huge' ? e.name === 'on' : e.name) : undefined;
				assert.deepEqual(defaults[DEVICE_OPTION_FIELDS[k as keyof typeof DEVICE_OPTION_FIELDS]], v, `${k}=${spec.default}`);
			}
			// the engine's terms are documented with the engine's defaults
			assert.equal(DEVICE_OPTIONS.zero_fill.default, `${DEFAULT_DEVICE_COSTS.zeroFillNs}ns`);
			assert.equal(DEVICE_OPTIONS.thrashing_threshold.default, String(THRASHING_DEFAULTS.threshold));
		});
		it('a run refuses option values the checker refuses, in the same words', () => {
			for (const line of ['device d memory=1GiB fault_batch=n', 'device d memory=1GiB thrashing_threshold=n', 'device d memory=1GiB launch=n - 1']) {
				const src = `n = 0\n${line}\n`;
				const it = new Interpreter(parse(src, 'o.hmmw').program, src);
				it.runToEnd();
				assert.ok(it.error, line);
				assert.match(it.error.message, /^'\w+' (expects a count of at least 1|expects a duration of at least 0)$/);
			}
		});
		it('protections are the engine\'s PROT_FLAGS, described from their bits', () => {
			assert.deepEqual([...PROTECTIONS], Object.keys(PROT_FLAGS));
			assert.equal(protectionDoc('none'), 'no access (PROT_NONE)');
			assert.equal(protectionDoc('rwx'), 'read, write, execute');
			for (const p of PROTECTIONS) { ran(`process p\nX = mmap 1 page anon ${p}\nmprotect X ${p}\n`); }
		});
		it('every advice word is accepted by the checker and run by the engine', () => {
			for (const a of ADVICE) { ran(`process p\nX = mmap 512 pages anon rw\nmadvise X ${a}\n`); }
		});
		it('units are the suffixes the lexer folds, with the same scale and family', () => {
			for (const [u, spec] of Object.entries(UNITS)) {
				const e = expr(`3 ${u}`);
				assert.ok(e.kind === 'num', u);
				assert.equal(e.value, 3 * spec.scale, u);
				assert.equal(e.unit, spec.kind, u);
			}
		});
		it('event members are the SimEvent fields, each readable while stopped on an event', () => {
			const it = ran('process p');
			it.event = { kind: 'migration', addr: 4096, npages: 2, device: 'gpu', process: 'p', write: true, fn: 'migrate_vma_setup', detail: 'ram -> gpu', cause: 'prefetch', warp: 3, sm: 1, page: 8192, line: 7 } satisfies Required<SimEvent>;
			const want: Record<string, unknown> = { kind: 'migration', addr: 4096, npages: 2, device: 'gpu', process: 'p', write: true, fn: 'migrate_vma_setup', detail: 'ram -> gpu', cause: 'prefetch', warp: 3, sm: 1, page: 8192, line: 7 };
			for (const m of Object.keys(EVENT_MEMBERS)) { assert.equal(evaluate(expr(`event.${m}`), it), want[m], m); }
		});
	});

	describe('is what the evaluator dispatches on', () => {
		it('every member of last, DEV and PROC evaluates; an undeclared one is refused in the checker\'s words', () => {
			const it = ran(SETUP);
			for (const m of Object.keys(LAST_MEMBERS)) { evaluate(expr(`last.${m}`), it); }
			for (const m of Object.keys(DEVICE_MEMBERS)) { assert.equal(typeof evaluate(expr(`gpu.${m}`), it), 'number', m); }
			for (const m of Object.keys(PROCESS_MEMBERS)) { assert.equal(typeof evaluate(expr(`p.${m}`), it), 'number', m); }
			for (const [src, object] of [['gpu.colour', 'gpu'], ['p.colour', 'p'], ['last.pages', 'last'], ['event.colour', 'event']]) {
				const checked = compileSource(`${SETUP}print ${src}\n`, 'v.hmmw').diagnostics.map(d => d.message);
				assert.throws(() => evaluate(expr(src), it), (e: Error) => e.message === checked[0] && e.message.startsWith(`'${object}' has no property`));
			}
		});
		it('every builtin evaluates with its declared arguments, and wrong arities get the checker\'s message', () => {
			const it = ran(SETUP);
			const sample: Record<ArgKind, string> = { range: 'X', data: 'B', int: '1', device: 'gpu', location: 'ram', place: 'gpu', word: 'i' };
			for (const b of BUILTINS) {
				const args = BUILTIN_SPECS[b].args.map(k => sample[k]);
				evaluate(expr(`${b}(${args.join(', ')})`), it);
				const bad = `${b}(${[...args, 'X'].join(', ')})`;
				const checked = compileSource(`${SETUP}print ${bad}\n`, 'v.hmmw').diagnostics.map(d => d.message);
				assert.throws(() => evaluate(expr(bad), it), (e: Error) => e.message === checked[0]);
			}
			const checked = compileSource(`${SETUP}print size(X)\n`, 'v.hmmw').diagnostics.map(d => d.message);
			assert.throws(() => evaluate(expr('size(X)'), it), (e: Error) => e.message === checked[0]);
		});
		it('finds member and builtin mistakes in a lone expression (debugger conditions)', () => {
			assert.equal(vocabularyError(expr('event.npages > 1 and event.detail == "CLEAR" and last.faults == 0')), undefined);
			assert.equal(vocabularyError(expr('1 + -event.colour')), "'event' has no property 'colour' (expected one of kind, addr, npages, device, process, write, fn, detail, cause, warp, sm, page, line)");
			assert.equal(vocabularyError(expr('X[0:where(X, X)]')), 'where() takes 1 argument, got 2');
			assert.match(vocabularyError(expr('B[size(1)]')) ?? '', /^unknown function 'size'/);
		});
	});

	describe('check and run agree on what is not simulated yet', () => {
		// a feature the engine cannot simulate yet gets a case here, and a test below insists on it
		// every proposal mode is simulated now (dax_migration was the last): nothing is pending
		const cases: [string, string, string][] = [];
		for (const [what, src, want] of cases) {
			it(`${what}: the checker and the interpreter say ${want.replace(/ needs.*/, '')}`, () => {
				assert.deepEqual(compileSource(src, 'n.hmmw').diagnostics.map(formatDiagnostic), [`n.hmmw:${want}`]);
				// the interpreter on the unchecked tree, as any caller that skips the checker would run it
				const it = new Interpreter(parse(src, 'n.hmmw').program, src);
				it.runToEnd();
				assert.ok(it.error, 'the run must stop');
				assert.equal(`${it.error.line}:${it.error.col}: ${it.error.message}`, want);
			});
		}
		it('the device model\'s statements and options are no longer refused', () => {
			const diags = compileSource('device gpu memory=64MiB policy=migrate prefetch=density evict=lru fault_batch=64 local_bw=900GB/s\n'
				+ 'process p\nX = mmap 1 page anon rw\nkernel gpu "k" {\n  read X\n}\nprefetch X -> gpu\nadvise X preferred=gpu\n'
				+ 'advise X read_mostly=on\nadvise X accessed_by=gpu\n', 'n.hmmw').diagnostics;
			assert.deepEqual(diags.map(formatDiagnostic), []);
		});

		it('pin_device= without experimental=pin_device (device_pin.ts): the checker and the interpreter refuse it alike', () => {
			const src = 'system pin_device=sigbus\nprocess p\n';
			const want = '1:8: `pin_device=` applies only with `experimental=pin_device`';
			assert.deepEqual(compileSource(src, 'n.hmmw').diagnostics.map(formatDiagnostic), [`n.hmmw:${want}`]);
			const it = new Interpreter(parse(src, 'n.hmmw').program, src);
			it.runToEnd();
			assert.equal(it.error && `${it.error.line}:${it.error.col}: ${it.error.message}`, want);
			ran('system experimental=pin_device pin_device=sigbus\nprocess p\n');
		});

		it('huge=on and read_retry=skip on a policy=migrate device (UVM ignores them): the checker and the interpreter refuse them alike', () => {
			for (const [opt, why] of [['huge=on', 'UVM\'s HMM path migrates 4 KiB pages'], ['read_retry=skip', 'the UVM fault service always checks mmu_interval_read_retry']]) {
				const src = `device gpu memory=64MiB policy=migrate ${opt}\nprocess p\n`;
				const want = `1:40: \`${opt}\` applies only to policy=mirror devices (${why})`;
				assert.deepEqual(compileSource(src, 'n.hmmw').diagnostics.map(formatDiagnostic), [`n.hmmw:${want}`]);
				const it = new Interpreter(parse(src, 'n.hmmw').program, src);
				it.runToEnd();
				assert.equal(it.error && `${it.error.line}:${it.error.col}: ${it.error.message}`, want);
				ran(`device gpu memory=64MiB policy=mirror ${opt}\nprocess p\n`);
			}
		});

		it('implemented values of a partly simulated option are accepted by both', () => {
			ran('system experimental=dax_migration\nprocess p\n');
			ran('device gpu memory=64MiB policy=mirror prefetch=none\nprocess p\n');
			ran('system ram=64MiB swap=1GiB\nprocess p\n');
		});
		it('every statement and option marked pending has a case above, and nothing else is pending', () => {
			const pendingStatements = Object.entries(STATEMENTS).filter(([, s]) => s.needs !== undefined).map(([k]) => k);
			const pendingOptions = Object.entries({ ...SYSTEM_OPTIONS, ...DEVICE_OPTIONS }).filter(([, o]) => o.pending)
				.flatMap(([k, o]) => o.pending!.values === true ? [`${k}=`] : o.pending!.values.map(v => `${k}=${v}`));
			const pendingAdvise = ADVISE_KEYS.filter(a => pendingAdvice(a) !== undefined).map(a => `advise ${a}`);
			assert.deepEqual([...pendingStatements, ...pendingOptions, ...pendingAdvise].sort(), cases.map(c => c[0]).sort());
		});

		describe('through hmmw check and hmmw run', function () {
			this.timeout(30_000);
			const CLI = path.resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
			const dir = mkdtempSync(path.join(tmpdir(), 'hmmw-vocab-'));
			for (const [what, src, want] of cases) {
				it(`${what}: both exit 2 with the same located line`, () => {
					const file = path.join(dir, `${what.replace(/\W/g, '_')}.hmmw`);
					writeFileSync(file, src);
					const lines = ['check', 'run'].map(cmd => {
						const r = spawnSync(process.execPath, [CLI, cmd, file], { encoding: 'utf8' });
						assert.equal(r.status, 2, `${cmd}: ${r.stderr}`);
						return r.stderr.split('\n')[0];
					});
					assert.deepEqual(lines, [`${file}:${want}`, `${file}:${want}`]);
				});
			}
		});
	});
});
