// Spreading one command's independent units of work (a sweep's cells, a soak's cycles, a litmus
// directory's files) over machines, as Playwright's and vitest's `--shard i/n` do: the units in
// their canonical order, unit k to shard k mod n + 1, so that the n shards together run each unit
// exactly once. A shard's output says which shard of which run it is; `stress/merge.ts` joins
// them, naming a shard missing, given twice, or of another run.

import { createHash } from 'node:crypto';
import { UsageError } from './usage-error.ts';
import { quote } from './value-types.ts';

/** Shard `index` (1-based) of `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** What a shard's output records of itself: which shard, and of which run (`key`: its config without the shard). */
export interface ShardStamp extends Shard {
  readonly key: string;
  /** Units this shard ran, of the run's whole; absent for a run with no fixed number of units (a soak, which runs until its time is up). */
  readonly units?: number;
  readonly of?: number;
}

/** `--shard I/N`: 1 <= I <= N <= 1000. */
export function parseShard(text: string, flag: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(index >= 1 && count >= 1 && index <= count && count <= 1000)) throw new UsageError(`${flag} must be I/N with 1 <= I <= N <= 1000, got ${quote(text)}`);
  return { index, count };
}

/** Whether unit `k` (0-based, in the canonical order) is this shard's; every unit is when there is no shard. */
export const inShard = (shard: Shard | undefined, k: number): boolean => shard === undefined || k % shard.count === shard.index - 1;

/** How many of `total` units shard `shard` runs. */
export const shardUnits = (shard: Shard, total: number): number => Math.floor(total / shard.count) + (shard.index - 1 < total % shard.count ? 1 : 0);

/** A run's identity across its shards: a hash of its config as JSON, the shard left out. */
export function configKey(config: unknown): string {
  return createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
}

/** The stamp a shard writes in its output, or undefined when the run is whole; `total` its units, when it has a fixed number. */
export function shardStamp(shard: Shard | undefined, config: unknown, total?: number): ShardStamp | undefined {
  if (!shard) return undefined;
  return { ...shard, key: configKey(config), ...(total === undefined ? {} : { units: shardUnits(shard, total), of: total }) };
}

/**
 * What is wrong with a set of shards' stamps, in words, naming each input by `names[i]`: none,
 * when they are shards 1..n of one run, each once. Inputs with no stamp are whole runs.
 */
export function shardSetProblems(stamps: readonly (ShardStamp | undefined)[], names: readonly string[]): string[] {
  const sharded = stamps.flatMap((s, i) => (s ? [{ s, name: names[i] }] : []));
  if (sharded.length === 0) return [];
  const problems: string[] = [];
  if (sharded.length < stamps.length) problems.push(`${stamps.flatMap((s, i) => (s ? [] : [names[i]])).join(', ')} not shards, beside shards`);
  const { key, count } = sharded[0].s;
  for (const { s, name } of sharded) {
    if (s.key !== key) problems.push(`${name} is a shard of another run (config ${s.key}, not ${key})`);
    else if (s.count !== count) problems.push(`${name} is shard ${s.index}/${s.count}, not of ${count}`);
  }
  for (let index = 1; index <= count; index++) {
    const given = sharded.filter(({ s }) => s.count === count && s.key === key && s.index === index);
    if (given.length === 0) problems.push(`shard ${index}/${count} is missing`);
    if (given.length > 1) problems.push(`shard ${index}/${count} is given twice: ${given.map((g) => g.name).join(', ')}`);
  }
  return problems;
}
