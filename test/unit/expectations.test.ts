// Each strategy's declared outcomes decide its verdict: forbidden ones break a run, the ones it
// exists to show are a bug shown, the ones it allows are allowed.
import { describe, expect, it } from 'vitest';
import { outcomesShown, verdict } from '../../src/coordinator/checks.ts';
import { Expect, FLOOR, STRATEGIES, isSafe, strategyByName, type PgtblSyncStrategy } from '../../src/strategies/index.ts';

const run = (useAfterFree: number, counterDrift = 0, brokenInvariants: string[] = [], partial = false, misreads = 0) => ({ violations: { useAfterFree, misreads }, counterDrift, brokenInvariants, partial });
const declaring = (expect: PgtblSyncStrategy['expect']): PgtblSyncStrategy => ({ ...FLOOR, name: 'declared', expect });

describe('declared expectations', () => {
  it('every strategy declares every outcome, and is safe exactly when it forbids them all', () => {
    for (const strategy of STRATEGIES) {
      expect(Object.keys(strategy.expect).sort()).toEqual(['counterDrift', 'misread', 'useAfterFree']);
      expect(isSafe(strategy)).toBe(Object.values(strategy.expect).every((e) => e === Expect.FORBIDDEN));
    }
    expect(STRATEGIES.filter(isSafe).map((s) => s.name)).toEqual(['ipi-broadcast', 'sync-one', 'counter', 'percpu', 'percpu-mm', 'stale-tolerant', 'rcu-frames']);
  });

  it('names the outcomes a run showed', () => {
    expect(outcomesShown({ useAfterFree: 0, misreads: 0, counterDrift: 0 })).toEqual({ useAfterFree: false, misread: false, counterDrift: false });
    expect(outcomesShown({ useAfterFree: 2, misreads: 1, counterDrift: -1 })).toEqual({ useAfterFree: true, misread: true, counterDrift: true });
  });

  it('gives each verdict from the declaration, not from the name', () => {
    const interesting = declaring({ useAfterFree: Expect.INTERESTING, misread: Expect.FORBIDDEN, counterDrift: Expect.FORBIDDEN });
    const acceptable = declaring({ useAfterFree: Expect.ACCEPTABLE, misread: Expect.ACCEPTABLE, counterDrift: Expect.FORBIDDEN });
    expect(verdict(interesting, run(0))).toBe('held');
    expect(verdict(interesting, run(3))).toBe('bug shown');
    expect(verdict(acceptable, run(3))).toBe('allowed');
    expect(verdict(acceptable, run(3, 0, ['frames freed (1) != 1 per PMD done (2)']))).toBe('BROKEN');
    expect(verdict(acceptable, run(3, 0, [], true))).toBe('not checked');
    expect(verdict(acceptable, run(0, 0, [], false, 2))).toBe('allowed');
    expect(verdict(interesting, run(3, 0, [], false, 2))).toBe('bug shown');
    // The same run under the real strategies.
    expect(verdict(strategyByName('counter-no-barriers'), run(5))).toBe('bug shown');
    expect(verdict(strategyByName('counter-nonatomic'), run(0, 4))).toBe('bug shown');
    expect(verdict(FLOOR, run(5))).toBe('allowed');
  });
});
