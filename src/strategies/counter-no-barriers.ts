// counter-no-barriers: a teaching variant, not a posted version: the series' walk counter with
// no barrier on either side. The unmapper clears the PMD and reads the count with plain
// accesses (every posted version had an smp_mb() between them); the walker increments the count
// and loads the PMD with nothing between (as v1-v3 did). Each side's store can still sit in its
// store buffer when it does its load: store buffering on both sides, so both can miss the other.
// Unsafe on purpose: its use-after-frees are the demonstrated bug, not a failure.

import { smp_call_function_many } from '../kernel/ipi.ts';
import { SPLIT_COUNT_WORDS, atomic_dec_unordered, atomic_inc_unordered, running_lockless_pgtbl_walk } from './split-count.ts';
import { Expect, defineStrategy } from './strategy.ts';

export const counterNoBarriers = defineStrategy({
  name: 'counter-no-barriers',
  models: 'teaching variant: the walk counter with no barrier on either side',
  outcomes: {
    useAfterFree: {
      expect: Expect.ACCEPTABLE_INTERESTING,
      desc: 'store buffering, neither side fenced: the unmapper read the count before the walker\'s increment, and the walker the PMD before the clear',
      demonstrate: { spec: { machine: { cpus: 2, memoryBytes: 128 * 2 ** 30 }, workload: { raceWindow: 1 } }, attempts: 24, fixedBy: 'counter' },
    },
    misread: { expect: Expect.ACCEPTABLE, desc: 'a walker the unmapper missed may misread a PMD changed under it' },
    // Each CPU's own count never loses an update.
    counterDrift: { expect: Expect.FORBIDDEN, desc: "each CPU's own count loses no update" },
  },
  words: SPLIT_COUNT_WORDS,
  walker: { walkStart: atomic_inc_unordered, walkEnd: atomic_dec_unordered },
  serialize: {
    pmdClear(cpu) {
      // No smp_mb() between the PMD clear and this read: the read may pass the clear.
      if (running_lockless_pgtbl_walk(cpu) === 0) return 0;
      return smp_call_function_many(cpu, cpu.mmCpus, true);
    },
  },
});
