// Walker throughput alone, strategy against strategy, measured so that it repeats: in rounds
// that take every strategy in turn (each round in another order), so that the host's own swings
// (on the 2-core VM this project runs on, a core slows to half its speed for a few hundred ms
// now and then) fall on every strategy alike, and each strategy's ratio to the floor is taken
// round by round, against the floor's cell of the same round.

import { FLOOR } from '../strategies/index.ts';
import type { CpuPool } from './cpu-pool.ts';
import type { RunSpec } from './run-spec.ts';
import { runWalkersOnly, type WalkersOnlyRun } from './runs.ts';

/** One strategy's walker throughput over every round. */
export interface WalkersAloneResult {
  readonly strategy: string;
  readonly cpus: number;
  /** Walks per second on all CPUs together: the median of every measured interval of every round. */
  readonly walksPerSecond: number;
  /** The lowest and highest of those intervals. */
  readonly spread: { readonly min: number; readonly max: number };
  /** Each round's cell, in the order the rounds ran. */
  readonly rounds: readonly WalkersOnlyRun[];
  /** Its walks per second over the floor's, the median of the rounds' ratios and their range; absent for the floor, or without it. */
  readonly vsFloor?: { readonly median: number; readonly min: number; readonly max: number };
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
    const intervals = cells[i].flatMap((cell) => cell.intervals).sort((a, b) => a - b);
    const paired = floor < 0 || i === floor ? [] : cells[i].flatMap((cell, round) => (cells[floor][round] ? [cell.walksPerSecond / cells[floor][round].walksPerSecond] : []));
    const ratios = [...paired].sort((a, b) => a - b);
    return [
      {
        strategy: spec.strategy.name,
        cpus: spec.machine.cpus,
        walksPerSecond: median(intervals),
        spread: { min: intervals[0], max: intervals[intervals.length - 1] },
        rounds: cells[i],
        ...(ratios.length > 0 ? { vsFloor: { median: median(ratios), min: ratios[0], max: ratios[ratios.length - 1] } } : {}),
      },
    ];
  });
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
