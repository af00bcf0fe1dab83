import os from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSpec } from '../../src/coordinator/run-spec.ts';
import type { StrategyRun } from '../../src/coordinator/runs.ts';
import { collisions, hunt } from '../helpers/hunt.ts';

// The store-buffering race needs the walker and the unmapper on two cores at the same time.
const cores = os.availableParallelism();
if (cores < 2) console.warn(`race tests skipped: this host has ${cores} core; a store-buffering race needs two threads running at once`);

// One walker hammering the PMD being cleared, with short walks back to back (the race window's
// defaults). A munmap of 64K PMDs takes about 0.2 s here; we allow up to 24 of them.
const spec = runSpec({ machine: { cpus: 2, memoryBytes: 128 * 2 ** 30 }, workload: { raceWindow: 1 } });
const MAX_ATTEMPTS = 24;

describe.skipIf(cores < 2)('the store-buffering bug, on real hardware', () => {
  let racy: readonly StrategyRun[];
  let fixed: readonly StrategyRun[];

  beforeAll(async () => {
    // The fixed counter gets as many attempts (three at least), on the same pool and settings.
    ({ bad: racy, good: fixed } = await hunt(spec, 'counter-no-barriers', 'counter', MAX_ATTEMPTS, 3));
  });

  it('counter-no-barriers lets a walker use a freed page within the bounded attempts', () => {
    const last = racy[racy.length - 1];
    expect(last.strategy).toBe('counter-no-barriers');
    expect(last.violations.useAfterFree).toBeGreaterThan(0);
    expect(last.demonstrated).toEqual([expect.stringMatching(/use-after-free/)]);
    // Each violation is the store-buffering outcome: the walker read the old PMD, and the
    // unmapper, which had cleared it, saw no walk in flight. The run names the strategy.
    expect(last.violations.first.length).toBeGreaterThan(0);
    for (const v of last.violations.first) expect(v).toMatchObject({ strategy: 'counter-no-barriers', unmapperSentIpis: 0 });
  });

  it('counter-no-barriers still keeps the emulator bookkeeping: its failure is the demonstrated one only', () => {
    for (const run of racy) expect(run.brokenInvariants).toEqual([]);
  });

  it('counter, with its barriers, never does under the same settings', () => {
    for (const run of fixed) {
      expect(run.strategy).toBe('counter');
      expect(run.violations.useAfterFree).toBe(0);
      expect(run.brokenInvariants).toEqual([]);
    }
    // Not vacuous: walks and clears did meet, and the barriers made each meeting safe.
    expect(collisions(fixed)).toBeGreaterThan(0);
  });
});
