// counter-v3: the series as posted in v2 and v3 (Leonardo Bras, Sept 2019). The count spans
// the walk's IRQ-off window, and the unmapper has its smp_mb() between the PMD clear and the count
// read; but atomic_inc() orders nothing on powerpc, so the walker's increment may become visible
// after its own PMD load: store buffering with one side fenced, which x86-TSO allows too. The
// other half of v3's bug, the use's loads passing atomic_dec() (load->store), is allowed on
// POWER and forbidden on x86-TSO: this host cannot show it.
// Models arch/powerpc/mm/book3s64/pgtable.c and the walkers of the series, v3.

import { SPLIT_COUNT_WORDS, atomic_dec_unordered, atomic_inc_unordered, serialize_if_split_count } from './split-count.ts';
import { Expect, defineStrategy } from './strategy.ts';

export const counterV3 = defineStrategy({
  name: 'counter-v3',
  models: 'Bras series v2-v3: count spans the walk; atomic_inc() unordered, unmapper fenced',
  sources: ['Leonardo Bras, "[PATCH v2 00/11] Introduces new count-based method for monitoring lockless pagetable wakls" (20 Sep 2019, 20190920195047.7703-1-leonardo@linux.ibm.com) and v3 (24 Sep 2019, 20190924212427.7734-1-leonardo@linux.ibm.com)', 'John Hubbard on v3: "some memory barriers are missing" (24 Sep 2019)'],
  outcomes: {
    useAfterFree: {
      expect: Expect.ACCEPTABLE_INTERESTING,
      desc: "the walker's unordered increment was not yet visible when the fenced unmapper read the count: store buffering, one side fenced",
      hostCannotShow:
        "too rare on this host to catch in bounded attempts: in v3's place, before local_irq_save(), the increment met no clear in 15 runs of 64K PMDs " +
        "with the store buffer filled before it; its shape alone shows in litmus/SB+pgtbl-v2v3.litmus. Its load->store half x86-TSO forbids",
    },
    misread: { expect: Expect.ACCEPTABLE, desc: 'a walker the unmapper missed may misread a PMD changed under it' },
    counterDrift: { expect: Expect.FORBIDDEN, desc: "each CPU's own count loses no update" },
  },
  words: SPLIT_COUNT_WORDS,
  walker: {
    // atomic_inc() before local_irq_save(), atomic_dec() after local_irq_restore(): the count
    // spans the IRQ-off window, with no barrier between the increment and the PMD load.
    beforeIrqsOff: atomic_inc_unordered,
    afterIrqsOn: atomic_dec_unordered,
  },
  serialize: { pmdClear: serialize_if_split_count },
});
