import { describe, expect, it } from 'vitest';
import type { CpuRunPlan } from '../../src/cpu-worker/run.ts';
import { CpuFailure, CpuPool, CpusStuck } from '../../src/coordinator/cpu-pool.ts';
import { kernelOf, runSpec } from '../../src/coordinator/run-spec.ts';
import { cpuStatValues } from '../../src/shared-memory/cpu-block.ts';
import { mappedMachine } from '../helpers/machine.ts';

function plans(cpus: number, overrides: (cpu: number) => Partial<CpuRunPlan>): CpuRunPlan[] {
  return Array.from({ length: cpus }, (_, cpu) => ({
    strategy: 'ipi-broadcast',
    role: cpu === 0 ? 'operator' : 'walker',
    seed: 1,
    run: 0,
    firstHpn: 0,
    hugePages: 4,
    workload: { mix: [{ kind: 'find-pte', weight: 1 }], holdUs: 1, walkRate: 0, busy: 1, dutyMs: 1, raceWindow: 0, otherMm: 0 },
    op: 'munmap',
    kernel: kernelOf(runSpec({ strategy: 'ipi-broadcast' })),
    vcpuPreempt: 0,
    warmupMs: 0,
    ...overrides(cpu),
  }));
}

async function machineWithPool(cpus: number) {
  return CpuPool.start(mappedMachine(cpus, 4));
}

describe('a run of the pool', () => {
  it("returns each CPU's report: its statistics, a walker's own measurements, the unmapper's result", async () => {
    const pool = await machineWithPool(3);
    try {
      const reports = await pool.run(plans(3, () => ({})), 30_000, () => pool.stop());
      expect(reports.map((r) => r.cpu)).toEqual([0, 1, 2]);
      // The statistics each CPU reports are its own, final as it stopped.
      for (const r of reports) expect(r.stats).toEqual(cpuStatValues(pool.machine.cpuStats, r.cpu));
      const [unmapper, ...walkers] = reports;
      expect(unmapper.walker).toBeUndefined();
      expect(unmapper.operation).toMatchObject({ op: 'munmap', pmds: 4, pmdsDone: 4, aborted: false, stoppedAtBudget: false });
      expect(unmapper.stats).toMatchObject({ pmdsDone: 4, framesFreed: 4, ipisSent: 4 * 2, walks: 0 });
      for (const w of walkers) {
        expect(w.operation).toBeUndefined();
        expect(w.violations).toEqual([]);
        expect(w.stats).toMatchObject({ ipisHandled: 4, ipisSent: 0, useAfterFree: 0 });
        expect(w.stats.walks).toBeGreaterThan(0);
        expect(w.walker!.byKind['find-pte']).toBe(w.stats.walks);
      }
    } finally {
      await pool.close();
    }
  });
});

describe('supervision of the CPU threads', () => {
  it('names the CPU whose run threw, stops the others, and joins every thread', async () => {
    const pool = await machineWithPool(3);
    try {
      const run = pool.run(plans(3, (cpu) => (cpu === 2 ? { strategy: 'no-such-strategy' } : {})), 30_000, () => pool.stop());
      await expect(run).rejects.toThrow(CpuFailure);
      await expect(run).rejects.toThrow(/^CPU 2 failed: RangeError: unknown strategy 'no-such-strategy'/);
    } finally {
      await pool.close();
    }
  });

  it('reports CPUs stuck behind a walker that keeps its IRQs off, instead of hanging', async () => {
    const pool = await machineWithPool(2);
    try {
      // CPU 1 walks with IRQs off for a minute: CPU 0's IPI cannot complete.
      const run = pool.run(plans(2, (cpu) => (cpu === 1 ? { workload: { mix: [{ kind: 'find-pte', weight: 1 }], holdUs: 60e6, walkRate: 0, busy: 1, dutyMs: 1, raceWindow: 0, otherMm: 0 } } : {})), 1_000, () => pool.stop());
      const error = await run.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CpusStuck);
      const stuck = (error as CpusStuck).cpus;
      expect(stuck.map((s) => s.cpu)).toEqual([0, 1]);
      expect(stuck[1]).toMatchObject({ irqEnabled: false, pendingIpis: 1 });
      expect((error as Error).message).toMatch(/CPU 0 \(operator, IRQs on, changing huge page 0, 0 IPI\(s\) pending\)/);
      expect((error as Error).message).toMatch(/CPU 1 \(walker, IRQs off, last walked huge page \d, 1 IPI\(s\) pending\)/);
    } finally {
      await pool.close(); // joins CPU 1 even in the middle of its IRQ-off minute
    }
  });
});
