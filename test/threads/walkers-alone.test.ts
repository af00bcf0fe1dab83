import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CpuPool } from '../../src/coordinator/cpu-pool.ts';
import { walkersAloneSpec } from '../../src/spec/run-spec.ts';
import { createMachine } from '../../src/coordinator/runs.ts';
import { compareWalkersAlone, type WalkersAloneResult } from '../../src/coordinator/walkers-alone.ts';

// Two machines, the larger first, to show that ratios are taken against the fewest CPUs
// whatever the order given.
const machineSpecs = [3, 2].map((cpus) => walkersAloneSpec(cpus, 'find-pte', 0, 2 ** 26));
const STRATEGIES = ['counter', 'none', 'percpu'];
let pools: CpuPool[] = [];
let results: WalkersAloneResult[];

beforeAll(async () => {
  pools = await Promise.all(machineSpecs.map((spec) => CpuPool.start(createMachine(spec))));
  const machines = pools.map((pool, m) => ({ pool, specs: STRATEGIES.map((name) => ({ ...machineSpecs[m], strategy: name })) }));
  results = await compareWalkersAlone(machines, 120, 3);
});

afterAll(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
});

const resultOf = (strategy: string, cpus: number) => results.find((r) => r.strategy === strategy && r.cpus === cpus)!;
const medianOfThree = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[1], min: sorted[0], max: sorted[2] };
};

describe('walkers alone, strategy against strategy and CPU count against CPU count, in rounds', () => {
  it('reports every strategy of every machine in the order given, with a cell in every round', () => {
    expect(results.map((r) => `${r.cpus}:${r.strategy}`)).toEqual(['3:counter', '3:none', '3:percpu', '2:counter', '2:none', '2:percpu']);
    for (const r of results) {
      expect(r.rounds).toHaveLength(3);
      expect(r.walksPerSecond).toBeGreaterThan(0);
      expect(r.spread.min).toBeLessThanOrEqual(r.walksPerSecond);
      expect(r.spread.max).toBeGreaterThanOrEqual(r.walksPerSecond);
    }
  });

  it("takes each strategy's ratio to the floor round by round, against the floor's cell of the same round and machine", () => {
    for (const cpus of [2, 3]) {
      const none = resultOf('none', cpus);
      expect(none.vsFloor).toBeUndefined();
      for (const strategy of ['counter', 'percpu']) {
        const r = resultOf(strategy, cpus);
        expect(r.vsFloor).toEqual(medianOfThree(r.rounds.map((cell, round) => cell.walksPerSecond / none.rounds[round].walksPerSecond)));
      }
    }
  });

  it("takes each cell's ratio to the same strategy on the fewest CPUs, round by round", () => {
    for (const strategy of STRATEGIES) {
      const [fewest, more] = [resultOf(strategy, 2), resultOf(strategy, 3)];
      expect(fewest.vsFewestCpus).toBeUndefined();
      expect(more.vsFewestCpus).toEqual(medianOfThree(more.rounds.map((cell, round) => cell.walksPerSecond / fewest.rounds[round].walksPerSecond)));
    }
  });
});
