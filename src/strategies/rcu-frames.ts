// rcu-frames: a hypothetical answer, not anything Linux did: no IPI on a PMD change, walkers
// that read each entry once and guard nothing but their IRQs-off section, and frames freed only
// after an RCU grace period (which every CPU passes at an IRQ-enabled point), as page-table
// pages are with MMU_GATHER_RCU_TABLE_FREE. In Linux frames are never freed through RCU: the
// mmu_gather frees them after the TLB flush (stale-tolerant is what 5.8 did). Kept to show
// what grace periods would cost: munmap() returns before the memory is free.
// Models the freeing of mm/mmu_gather.c's tlb_remove_table_rcu(), applied to frames.

import { serialize_against_pte_lookup } from '../kernel/serialize.ts';
import { SAFE, defineStrategy } from './strategy.ts';

export const rcuFrames = defineStrategy({
  name: 'rcu-frames',
  models: 'hypothetical: no IPI; frames freed after an RCU grace period',
  sources: ['hypothetical, after Peter Zijlstra on the series\' v5: "the THP PMD should be RCU-like freed just like any other PMD" (4 Oct 2019, 20191004114236.GD19463@hirez.programming.kicks-ass.net)'],
  outcomes: SAFE,
  // IRQs off is the whole read-side critical section; the walk needs nothing more. Every CPU
  // reports its quiescent states at the scheduler's ticks.
  lifecycle: { runBegins: (cpu, kernel) => cpu.reportQuiescentStates(kernel.hz) },
  // The mmu_gather queues every free behind a grace period (kernel/mmu-gather.ts).
  freeing: 'rcu',
  // A grace period covers what a collapse frees, not the PTE page it deposits and a walker may
  // still be reading: the IPI stays there, as in 5.8.
  // No IPI on a PMD clear or invalidation; collapse keeps it.
  serialize: { collapseFlush: serialize_against_pte_lookup },
  kernel: { walkerStyle: 'value', walkerGuards: false, tlbFlushEachPmd: true },
});
