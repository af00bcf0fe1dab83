// Linux 7.1 on x86-64: as 6.15, but a page table the mmu_gather cannot batch (no batch page to
// be had) waits for a grace period instead of interrupting every CPU (tlb_remove_table_one() ->
// tlb_remove_table_sync_rcu(), 1fb3d8c20bfa, "mm/mmu_gather: replace IPI with synchronize_rcu()
// when batch allocation fails"). Collapse still IPIs every online CPU.

import { linuxX86615 } from './linux-x86-6.15.ts';
import { sameAs } from './version.ts';

export const linuxX8671 = sameAs({
  version: 'x86-7.1',
  sameAs: linuxX86615,
  models: "as 6.15, and a table the mmu_gather cannot batch waits for a grace period, not every CPU's IPI",
  sources: ['1fb3d8c20bfa (mm/mmu_gather: replace IPI with synchronize_rcu() when batch allocation fails)', 'mm/mmu_gather.c (tlb_remove_table_one(), tlb_remove_table_sync_rcu())'],
  differences: { tableRemoveOne: 'rcu' },
});
