// Tables as every command prints them: plain text with columns padded to their widest cell, or
// Markdown for files. One renderer, so that every command's tables line up the same way.

export type Align = 'left' | 'right';

export interface TextTableOptions {
  /** Each column's alignment; by default the first is left-aligned and the rest right-aligned. */
  readonly align?: readonly Align[];
  /** A line of dashes under the header, as wide as each column. */
  readonly rule?: boolean;
  /** The last column is free text: never padded, and not counted in its width. */
  readonly freeLastColumn?: boolean;
}

const defaultAlign = (column: number): Align => (column === 0 ? 'left' : 'right');

/** `header` and `rows` as aligned text, two spaces between columns. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[], options: TextTableOptions = {}): string {
  const { align = [], rule = false, freeLastColumn = false } = options;
  const last = header.length - 1;
  const free = (column: number) => freeLastColumn && column === last;
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (free(column) ? 0 : row[column].length))));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => {
        if (free(column)) return cell;
        return (align[column] ?? defaultAlign(column)) === 'left' ? cell.padEnd(widths[column]) : cell.padStart(widths[column]);
      })
      .join('  ');
  return [line(header), ...(rule ? [line(widths.map((width) => '-'.repeat(width)))] : []), ...rows.map(line)].join('\n');
}

/** `header` and `rows` as a Markdown table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const marker = (column: number) => ((align[column] ?? 'left') === 'right' ? '---:' : '---');
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), `|${header.map((_, column) => marker(column)).join('|')}|`, ...rows.map(line)].join('\n');
}
