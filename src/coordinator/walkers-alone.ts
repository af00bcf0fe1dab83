// Walker throughput alone, strategy against strategy and CPU count against CPU count, measured
// so that it repeats: in rounds that take every cell in turn (each round in another order), so
// that the host's own swings (on the 2-core VM this project runs on, a core slows to half its
// speed for a few hundred ms now and then, and whole seconds run 10-20% slow) fall on every
// cell alike, and each ratio is taken round by round, between cells of the same round.

import { medianRange, type MedianRange } from '../base/statistics.ts';
import { FLOOR } from '../strategies/index.ts';
import type { CpuPool } from './cpu-pool.ts';
import type { RunSpec } from '../spec/run-spec.ts';
import { runWalkersOnly, type WalkersOnlyRun } from './runs.ts';

/**
 * One strategy's walker throughput on one machine over every round: `walksPerSecond` is the
 * median of every measured interval of every round, `spread` their lowest and highest.
 */
export interface WalkersAloneResult extends Pick<WalkersOnlyRun, 'strategy' | 'cpus' | 'walksPerSecond' | 'spread'> {
  /** Each round's cell, in the order the rounds ran. */
  readonly rounds: readonly WalkersOnlyRun[];
  /** Its walks per second over the floor's on the same machine: the median of the rounds' ratios, and their range; absent for the floor, or without it. */
  readonly vsFloor?: MedianRange;
  /** Its walks per second over the same strategy's on the machine with the fewest CPUs: the median of the rounds' ratios, and their range; absent on that machine. */
  readonly vsFewestCpus?: MedianRange;
}

/** One started pool and the specs to run on it: one per strategy, its machine. */
export interface WalkersAloneMachine {
  readonly pool: CpuPool;
  readonly specs: readonly RunSpec[];
}

/**
 * Every machine's specs in `rounds` rounds of a `durationMs` cell each, the machines and the
 * strategies each rotated one place a round; `stopped` ends it early (an interrupt). Results
 * come machine by machine, each in its specs' order.
 */
export async function compareWalkersAlone(machines: readonly WalkersAloneMachine[], durationMs: number, rounds: number, stopped: () => boolean = () => false): Promise<WalkersAloneResult[]> {
  const cells: WalkersOnlyRun[][][] = machines.map(({ specs }) => specs.map(() => []));
  let runIndex = 0;
  for (let round = 0; round < rounds && !stopped(); round++) {
    for (let m = 0; m < machines.length && !stopped(); m++) {
      const machine = (m + round) % machines.length;
      const { pool, specs } = machines[machine];
      for (let k = 0; k < specs.length && !stopped(); k++) {
        const i = (k + round) % specs.length;
        const cell = await runWalkersOnly(pool, specs[i], runIndex++, durationMs);
        // A cell cut short is no measurement: its round is left out for it (its ratios too).
        if (!cell.partial) cells[machine][i].push(cell);
      }
    }
  }
  const cpusOf = (m: number) => machines[m].pool.machine.cpus;
  const fewest = machines.reduce((best, _, m) => (cpusOf(m) < cpusOf(best) ? m : best), 0);
  // The cell `of`'s walks per second over `over`'s, round by round, where both ran that round.
  const ratios = (of: readonly WalkersOnlyRun[], over: readonly WalkersOnlyRun[] | undefined) =>
    over === undefined || of === over ? [] : of.flatMap((cell, round) => (over[round] ? [cell.walksPerSecond / over[round].walksPerSecond] : []));

  return machines.flatMap(({ specs }, m) => {
    const floor = specs.findIndex((spec) => spec.strategy === FLOOR.name);
    return specs.flatMap((spec, i) => {
      const own = cells[m][i];
      if (own.length === 0) return [];
      const intervals = medianRange(own.flatMap((cell) => cell.intervals));
      const vsFloor = ratios(own, cells[m][floor]);
      const vsFewestCpus = ratios(own, cells[fewest][machines[fewest].specs.findIndex((s) => s.strategy === spec.strategy)]);
      return [
        {
          strategy: spec.strategy,
          cpus: spec.machine.cpus,
          walksPerSecond: intervals.median,
          spread: { min: intervals.min, max: intervals.max },
          rounds: own,
          ...(vsFloor.length > 0 ? { vsFloor: medianRange(vsFloor) } : {}),
          ...(vsFewestCpus.length > 0 ? { vsFewestCpus: medianRange(vsFewestCpus) } : {}),
        },
      ];
    });
  });
}
