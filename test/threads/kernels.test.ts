// Linux, version by version: each version's invariants, its IPIs, and the one hole it had.
import { beforeAll, describe, expect, it } from 'vitest';
import { CpuPool } from '../../src/coordinator/cpu-pool.ts';
import { runSpec } from '../../src/coordinator/run-spec.ts';
import { type RunSpec } from '../../src/spec/run-spec.ts';
import { createMachine, runStrategy, type StrategyRun } from '../../src/coordinator/runs.ts';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Runs of `kernels` over one pool, in order. */
async function runAll(spec: RunSpec, kernels: readonly string[]): Promise<StrategyRun[]> {
  const pool = await CpuPool.start(createMachine(spec));
  try {
    const runs: StrategyRun[] = [];
    for (const [i, kernel] of kernels.entries()) runs.push(await runStrategy(pool, { ...spec, strategy: kernel }, i));
    return runs;
  } finally {
    await pool.close();
  }
}

describe.each(['munmap', 'split', 'collapse'] as const)('Linux 5.4, 5.8 and 6.1 under %s, walkers hammering the PMDs being changed', (op) => {
  const runs: StrategyRun[] = [];
  beforeAll(async () => {
    runs.push(...(await runAll(runSpec({ op, machine: { cpus: 3, memoryBytes: 4 * GiB }, workload: { raceWindow: 2 } }), ['linux-5.4', 'linux-5.8', 'linux-6.1'])));
  });

  it.each([0, 1, 2])('no misread, no use-after-free, every invariant held (%i)', (i) => {
    const run = runs[i];
    expect(run.violations).toMatchObject({ misreads: 0, useAfterFree: 0 });
    expect(run.brokenInvariants).toEqual([]);
    expect(run.pmdsDone).toBe(2048);
  });

  it('5.4 serialises every change with an IPI to the mm; 5.8 sends none but for collapse', () => {
    const [v54, v58] = runs;
    expect(v54.ipis.sent).toBe(2048 * 2);
    expect(v58.ipis.sent).toBe(op === 'collapse' ? 2048 * 2 : 0);
    expect(v58.kernel).toMatchObject({ walkerStyle: 'value', walkerGuards: true });
    expect(v54.kernel).toMatchObject({ walkerStyle: 'pointer', walkerGuards: false });
  });

  it('5.8 flushes each PMD as munmap clears it; 5.4 once per mmu_gather batch', () => {
    const [v54, v58] = runs;
    if (op === 'munmap') {
      // Race amplification: a batch of one page; then one for the page tables (free_pgtables()).
      expect(v54.tlb.flushes).toBe(2048 + 1);
      expect(v58.tlb.flushes).toBe(2 * 2048 + 1);
    } else {
      expect(v54.tlb.flushes).toBe(2048); // split and collapse flush each PMD in every version
    }
  });
});

describe('collapse in 6.1: tlb_remove_table_sync_one(), an IPI to every online CPU', () => {
  it('sends every collapse an IPI to each other online CPU, those outside the mm too, and deposits the PTE page', async () => {
    const spec = runSpec({ op: 'collapse', machine: { cpus: 3, outsideCpus: 2, memoryBytes: 128 * MiB }, workload: { busy: 1, walkRate: 0 } });
    const [run] = await runAll(spec, ['linux-6.1']);
    expect(run.ipis.sent).toBe(64 * (3 + 2 - 1));
    expect(run.ipis.acked).toBe(run.ipis.sent);
    expect(run.brokenInvariants).toEqual([]); // among them: one PTE page deposited per PMD collapsed
  });
});
