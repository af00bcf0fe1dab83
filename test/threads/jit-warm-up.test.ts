import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuPool } from '../../src/coordinator/cpu-pool.ts';
import { warmUpJit, type JitWarmUp } from '../../src/coordinator/jit-warm-up.ts';
import { runSpec } from '../../src/coordinator/run-spec.ts';
import { createMachine, runWalkersOnly } from '../../src/coordinator/runs.ts';
import { mmWord } from '../../src/shared-memory/mm.ts';

// More CPUs than host cores, so that taking turns means something; the session's two strategies.
const cpus = 2 * os.availableParallelism() + 1;
const spec = runSpec({ machine: { cpus, memoryBytes: 2 ** 27 }, warmupMs: 10 });
const strategies = ['ipi-broadcast', 'counter'];

let pool: CpuPool;
let jit: JitWarmUp;

beforeAll(async () => {
  pool = await CpuPool.start(createMachine(spec));
  jit = await warmUpJit(pool, spec, { strategies, operation: true });
});

afterAll(async () => {
  await pool?.close();
});

describe('the JIT warm-up', () => {
  it('accounts for every CPU: settled at a rate, or named as not settled', () => {
    expect(jit.cpus).toBe(cpus);
    expect(jit.settled + jit.unsettled.length).toBe(cpus);
    expect(jit.walksPerCpuMsByCpu).toHaveLength(cpus);
    for (const [cpu, rate] of jit.walksPerCpuMsByCpu.entries()) {
      if (!jit.unsettled.includes(cpu)) expect(rate).toBeGreaterThan(0);
    }
    expect(jit.walksPerCpuMs.min).toBeLessThanOrEqual(jit.walksPerCpuMs.median);
    expect(jit.walksPerCpuMs.median).toBeLessThanOrEqual(jit.walksPerCpuMs.max);
    if (process.platform === 'linux') expect(jit.clock).not.toBe('wall');
  });

  it('gives every CPU a turn, and never lets more CPUs walk at once than the host has cores', () => {
    const firstRound = jit.turns.filter((t) => t.round === 0);
    expect(new Set(firstRound.map((t) => t.cpu)).size).toBe(cpus);
    for (const round of new Set(jit.turns.map((t) => t.round))) {
      // Sweep the round's turns in time order: +1 at each start, -1 at each end.
      const edges = jit.turns
        .filter((t) => t.round === round)
        .flatMap((t) => [[t.fromMs, 1] as const, [t.toMs, -1] as const])
        .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let walking = 0;
      for (const [, step] of edges) {
        walking += step;
        expect(walking).toBeLessThanOrEqual(os.availableParallelism());
      }
    }
  });

  it('ends every turn it began, and leaves the pool ready for measured runs', async () => {
    const lastRound = Math.max(...jit.turns.map((t) => t.round));
    expect(Atomics.load(pool.machine.mm, mmWord.warmTurnsDone)).toBe(jit.turns.filter((t) => t.round === lastRound).length);
    const run = await runWalkersOnly(pool, { ...spec, strategy: strategies[1] }, 0, 200);
    expect(run.walksPerSecond).toBeGreaterThan(0);
  });
});
