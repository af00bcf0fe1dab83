import { describe, expect, it } from 'vitest';
import { tQuantile975 } from '../../src/base/statistics.ts';
import { estimateWholeRange, mserTruncation } from '../../src/coordinator/estimate.ts';

describe('estimating a whole range from a measured prefix', () => {
  it('extends the measured time by the mean cost per PMD, with an interval from 20 batch means', () => {
    // 100 PMDs done in 50 ms: 500 us each; serialize times alternate 400 and 600 us, so every
    // batch of 5 averages 480 or 520 (sd 20.5 over the 20 batches) and the halves agree.
    const samples = Float64Array.from({ length: 100 }, (_, i) => (i % 2 ? 600 : 400));
    const { ms, estimate } = estimateWholeRange(50, 100, 1000, samples);
    expect(ms).toBeCloseTo(50 + (900 * 500) / 1000, 9); // 500 ms
    expect(estimate).toMatchObject({ measuredPmds: 100, transientPmds: 0, batches: 20, driftUs: 0 });
    expect(estimate.perPmdUs.mean).toBeCloseTo(500, 9);
    expect(estimate.perPmdUs.sd).toBeCloseTo(100.504, 2);
    // 500 us +- t(19) x 20.52 x sqrt(1/20 + 5/900) per PMD, for the 900 PMDs left.
    const halfWidth = tQuantile975(19) * 20.5196 * Math.sqrt(1 / 20 + 5 / 900);
    expect(estimate.lowMs).toBeCloseTo(50 + (900 * (500 - halfWidth)) / 1000, 2);
    expect(estimate.highMs).toBeCloseTo(50 + (900 * (500 + halfWidth)) / 1000, 2);
  });

  it('covers a rest that goes on at the level the measured PMDs drifted to', () => {
    // Costs rising from 400 to 600 us over the 100 PMDs measured; the 900 left cost 600 each.
    const samples = Float64Array.from({ length: 100 }, (_, i) => 400 + (200 * i) / 99);
    const { estimate } = estimateWholeRange(50, 100, 1000, samples);
    // MSER-5 keeps the later half, the level the costs were rising to, and its own drift.
    expect(estimate.transientPmds).toBe(50);
    expect(estimate.driftUs).toBeCloseTo(50.5, 0);
    expect(estimate.highMs).toBeGreaterThan(50 + (900 * 600) / 1000);
  });

  it('projects the rest from after a slow start, which it leaves out (MSER-5)', () => {
    // 40 PMDs at 3000 us while the host settles, then 160 at 1200, 900, 900, ... (1000 on average).
    const steady = (i: number) => (i % 3 === 1 ? 1200 : 900);
    const samples = Float64Array.from({ length: 200 }, (_, i) => (i < 40 ? 3000 : steady(i)));
    expect(mserTruncation(samples)).toBe(40);
    const measuredMs = samples.reduce((sum, us) => sum + us, 0) / 1000;
    const { ms, estimate } = estimateWholeRange(measuredMs, 200, 10_200, samples);
    expect(estimate.perPmdUs.mean).toBeCloseTo(1000, -1);
    expect(ms).toBeCloseTo(measuredMs + 10_000, -2);
    expect(estimate.lowMs).toBeLessThan(ms);
    expect(estimate.highMs).toBeGreaterThan(ms);
    // Nothing to leave out of a steady series.
    expect(mserTruncation(Float64Array.from({ length: 200 }, steady))).toBe(0);
  });

  it('never estimates the rest below nothing, when a slow start was sampled more densely than the rest', () => {
    // 60 PMDs in 30 ms, but the samples are a slow start's every call (5 ms each) and a few fast
    // ones: their mean (about 2.5 ms) is past the run's 500 us a PMD. The rest costs at least the
    // steady samples, never less than 0.
    const samples = Float64Array.from({ length: 40 }, (_, i) => (i < 20 ? 5000 : 20));
    const { ms, estimate } = estimateWholeRange(30, 60, 1000, samples);
    expect(estimate.perPmdUs.mean).toBeGreaterThanOrEqual(0);
    expect(ms).toBeGreaterThanOrEqual(30);
    expect(estimate.lowMs).toBeLessThanOrEqual(ms);
    expect(estimate.highMs).toBeGreaterThanOrEqual(ms);
  });

  it('says nothing narrower than +-100% from too few PMDs', () => {
    const { estimate } = estimateWholeRange(1, 10, 1000, new Float64Array(10).fill(100));
    expect(estimate.batches).toBe(0);
    expect([estimate.lowMs, estimate.highMs]).toEqual([1, 1 + (990 * 200) / 1000]);
  });

  it('is exact when every PMD was done', () => {
    const { ms, estimate } = estimateWholeRange(12, 64, 64, new Float64Array(64).fill(3));
    expect(ms).toBe(12);
    expect([estimate.lowMs, estimate.highMs]).toEqual([12, 12]);
  });

  it("uses Student's t: 2.093 for 19 degrees of freedom, 2.228 for 10, within 1% from 3", () => {
    expect(tQuantile975(19)).toBeCloseTo(2.093, 3);
    expect(tQuantile975(10)).toBeCloseTo(2.228, 3);
    expect(Math.abs(tQuantile975(3) / 3.1824 - 1)).toBeLessThan(0.01);
  });
});
