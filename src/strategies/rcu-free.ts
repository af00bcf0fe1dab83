// rcu-free: what Linux 5.8 merged (Aneesh Kumar K.V.). No IPI on a PMD change: walkers read each
// entry once and cope with a stale value, and the pages they may still hold (frames and
// page-table pages) are freed only after an RCU grace period, which every CPU passes at an
// IRQ-enabled point. munmap() returns before the memory is free.
// Models arch/powerpc/mm/book3s64/pgtable.c after 5.8 with MMU_GATHER_RCU_TABLE_FREE (mm/mmu_gather.c).

import { smp_call_function_many } from '../kernel/ipi.ts';
import { SAFE, type PgtblSyncStrategy } from './strategy.ts';

export const rcuFree: PgtblSyncStrategy = {
  name: 'rcu-free',
  expect: SAFE,
  models: 'Linux 5.8+: no IPI; pages freed after an RCU grace period',
  // The mmu_gather queues every free behind a grace period (kernel/mmu-gather.ts).
  freeing: 'rcu',

  // IRQs off is the whole read-side critical section; the walk needs nothing more.
  start_lockless_pgtbl_walk() {},
  end_lockless_pgtbl_walk() {},

  serialize_against_pte_lookup: () => 0,

  // 5.8 kept the IPI in radix__pmdp_collapse_flush(): a walker may be reading the PTE page
  // about to be deposited. Pairs, as in ipi-broadcast, with each target's interrupt point.
  serialize_collapse(cpu) {
    cpu.smp_mb();
    return smp_call_function_many(cpu, cpu.mmCpus, true);
  },

  // 5.8's walkers read each entry once; munmap flushes each PMD (flush_pmd_tlb_range()).
  kernel: { walkerStyle: 'value', tlbFlushEachPmd: true },
};
