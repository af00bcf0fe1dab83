// A command, declared: its name, what it is for, its options, the files it writes and what it
// runs. The harness does the rest the same way for every command: --help from the declaration,
// the options parsed with every error one line naming the flag (a run's fields worded as the
// flags that set them), every output path checked before anything runs, and the exit status.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatOptions, parseOptions, readOptions, type OptionTable, type OptionValues } from '../base/option-table.ts';
import { SpecError, UsageError } from '../base/usage-error.ts';
import { ExitStatus } from '../coordinator/session.ts';
import { checkOutput, type OutputKind } from './outputs.ts';
import { flagOf } from './run-options.ts';

export interface Command<Options extends OptionTable> {
  /** The short name that starts its error lines: `munmap`. */
  readonly name: string;
  /** How it is run: `npx tsx stress/munmap.ts`. */
  readonly invocation: string;
  /** What follows the invocation in the usage line; `[options]` if not said. */
  readonly usage?: string;
  /** What it does, in a few lines, for --help. */
  readonly about: string;
  readonly options: Options;
  /** The options that name a file (or a directory) it writes: each is checked before anything runs. */
  readonly outputs?: { readonly [K in keyof Options]?: OutputKind };
  /** What it takes besides its options (`DIR|FILE...`), when it takes anything; without it, an argument that is not an option is refused. */
  readonly positionals?: string;
  /** What its exit statuses mean, for --help. */
  readonly exitStatus?: string;
  /** Runs it, the options parsed with their defaults; `given` holds the words given, for a command that layers its own defaults. Returns the exit status. */
  run(options: OptionValues<Options>, given: { readonly [name: string]: string | undefined }, argv: readonly string[], positionals: readonly string[]): Promise<number>;
}

export const defineCommand = <Options extends OptionTable>(command: Command<Options>): Command<Options> => command;

/** The command's --help. */
export function helpText(command: Command<OptionTable>): string {
  return [`usage: ${command.invocation} ${command.usage ?? '[options]'}`, '', command.about, '', formatOptions(command.options), ...(command.exitStatus ? ['', command.exitStatus] : [])].join('\n');
}

/**
 * Run `command` on this process's arguments and set the exit status: bad usage is one line
 * naming the bad value and a pointer to --help, with status 2, no stack trace, and nothing run.
 */
export async function runCommand<Options extends OptionTable>(command: Command<Options>, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  try {
    const { given, help, positionals } = readOptions(argv, command.options, command.positionals !== undefined);
    if (help) {
      process.stdout.write(helpText(command) + '\n');
      process.exitCode = ExitStatus.OK;
      return;
    }
    const options = parseOptions(command.options, given);
    for (const [name, kind] of Object.entries(command.outputs ?? {})) {
      const path = options[name];
      if (typeof path === 'string' && kind !== undefined) checkOutput(`--${name}`, path, kind);
    }
    process.exitCode = await command.run(options, given, argv, positionals);
  } catch (error) {
    if (!(error instanceof UsageError || error instanceof SpecError)) throw error;
    const message = error instanceof SpecError ? error.worded(flagOf) : error.message;
    process.stderr.write(`${command.name}: ${message}\nTry '${command.invocation} --help'.\n`);
    process.exitCode = ExitStatus.USAGE;
  }
}

/** Whether the module at `url` is the script this process was started with (not imported by a test or the docs). */
export const isMain = (url: string): boolean => process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(url);
