// Running one of the stress scripts as a user would, under tsx, and collecting what it said.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSX = fileURLToPath(new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url));
/** Under the suite's test timeout (vitest.config.ts): a command that hangs is ended and said to, not left running. */
const SCRIPT_TIMEOUT_MS = 50_000;

export interface ScriptResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runScript(script: string, ...args: string[]): Promise<ScriptResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [TSX, script, ...args], { cwd: ROOT, timeout: SCRIPT_TIMEOUT_MS });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as ScriptResult & { killed?: boolean };
    if (e.killed) return { code: -1, stdout: e.stdout, stderr: `${e.stderr}[still running after ${SCRIPT_TIMEOUT_MS / 1000} s: ended]\n` };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
