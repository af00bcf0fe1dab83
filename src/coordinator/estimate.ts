// When a strategy would take longer than the time budget, CPU 0 stops, and the time for the
// whole range is estimated from the PMDs it did: stated as an estimate, with its sample size
// and spread.

export interface Estimate {
  /** PMDs actually done, and how long they took. */
  readonly measuredPmds: number;
  readonly measuredMs: number;
  /** The cost of one PMD over those measured, in microseconds: mean, and the serialize time's standard deviation. */
  readonly perPmdUs: { readonly mean: number; readonly sd: number };
  /** The whole range, 95% interval on the mean cost per PMD (normal approximation). */
  readonly lowMs: number;
  readonly highMs: number;
}

/** The whole range's time from a measured prefix of it, and how sure that is. */
export function estimateWholeRange(measuredMs: number, pmdsDone: number, pmds: number, serializeUs: Float64Array): { readonly ms: number; readonly estimate: Estimate } {
  const done = Math.max(1, pmdsDone);
  const meanUs = (measuredMs * 1000) / done;
  let sum = 0;
  let squares = 0;
  for (const us of serializeUs) {
    sum += us;
    squares += us * us;
  }
  const n = serializeUs.length;
  const sd = n > 1 ? Math.sqrt(Math.max(0, (squares - (sum * sum) / n) / (n - 1))) : 0;
  const remaining = pmds - pmdsDone;
  const halfWidthUs = n > 0 ? (1.96 * sd) / Math.sqrt(n) : meanUs;
  return {
    ms: measuredMs + (remaining * meanUs) / 1000,
    estimate: {
      measuredPmds: pmdsDone,
      measuredMs,
      perPmdUs: { mean: meanUs, sd },
      lowMs: measuredMs + (remaining * Math.max(0, meanUs - halfWidthUs)) / 1000,
      highMs: measuredMs + (remaining * (meanUs + halfWidthUs)) / 1000,
    },
  };
}
