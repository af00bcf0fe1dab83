// Latency summaries, by the nearest-rank method.

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
