// A small seeded generator, so that the same --seed gives every CPU the same sequence of walk
// addresses (the interleaving of threads is, of course, never the same twice).

/**
 * mulberry32: 32 bits of state, fast, and good enough to pick addresses and kinds. A class, not
 * a closure: a run makes a new one, and a call site V8 has inlined for one function object
 * deoptimises when it meets another, so that every run began with seconds of unoptimised walks
 * on an oversubscribed host; a method of one class is the same function object in every run.
 */
export class Mulberry32 {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** The next number in [0, 1). */
  next(): number {
    return this.bits30() / 2 ** 30;
  }

  /**
   * The next whole number in [0, n), for n up to 2^30. The walk's hot path asks for these, never
   * for a fraction: a fraction returned by a call V8 did not inline is a number boxed on the heap,
   * and in some runs that was 16 bytes of garbage a walk, a young-generation collection every
   * 20 ms or so on each walker CPU.
   */
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
