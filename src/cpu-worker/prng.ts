// A small seeded generator, so that the same --seed gives every CPU the same sequence of walk
// addresses (the interleaving of threads is, of course, never the same twice).

/** mulberry32: 32 bits of state, fast, and good enough to pick addresses. A class, not a closure: see RandomSource. */
export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** The next number in [0, 1). */
  next(): number {
    const state = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** A seed for one CPU in one run, derived from the user's --seed. */
export function cpuSeed(seed: number, cpu: number, run: number): number {
  return Math.imul(seed ^ Math.imul(cpu + 1, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(run + 1, 0xc2b2ae35);
}
