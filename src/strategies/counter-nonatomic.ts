// counter-nonatomic: the walk counter kept with a plain read-modify-write, as `count++` on a
// shared int would be. Concurrent walkers lose updates, so the count drifts: below the truth
// it lets the unmapper free pages under walkers, above it every later PMD pays for an IPI.
// Unsafe on purpose: its drift is the demonstrated bug.
// Models the series' counter without atomic_inc()/atomic_dec() (a teaching variant).

import { MM_COUNT_WORDS, serialize_if_walks_counted, walkedMmCount } from './mm-count.ts';
import { Expect, defineStrategy } from './strategy.ts';

export const counterNonatomic = defineStrategy({
  name: 'counter-nonatomic',
  models: 'the series with count++/count-- instead of atomics: lost updates',
  outcomes: {
    useAfterFree: { expect: Expect.ACCEPTABLE, desc: 'where the drifted count reads 0 with walks in flight, a page is freed under them' },
    misread: { expect: Expect.ACCEPTABLE, desc: 'a walker the unmapper missed may misread a PMD changed under it' },
    counterDrift: {
      expect: Expect.ACCEPTABLE_INTERESTING,
      desc: 'lost updates on a plain count++: two walkers load the same count, and one increment is lost',
      demonstrate: { spec: { machine: { cpus: 3, memoryBytes: 2 ** 30 }, workload: { raceWindow: 1 } }, attempts: 8, fixedBy: 'counter' },
    },
  },
  words: MM_COUNT_WORDS,
  walker: {
    // Load, add, store: another walker's update between our load and store is lost. Nor is it
    // a barrier, so our PMD load may also pass our store of the count.
    walkStart(cpu) {
      const at = walkedMmCount(cpu);
      cpu.answerMmWords[at] = cpu.answerMmWords[at] + 1;
    },
    walkEnd(cpu) {
      const at = walkedMmCount(cpu);
      cpu.answerMmWords[at] = cpu.answerMmWords[at] - 1;
    },
  },
  // The unmapper's side is v5's, so what goes wrong is the count.
  serialize: { pmdClear: serialize_if_walks_counted },
});
