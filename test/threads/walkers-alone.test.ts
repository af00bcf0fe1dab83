import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuPool } from '../../src/coordinator/cpu-pool.ts';
import { walkersAloneSpec } from '../../src/coordinator/run-spec.ts';
import { createMachine } from '../../src/coordinator/runs.ts';
import { compareWalkersAlone, type WalkersAloneResult } from '../../src/coordinator/walkers-alone.ts';
import { strategyByName } from '../../src/strategies/index.ts';

const spec = walkersAloneSpec(3, 'find-pte', 0, 2 ** 26);
let pool: CpuPool;
let results: WalkersAloneResult[];

beforeAll(async () => {
  pool = await CpuPool.start(createMachine(spec));
  const specs = ['counter', 'none', 'percpu'].map((name) => ({ ...spec, strategy: strategyByName(name) }));
  results = await compareWalkersAlone(pool, specs, 120, 3);
});

afterAll(async () => {
  await pool?.close();
});

describe('walkers alone, strategy against strategy, in rounds', () => {
  it('reports every strategy in the order given, with a cell in every round', () => {
    expect(results.map((r) => r.strategy)).toEqual(['counter', 'none', 'percpu']);
    for (const r of results) {
      expect(r.rounds).toHaveLength(3);
      expect(r.cpus).toBe(3);
      expect(r.walksPerSecond).toBeGreaterThan(0);
      expect(r.spread.min).toBeLessThanOrEqual(r.walksPerSecond);
      expect(r.spread.max).toBeGreaterThanOrEqual(r.walksPerSecond);
    }
  });

  it("takes each strategy's ratio to the floor round by round, against the floor's cell of the same round", () => {
    const none = results.find((r) => r.strategy === 'none')!;
    expect(none.vsFloor).toBeUndefined();
    for (const r of results.filter((x) => x !== none)) {
      const ratios = r.rounds.map((cell, round) => cell.walksPerSecond / none.rounds[round].walksPerSecond).sort((a, b) => a - b);
      expect(r.vsFloor).toEqual({ median: ratios[1], min: ratios[0], max: ratios[2] });
    }
  });
});
