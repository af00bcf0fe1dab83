// One status line on stderr, redrawn in place, for a person watching a terminal; where stderr is
// a file or a pipe it writes nothing, so logs and JSON stay clean.

export interface TerminalLine {
  readonly enabled: boolean;
  /** Replace the line with `text`, at most ten times a second. */
  draw(text: string): void;
  /** Erase the line. */
  clear(): void;
}

const REDRAW_MS = 100;

export function terminalLine(enabled: boolean = process.stderr.isTTY === true): TerminalLine {
  let drawnAt = -Infinity;
  return {
    enabled,
    draw(text) {
      const now = performance.now();
      if (!enabled || now - drawnAt < REDRAW_MS) return;
      drawnAt = now;
      process.stderr.write(`\r${text}\x1b[K`);
    },
    clear() {
      if (!enabled) return;
      drawnAt = -Infinity;
      process.stderr.write('\r\x1b[K');
    },
  };
}
