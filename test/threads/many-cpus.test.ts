// As many CPU threads as this host's memory holds (up to the emulator's maximum, 1024), started
// in bounded time and each answering an IPI: the start-up scales, and no CPU is left out.

import os from 'node:os';
import { describe, expect, it } from 'vitest';
import type { CpuRunPlan } from '../../src/cpu-worker/run.ts';
import { BYTES_PER_CPU } from '../../src/coordinator/cpu-memory.ts';
import { CpuPool } from '../../src/coordinator/cpu-pool.ts';
import { kernelOf, runSpec } from '../../src/coordinator/run-spec.ts';
import { MAX_CPUS } from '../../src/shared-memory/mm.ts';
import { mappedMachine } from '../helpers/machine.ts';

/** Half the free memory: the rest is margin for the test runner and whatever else the host runs. */
const CPUS = Math.min(MAX_CPUS, Math.floor(os.freemem() / 2 / BYTES_PER_CPU));
const HUGE_PAGES = 2;

/** CPU 0 unmaps under ipi-broadcast; the others halt in cpu_idle() but for rare walks, so an IPI must wake each. */
const plans = (cpus: number): CpuRunPlan[] =>
  Array.from({ length: cpus }, (_, cpu) => ({
    strategy: 'ipi-broadcast',
    role: cpu === 0 ? 'operator' : 'walker',
    seed: 1,
    run: 0,
    firstHpn: 0,
    hugePages: HUGE_PAGES,
    workload: { mix: [{ kind: 'find-pte', weight: 1 }], holdUs: 1, walkRate: 0, busy: 0.001, dutyMs: 1000, raceWindow: 0, otherMm: 0 },
    op: 'munmap',
    kernel: kernelOf(runSpec({ strategy: 'ipi-broadcast' })),
    vcpuPreempt: 0,
    warmupMs: 0,
  }));

describe(`${CPUS} CPU threads (what half this host's free memory holds, at most ${MAX_CPUS})`, () => {
  it('start, report each attach, and every one answers each broadcast IPI', { timeout: 240_000 }, async () => {
    expect(CPUS, 'the host has too little free memory for a many-CPU test').toBeGreaterThanOrEqual(16);
    const attached: number[] = [];
    const pool = await CpuPool.start(mappedMachine(CPUS, HUGE_PAGES), (n) => attached.push(n));
    try {
      expect(attached).toEqual(Array.from({ length: CPUS }, (_, i) => i + 1));
      const [unmapper, ...walkers] = await pool.run(plans(CPUS), 180_000, () => pool.stop());
      expect(unmapper.stats).toMatchObject({ pmdsDone: HUGE_PAGES, ipisSent: HUGE_PAGES * (CPUS - 1) });
      const missed = walkers.filter((w) => w.stats.ipisHandled !== HUGE_PAGES).map((w) => w.cpu);
      expect(missed, 'CPUs that did not answer every IPI').toEqual([]);
    } finally {
      await pool.close();
    }
  });
});
