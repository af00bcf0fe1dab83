// Every answer and version that claims safety, through every run the harness declares
// (coordinator/conformance.ts SAFETY_RUNS): munmap, split and collapse, every walker kind at once
// and walkers hammering the PMDs being changed. Which answers claim safety is their own
// declaration: nothing here lists them.
import { beforeAll, describe, expect, it } from 'vitest';
import { SAFETY_RUNS, checkSafety, type SafetyFinding } from '../../src/coordinator/conformance.ts';
import { KERNELS, STRATEGIES, isSafe } from '../../src/strategies/index.ts';

const SAFE = [...STRATEGIES, ...KERNELS].filter(isSafe);

describe.each(SAFETY_RUNS)('$name', (safety) => {
  let findings: SafetyFinding[];
  beforeAll(async () => {
    findings = await checkSafety(safety, SAFE);
  });

  it.each(SAFE.map((s) => s.name))('%s: no use-after-free, no misread, every invariant held', (name) => {
    const finding = findings.find((f) => f.strategy === name)!;
    expect(finding.run.op).toBe(safety.spec.op);
    expect(finding.failures).toEqual([]);
    expect(finding.run.violations).toMatchObject({ useAfterFree: 0, misreads: 0 });
  });

  it.runIf(safety.racing)('walks met the changes: the runs tested something', () => {
    expect(findings.reduce((sum, f) => sum + f.run.walks.collisions, 0)).toBeGreaterThan(0);
  });
});
