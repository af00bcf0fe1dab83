// How shared records are laid out: every layout in this project is declared once, here-style,
// as a list of named words, and read by name. Nothing outside a layout's own file writes an
// offset as a number.

/** Two 64-byte lines: x86 prefetches adjacent pairs, and POWER9 lines are 128 bytes. */
export const CACHE_LINE_BYTES = 128;

export const INT32_WORDS_PER_LINE = CACHE_LINE_BYTES / Int32Array.BYTES_PER_ELEMENT;
export const FLOAT64_WORDS_PER_LINE = CACHE_LINE_BYTES / Float64Array.BYTES_PER_ELEMENT;

/** Word offsets by field name, plus the stride (in words) of one record. */
export type WordLayout<Name extends string> = {
  readonly offset: { readonly [K in Name]: number };
  /** Words from one record to the next: a whole number of cache lines. */
  readonly stride: number;
};

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/**
 * A per-CPU style record: the named fields are consecutive words, and the record is padded to
 * whole cache lines so that two records (two CPUs) never share one.
 */
export function paddedRecord<const Names extends readonly string[]>(
  names: Names,
  wordsPerLine: number,
): WordLayout<Names[number]> {
  const offset = Object.fromEntries(names.map((name, i) => [name, i])) as {
    [K in Names[number]]: number;
  };
  return { offset, stride: roundUp(Math.max(names.length, 1), wordsPerLine) };
}

/**
 * A record whose groups of fields each start a cache line of their own: fields that are
 * written by different threads go in different groups, so writes to one never steal the line
 * holding another.
 */
export function lineGroupedRecord<const Groups extends readonly (readonly string[])[]>(
  groups: Groups,
  wordsPerLine: number,
): WordLayout<Groups[number][number]> {
  const offset: { [name: string]: number } = {};
  let line = 0;
  for (const group of groups) {
    if (group.length > wordsPerLine) throw new Error(`line group ${group.join(',')} overflows a cache line`);
    group.forEach((name, i) => (offset[name] = line * wordsPerLine + i));
    line++;
  }
  return { offset: offset as { [K in Groups[number][number]]: number }, stride: line * wordsPerLine };
}
