// counter-v1: the series' first posting, "[PATCH 1/1] powerpc: mm: Check if
// serialize_against_pte_lookup() really needs to run" (Leonardo Bras, 16 Sep 2019,
// 20190916205527.1859-1-leonardo@linux.ibm.com; not tagged RFC). As posted: atomic64_inc() of
// mm->lockless_ptlookup_count as find_current_mm_pte() starts, atomic64_dec() as it returns, so
// the count drops before its caller uses the pte, still with IRQs off; serialize_against_pte_lookup()
// does smp_mb() and returns early when the count reads 0. v2's changelog, under "Changes since
// v1": "Fixed behavior of decrementing before last ptep was used". atomic64_inc() and _dec()
// order nothing on powerpc, so the count here is the split, unordered one (split-count.ts).
// Models arch/powerpc/include/asm/pte-walk.h and book3s64/pgtable.c of that patch.

import { SPLIT_COUNT_WORDS, atomic_dec_unordered, atomic_inc_unordered, serialize_if_split_count } from './split-count.ts';
import { Expect, defineStrategy } from './strategy.ts';

export const counterV1 = defineStrategy({
  name: 'counter-v1',
  models: 'Bras series v1: the count covers the lookup, not the use of the pte',
  sources: ['Leonardo Bras, "[PATCH 1/1] powerpc: mm: Check if serialize_against_pte_lookup() really needs to run" (16 Sep 2019, 20190916205527.1859-1-leonardo@linux.ibm.com)'],
  outcomes: {
    useAfterFree: {
      expect: Expect.ACCEPTABLE_INTERESTING,
      desc: 'the count dropped as find_current_mm_pte() returned, before its caller had used the pte: the first version\'s scope',
      demonstrate: { spec: { machine: { cpus: 2, memoryBytes: 64 * 2 ** 30 }, workload: { raceWindow: 1 } }, attempts: 8, fixedBy: 'counter' },
    },
    misread: { expect: Expect.ACCEPTABLE, desc: 'a walker whose count has dropped may misread a PMD changed under its use' },
    counterDrift: { expect: Expect.FORBIDDEN, desc: "each CPU's own count loses no update" },
  },
  words: SPLIT_COUNT_WORDS,
  walker: {
    // Inside find_current_mm_pte(): up before the lookup...
    walkStart: atomic_inc_unordered,
    // ...and down as it returns, before its caller uses the pte.
    lookupEnd: atomic_dec_unordered,
  },
  serialize: { pmdClear: serialize_if_split_count },
});
