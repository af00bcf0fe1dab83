// The bench's figures in the shape hyperfine's --export-json writes (hyperfine 1.x:
// `results[]` of `command, mean, stddev, median, min, max, times`, in seconds), so that the
// scripts written for hyperfine (plot_whisker.py, advanced_statistics.py) read them. One
// "command" is one figure, its times per operation; hyperfine's user and system times have no
// counterpart here and are left out. Each result also carries, beside hyperfine's fields, the
// figure's unit as measured and its ratio to its floor.

import { mean, sd, type MedianRange } from '../base/statistics.ts';
import type { Figure } from './measure.ts';

export interface HyperfineResult {
  readonly command: string;
  readonly mean: number;
  readonly stddev: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly times: readonly number[];
  readonly exit_codes: readonly number[];
  /** Not hyperfine's: the unit the figure was measured in, and its ratio to its floor (absent for a floor). */
  readonly unit: Figure['unit'];
  readonly ratio?: MedianRange & { readonly against: string; readonly paired: boolean };
}

export interface HyperfineExport {
  readonly results: readonly HyperfineResult[];
}

const SECONDS: { readonly [unit in Figure['unit']]: number } = { us: 1e-6, ns: 1e-9 };

/** One figure as hyperfine writes a command's result; `ratio` as the table shows it. */
export function hyperfineResult(figure: Figure, ratio?: HyperfineResult['ratio']): HyperfineResult {
  const scale = SECONDS[figure.unit];
  const times = figure.times.map((t) => t * scale);
  return {
    command: figure.name,
    mean: mean(times),
    stddev: times.length > 1 ? sd(times) : 0,
    median: figure.median * scale,
    min: figure.min * scale,
    max: figure.max * scale,
    times,
    exit_codes: times.map(() => 0),
    unit: figure.unit,
    ...(ratio ? { ratio } : {}),
  };
}
