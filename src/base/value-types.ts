// The kinds of value an option or a field takes, each declared once with its bounds: read from a
// command-line word (an error naming the flag) or checked as given in code (an error naming the
// field), so that a command line and a script are held to the same rule in the same words.

import { parseSize } from './sizes.ts';
import { SpecError, UsageError, field } from './usage-error.ts';

export interface ValueType<T> {
  /** The value a command-line word stands for; a UsageError naming `flag` if it stands for none. */
  (text: string, flag: string): T;
  /** `value`, given in code as field `name`, if it is one; a SpecError naming the field if not. */
  check(value: unknown, name: string): T;
}

/** A user's value inside a message: quoted, control characters escaped, so the message stays one line. */
export const quote = (text: string): string =>
  `'${text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;

/** A value given in code, as a message shows it. */
export const shown = (value: unknown): string => (typeof value === 'string' ? quote(value) : typeof value === 'number' || typeof value === 'boolean' ? String(value) : (JSON.stringify(value) ?? String(value)));

/** A value type from its two readings: a command-line word, and a value given in code. */
export function valueType<T>(read: (text: string, flag: string) => T, check: (value: unknown, name: string) => T): ValueType<T> {
  return Object.assign((text: string, flag: string) => read(text, flag), { check });
}

/** `name must be <what>, got <value>`: the one shape of a value out of bounds. */
const outOfBounds = (name: string, what: string, value: unknown) => new SpecError([field(name), ` must be ${what}, got ${shown(value)}`]);

/** A number that `good` accepts, read from a word that `looksLike` accepts; `what` says which, as errors do. */
function numeric(what: string, good: (n: number) => boolean, looksLike: (text: string) => boolean): ValueType<number> {
  return valueType(
    (text, flag) => {
      const n = Number(text);
      if (!looksLike(text) || !good(n)) throw new UsageError(`${flag} must be ${what}, got ${quote(text)}`);
      return n;
    },
    (value, name) => {
      if (typeof value !== 'number' || !good(value)) throw outOfBounds(name, what, value);
      return value;
    },
  );
}

export const integer = (min: number, max: number): ValueType<number> =>
  numeric(`an integer from ${min} to ${max}`, (n) => Number.isSafeInteger(n) && n >= min && n <= max, (text) => /^\d+$/.test(text.trim()));

export const decimal = (min: number, max: number): ValueType<number> =>
  numeric(`a number from ${min} to ${max}`, (n) => Number.isFinite(n) && n >= min && n <= max, (text) => text.trim() !== '');

/** A size in bytes, written as 512M or 496G (binary units). */
export const size: ValueType<number> = valueType(
  (text, flag) => {
    const bytes = parseSize(text);
    if (bytes === undefined || bytes <= 0) throw new UsageError(`${flag} must be a size such as 512M or 496G, got ${quote(text)}`);
    return bytes;
  },
  (value, name) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw outOfBounds(name, 'a whole number of bytes above 0', value);
    return value;
  },
);

/** One of the known names. */
export const oneOf = <Name extends string>(known: readonly Name[], what: string): ValueType<Name> => {
  const isKnown = (value: unknown): value is Name => (known as readonly unknown[]).includes(value);
  const list = `(known: ${known.join(', ')})`;
  return valueType(
    (text, flag) => {
      if (!isKnown(text)) throw new UsageError(`${flag}: unknown ${what} ${quote(text)} ${list}`);
      return text;
    },
    (value, name) => {
      if (!isKnown(value)) throw new SpecError([field(name), `: unknown ${what} ${shown(value)} ${list}`]);
      return value;
    },
  );
};

/** A value that may be left out: undefined passes as it is. */
export const optional = <T>(type: ValueType<T>): ValueType<T | undefined> => valueType(type, (value, name) => (value === undefined ? undefined : type.check(value, name)));
