import * as assert from 'node:assert/strict';
import type { Program } from '../../src/lang/ast';
import { check } from '../../src/lang/check';
import { formatDiagnostic, hasErrors } from '../../src/lang/diagnostics';
import { compileSource } from '../../src/lang/frontend';
import { parse } from '../../src/lang/parser';

const PRELUDE = 'device gpu memory=1GiB\nprocess p\nfile f size=1 page\nX = mmap 4 pages anon rw\n';
const PRELUDE_LINES = 4;

/** Diagnostics of PRELUDE + src, with line numbers relative to src. A leading `system` line goes
 * before the prelude, where it is allowed, and keeps its line number 1. */
function diags(src: string): string[] {
	const lines = src.split('\n');
	const system = lines[0].startsWith('system') ? lines.shift() + '\n' : '';
	const full = system + PRELUDE + lines.join('\n');
	const { program, diagnostics } = parse(full, 't.hmmw');
	assert.deepEqual(diagnostics, [], 'the test source must parse');
	const line = (n: number): number => system && n === 1 ? 1 : n - PRELUDE_LINES;
	return check(program).map(d => `${line(d.line)}:${d.col}: ${d.severity === 'warning' ? 'warning: ' : ''}${d.message}`);
}
const ALL_DEVICE_OPTIONS = 'memory, kind, link, policy, prefetch, evict, fault_batch, sms, warps, block_threads, fault_latency, link_bw, local_bw, huge, peer, read_retry, '
	+ 'fault_entry, block_service, zero_fill, dma_setup, transfer_latency, map_page, map_pmd, unmap_page, unmap_pmd, invalidate, launch, '
	+ 'remote_bw, cpu_coherent_bw, peer_bw, thrashing_threshold, thrashing_lapse, thrashing_pin_threshold, thrashing_nap, thrashing_pin, thrashing_epoch';
const IN_KERNEL = 'a kernel holds read, write, atomic, for, repeat, if and assignments';

function clean(src: string): void {
	assert.deepEqual(diags(src), []);
}

