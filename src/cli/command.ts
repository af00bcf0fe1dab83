// How every command starts and ends: bad usage is one line naming the bad value (a flag, or a
// run's field worded as the flag that sets it) and a pointer to --help, with status 2 and no
// stack trace.

import { SpecError, UsageError } from '../base/usage-error.ts';
import { ExitStatus } from '../coordinator/session.ts';
import { flagOf } from './run-options.ts';

/**
 * Run a command's main and set the exit status: bad usage is one line naming the bad value and
 * a pointer to --help, with status 2 and no stack trace.
 */
export async function runCommand(name: string, command: string, main: (argv: readonly string[]) => Promise<number>): Promise<void> {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof SpecError)) throw error;
    const message = error instanceof SpecError ? error.worded(flagOf) : error.message;
    process.stderr.write(`${name}: ${message}\nTry '${command} --help'.\n`);
    process.exitCode = ExitStatus.USAGE;
  }
}
