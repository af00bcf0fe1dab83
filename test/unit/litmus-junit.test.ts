import { describe, expect, it } from 'vitest';
import { formatJUnit } from '../../src/litmus/junit.ts';
import type { LitmusReport } from '../../src/litmus/report.ts';
import type { LitmusResult } from '../../src/litmus/run-litmus.ts';

const result = (id: string, verdict: Partial<LitmusResult['verdict']>, positive = 0): LitmusResult =>
  ({
    name: id,
    file: `litmus/${id}.litmus`,
    variant: 'as-written',
    id,
    condition: 'exists (0:r0=0 /\\ 1:r0=0)',
    quantifier: 'exists',
    expected: 'Never',
    threads: 2,
    hash: '0',
    iterations: 1000,
    stride: 10,
    seconds: 0.25,
    outcomes: [],
    relaxedCount: positive,
    positive,
    observation: positive > 0 ? 'Sometimes' : 'Never',
    verdict: { kind: 'agrees', failed: false, text: 'never observed, as herd7 says', warnings: [], ...verdict },
  }) as LitmusResult;

const report: LitmusReport = {
  host: { cores: 2, arch: 'x64', node: 'v20', cpuModel: 'AMD EPYC' },
  tests: [result('SB+mbs', {}), result('SB<&>', { kind: 'FAILED', failed: true, text: 'observed in 3 of 1,000 iterations, and herd7 says Never' }, 3)],
  refused: [{ name: 'RCU+sync', file: 'litmus/RCU+sync.litmus', problem: 'unsupported', message: "uses 'rcu_read_lock()', which this runner does not run" }],
};

describe('litmus verdicts as JUnit XML', () => {
  const xml = formatJUnit(report);

  it('has a testcase per test run and per test refused, counted in the suite', () => {
    expect(xml.match(/<testcase /g)).toHaveLength(3);
    expect(xml).toMatch(/<testsuite name="litmus" tests="3" failures="1" errors="0" skipped="1" time="0.500" hostname="[^"]+">/);
  });

  it('a FAILED verdict is a failure, a refused test skipped with its reason, the rest say their verdict', () => {
    expect(xml).toContain('<failure message="observed in 3 of 1,000 iterations, and herd7 says Never" type="FAILED">');
    expect(xml).toContain(`<skipped message="uses &apos;rcu_read_lock()&apos;, which this runner does not run"/>`);
    expect(xml).toContain('<system-out>agrees: never observed, as herd7 says (0 of 1000 iterations; herd7: Never)</system-out>');
  });

  it('escapes what XML must', () => {
    expect(xml).toContain('name="SB&lt;&amp;&gt;"');
    expect(xml).not.toMatch(/="[^"]*([<>]|&(?!amp;|lt;|gt;|quot;|apos;))[^"]*"/);
  });
});
