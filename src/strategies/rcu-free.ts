// rcu-free: what Linux 5.8 merged (Aneesh Kumar K.V.). No IPI on a PMD change: walkers read each
// entry once and cope with a stale value, and the pages they may still hold (frames and
// page-table pages) are freed only after an RCU grace period, which every CPU passes at an
// IRQ-enabled point. munmap() returns before the memory is free.
// Models arch/powerpc/mm/book3s64/pgtable.c after 5.8 with MMU_GATHER_RCU_TABLE_FREE (mm/mmu_gather.c).

import type { EmulatedCpu } from '../cpu-worker/cpu.ts';
import { free_huge_page, free_pgtable_page } from '../cpu-worker/pmd-ops.ts';
import { RcuFreeQueue } from '../cpu-worker/rcu.ts';
import type { PgtblSyncStrategy } from './strategy.ts';

/** The unmapping CPU's queue for the current munmap; made on its first free, dropped at the end. */
const queues = new WeakMap<EmulatedCpu, RcuFreeQueue>();

function queueOf(cpu: EmulatedCpu): RcuFreeQueue {
  let queue = queues.get(cpu);
  if (!queue) queues.set(cpu, (queue = new RcuFreeQueue(cpu)));
  return queue;
}

export const rcuFree: PgtblSyncStrategy = {
  name: 'rcu-free',
  safe: true,
  models: 'Linux 5.8+: no IPI; pages freed after an RCU grace period',
  gracePeriods: true,

  // IRQs off is the whole read-side critical section; the walk needs nothing more.
  start_lockless_pgtbl_walk() {},
  end_lockless_pgtbl_walk() {},

  serialize_against_pte_lookup: () => 0,

  tlb_remove_page(cpu, frame) {
    queueOf(cpu).call_rcu(() => free_huge_page(cpu, frame));
  },

  // tlb_remove_table() -> tlb_remove_table_rcu(): page-table pages wait for a grace period too.
  tlb_remove_table(cpu, page) {
    queueOf(cpu).call_rcu(() => free_pgtable_page(cpu, page));
  },

  tlb_finish_mmu(cpu) {
    const queue = queueOf(cpu);
    queue.rcu_barrier();
    queues.delete(cpu);
    return queue.peakPending;
  },
};
