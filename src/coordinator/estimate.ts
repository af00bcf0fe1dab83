// When a strategy would take longer than the time budget, CPU 0 stops, and the time for the
// whole range is estimated from the PMDs it did: stated as an estimate, with its sample size
// and an interval that says how far the rest could be from it.
//
// PMDs next to each other in time are not independent (they share the host's state: which
// threads hold its cores, its caches, a burst of another process), so the spread of single
// PMDs says little about the spread of the whole. The interval comes from batch means instead:
// the measured PMDs cut into consecutive batches, whose means vary as the run's conditions do;
// and, since a run can drift, it is widened by how far the second half of the measured PMDs was
// from the first. A run's first seconds can be a transient (at 128 CPUs the host's scheduler
// took seconds to settle: the first PMDs cost 2-3x the later ones), so the rest is projected
// from the PMDs after it: the start that MSER-5 (White, 1997) finds unlike the rest is left
// out of the projection, though its time is counted as measured.

import { mean, sd, tQuantile975 } from '../base/statistics.ts';

export interface Estimate {
  /** PMDs actually done, and how long they took. */
  readonly measuredPmds: number;
  readonly measuredMs: number;
  /** The cost of one PMD over those measured, in microseconds: mean, and the serialize time's standard deviation. */
  readonly perPmdUs: { readonly mean: number; readonly sd: number };
  /** The PMDs at the start left out of the projection as a transient (MSER-5). */
  readonly transientPmds: number;
  /** Consecutive batches the PMDs after it were cut into for the interval (0: too few PMDs for one). */
  readonly batches: number;
  /** The second half's mean cost per PMD minus the first half's, in microseconds: the drift seen. */
  readonly driftUs: number;
  /** The whole range: a 95% interval for the PMDs left, from the batch means and the drift. */
  readonly lowMs: number;
  readonly highMs: number;
}

/** Batches of the measured PMDs; fewer when there are too few PMDs for batches of MIN_BATCH_PMDS, and no interval under MIN_BATCHES. */
const BATCHES = 20;
const MIN_BATCH_PMDS = 5;
const MIN_BATCHES = 4;

/** The whole range's time from a measured prefix of it, and how sure that is. */
export function estimateWholeRange(measuredMs: number, pmdsDone: number, pmds: number, serializeUs: Float64Array): { readonly ms: number; readonly estimate: Estimate } {
  const done = Math.max(1, pmdsDone);
  const remaining = pmds - pmdsDone;
  const n = serializeUs.length;
  // The loop's cost besides serialising, per PMD, spread evenly over them. Never below 0: the
  // samples are every call while calls are slow but one in many once they are fast, so their
  // mean can exceed the run's whole cost per PMD when a slow start was sampled densely.
  const otherUs = Math.max(0, (measuredMs * 1000) / done - (n > 0 ? mean(serializeUs) : 0));
  const transient = mserTruncation(serializeUs);
  const steady = serializeUs.subarray(transient);
  const meanUs = (steady.length > 0 ? mean(steady) : 0) + otherUs;
  const batches = batchMeans(steady, Math.min(BATCHES, Math.floor(steady.length / MIN_BATCH_PMDS))).map((us) => us + otherUs);
  const halves = batchMeans(steady, 2);
  const driftUs = halves.length === 2 ? halves[1] - halves[0] : 0;
  let halfWidthUs = meanUs; // too few PMDs to say more: +-100%
  if (batches.length >= MIN_BATCHES) {
    // A prediction interval for the mean of the PMDs left, as many batches' worth as remain.
    const perBatch = steady.length / batches.length;
    const spread = tQuantile975(batches.length - 1) * sd(batches) * Math.sqrt(1 / batches.length + perBatch / Math.max(perBatch, remaining));
    halfWidthUs = Math.hypot(spread, driftUs);
  }
  return {
    ms: measuredMs + (remaining * meanUs) / 1000,
    estimate: {
      measuredPmds: pmdsDone,
      measuredMs,
      perPmdUs: { mean: meanUs, sd: steady.length > 1 ? sd(steady) : 0 },
      transientPmds: transient,
      batches: batches.length >= MIN_BATCHES ? batches.length : 0,
      driftUs,
      lowMs: measuredMs + (remaining * Math.max(0, meanUs - halfWidthUs)) / 1000,
      highMs: measuredMs + (remaining * (meanUs + halfWidthUs)) / 1000,
    },
  };
}

/**
 * MSER-5: cut the series into batches of 5, and leave out the d first batches that minimise the
 * squared deviations of the rest over their count squared (at most half the series). Returns
 * how many values to leave out.
 */
export function mserTruncation(values: Float64Array): number {
  const m = Math.floor(values.length / MSER_BATCH);
  if (m < 4) return 0;
  const x = Array.from({ length: m }, (_, b) => mean(values.subarray(b * MSER_BATCH, (b + 1) * MSER_BATCH)));
  // Suffix sums, so that every d costs O(1).
  let [sum, squares] = [0, 0];
  let best = { d: 0, score: Infinity };
  const scores: number[] = new Array(m);
  for (let d = m - 1; d >= 0; d--) {
    sum += x[d];
    squares += x[d] * x[d];
    const k = m - d;
    scores[d] = (squares - (sum * sum) / k) / (k * k);
  }
  for (let d = 0; d <= m >> 1; d++) if (scores[d] < best.score) best = { d, score: scores[d] };
  return best.d * MSER_BATCH;
}

const MSER_BATCH = 5;

/** The means of `count` consecutive batches of `values`, as even as whole PMDs allow. */
function batchMeans(values: Float64Array, count: number): number[] {
  if (count < 1) return [];
  return Array.from({ length: count }, (_, b) => mean(values.subarray(Math.floor((b * values.length) / count), Math.floor(((b + 1) * values.length) / count))));
}
