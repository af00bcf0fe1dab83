// Summaries of measured samples: latency percentiles by the nearest-rank method, medians and
// ranges, means, standard deviations and Student's t.

export interface Percentiles {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
  /** How many samples: 0 when there were none, and the figures above are then meaningless. */
  readonly count: number;
}

export function percentiles(samples: Float64Array): Percentiles {
  if (samples.length === 0) return { p50: 0, p99: 0, max: 0, mean: 0, count: 0 };
  const sorted = Float64Array.from(samples).sort();
  const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  let sum = 0;
  for (const s of sorted) sum += s;
  return { p50: rank(0.5), p99: rank(0.99), max: sorted[sorted.length - 1], mean: sum / sorted.length, count: sorted.length };
}

/** The middle of some values, and the lowest and highest: a figure and its spread. */
export interface MedianRange {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** The median of `values` (the mean of the middle two for an even count) and their range; all 0 for none. */
export function medianRange(values: readonly number[]): MedianRange {
  if (values.length === 0) return { median: 0, min: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/** The arithmetic mean. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}

/** The sample standard deviation (n - 1). */
export function sd(values: ArrayLike<number>): number {
  const m = mean(values);
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i] - m) ** 2;
  return Math.sqrt(squares / (values.length - 1));
}

/** Student's t, two-sided 95%, for `df` degrees of freedom (Cornish-Fisher expansion; within 1% from df 3 up, 0.1% from df 5). */
export function tQuantile975(df: number): number {
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2) + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3);
}
