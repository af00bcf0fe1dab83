// How the bench measures: each figure the median of several repeats with their range, loops
// that share the host measured turn about, and a figure's ratio to its floor the median of the
// pairs' ratios.

import { medianRange, type MedianRange } from '../base/statistics.ts';

export const REPEATS = 7;
/** Enough for the optimising compiler to have finished with every loop measured. */
const WARMUPS = 3;

/** A time per operation: the median of the repeats, and their range. */
export interface Figure extends MedianRange {
  readonly name: string;
  readonly unit: 'us' | 'ns';
  /** Each repeat's time per operation, in `unit`, in the order measured. */
  readonly times: readonly number[];
}


/** Run `once` (which returns a time per operation) REPEATS times, after WARMUPS unmeasured ones. */
export function measure(name: string, unit: Figure['unit'], once: () => number): Figure {
  for (let i = 0; i < WARMUPS; i++) once();
  const times = Array.from({ length: REPEATS }, once);
  return { name, unit, times, ...medianRange(times) };
}

/** A figure and its floor, measured turn about, and the median of their pairs' ratios. */
export interface Pair {
  readonly figure: Figure;
  readonly floor: Figure;
  readonly ratio: MedianRange;
}

/** A loop to measure: `once` runs it and returns the time per operation. */
interface Loop {
  readonly name: string;
  readonly once: () => number;
}

/**
 * Loops measured turn about, REPEATS times each after WARMUPS of each: this host slows a core to
 * half its speed for a few hundred ms now and then, and measured one after the other the loops
 * met different hosts. `ratio(a, b)` is the median of the REPEATS turns' ratios of loop a to b.
 */
export function measureTurnAbout(unit: Figure['unit'], loops: readonly Loop[]): { figures: Figure[]; ratio: (a: number, b: number) => MedianRange } {
  for (let i = 0; i < WARMUPS; i++) for (const { once } of loops) once();
  const turns = Array.from({ length: REPEATS }, () => loops.map(({ once }) => once()));
  return {
    figures: loops.map(({ name }, i) => {
      const times = turns.map((turn) => turn[i]);
      return { name, unit, times, ...medianRange(times) };
    }),
    ratio: (a, b) => medianRange(turns.map((turn) => turn[a] / turn[b])),
  };
}

/** A loop and its floor, measured turn about (see measureTurnAbout). */
export function measurePair(name: string, unit: Figure['unit'], once: () => number, against: Figure['name'], baseline: () => number): Pair {
  const { figures, ratio } = measureTurnAbout(unit, [
    { name: against, once: baseline },
    { name, once },
  ]);
  return { floor: figures[0], figure: figures[1], ratio: ratio(1, 0) };
}

export const elapsedUs = (start: number, ops: number) => ((performance.now() - start) * 1000) / ops;
