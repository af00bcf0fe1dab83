import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/base/usage-error.ts';
import { inShard, parseShard, shardSetProblems, shardStamp, shardUnits } from '../../src/base/shard.ts';

describe('--shard I/N', () => {
  it('reads I/N and refuses what is not a shard of a whole, in one line', () => {
    expect(parseShard('2/3', '--shard')).toEqual({ index: 2, count: 3 });
    for (const bad of ['3/2', '0/2', '1/0', '1', 'a/b', '1/2/3', '-1/2'])
      expect(() => parseShard(bad, '--shard')).toThrow(new UsageError(`--shard must be I/N with 1 <= I <= N <= 1000, got '${bad}'`));
  });

  it('deals every unit to exactly one shard, and counts them', () => {
    const total = 11;
    for (const count of [1, 2, 3, 4, 11, 12]) {
      const owners = Array.from({ length: total }, (_, k) => Array.from({ length: count }, (_, i) => i + 1).filter((index) => inShard({ index, count }, k)));
      expect(owners.every((o) => o.length === 1)).toBe(true);
      for (let index = 1; index <= count; index++) expect(shardUnits({ index, count }, total)).toBe(owners.filter((o) => o[0] === index).length);
    }
    expect(inShard(undefined, 7)).toBe(true);
  });

  it('names a shard missing, given twice, of another run or of another count', () => {
    const config = { cpus: [2, 4] };
    const s = (index: number, count = 3, c: unknown = config) => shardStamp({ index, count }, c, 10);
    expect(shardSetProblems([s(1), s(2), s(3)], ['a', 'b', 'c'])).toEqual([]);
    expect(shardSetProblems([s(1), s(3)], ['a', 'c'])).toEqual(['shard 2/3 is missing']);
    expect(shardSetProblems([s(1), s(2), s(2), s(3)], ['a', 'b', 'b2', 'c'])).toEqual(['shard 2/3 is given twice: b, b2']);
    expect(shardSetProblems([s(1), s(2), s(3, 3, { cpus: [8] })], ['a', 'b', 'c'])[0]).toMatch(/^c is a shard of another run \(config [0-9a-f]{16}, not [0-9a-f]{16}\)$/);
    expect(shardSetProblems([s(1), s(2, 2)], ['a', 'b'])).toContain('b is shard 2/2, not of 3');
    expect(shardSetProblems([s(1), undefined], ['a', 'whole'])).toContain('whole not shards, beside shards');
    expect(shardSetProblems([undefined, undefined], ['x', 'y'])).toEqual([]);
  });
});
