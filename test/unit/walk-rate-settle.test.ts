import { describe, expect, it } from 'vitest';
import { SETTLE_LIMITS, WalkRateSettle, type SettleState } from '../../src/cpu-worker/walk-rate-settle.ts';
import { Mulberry32 } from '../../src/cpu-worker/prng.ts';

/**
 * Feed a detector windows of 10 ms of thread CPU time at the rates given (walks per CPU ms),
 * against `reference`, until it decides; the state after each window, and its rate then.
 */
function feed(rates: readonly number[], reference: number): { states: SettleState[]; rate: number } {
  const detector = new WalkRateSettle();
  let [walks, cpuMs] = [0, 0];
  const states: SettleState[] = [detector.note(walks, cpuMs, reference)];
  for (const rate of rates) {
    if (states.at(-1) !== 'walking') break;
    cpuMs += SETTLE_LIMITS.windowCpuMs;
    walks += rate * SETTLE_LIMITS.windowCpuMs;
    states.push(detector.note(walks, cpuMs, reference));
  }
  return { states, rate: detector.rate };
}

describe('when a CPU has settled', () => {
  it('settles once three windows agree, at their median, after the minimum time', () => {
    const { states, rate } = feed([12_000, 12_100, 11_900, 12_050], 12_000);
    // 30 ms is the minimum against a reference: the third window is the first that may settle.
    expect(states).toEqual(['walking', 'walking', 'walking', 'settled']);
    expect(rate).toBe(12_000);
  });

  it('walks on at a steady rate far below what the others settled at: code still waiting for its compile', () => {
    // Baseline code walks at a twentieth of optimised code, steadily; then the compile comes in.
    const { states, rate } = feed([600, 600, 600, 600, 600, 600, 12_000, 12_000, 12_000], 12_000);
    expect(states.slice(0, 9)).not.toContain('settled');
    expect(states.at(-1)).toBe('settled');
    expect(states).toHaveLength(10);
    expect(rate).toBe(12_000);
  });

  it('with no other CPU to compare with, waits longer before it trusts a plateau', () => {
    const steady = Array.from({ length: 20 }, () => 5_000);
    const { states } = feed(steady, 0);
    // firstMinCpuMs of 150 ms: the 15th window of 10 ms.
    expect(states.indexOf('settled')).toBe(SETTLE_LIMITS.firstMinCpuMs / SETTLE_LIMITS.windowCpuMs);
  });

  it('does not settle while the rate is still climbing or jumping about', () => {
    const { states } = feed([2_000, 4_000, 6_000, 8_000, 10_000, 6_000, 12_000, 7_000], 0);
    expect(states).not.toContain('settled');
  });

  it('gives up past the most CPU time it may take, and says so', () => {
    const windows = SETTLE_LIMITS.maxCpuMs / SETTLE_LIMITS.windowCpuMs;
    const { states } = feed(Array.from({ length: windows }, (_, i) => (i % 2 ? 3_000 : 9_000)), 12_000);
    expect(states).not.toContain('settled');
    expect(states.at(-1)).toBe('unsettled');
    expect(states.at(-2)).toBe('walking');
  });
});

describe('the walkers\' random numbers', () => {
  it('gives whole numbers below n, the same for the same seed, spread over the range', () => {
    const [a, b] = [new Mulberry32(7), new Mulberry32(7)];
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 10_000; i++) {
      const n = a.below(10);
      expect(Number.isInteger(n) && n >= 0 && n < 10).toBe(true);
      expect(b.below(10)).toBe(n);
      counts[n]++;
    }
    for (const count of counts) expect(count).toBeGreaterThan(850); // 1000 expected each
    const x = new Mulberry32(1).next();
    expect(x).toBeGreaterThanOrEqual(0);
    expect(x).toBeLessThan(1);
  });
});
