// Command lines as tables: each option declared once with its default, its help line and its
// parser; --help, parsing and the one-line errors all come from the same table.

import { parseArgs } from 'node:util';
import { UsageError } from './usage-error.ts';
import { quote } from './value-types.ts';

export interface OptionSpec<T> {
  /** The field of the value built from the options that this one sets, if any: a SpecError naming it is worded with this option. */
  readonly field?: string;
  /** The placeholder in --help, e.g. N or SIZE; empty for a flag, which takes no value. */
  readonly value: string;
  readonly default: string | undefined;
  /** Said after the default in --help, e.g. when another option changes it. */
  readonly defaultNote?: string;
  readonly help: string;
  readonly parse: (text: string, flag: string) => T;
}

export type OptionTable = { readonly [name: string]: OptionSpec<unknown> };

/** The typed value of each option, as its parser returns it. */
export type OptionValues<Table extends OptionTable> = { [K in keyof Table]: ReturnType<Table[K]['parse']> };

export const option = <T>(spec: OptionSpec<T>): OptionSpec<T> => spec;

/** An option that takes no value: present or not. */
export const flag = (help: string): OptionSpec<boolean> => ({ value: '', default: 'false', help, parse: (text) => text === 'true' });

/** A comma-separated list of known names, or 'all'. */
export const nameList = (known: readonly string[], what: string) => (text: string, flag: string) => {
  if (text === 'all') return known;
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!known.includes(name)) throw new UsageError(`${flag}: unknown ${what} ${quote(name)} (known: ${known.join(', ')}, all)`);
  }
  return [...new Set(names)];
};

/**
 * The raw text of every option given, and whether --help was. Throws UsageError for an unknown
 * option, a missing value or a stray argument.
 */
export function readOptions(
  argv: readonly string[],
  table: OptionTable,
  allowPositionals = false,
): { given: { [name: string]: string | undefined }; help: boolean; positionals: string[] } {
  const options = Object.fromEntries(Object.entries(table).map(([name, spec]) => [name, { type: spec.value === '' ? ('boolean' as const) : ('string' as const) }]));
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean' } }, strict: true, allowPositionals });
    const { help, ...given } = values as { help?: boolean; [name: string]: string | boolean | undefined };
    // Flags come back as booleans; keep every value a string for the parsers.
    const texts = Object.fromEntries(Object.entries(given).map(([name, value]) => [name, value === undefined ? undefined : String(value)]));
    return { given: texts, help: help === true, positionals };
  } catch (error) {
    // A value that starts with '-' reads as an option: say which value, and how to pass it.
    const ambiguous = error instanceof Error && /^Option '(--[^']+)' argument is ambiguous/.exec(error.message);
    if (ambiguous) {
      const value = argv[argv.indexOf(ambiguous[1]) + 1] ?? '';
      throw new UsageError(`${ambiguous[1]}: the value ${quote(value)} looks like an option; write ${ambiguous[1]}=${value.replace(/[\u0000-\u001f\u007f]/g, '?')}`);
    }
    // node:util's other messages run on with advice, sometimes over several lines; keep their
    // first sentence, lower-cased, so that the error stays one line.
    const message = (error instanceof Error ? error.message : String(error)).split(/\.\s|\n/)[0].replace(/[\u0000-\u001f\u007f]/g, '?');
    throw new UsageError(message.charAt(0).toLowerCase() + message.slice(1));
  }
}

/** Every option parsed: the given text, or the default (`defaults` overriding the table's). */
export function parseOptions<Table extends OptionTable>(
  table: Table,
  given: { readonly [name: string]: string | undefined },
  defaults: { readonly [name: string]: string } = {},
): OptionValues<Table> {
  const values: { [name: string]: unknown } = {};
  for (const [name, spec] of Object.entries(table)) {
    const value = given[name] ?? defaults[name] ?? spec.default;
    values[name] = value === undefined ? undefined : spec.parse(value, `--${name}`);
  }
  return values as OptionValues<Table>;
}

/** Only the options given, parsed; the others undefined, their defaults left to the caller. */
export function parseGiven<Table extends OptionTable>(table: Table, given: { readonly [name: string]: string | undefined }): Partial<OptionValues<Table>> {
  const values: { [name: string]: unknown } = {};
  for (const [name, spec] of Object.entries(table)) {
    const text = given[name];
    if (text !== undefined) values[name] = spec.parse(text, `--${name}`);
  }
  return values as Partial<OptionValues<Table>>;
}

export function formatOptions(table: OptionTable): string {
  const rows = Object.entries(table).map(([name, spec]) => {
    const flag = `  --${name}${spec.value === '' ? '' : ` ${spec.value}`}`;
    const shown = spec.value === '' ? [] : [spec.default, spec.defaultNote].filter((part) => part !== undefined);
    const dflt = shown.length === 0 ? '' : ` [${shown.join(', ')}]`;
    return `${(flag + '  ').padEnd(22)}${spec.help}${dflt}`;
  });
  return [...rows, `${'  --help'.padEnd(22)}show this help`].join('\n');
}
