// Walker throughput alone, strategy against strategy, measured so that it repeats: in rounds
// that take every strategy in turn (each round in another order), so that the host's own swings
// (on the 2-core VM this project runs on, a core slows to half its speed for a few hundred ms
// now and then) fall on every strategy alike, and each strategy's ratio to the floor is taken
// round by round, against the floor's cell of the same round.

import { medianRange, type MedianRange } from '../report/percentiles.ts';
import { FLOOR } from '../strategies/index.ts';
import type { CpuPool } from './cpu-pool.ts';
import type { RunSpec } from './run-spec.ts';
import { runWalkersOnly, type WalkersOnlyRun } from './runs.ts';

/**
 * One strategy's walker throughput over every round: `walksPerSecond` is the median of every
 * measured interval of every round, `spread` their lowest and highest.
 */
export interface WalkersAloneResult extends Pick<WalkersOnlyRun, 'strategy' | 'cpus' | 'walksPerSecond' | 'spread'> {
  /** Each round's cell, in the order the rounds ran. */
  readonly rounds: readonly WalkersOnlyRun[];
  /** Its walks per second over the floor's: the median of the rounds' ratios, and their range; absent for the floor, or without it. */
  readonly vsFloor?: MedianRange;
}

/**
 * Every spec (one per strategy, the same machine) in `rounds` rounds of a `durationMs` cell
 * each, the strategies rotated one place each round; `stopped` ends it early (an interrupt).
 */
export async function compareWalkersAlone(pool: CpuPool, specs: readonly RunSpec[], durationMs: number, rounds: number, stopped: () => boolean = () => false): Promise<WalkersAloneResult[]> {
  const cells: WalkersOnlyRun[][] = specs.map(() => []);
  for (let round = 0; round < rounds && !stopped(); round++) {
    for (let k = 0; k < specs.length && !stopped(); k++) {
      const i = (k + round) % specs.length;
      cells[i].push(await runWalkersOnly(pool, specs[i], round * specs.length + k, durationMs));
    }
  }
  const floor = specs.findIndex((spec) => spec.strategy === FLOOR);
  return specs.flatMap((spec, i) => {
    if (cells[i].length === 0) return [];
    const intervals = medianRange(cells[i].flatMap((cell) => cell.intervals));
    const ratios = floor < 0 || i === floor ? [] : cells[i].flatMap((cell, round) => (cells[floor][round] ? [cell.walksPerSecond / cells[floor][round].walksPerSecond] : []));
    return [
      {
        strategy: spec.strategy.name,
        cpus: spec.machine.cpus,
        walksPerSecond: intervals.median,
        spread: { min: intervals.min, max: intervals.max },
        rounds: cells[i],
        ...(ratios.length > 0 ? { vsFloor: medianRange(ratios) } : {}),
      },
    ];
  });
}
