// The harness judged by answers declared in a test fixture (test/fixtures/answers/probes.ts): it
// must fail a false claim of safety and an interesting outcome its demonstration cannot show,
// and pass answers declared honestly.
import { describe, expect, it } from 'vitest';
import { SAFETY_RUNS, checkDemonstration, checkSafety } from '../../src/coordinator/conformance.ts';
import { interestingOutcomes } from '../../src/strategies/index.ts';
import { falselySafe, honestSafe, honestUnsafe, undemonstrable } from '../fixtures/answers/probes.ts';

const demonstrationOf = (strategy: typeof undemonstrable) => {
  const [{ outcome, declared }] = interestingOutcomes(strategy);
  if (!('demonstrate' in declared)) throw new Error(`${strategy.name} declares no demonstration`);
  return { outcome, demonstration: declared.demonstrate };
};

describe('the conformance harness, on probe answers', () => {
  it('fails an answer declared safe that never interrupts a walker', async () => {
    const findings = [];
    for (const safety of SAFETY_RUNS.filter((s) => s.racing)) findings.push(...(await checkSafety(safety, [falselySafe])));
    const failures = findings.flatMap((f) => f.failures);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.join('\n')).toMatch(/use-after-free|misread/);
  });

  it('fails an interesting outcome that its demonstration cannot show', async () => {
    const { outcome, demonstration } = demonstrationOf(undemonstrable);
    const found = await checkDemonstration(undemonstrable, outcome, demonstration);
    expect(found.shown).toBe(false);
    expect(found.runs).toHaveLength(demonstration.attempts);
    expect(found.failures).toContainEqual(expect.stringMatching(/useAfterFree not shown in 2 attempt/));
  });

  it('passes an answer declared safe honestly, its lifecycle hooks called for every walker', async () => {
    const findings = await checkSafety(SAFETY_RUNS[0], [honestSafe]);
    expect(findings.flatMap((f) => f.failures)).toEqual([]);
    // Each walker CPU marked itself walking and unmarked itself: the mark was seen at 0 after.
    expect(findings[0].run.counterDrift).toBe(0);
    expect(findings[0].run.walks.completed).toBeGreaterThan(0);
  });

  it('passes an interesting outcome declared honestly: shown, and never under its fix', async () => {
    const { outcome, demonstration } = demonstrationOf(honestUnsafe);
    const found = await checkDemonstration(honestUnsafe, outcome, demonstration);
    expect(found.failures).toEqual([]);
    expect(found.shown).toBe(true);
  });
});
