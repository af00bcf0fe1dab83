// Every outcome an answer or version declares interesting, shown on this host within the
// attempts its demonstration declares (the rate printed), and never under the answer it names as
// its fix; or skipped, with the reason it declares this host cannot show it.
import { describe, expect, it } from 'vitest';
import { checkDemonstration, describeDemonstration } from '../../src/coordinator/conformance.ts';
import { KERNELS, STRATEGIES, interestingOutcomes } from '../../src/strategies/index.ts';

const declared = [...STRATEGIES, ...KERNELS].flatMap((strategy) => interestingOutcomes(strategy).map(({ outcome, declared }) => ({ strategy, outcome, declared })));

describe('interesting outcomes, as declared', () => {
  it('there are some to show: the harness is not vacuous', () => {
    expect(declared.filter(({ declared }) => 'demonstrate' in declared).length).toBeGreaterThanOrEqual(4);
  });

  for (const { strategy, outcome, declared: d } of declared) {
    if ('demonstrate' in d) {
      it(`${strategy.name}: ${outcome} shows within ${d.demonstrate.attempts} attempt(s), never under ${d.demonstrate.fixedBy}`, async () => {
        const found = await checkDemonstration(strategy, outcome, d.demonstrate);
        console.log(describeDemonstration(found));
        expect(found.failures).toEqual([]);
        const showing = found.runs[found.runs.length - 1];
        // The run that showed it says so, as what the answer exists to show.
        expect(showing.demonstrated.length).toBeGreaterThan(0);
        for (const v of showing.violations.first) expect(v.strategy).toBe(strategy.name);
      });
    } else {
      it.skip(`${strategy.name}: ${outcome}: not on this host: ${d.hostCannotShow}`, () => {});
    }
  }
});
