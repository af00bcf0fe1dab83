// The series as it was posted, version by version: each early version's real bug, caught on
// this hardware within bounded attempts, and never under the version that fixed it.
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuPool } from '../../src/coordinator/cpu-pool.ts';
import { runSpec } from '../../src/coordinator/run-spec.ts';
import { createMachine, runStrategy } from '../../src/coordinator/runs.ts';
import { collisions, hunt, type Hunt } from '../helpers/hunt.ts';

const cores = os.availableParallelism();
if (cores < 2) console.warn(`series race tests skipped: this host has ${cores} core; a walker and the unmapper must run at once`);

describe.skipIf(cores < 2)("the RFC's scope bug", () => {
  const spec = runSpec({ machine: { cpus: 2, memoryBytes: 16 * 2 ** 30 }, workload: { raceWindow: 1 } });
  let found: Hunt;
  beforeAll(async () => {
    found = await hunt(spec, 'counter-rfc', 'counter', 8);
  });

  it('counter-rfc frees a page under a walker whose count dropped at the end of its lookup', () => {
    const last = found.bad[found.bad.length - 1];
    expect(last.violations.useAfterFree).toBeGreaterThan(0);
    expect(last.violations.first).toContainEqual(expect.objectContaining({ strategy: 'counter-rfc', what: 'frame', unmapperSentIpis: 0 }));
    expect(last.demonstrated).toEqual([expect.stringMatching(/use-after-free/)]);
    expect(last.brokenInvariants).toEqual([]);
  });

  it('counter (v5), counting until after the use, never does', () => {
    for (const run of found.good) {
      expect(run.violations.useAfterFree).toBe(0);
      expect(run.brokenInvariants).toEqual([]);
    }
    expect(collisions(found.good), 'no walk met the unmapper: nothing was tested').toBeGreaterThan(0);
  });
});

describe.skipIf(cores < 2)("v3's one-sided store buffering", () => {
  const spec = runSpec({ machine: { cpus: 2, memoryBytes: 128 * 2 ** 30 }, workload: { raceWindow: 1 } });
  let found: Hunt;
  beforeAll(async () => {
    found = await hunt(spec, 'counter-v3', 'counter', 6);
  });

  it('counter-v3 keeps the bookkeeping: whatever it shows is its declared bug, never a broken invariant', () => {
    for (const run of found.bad) {
      expect(run.brokenInvariants).toEqual([]);
      expect(run.counterDrift).toBe(0);
      if (run.violations.useAfterFree > 0) expect(run.demonstrated).toEqual([expect.stringMatching(/use-after-free/)]);
    }
  });

  it('counter (v5), with its walker-side barrier, never lets a walker use a freed page', () => {
    for (const run of found.good) {
      expect(run.violations.useAfterFree).toBe(0);
      expect(run.brokenInvariants).toEqual([]);
    }
    expect(collisions(found.good), 'no walk met the unmapper: nothing was tested').toBeGreaterThan(0);
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
