import { describe, expect, it } from 'vitest';
import { estimateWholeRange } from '../../src/coordinator/estimate.ts';

describe('estimating a whole range from a measured prefix', () => {
  it('extends the measured time by the mean cost per PMD, with a 95% interval from the spread', () => {
    // 100 PMDs done in 50 ms: 500 us each; serialize times alternate 400 and 600 us (sd ~100.5).
    const samples = Float64Array.from({ length: 100 }, (_, i) => (i % 2 ? 600 : 400));
    const { ms, estimate } = estimateWholeRange(50, 100, 1000, samples);
    expect(ms).toBeCloseTo(50 + (900 * 500) / 1000, 9); // 500 ms
    expect(estimate.measuredPmds).toBe(100);
    expect(estimate.perPmdUs.mean).toBeCloseTo(500, 9);
    expect(estimate.perPmdUs.sd).toBeCloseTo(100.504, 2);
    // 500 us +- 1.96 x 100.504 / sqrt(100) = 480.30..519.70 us per PMD, for the 900 PMDs left.
    expect(estimate.lowMs).toBeCloseTo(482.271, 2);
    expect(estimate.highMs).toBeCloseTo(517.729, 2);
  });

  it('is exact when every PMD was done', () => {
    const { ms, estimate } = estimateWholeRange(12, 64, 64, new Float64Array(64).fill(3));
    expect(ms).toBe(12);
    expect([estimate.lowMs, estimate.highMs]).toEqual([12, 12]);
  });
});
