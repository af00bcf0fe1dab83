import { describe, expect, it } from 'vitest';
import { CpuFailure, CpuPool, CpusStuck } from '../src/coordinator/cpu-pool.ts';
import { map_thp_range } from '../src/coordinator/map-thp.ts';
import type { CpuRunPlan } from '../src/cpu-worker/run.ts';
import { cpumask_set_cpu } from '../src/shared-memory/mm.ts';
import { SharedMachine } from '../src/shared-memory/shared-machine.ts';

function plans(cpus: number, overrides: (cpu: number) => Partial<CpuRunPlan>): CpuRunPlan[] {
  return Array.from({ length: cpus }, (_, cpu) => ({
    strategy: 'ipi-broadcast',
    role: cpu === 0 ? 'unmapper' : 'walker',
    seed: 1,
    run: 0,
    firstHpn: 0,
    hugePages: 4,
    workload: { mix: [{ kind: 'find-pte', weight: 1 }], holdUs: 1, walkRate: 0, busy: 1, dutyMs: 1, raceWindow: 0 },
    op: 'munmap',
    warmupMs: 0,
    ...overrides(cpu),
  }));
}

async function machineWithPool(cpus: number) {
  const machine = SharedMachine.create({ cpus, hugePages: 4 });
  map_thp_range(machine, 0, 4);
  for (let cpu = 0; cpu < cpus; cpu++) cpumask_set_cpu(machine.mm, cpu);
  return CpuPool.start(machine);
}

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
      const run = pool.run(plans(2, (cpu) => (cpu === 1 ? { workload: { mix: [{ kind: 'find-pte', weight: 1 }], holdUs: 60e6, walkRate: 0, busy: 1, dutyMs: 1, raceWindow: 0 } } : {})), 1_000, () => pool.stop());
      const error = await run.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CpusStuck);
      const stuck = (error as CpusStuck).cpus;
      expect(stuck.map((s) => s.cpu)).toEqual([0, 1]);
      expect(stuck[1]).toMatchObject({ irqEnabled: false, pendingIpis: 1 });
      expect((error as Error).message).toMatch(/CPU 0 \(unmapper, IRQs on, unmapping huge page 0, 0 IPI\(s\) pending\)/);
      expect((error as Error).message).toMatch(/CPU 1 \(walker, IRQs off, last walked huge page \d, 1 IPI\(s\) pending\)/);
    } finally {
      await pool.close(); // joins CPU 1 even in the middle of its IRQ-off minute
    }
  });
});
