// sync-one: the generic tlb_remove_table_sync_one() on every PMD change: a synchronous IPI to
// every online CPU, not only the CPUs of the mm, so CPUs that never ran the mm pay for it too.
// Models mm/mmu_gather.c: tlb_remove_table_sync_one() -> smp_call_function(..., 1).

import { tlb_remove_table_sync_one } from '../kernel/serialize.ts';
import { SAFE, type PgtblSyncStrategy } from './strategy.ts';

export const syncOne: PgtblSyncStrategy = {
  name: 'sync-one',
  expect: SAFE,
  freeing: 'immediate',
  models: 'generic tlb_remove_table_sync_one(): IPI to every online CPU',
  start_lockless_pgtbl_walk() {},
  end_lockless_pgtbl_walk() {},
  serialize_against_pte_lookup: tlb_remove_table_sync_one,
};
