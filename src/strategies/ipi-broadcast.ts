// ipi-broadcast: the kernel before 5.8. Walkers do nothing beyond disabling IRQs; every PMD
// clear sends a synchronous IPI to every CPU of the mm.
// Models arch/powerpc/mm/book3s64/pgtable.c: serialize_against_pte_lookup().

import { smp_call_function_many } from '../kernel/ipi.ts';
import { SAFE, type PgtblSyncStrategy } from './strategy.ts';

export const ipiBroadcast: PgtblSyncStrategy = {
  name: 'ipi-broadcast',
  expect: SAFE,
  freeing: 'immediate',
  models: 'Linux < 5.8: IPI to mm_cpumask on every PMD clear',

  start_lockless_pgtbl_walk() {},
  end_lockless_pgtbl_walk() {},

  serialize_against_pte_lookup(cpu) {
    // Makes the cleared PMD visible before any target takes the IPI: a walk that starts after
    // its CPU acknowledged cannot load the old entry. Pairs with the target's Atomics.load of
    // ipiRequest at its interrupt point.
    cpu.smp_mb();
    return smp_call_function_many(cpu, cpu.mmCpus, true);
  },
};
