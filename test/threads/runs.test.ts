import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuPool } from '../../src/coordinator/cpu-pool.ts';
import { runSpec } from '../../src/coordinator/run-spec.ts';
import { createMachine, runStrategy, type StrategyRun } from '../../src/coordinator/runs.ts';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

// Busy walkers on every CPU, holding each page long enough that walks and clears overlap.
const spec = runSpec({ machine: { cpus: 4, memoryBytes: 128 * MiB }, workload: { busy: 1, walkRate: 0, holdUs: 5 }, warmupMs: 10 });

let pool: CpuPool;
const runs = new Map<string, StrategyRun>();

beforeAll(async () => {
  pool = await CpuPool.start(createMachine(spec));
  // The same pool twice over: frames freed by the first run are reused by the second.
  for (const [i, strategy] of ['ipi-broadcast', 'counter', 'ipi-broadcast', 'counter'].entries()) {
    const run = await runStrategy(pool, { ...spec, strategy: strategy }, i);
    runs.set(`${strategy}#${i >> 1}`, run);
  }
});

afterAll(async () => {
  await pool?.close();
});

describe.each(['ipi-broadcast#0', 'counter#0', 'ipi-broadcast#1', 'counter#1'])('munmap under %s with busy walkers', (key) => {
  const run = () => runs.get(key)!;

  it('runs the strategy it was given, and the operation', () => {
    expect(run().strategy).toBe(key.split('#')[0]);
    expect(run().op).toBe('munmap');
  });

  it('unmaps every PMD and frees one frame per PMD, with every invariant held', () => {
    expect(run().pmds).toBe(64);
    expect(run().pmdsDone).toBe(64);
    expect(run().brokenInvariants).toEqual([]);
  });

  it('never lets a walker use a freed page', () => {
    expect(run().violations.useAfterFree).toBe(0);
    expect(run().walks.leaf).toBeGreaterThan(0);
  });

  it('has every IPI acknowledged', () => {
    expect(run().ipis.acked).toBe(run().ipis.sent);
  });
});

describe('what the strategies send', () => {
  it('ipi-broadcast interrupts every other CPU of the mm for every PMD', () => {
    const run = runs.get('ipi-broadcast#0')!;
    expect(run.ipis.sent).toBe(64 * (spec.machine.cpus - 1));
    expect(run.ipis.skipped).toBe(0);
  });

  it('counter sends whole rounds, only for PMDs cleared while a walk was in flight, and skips the rest', () => {
    const run = runs.get('counter#0')!;
    const rounds = run.ipis.sent / (spec.machine.cpus - 1);
    expect(Number.isInteger(rounds)).toBe(true);
    expect(rounds + run.ipis.skipped).toBe(64);
    expect(run.ipis.sent).toBeLessThanOrEqual(runs.get('ipi-broadcast#0')!.ipis.sent);
  });
});

describe('walker pacing', () => {
  it('keeps a walker CPU to its busy share even when walks are further apart than its busy stretch', async () => {
    // 2 ms busy in every 20 ms, one walk per 50 ms: pacing that waited for the next walk
    // would keep the CPU busy all the time (and, at 128 CPUs, swamp the host).
    const paced = runSpec({ strategy: 'none', machine: { cpus: 3, memoryBytes: 64 * MiB }, workload: { busy: 0.1, dutyMs: 20, walkRate: 20 }, warmupMs: 300 });
    const small = await CpuPool.start(createMachine(paced));
    try {
      const run = await runStrategy(small, paced, 0);
      expect(run.strategy).toBe('none');
      expect(run.walks.completed).toBeGreaterThan(0);
      expect(run.walks.busyShare).toBeGreaterThan(0.03);
      expect(run.walks.busyShare).toBeLessThan(0.3);
    } finally {
      await small.close();
    }
  });
});

describe("the seed's machine: the qemu-128 preset's 128 CPUs, on a smaller range", () => {
  it('runs the counter family to completion with every IPI acknowledged and no walker using a freed page', async () => {
    // Run to the end, however long this host takes: no budget.
    const seed = runSpec({ preset: 'qemu-128', machine: { memoryBytes: 4 * GiB }, warmupMs: 50, budgetMs: undefined });
    expect(seed.machine.cpus).toBe(128);
    expect(seed.budgetMs).toBeUndefined();
    const big = await CpuPool.start(createMachine(seed));
    try {
      for (const [i, strategy] of ['counter', 'percpu', 'stale-tolerant'].entries()) {
        const run = await runStrategy(big, { ...seed, strategy: strategy }, i);
        expect(run.strategy).toBe(strategy);
        expect(run.pmdsDone, strategy).toBe(2048);
        expect(run.ipis.acked, strategy).toBe(run.ipis.sent);
        expect(run.violations.useAfterFree, strategy).toBe(0);
        expect(run.brokenInvariants, strategy).toEqual([]);
      }
    } finally {
      await big.close();
    }
  }, 120_000);
});
