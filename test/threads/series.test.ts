// The series as it was posted, version by version: what its early versions' bugs look like when
// caught, how v5 counts, and v6's per-CPU count against the per-CPU mm pointer.
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuPool } from '../../src/coordinator/cpu-pool.ts';
import { runSpec } from '../../src/coordinator/run-spec.ts';
import { createMachine, runStrategy } from '../../src/coordinator/runs.ts';
import { checkDemonstration, describeDemonstration, type DemonstrationFinding } from '../../src/coordinator/conformance.ts';
import { interestingOutcomes, strategyByName } from '../../src/strategies/index.ts';

const cores = os.availableParallelism();
if (cores < 2) console.warn(`series race tests skipped: this host has ${cores} core; a walker and the unmapper must run at once`);

// The demonstrations themselves run in the conformance suite; here, what their violations say.
describe.skipIf(cores < 2).each(['counter-v1', 'counter-no-barriers'])('%s: each use-after-free its demonstration shows', (name) => {
  let found: DemonstrationFinding;
  beforeAll(async () => {
    const strategy = strategyByName(name);
    const [{ outcome, declared }] = interestingOutcomes(strategy);
    if (!('demonstrate' in declared)) throw new Error(`${name} declares no demonstration`);
    found = await checkDemonstration(strategy, outcome, declared.demonstrate);
    console.log(describeDemonstration(found));
  });

  it("is a walk whose count the unmapper did not see: it sent no IPI for that PMD, and the walker's frame was freed", () => {
    expect(found.failures).toEqual([]);
    const showing = found.runs[found.runs.length - 1];
    expect(showing.demonstrated).toEqual([expect.stringMatching(/use-after-free/)]);
    expect(showing.violations.first.length).toBeGreaterThan(0);
    for (const v of showing.violations.first) expect(v).toMatchObject({ strategy: name, unmapperSentIpis: 0 });
    expect(showing.violations.first).toContainEqual(expect.objectContaining({ what: 'frame' }));
  });
});

describe('v5 counts from before local_irq_save() to after local_irq_restore()', () => {
  let pool: CpuPool;
  const specFor = (op: 'munmap' | 'split' | 'collapse') => runSpec({ op, machine: { cpus: 3, memoryBytes: 256 * 2 ** 20 }, workload: { busy: 1, walkRate: 0 }, strategy: 'counter' });
  beforeAll(async () => {
    // Sized for collapse, the widest: a PTE page per PMD and frames old and new.
    pool = await CpuPool.start(createMachine(specFor('collapse')));
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('keeps every invariant, the count back at 0, under munmap, split and collapse', async () => {
    for (const [i, op] of (['munmap', 'split', 'collapse'] as const).entries()) {
      const run = await runStrategy(pool, specFor(op), i);
      expect(run.brokenInvariants).toEqual([]);
      expect(run.counterDrift).toBe(0);
      expect(run.violations).toMatchObject({ useAfterFree: 0, misreads: 0 });
    }
  });
});

describe("another process's walks on the same CPUs: v6's per-CPU count against 2025's per-CPU mm pointer", () => {
  it('percpu interrupts CPUs walking another mm; percpu-mm only those walking this one (here none)', async () => {
    const spec = runSpec({ machine: { cpus: 4, memoryBytes: 256 * 2 ** 20 }, workload: { busy: 1, walkRate: 0, otherMm: 1 } });
    const pool = await CpuPool.start(createMachine(spec));
    try {
      const v6 = await runStrategy(pool, { ...spec, strategy: 'percpu' }, 0);
      const mm = await runStrategy(pool, { ...spec, strategy: 'percpu-mm' }, 1);
      for (const run of [v6, mm]) {
        expect(run.walks.otherMm).toBeGreaterThan(0);
        expect(run.walks.completed).toBe(0); // every walk was of the other mm
        expect(run.brokenInvariants).toEqual([]);
      }
      expect(v6.ipis.sent).toBeGreaterThan(0);
      expect(mm.ipis.sent).toBe(0);
    } finally {
      await pool.close();
    }
  });
});
