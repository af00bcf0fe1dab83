// counter-v3: the series as posted in v2 and v3 (Leonardo Bras, Sept-Oct 2019). The count spans
// the walk's IRQ-off window, and the unmapper has its smp_mb() between the PMD clear and the count
// read; but atomic_inc() orders nothing on powerpc, so the walker's increment may become visible
// after its own PMD load: store buffering with one side fenced, which x86-TSO allows too. The
// other half of v3's bug, the use's loads passing atomic_dec() (load->store), is allowed on
// POWER and forbidden on x86-TSO: this host cannot show it.
// Models arch/powerpc/mm/book3s64/pgtable.c and the walkers of the series, v3.

import { smp_call_function_many } from '../kernel/ipi.ts';
import { atomic_dec_unordered, atomic_inc_unordered, running_lockless_pgtbl_walk } from './split-count.ts';
import { Expect, SAFE, type PgtblSyncStrategy } from './strategy.ts';

export const counterV3: PgtblSyncStrategy = {
  name: 'counter-v3',
  expect: { ...SAFE, useAfterFree: Expect.INTERESTING, misread: Expect.INTERESTING },
  freeing: 'immediate',
  unorderedIncrement: true,
  bug: "the walker's unordered increment was not yet visible when the fenced unmapper read the count: store buffering, one side fenced",
  showWith: '--race-window 1 --cpus 2 --memory 496G',
  models: 'Bras series v2-v3: count spans the walk; atomic_inc() unordered, unmapper fenced',
  hostCannotShow: "v3's load->store half (the use's loads passing atomic_dec()): x86-TSO forbids it",

  // atomic_inc() before local_irq_save(), atomic_dec() after local_irq_restore(): the count
  // spans the IRQ-off window, with no barrier between the increment and the PMD load.
  before_irqs_off: atomic_inc_unordered,
  start_lockless_pgtbl_walk() {},
  end_lockless_pgtbl_walk() {},
  after_irqs_on: atomic_dec_unordered,

  serialize_against_pte_lookup(cpu) {
    // smp_mb(): the clear is visible before the count is read. Pairs with nothing on the walker's
    // side in v3, which is its bug: its increment may still be in its store buffer.
    cpu.smp_mb();
    if (running_lockless_pgtbl_walk(cpu) === 0) return 0;
    return smp_call_function_many(cpu, cpu.mmCpus, true);
  },
};
