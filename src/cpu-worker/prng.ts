// A small seeded generator, so that the same --seed gives every CPU the same sequence of walk
// addresses (the interleaving of threads is, of course, never the same twice).

import type { RandomSource } from '../kernel/lockless-walk.ts';

/** mulberry32: 32 bits of state, fast, and good enough to pick addresses. A class, not a closure: see RandomSource. */
export class Mulberry32 implements RandomSource {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** The next number in [0, 1). */
  next(): number {
    return this.bits30() / 2 ** 30;
  }

  /** The next whole number in [0, n), for n up to 2^30 (see RandomSource on why not a fraction). */
  below(n: number): number {
    return Math.floor((this.bits30() * n) / 2 ** 30);
  }

  /** The generator's next 30 bits: a small integer to V8 wherever it lands, boxed nowhere. */
  private bits30(): number {
    const state = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 2;
  }
}

/** A seed for one CPU in one run, derived from the user's --seed. */
export function cpuSeed(seed: number, cpu: number, run: number): number {
  return Math.imul(seed ^ Math.imul(cpu + 1, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(run + 1, 0xc2b2ae35);
}