describe('check', () => {
	it('accepts a program using every statement form', () => {
		clean([
			'system ram=4GiB thp=always',
			'device npu memory=2 GiB kind=coherent link=c2c policy=mirror prefetch=none fault_latency=20us link_bw=64GB/s huge=on',
			'file g size=2 pages = i',
			'gpu mirror p', 'use p', 'fork child', 'exit child',
			'F = mmap 1 page file f r private offset=0', 'D = mmap 1 page dax g rw shared',
			'cpu write X = i + 7', 'cpu read X[0:4096]', 'B = gpu read X', 'gpu read X', 'gpu write X = -i',
			't = 1',
			'migrate X -> gpu', 'migrate X -> ram', 'exclusive X -> gpu', 'gpu release', 'pin X', 'unpin X',
			'S = gpu snapshot X', 'munmap page(X, 3)', 'mprotect X rx', 'madvise X collapse',
			'expect error EPERM { gpu write X = 0 }',
			'expect matches(X, i) and word(B, 0) == 0 and len(S) == npages(X), "ok"',
			'print where(X), count(X, ram), count(X, gpu), mapped(gpu, X), perm(npu, X), exclusive(gpu, X), addr(at(addr(X), 4096))',
			'print last.cpages, last.faults, last.error, gpu.faults, gpu.free, npu.cpu_faults, p.pid, p.rss, time, S[0], B[1]',
			'print event.kind, event.write, event.fn, event.detail, gpu.fault_batches, gpu.invalidations, npu.migrated_out',
			'gpu unmirror p',
		].join('\n'));
	});

	it('accepts the device model: every device option, kernels, prefetch, advise, copies and the new members', () => {
		clean([
			'device m memory=8GiB policy=migrate prefetch=density evict=lru fault_batch=64 sms=8 warps=16 launch=4us fault_latency=30us',
			'device c memory=1GiB kind=coherent link=c2c link_bw=450GB/s local_bw=3000GB/s huge=off zero_fill=300us dma_setup=5us map_page=1us unmap_page=1us',
			'device t memory=1GiB fault_entry=8us block_service=100us invalidate=500ns remote_bw=20GB/s thrashing_threshold=4 thrashing_lapse=1ms',
			'device u memory=1GiB thrashing_pin_threshold=5 thrashing_nap=200us thrashing_pin=10ms thrashing_epoch=2s map_pmd=30us unmap_pmd=30us',
			'device v memory=1GiB transfer_latency=10us cpu_coherent_bw=100GB/s',
			'kernel m "saxpy" {', ' read X', ' for k in 0..4 { write page(X, k) = i * k }', ' repeat 2 { atomic page(X, 0) }',
			' if k > 2 { read X } else { write X }', ' n = 3', '}', 'kernel m { }',
			'prefetch X -> m', 'prefetch X -> ram', 'advise X preferred=m', 'advise X preferred=ram', 'advise X preferred=none',
			'print copies(X, m), copies(X, ram), last.moved, event.cause, m.evicted, m.prefetched, m.throttled, m.thrash_pins, m.remote_bytes',
		].join('\n'));
	});

	describe('options', () => {
		it('rejects unknown keys, bad words and duplicates', () => {
			assert.deepEqual(diags('device npu memory=1GiB kind=shared colour=red memory=2GiB'), [
				"1:29: 'kind' must be one of private, coherent",
				`1:36: unknown device option 'colour' (expected one of ${ALL_DEVICE_OPTIONS})`,
				"1:47: option 'memory' given twice"]);
			assert.deepEqual(diags('system ram=1GiB thp=sometimes'), ["1:21: 'thp' must be one of always, madvise, never"]);
			assert.deepEqual(diags('device npu memory=1GiB huge="on"'), ["1:29: 'huge' must be one of on, off"]);
		});
		it('requires memory= on a device', () => {
			assert.deepEqual(diags('device npu kind=private'), ['1:8: device \'npu\' needs memory=SIZE']);
		});
		it('checks the unit of a literal against the option', () => {
			assert.deepEqual(diags('system ram=5us\ndevice npu memory=1GiB fault_latency=4KiB link_bw=5ms fault_batch=2pages'), [
				"1:12: 'ram' expects a size (B, KiB, MiB, GiB, TiB, pages)",
				"2:38: 'fault_latency' expects a duration (ns, us, ms, s)",
				"2:51: 'link_bw' expects a bandwidth (GB/s, MB/s)",
				"2:67: 'fault_batch' expects a plain number"]);
			assert.deepEqual(diags('device npu memory=1GiB fault_batch=0 thrashing_nap=3GB/s remote_bw=1page'), [
				"1:36: 'fault_batch' expects a count of at least 1", "1:52: 'thrashing_nap' expects a duration (ns, us, ms, s)",
				"1:68: 'remote_bw' expects a bandwidth (GB/s, MB/s)"]);
			assert.deepEqual(diags('device npu memory=1GiB sms=0 evict=random'), [
				"1:28: 'sms' expects a count of at least 1", "1:36: 'evict' must be one of fifo, lru"]);
			assert.deepEqual(diags('system ram="big"'), ["1:12: 'ram' expects a size (B, KiB, MiB, GiB, TiB, pages)"]);
		});
		it('accepts unitless numbers and expressions over variables', () => {
			clean('system ram=4096 * n\nn = 3\ndevice npu memory=n * 1GiB fault_latency=100 link_bw=1000');
		});
		it('checks mmap and file sizes', () => {
			assert.deepEqual(diags('Y = mmap 5us anon rw\nfile h size=true'), ['1:10: expected a size (B, KiB, MiB, GiB, TiB, pages)',
				'2:13: expected a size (B, KiB, MiB, GiB, TiB, pages)']);
		});
	});

	describe('system placement', () => {
		it('allows one system before any process', () => {
			const { program } = parse('system ram=1GiB\nprocess p', 't.hmmw');
			assert.deepEqual(check(program), []);
		});
		it('rejects a second system and a system after a process', () => {
			const { program } = parse('system ram=1GiB\nsystem ram=2GiB\nprocess p\nfork q\nsystem thp=never', 't.hmmw');
			assert.deepEqual(check(program).map(formatDiagnostic), ["t.hmmw:2:1: 'system' may appear only once",
				"t.hmmw:5:1: 'system' may appear only once"]);
			const late = parse('process p\nsystem ram=1GiB', 't.hmmw').program;
			assert.deepEqual(check(late).map(formatDiagnostic), ["t.hmmw:2:1: 'system' must come before any 'process'"]);
		});
	});

	describe('builtins', () => {
		it('rejects unknown functions and wrong arities', () => {
			assert.deepEqual(diags('print size(X)\nprint where(X, X)\nprint pages(X, 0)\nprint len()'), [
				"1:7: unknown function 'size' (builtins: where, count, mapped, perm, exclusive, refcount, mapcount, pincount, matches, word, len, npages, addr, page, pages, at, copies, lost)",
				'2:7: where() takes 1 argument, got 2', '3:7: pages() takes 3 arguments, got 2', '4:7: len() takes 1 argument, got 0']);
		});
		it('checks device and location arguments', () => {
			assert.deepEqual(diags('print mapped(X, gpu)\nprint count(X, p)\nprint perm("gpu", X)'), [
				'1:14: the first argument of mapped() must be a device name',
				'2:16: the second argument of count() must be ram, zero, none, swap or a device name',
				'3:12: the first argument of perm() must be a device name']);
		});
	});

	describe('names', () => {
		it('reports undeclared devices, processes and files at the name', () => {
			assert.deepEqual(diags('tpu mirror q\nY = mmap 1 page file nofile r shared\nmigrate X -> tpu\nuse ghost\nB = tpu read X'), [
				"1:1: unknown device 'tpu'", "1:12: unknown process 'q'", "2:22: unknown file 'nofile'",
				"3:14: unknown location 'tpu' (expected 'ram' or a device name)", "4:5: unknown process 'ghost'",
				"5:5: unknown device 'tpu'"]);
		});
		it('accepts a named open file where a statement addresses one (dmirror_fops_open, once more)', () => {
			clean(['gpu mirror p as f1', 'B = f1 read X', 'f1 write X = i', 'S = f1 snapshot X', 'exclusive X -> f1', 'f1 fail_alloc',
				'migrate X -> f1', 'migrate X -> ram from f1', 'expect perm(f1, X) == "rw" and mapped(f1, X) == 4 and not exclusive(f1, X)',
				'f1 unmirror'].join('\n'));
		});
		it('reports bad open-file names and unmirror forms at the name', () => {
			assert.deepEqual(diags(['gpu mirror p as X', 'gpu mirror p as p', 'f9 unmirror', 'gpu unmirror', 'f1 release', 'gpu mirror p as f1'].join('\n')), [
				"1:17: 'X' is already a name (an open file needs a name of its own)",
				"2:17: 'p' is already a name (an open file needs a name of its own)",
				"3:1: unknown open file 'f9' (name one with 'DEV mirror PROC as NAME')",
				"4:1: 'gpu unmirror' needs the process ('gpu unmirror PROC')",
				"5:1: unknown device 'f1'"]);
		});
		it('accepts names declared later in the file', () => {
			clean('npu mirror q\nprocess q\ndevice npu memory=1GiB');
		});
		it('reports unknown variables, and i outside a written value', () => {
			assert.deepEqual(diags('cpu read Xx\nprint i\ncpu write X = i + j'), ["1:10: unknown name 'Xx'",
				"2:7: 'i' (the word index) is only defined in a written value or in matches(R, EXPR)", "3:19: unknown name 'j'"]);
			clean('for i in 0..2 { print i }');
		});
		it('checks member properties', () => {
			assert.deepEqual(diags('print last.pages, gpu.pid, p.faults, event.colour, nobody.pid'), [
				"1:7: 'last' has no property 'pages' (expected one of cpages, faults, error, moved, retries)",
				"1:19: 'gpu' has no property 'pid' (expected one of faults, fault_batches, migrated_in, migrated_out, evicted, prefetched, throttled, thrash_pins, remote_bytes, read_duplicated, peer_bytes, peer_copy_bytes, invalidations, retries, lock_skipped, cpu_faults, used, free, struct_page_bytes, pinned)",
				"1:38: 'event' has no property 'colour' (expected one of kind, addr, npages, device, process, write, fn, detail, cause, warp, sm, page, line)",
				"1:52: unknown name 'nobody' (members exist on last, event, system, devices and processes)"]);
		});
		it('rejects duplicate and clashing declarations', () => {
			assert.deepEqual(diags('device gpu memory=1GiB\nprocess gpu\nfile f size=1\nprocess p\ndevice ram memory=1GiB'), [
				"1:8: device 'gpu' is declared twice", "2:9: 'gpu' is already a device name", "3:6: file 'f' is declared twice",
				"4:9: warning: process 'p' is declared more than once", "5:8: 'ram' cannot be a device name"]);
		});
	});

	describe('statement words', () => {
		it('checks prot and advice words', () => {
			assert.deepEqual(diags('Y = mmap 1 page anon wr\nmprotect X w\nmadvise X willneed'), [
				"1:22: unknown protection 'wr' (expected one of none, r, rw, rx, rwx)",
				"2:12: unknown protection 'w' (expected one of none, r, rw, rx, rwx)",
				"3:11: unknown advice 'willneed' (expected one of dontneed, free, hugepage, nohugepage, collapse, cold, pageout)"]);
		});
		it('checks advise keys and values', () => {
			assert.deepEqual(diags('advise X preferred=cpu\nadvise X accessed_by=gpu\nadvise X read_mostly=on\nadvise X hot=on\nadvise Y preferred=gpu'), [
				"1:20: unknown location 'cpu' (expected 'ram' or a device name)",
				"4:10: unknown advice 'hot' (expected one of preferred, accessed_by, read_mostly)",
				"5:8: unknown name 'Y'"]);
		});
		it('checks prefetch targets and copies() arguments', () => {
			assert.deepEqual(diags('prefetch X -> cpu\nprint copies(X, zero) + copies(X, gpu, 1)'), [
				"1:15: unknown location 'cpu' (expected 'ram' or a device name)",
				'2:17: the second argument of copies() must be ram or a device name', '2:25: copies() takes 2 arguments, got 3']);
		});
		it('checks expect error codes', () => {
			assert.deepEqual(diags('expect error ENOTSUP { cpu read X }\nexpect error efault { }'), [
				"1:14: unknown error code 'ENOTSUP' (expected one of EFAULT, EPERM, EINVAL, ENOENT, ENOMEM, EBUSY, EOPNOTSUPP, EAGAIN, EDEADLK, SIGSEGV, SIGBUS, SIGKILL)",
				"2:14: unknown error code 'efault' (expected one of EFAULT, EPERM, EINVAL, ENOENT, ENOMEM, EBUSY, EOPNOTSUPP, EAGAIN, EDEADLK, SIGSEGV, SIGBUS, SIGKILL)"]);
			clean('expect error SIGBUS { cpu read X }');
		});
		it('rejects a zero loop step and assignments to true/false', () => {
			assert.deepEqual(diags('for k in 0..4 step 0 { }\ntrue = 1'), ['1:20: loop step must not be zero', "2:1: cannot assign to 'true'"]);
		});
	});

	describe('kernel bodies', () => {
		it('rejects kernel lines outside a kernel', () => {
			assert.deepEqual(diags('read X\nif 1 { write X = 1 }\natomic X'), [
				"1:1: 'read' is only allowed inside a kernel body (use 'cpu read' or 'DEV read')",
				"2:8: 'write' is only allowed inside a kernel body (use 'cpu write' or 'DEV write')",
				"3:1: 'atomic' is only allowed inside a kernel body"]);
		});
		it('rejects other statements inside a kernel, also nested in control flow', () => {
			const after = '; a kernel body is evaluated before the launch, so put it after the kernel';
			assert.deepEqual(diags('kernel gpu {\n cpu read X\n for k in 0..2 { gpu read X }\n kernel gpu { }\n expect true\n print 1\n expect error EFAULT { read X }\n}'), [
				`2:2: 'cpu read' is not allowed inside a kernel body (${IN_KERNEL})`, `3:18: 'DEV read' is not allowed inside a kernel body (${IN_KERNEL})`,
				`4:2: 'kernel' is not allowed inside a kernel body (${IN_KERNEL})`,
				`5:2: 'expect' is not allowed inside a kernel body (${IN_KERNEL})${after}`,
				`6:2: 'print' is not allowed inside a kernel body (${IN_KERNEL})${after}`,
				`7:2: 'expect error' is not allowed inside a kernel body (${IN_KERNEL})${after}`]);
		});
		it('checks the kernel device and the names in its body', () => {
			assert.deepEqual(diags('kernel tpu { read X }\nkernel gpu { write X = i + q; read page(X, i) }'), [
				"1:8: unknown device 'tpu'", "2:28: unknown name 'q'",
				"2:44: 'i' (the word index) is only defined in a written value or in matches(R, EXPR)"]);
		});
	});

	it('falls back to the statement position for hand-built trees', () => {
		const program: Program = { file: 'h.hmmw', body: [
			{ kind: 'release', device: 'nope', loc: { line: 7, col: 3 } },
			{ kind: 'if', cond: { kind: 'ident', name: 'q', loc: { line: 8, col: 4 } }, then: [], loc: { line: 8, col: 1 } },
		] };
		assert.deepEqual(check(program).map(formatDiagnostic), ["h.hmmw:7:3: unknown device 'nope'", "h.hmmw:8:4: unknown name 'q'"]);
	});
});

