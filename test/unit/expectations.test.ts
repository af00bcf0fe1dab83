// Each answer's declared outcomes decide its verdict: forbidden ones break a run, the ones it
// exists to show are a bug shown, the ones it allows are allowed; and each declaration holds
// together (a demonstration runs, and names a fix that forbids what it shows).
import { describe, expect, it } from 'vitest';
import { outcomesShown, verdict } from '../../src/coordinator/checks.ts';
import { runSpec } from '../../src/coordinator/run-spec.ts';
import { Expect, FLOOR, KERNELS, OUTCOMES, STRATEGIES, interestingOutcomes, strategyByName, type Outcomes } from '../../src/strategies/index.ts';
import { SAFE, defineStrategy } from '../../src/strategies/strategy.ts';

const run = (useAfterFree: number, counterDrift = 0, brokenInvariants: string[] = [], partial = false, misreads = 0) => ({ violations: { useAfterFree, misreads }, counterDrift, brokenInvariants, partial });
const declaring = (outcomes: Outcomes) => defineStrategy({ name: 'declared', models: 'a test', outcomes });
const demonstration = { spec: {}, attempts: 1, fixedBy: 'counter' };

describe('declared outcomes', () => {
  it('give each verdict from the declaration, not from the name', () => {
    const interesting = declaring({ ...SAFE, useAfterFree: { expect: Expect.ACCEPTABLE_INTERESTING, desc: 'shown', demonstrate: demonstration } });
    const acceptable = declaring({ ...SAFE, useAfterFree: { expect: Expect.ACCEPTABLE, desc: 'allowed' }, misread: { expect: Expect.ACCEPTABLE, desc: 'allowed' } });
    expect(verdict(interesting, run(0))).toBe('held');
    expect(verdict(interesting, run(3))).toBe('bug shown');
    expect(verdict(acceptable, run(3))).toBe('allowed');
    expect(verdict(acceptable, run(3, 0, ['frames freed (1) != 1 per PMD done (2)']))).toBe('BROKEN');
    expect(verdict(acceptable, run(3, 0, [], true))).toBe('not checked');
    expect(verdict(acceptable, run(0, 0, [], false, 2))).toBe('allowed');
    expect(verdict(interesting, run(3, 0, [], false, 2))).toBe('bug shown');
    // The same run under the real answers.
    expect(verdict(strategyByName('counter-no-barriers'), run(5))).toBe('bug shown');
    expect(verdict(strategyByName('counter-nonatomic'), run(0, 4))).toBe('bug shown');
    expect(verdict(FLOOR, run(5))).toBe('allowed');
  });

  it('name the outcomes a run showed', () => {
    expect(outcomesShown({ useAfterFree: 0, misreads: 0, counterDrift: 0 })).toEqual({ useAfterFree: false, misread: false, counterDrift: false });
    expect(outcomesShown({ useAfterFree: 2, misreads: 1, counterDrift: -1 })).toEqual({ useAfterFree: true, misread: true, counterDrift: true });
  });

  it.each([...STRATEGIES, ...KERNELS].map((s) => [s.name, s] as const))('%s: every outcome declared, each demonstration runnable and its fix forbidding what it shows', (_, strategy) => {
    expect(Object.keys(strategy.outcomes).sort()).toEqual([...OUTCOMES].sort());
    for (const { outcome, declared } of interestingOutcomes(strategy)) {
      if (!('demonstrate' in declared)) {
        expect(declared.hostCannotShow.length).toBeGreaterThan(20);
        continue;
      }
      const { spec, attempts, fixedBy } = declared.demonstrate;
      expect(attempts).toBeGreaterThanOrEqual(1);
      expect(runSpec({ ...spec, strategy: strategy.name }).strategy).toBe(strategy.name);
      expect(strategyByName(fixedBy).outcomes[outcome].expect).toBe(Expect.FORBIDDEN);
    }
  });
});
