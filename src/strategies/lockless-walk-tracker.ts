// The per-CPU tracker of Lance Yang's v4, "targeted TLB sync IPIs for lockless page table
// walkers" (2 Feb 2026, 20260202074557.16544-1-lance.yang@linux.dev): around GUP-fast and
// perf_get_page_size(), IRQs off, each CPU publishes the mm it walks (active_lockless_pt_walk_mm);
// the table sync reads every online CPU's pointer and IPIs only those walking this mm.
// Models include/linux/mm.h (pt_walk_lockless_start(), pt_walk_lockless_end()) and
// mm/mmu_gather.c (tlb_remove_table_sync_mm()) of v4's patch 1/3.

import type { EmulatedCpu } from '../kernel/cpu.ts';
import { IpiReason, smp_call_function_many } from '../kernel/ipi.ts';
import { Mm } from '../shared-memory/cpu-block.ts';
import { answerCpuSlot, answerWords } from '../shared-memory/answer-words.ts';

export const TRACKER_WORDS = answerWords({ perCpu: ['activeWalkMm'] });
const activeWalkMm = (cpu: number) => answerCpuSlot(cpu, TRACKER_WORDS.perCpu.activeWalkMm);

/** pt_walk_lockless_start(mm): this_cpu_write(active_lockless_pt_walk_mm, mm); smp_mb(); */
export function pt_walk_lockless_start(cpu: EmulatedCpu): void {
  cpu.answerCpuWords[activeWalkMm(cpu.id)] = cpu.walkingMm;
  // Orders the pointer before the walk's page-table loads. Pairs with the sync side's barrier
  // between its page-table store and its reads of the pointers: a full one in targeted-sync,
  // v4's smp_rmb() in targeted-sync-v4, which pairs with nothing ("not how memory barriers work").
  cpu.smp_mb();
}

/** pt_walk_lockless_end(): smp_store_release(this_cpu_ptr(&active_lockless_pt_walk_mm), NULL). */
export function pt_walk_lockless_end(cpu: EmulatedCpu): void {
  // On x86, release is barrier() and a plain mov: TSO keeps the walk's loads before this store,
  // which the sync side's read of the pointer pairs with.
  cpu.barrier();
  cpu.answerCpuWords[activeWalkMm(cpu.id)] = Mm.NONE;
}

/**
 * The sync side's barrier before it reads the pointers: `smp_rmb` as v4 posted it (on x86 a
 * compiler barrier only), `smp_mb` as Peter Zijlstra asked.
 */
export type SyncBarrier = 'smp_rmb' | 'smp_mb';

/**
 * tlb_remove_table_sync_mm(mm): the barrier, then for_each_online_cpu() the plain read of each
 * pointer, then smp_call_function_many(..., 1) to those walking this mm; none, no IPI. An empty
 * stub in a kernel that does not free page tables through RCU. Returns the IPIs sent.
 */
export function tlb_remove_table_sync_mm(cpu: EmulatedCpu, barrier: SyncBarrier): number {
  if (!cpu.tablesByRcu) return 0;
  if (barrier === 'smp_mb') cpu.smp_mb();
  else cpu.barrier();
  const targets = cpu.flushMask;
  let n = 0;
  for (const other of cpu.onlineCpus) if (other !== cpu.id && cpu.answerCpuWords[activeWalkMm(other)] === Mm.THIS) targets[n++] = other;
  return n === 0 ? 0 : smp_call_function_many(cpu, targets, true, IpiReason.TABLE_SYNC, n);
}
