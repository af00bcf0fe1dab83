// ipi-broadcast: the kernel before 5.8. Walkers do nothing beyond disabling IRQs; every PMD
// clear, invalidation or collapse sends a synchronous IPI to every CPU of the mm.
// Models arch/powerpc/mm/book3s64/pgtable.c and radix_pgtable.c before 5.8: serialize_against_pte_lookup()
// in radix__pmdp_huge_get_and_clear(), pmdp_invalidate() and radix__pmdp_collapse_flush().

import { serialize_against_pte_lookup } from '../kernel/serialize.ts';
import { SAFE, defineStrategy } from './strategy.ts';

export const ipiBroadcast = defineStrategy({
  name: 'ipi-broadcast',
  models: 'Linux < 5.8: IPI to mm_cpumask on every PMD clear',
  sources: ['arch/powerpc/mm/book3s64/pgtable.c (serialize_against_pte_lookup(), to 5.7)'],
  outcomes: SAFE,
  serialize: { pmdClear: serialize_against_pte_lookup },
});
