// sync-one: the generic tlb_remove_table_sync_one() on every PMD change: a synchronous IPI to
// every online CPU, not only the CPUs of the mm, so CPUs that never ran the mm pay for it too.
// Models mm/mmu_gather.c: tlb_remove_table_sync_one() -> smp_call_function(..., 1).

import { tlb_remove_table_sync_one } from '../kernel/serialize.ts';
import { SAFE, defineStrategy } from './strategy.ts';

export const syncOne = defineStrategy({
  name: 'sync-one',
  models: 'generic tlb_remove_table_sync_one(): IPI to every online CPU',
  sources: ['mm/mmu_gather.c (tlb_remove_table_sync_one())'],
  outcomes: SAFE,
  serialize: { pmdClear: tlb_remove_table_sync_one },
});
