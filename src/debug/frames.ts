// The call stack (simulated kernel frames above the script line), the scopes of a frame and
// the exception peek text, and output events pointing at their script line. Kernel frames exist
// only while stopped inside a statement.
import * as path from 'node:path';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { OutputEvent } from '@vscode/debugadapter';
import type { HmmRuntime, Output } from './runtime';
import type { VariableStore } from './variables';
import type { Inspector } from './inspect';
import { describeEvent, frameName, statementText } from './describe';
import { isIssue } from './stops';
import type { Stmt } from '../lang/ast';
import { KERNEL_FRAME, otherThreadFrame } from './threadsDap';

export const SCRIPT_FRAME = 1;
const WARP_FRAME = 2;

/** The kernel-body statement at a line of the kernel being run (of the access kind given, when a
 * line holds several): its column and its text up to the next `;` or `}`. */
function bodyStatement(rt: HmmRuntime, line: number, kind: string | undefined): { col: number; text: string } {
	const ins = rt.interp.instr;
	const found: Stmt[] = [];
	const walk = (list: Stmt[]): void => {
		for (const s of list) {
			if (s.loc.line === line && (s.kind === 'kernel-read' || s.kind === 'kernel-write' || s.kind === 'kernel-atomic')) { found.push(s); }
			if (s.kind === 'for' || s.kind === 'repeat') { walk(s.body); }
			if (s.kind === 'if') { walk(s.then); walk(s.else ?? []); }
		}
	};
	if (ins?.op === 'exec' && ins.stmt.kind === 'kernel') { walk(ins.stmt.body); }
	const s = found.find(f => f.kind === `kernel-${kind}`) ?? found[0];
	const col = s?.loc.col ?? 1;
	const text = (rt.lines[line - 1] ?? '').slice(col - 1).split(/[;}#]/)[0].trim();
	return { col, text: text.length > 60 ? text.slice(0, 59) + '…' : text || `line ${line}` };
}

/** The script's file name, computed again only when the script file changes (asked at every stop). */
let named = { file: '', name: '' };
function fileName(file: string): string {
	if (named.file !== file) { named = { file, name: path.basename(file) }; }
	return named.name;
}

export function stackFrames(rt: HmmRuntime): DebugProtocol.StackFrame[] {
	const it = rt.interp;
	const loc = it.loc ?? (it.error ? { line: it.error.line, col: it.error.col } : undefined);
	const frames: DebugProtocol.StackFrame[] = [];
	if (rt.midStatement) {
		const ev = rt.stop?.event;
		if (ev !== undefined && isIssue(ev) && ev.line) {
			// a warp issuing a body statement: the frame shows that statement in the script, so
			// stepping access by access walks the kernel's lines
			const at = bodyStatement(rt, ev.line, ev.detail?.split(' ')[0]);
			frames.push({
				id: WARP_FRAME, name: `warp ${ev.warp} · SM ${ev.sm}: ${at.text}`, line: ev.line, column: at.col,
				source: { name: path.basename(rt.file), path: rt.file },
			});
		}
		const stack = it.machine.view.stack();
		for (let j = stack.length - 1; j >= 0; j--) {
			// No source: there is no file to open for a simulated kernel function (an editor tab
			// would only say it cannot load it). Subtle frames are shown dimmed, and VS Code
			// focuses the script line below them, so the script stays in view at a kernel stop.
			frames.push({ id: KERNEL_FRAME + j, name: frameName(stack[j]), line: 0, column: 0, presentationHint: 'subtle' });
		}
	}
	if (loc) {
		frames.push({
			id: SCRIPT_FRAME, name: statementText(rt.lines, loc.line), line: loc.line, column: loc.col,
			source: { name: fileName(rt.file), path: rt.file },
		});
	}
	return frames;
}

export function scopes(rt: HmmRuntime, vs: VariableStore, ins: Inspector, frameId: number): DebugProtocol.Scope[] {
	const out: DebugProtocol.Scope[] = [];
	const scope = (name: string, named: () => DebugProtocol.Variable[], hint?: string, expensive = false) =>
		out.push({ name, variablesReference: vs.add({ named }), expensive, presentationHint: hint });
	// a kernel frame of the thread that stopped, or of another script thread (threadsDap.ts)
	const frame = rt.midStatement && frameId >= KERNEL_FRAME ? rt.interp.machine.view.stack()[frameId - KERNEL_FRAME] : undefined;
	const other = frame ? undefined : otherThreadFrame(rt.interp, frameId);
	if (other) { scope('Arguments', () => vs.frame(other), 'arguments'); }
	if (frame) { scope('Arguments', () => vs.frame(frame), 'arguments'); }
	const ev = rt.stop?.event;
	if (ev) { scope('Event', () => vs.event(ev)); }
	scope('Locals', () => vs.locals(), 'locals');
	scope('Processes', () => ins.processes());
	scope('Devices', () => ins.devices());
	scope('Statistics', () => ins.statistics());
	return out;
}

export function exceptionInfo(rt: HmmRuntime): DebugProtocol.ExceptionInfoResponse['body'] | undefined {
	const s = rt.stop;
	if (!s || s.reason !== 'exception' || !s.exception) { return undefined; }
	const stack = rt.midStatement ? rt.interp.machine.view.stack().reverse().map(frameName).join('\n') : undefined;
	return {
		// the widget's title: the errno (SIGSEGV, ENOMEM) of a failed statement, else the filter
		exceptionId: s.exception.name ?? s.exception.id,
		description: s.exception.description,
		breakMode: 'always',
		details: {
			message: s.event ? describeEvent(s.event) : s.exception.description,
			typeName: s.event?.kind ?? s.exception.id,
			stackTrace: stack,
		},
	};
}

/** Output (print, failures, errors, logpoints) linked to its line in the program. */
export function outputEvent(o: Output, file: string): DebugProtocol.OutputEvent {
	const ev = new OutputEvent(o.text, o.category) as DebugProtocol.OutputEvent;
	if (o.line !== undefined && file) {
		ev.body.source = { name: path.basename(file), path: file };
		ev.body.line = o.line;
		ev.body.column = o.col ?? 1;
	}
	return ev;
}
