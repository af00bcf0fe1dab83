// A bounded hunt for a race: runs of a buggy strategy until one shows a use-after-free (or the
// attempts run out), then as many runs of the strategy that fixed it, on the same pool and
// settings. Prints the observed rate, so a slow or lucky host shows in the test log.

import { CpuPool } from '../../src/coordinator/cpu-pool.ts';
import type { RunSpec } from '../../src/spec/run-spec.ts';
import { createMachine, runStrategy, type StrategyRun } from '../../src/coordinator/runs.ts';

export interface Hunt {
  /** The buggy strategy's runs; the last is the first that showed the bug, if any did. */
  readonly bad: readonly StrategyRun[];
  /** The fixed strategy's runs: as many as the buggy one's, and at least `minFixed`. */
  readonly good: readonly StrategyRun[];
}

export async function hunt(spec: RunSpec, buggy: string, fixed: string, attempts: number, minFixed = 2): Promise<Hunt> {
  const pool = await CpuPool.start(createMachine(spec));
  try {
    const bad: StrategyRun[] = [];
    while (bad.length < attempts && bad.every((r) => r.violations.useAfterFree === 0)) bad.push(await runStrategy(pool, { ...spec, strategy: buggy }, bad.length));
    const good: StrategyRun[] = [];
    for (let i = 0; i < Math.max(minFixed, bad.length); i++) good.push(await runStrategy(pool, { ...spec, strategy: fixed }, bad.length + i));
    const uaf = bad.reduce((sum, r) => sum + r.violations.useAfterFree, 0);
    const pmds = bad.reduce((sum, r) => sum + r.pmdsUnmapped, 0);
    console.log(`${buggy}: ${uaf} use-after-free in ${pmds} PMDs over ${bad.length} attempt(s) (${((uaf * 1e6) / pmds).toFixed(1)} per million); ${fixed}: ${good.length} run(s)`);
    return { bad, good };
  } finally {
    await pool.close();
  }
}

/** Walks that met the unmapper on their PMD, over `runs`: above 0, a "never" had a chance to fail. */
export const collisions = (runs: readonly StrategyRun[]): number => runs.reduce((sum, r) => sum + r.walks.collisions, 0);
