// Bad input, said in one line naming what was bad, before anything runs. Two kinds: a command
// line's (it names the flag), and a programmatic caller's (it names the field of the value it
// built). The command line maps its flags to fields, so one check words its error both ways.

/** Bad input on a command line: the message names the option and the value, on one line. */
export class UsageError extends Error {}

/** A field of a value built in code, and the value to show for it. */
export interface FieldRef {
  readonly field: string;
  /** The value as a person would write it (3M, not 3145728); empty when the words say it. */
  readonly shown: string;
}

export const field = (name: string, shown = ''): FieldRef => ({ field: name, shown });

/**
 * A bad field, given in code: `parts` are words and fields, so that the same error reads
 * `machine.memoryBytes 3M is not...` to the caller who built the value, and
 * `--memory 3M is not...` on the command line that mapped a flag to it (worded()).
 */
export class SpecError extends Error {
  constructor(readonly parts: readonly (string | FieldRef)[]) {
    super(render(parts, (name) => name));
  }

  /** The first field the error names. */
  get field(): string {
    const first = this.parts.find((part): part is FieldRef => typeof part !== 'string');
    return first?.field ?? '';
  }

  /** The message with each field named by `nameOf` (a flag, for a command line). */
  worded(nameOf: (field: string) => string): string {
    return render(this.parts, nameOf);
  }
}

function render(parts: readonly (string | FieldRef)[], nameOf: (field: string) => string): string {
  return parts.map((part) => (typeof part === 'string' ? part : `${nameOf(part.field)}${part.shown === '' ? '' : ` ${part.shown}`}`)).join('');
}
