// herd7 in the loop, as the kernel's tools/memory-model/scripts (checklitmus.sh, judgelitmus.sh)
// use it: herd7 run on each test with the kernel's memory model (`-conf linux-kernel.cfg`, from
// the model's directory), its Observation read back, so that a run here is judged against
// herd7's own verdict and a test's `Result:` header against herd7's.

import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { UsageError } from '../base/usage-error.ts';
import { quote } from '../base/value-types.ts';
import { parseHerd7Output, type Herd7Verdict } from './herd7-output.ts';

/** A herd7 binary and the directory of the kernel's model beside it. */
export interface Herd7 {
  readonly bin: string;
  readonly lkmm: string;
  /** `herd7 -version`'s first line. */
  readonly version: string;
}

/** What herd7 said of one test: its output, and its verdict read from it. */
export interface Herd7Run {
  readonly output: string;
  readonly verdict: Herd7Verdict;
}

const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/**
 * `--herd7 PATH` (a path, or a name looked up on $PATH) and `--lkmm DIR` (the directory holding
 * linux-kernel.cfg; by default `lkmm/` beside herd7's `bin/`, as ../shared/tools/build-herd7.sh
 * installs it, or $HERD7_LKMM). Throws a UsageError naming what is missing.
 */
export function findHerd7(path: string, lkmm: string | undefined): Herd7 {
  const bin = path.includes('/') ? resolve(path) : (process.env.PATH ?? '').split(delimiter).map((d) => join(d, path)).find(executable);
  if (bin === undefined || !executable(bin)) throw new UsageError(`--herd7: no herd7 at ${quote(path)}${path.includes('/') ? '' : ' on $PATH'}`);
  const dir = resolve(lkmm ?? process.env.HERD7_LKMM ?? join(dirname(bin), '..', 'lkmm'));
  if (!existsSync(join(dir, 'linux-kernel.cfg'))) throw new UsageError(`--lkmm: no linux-kernel.cfg in ${quote(dir)} (give --lkmm DIR, the kernel's tools/memory-model)`);
  let version: string;
  try {
    version = execFileSync(bin, ['-version'], { encoding: 'utf8', timeout: 30_000 }).split('\n')[0].trim();
  } catch (error) {
    throw new UsageError(`--herd7: ${quote(bin)} did not run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  return { bin, lkmm: dir, version };
}

/** herd7 on `file` under the kernel's model; throws an Error saying why when its output holds no verdict. */
export function runHerd7(herd: Herd7, file: string): Herd7Run {
  let output: string;
  try {
    output = execFileSync(herd.bin, ['-conf', 'linux-kernel.cfg', resolve(file)], { cwd: herd.lkmm, encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`herd7 failed on it: ${(stderr.split('\n').find((l) => l.trim() !== '') ?? String(error)).trim()}`);
  }
  return { output, verdict: parseHerd7Output(output) };
}
