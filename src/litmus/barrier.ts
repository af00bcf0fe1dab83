// A reusable barrier for the threads of a litmus test: spin (they leave together, which is
// what lines their accesses up), but sleep when a party is slow to come, as it is when the
// threads outnumber the host's cores.

import { INT32_WORDS_PER_LINE, lineGroupedRecord } from '../shared-memory/layout.ts';

export const BarrierWords = lineGroupedRecord([['arrived'], ['generation']], INT32_WORDS_PER_LINE);

const SPINS_BEFORE_SLEEP = 20_000;

export class Barrier {
  constructor(
    private readonly words: Int32Array,
    private readonly parties: number,
  ) {}

  static buffer(): SharedArrayBuffer {
    return new SharedArrayBuffer(BarrierWords.stride * Int32Array.BYTES_PER_ELEMENT);
  }

  arrive(): void {
    const { arrived, generation } = BarrierWords.offset;
    const words = this.words;
    const current = Atomics.load(words, generation);
    if (Atomics.add(words, arrived, 1) === this.parties - 1) {
      // Last to arrive: reset the count, then release the others. The count's reset happens
      // before the generation moves on, which is what a released thread waits for.
      Atomics.store(words, arrived, 0);
      Atomics.add(words, generation, 1);
      Atomics.notify(words, generation);
      return;
    }
    for (let spins = 0; Atomics.load(words, generation) === current; spins++) {
      if (spins > SPINS_BEFORE_SLEEP) Atomics.wait(words, generation, current, 1);
    }
  }
}