describe('frontend', () => {
	it('parses and checks, sorted by position', () => {
		const r = compileSource('print nope\ndevice gpu memory=1GiB kind=odd\n', 'w.hmmw');
		assert.deepEqual(r.diagnostics.map(formatDiagnostic), ["w.hmmw:1:7: unknown name 'nope'", "w.hmmw:2:29: 'kind' must be one of private, coherent"]);
		assert.ok(hasErrors(r.diagnostics));
		assert.equal(r.program.body.length, 2);
	});
	it('does not check a tree with syntax errors', () => {
		const r = compileSource('device gpu memory=\ngpu mirror p', 'w.hmmw');
		assert.deepEqual(r.diagnostics.map(formatDiagnostic), ['w.hmmw:1:19: expected an expression, found end of line']);
	});
	it('formats warnings and tells them from errors', () => {
		const r = compileSource('process p\nprocess p', 'w.hmmw');
		assert.deepEqual(r.diagnostics.map(formatDiagnostic), ["w.hmmw:2:9: warning: process 'p' is declared more than once"]);
		assert.equal(hasErrors(r.diagnostics), false);
		assert.equal(hasErrors([]), false);
	});
	it('returns no diagnostics for a clean script', () => {
		assert.deepEqual(compileSource('process p\nX = mmap 1 page anon rw\ncpu write X = i\nexpect matches(X, i)\n', 'ok.hmmw').diagnostics, []);
	});
});
