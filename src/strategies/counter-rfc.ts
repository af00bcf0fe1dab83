// counter-rfc: the series' first posting (v1, Sept 2019). The walk is counted inside
// find_current_mm_pte() itself: the count goes up before the lookup and down right after it,
// before the caller uses the pte it returned, still with IRQs off. The unmapper, seeing no walk,
// frees the page under that use. A scope bug: it shows on any hardware, so the count here is
// fully fenced, and nothing but the scope can explain what it shows.
// Models arch/powerpc/include/asm/pte-walk.h and book3s64/pgtable.c of the series' first version.

import { MM_COUNT_WORDS, serialize_if_walks_counted, walkedMmCount } from './mm-count.ts';
import { Expect, defineStrategy } from './strategy.ts';

export const counterRfc = defineStrategy({
  name: 'counter-rfc',
  models: 'Bras series RFC/v1: the count covers the lookup, not the use of the pte',
  outcomes: {
    useAfterFree: {
      expect: Expect.ACCEPTABLE_INTERESTING,
      desc: "the count dropped when the lookup ended, before the use of the pte did: the first version's scope",
      demonstrate: { spec: { machine: { cpus: 2, memoryBytes: 16 * 2 ** 30 }, workload: { raceWindow: 1 } }, attempts: 8, fixedBy: 'counter' },
    },
    misread: { expect: Expect.ACCEPTABLE, desc: 'a walker whose count has dropped may misread a PMD changed under its use' },
    counterDrift: { expect: Expect.FORBIDDEN, desc: 'a fenced atomic count loses no update' },
  },
  words: MM_COUNT_WORDS,
  walker: {
    // Inside find_current_mm_pte(): up before the lookup...
    walkStart(cpu) {
      Atomics.add(cpu.answerMmWords, walkedMmCount(cpu), 1);
    },
    // ...and down as it returns, before its caller uses the pte.
    lookupEnd(cpu) {
      Atomics.sub(cpu.answerMmWords, walkedMmCount(cpu), 1);
    },
  },
  serialize: { pmdClear: serialize_if_walks_counted },
});
