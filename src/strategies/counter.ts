// counter: the seed's series as v5 posted it (Leonardo Bras, 2 Oct 2019), the reviewers' barriers
// in place. begin_lockless_pgtbl_walk() does atomic_inc(), local_irq_save(), smp_mb();
// end_lockless_pgtbl_walk() does smp_mb(), local_irq_restore(), atomic_dec(): the count spans
// more than the IRQ-off window. The unmapper skips the IPI when the count is zero.
// Models arch/powerpc/mm/book3s64/pgtable.c of the series, v5: begin/end/running_lockless_pgtbl_walk().

import { MM_COUNT_WORDS, serialize_if_walks_counted, walkedMmCount } from './mm-count.ts';
import { SAFE, defineStrategy } from './strategy.ts';

export const counter = defineStrategy({
  name: 'counter',
  models: 'Bras series v5: mm counter + smp_mb(), IPI only if a walk is in flight',
  sources: ['Leonardo Bras, "[PATCH v5 00/11] Introduces new count-based method for tracking lockless pagetable walks" (2 Oct 2019, 20191003013325.2614-1-leonardo@linux.ibm.com)', 'Christoph Lameter: "You are creating contention on a single exclusive cacheline"; Peter Zijlstra, 20191003072952.GN4536@hirez.programming.kicks-ass.net (3 Oct 2019)'],
  outcomes: SAFE,
  words: MM_COUNT_WORDS,
  walker: {
    // atomic_inc() on the walked mm's count, before local_irq_save(). An Atomics.add is a full
    // barrier on x86-64 as well, stronger than powerpc's atomic_inc(); the smp_mb() below is
    // what v5 relies on.
    beforeIrqsOff(cpu) {
      Atomics.add(cpu.answerMmWords, walkedMmCount(cpu), 1);
    },
    // smp_mb(), IRQs off: the increment is visible before this walker's load of the PMD. Pairs
    // with the unmapper's smp_mb() between its PMD clear and its read of the count
    // (store buffering: one side may miss, never both).
    walkStart(cpu) {
      cpu.smp_mb();
    },
    // smp_mb(), IRQs still off: every use of the pte happens-before the decrement the unmapper
    // may see, so the frame is not freed under us.
    walkEnd(cpu) {
      cpu.smp_mb();
    },
    // atomic_dec(), after local_irq_restore().
    afterIrqsOn(cpu) {
      Atomics.sub(cpu.answerMmWords, walkedMmCount(cpu), 1);
    },
  },
  serialize: { pmdClear: serialize_if_walks_counted },
});
