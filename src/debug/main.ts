// `node dist/debugAdapter.js`: the debug adapter over stdio (or `--server=PORT` for debugging
// the adapter itself). The extension's inline mode runs the same HmmDebugSession in-process.
import { DebugSession } from '@vscode/debugadapter';
import { HmmDebugSession } from './session';

DebugSession.run(HmmDebugSession as unknown as typeof DebugSession);
