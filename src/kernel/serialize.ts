// The IPIs that make a PMD change wait for lockless walkers: each completes only once every
// target has taken an interrupt, which it can only do with IRQs on, after its walk.

import type { EmulatedCpu } from './cpu.ts';
import { IpiReason, smp_call_function_many } from './ipi.ts';
import { synchronize_rcu } from './rcu.ts';

/**
 * serialize_against_pte_lookup() (arch/powerpc/mm/book3s64/pgtable.c): smp_mb(), then a
 * synchronous IPI to every other CPU of mm_cpumask(mm). Returns the IPIs sent.
 */
export function serialize_against_pte_lookup(cpu: EmulatedCpu): number {
  // Makes the changed PMD visible before any target takes the IPI: a walk that starts after its
  // CPU acknowledged cannot load the old entry. Pairs with the target's Atomics.load of
  // ipiRequest at its interrupt point.
  cpu.smp_mb();
  return smp_call_function_many(cpu, cpu.mmCpus, true);
}

/**
 * tlb_remove_table_sync_one() (mm/mmu_gather.c): smp_call_function(..., 1), an IPI to every
 * online CPU but this one, whether it ever ran the mm or not; an empty inline in a kernel that
 * does not free page tables through RCU (include/asm-generic/tlb.h). Returns the IPIs sent.
 */
export function tlb_remove_table_sync_one(cpu: EmulatedCpu): number {
  if (!cpu.tablesByRcu) return 0;
  // smp_call_function() orders the caller's earlier stores before the targets' handlers, as
  // the explicit barrier does here: pairs with each target's Atomics.load of ipiRequest.
  cpu.smp_mb();
  return smp_call_function_many(cpu, cpu.onlineCpus, true, IpiReason.TABLE_SYNC);
}

/**
 * What __tlb_remove_table_one() (mm/mmu_gather.c) waits with before it frees a page table the
 * mmu_gather had no batch page for: tlb_remove_table_sync_one() or, since 1fb3d8c20bfa (Lance
 * Yang, 2026), tlb_remove_table_sync_rcu(), a grace period. Returns the IPIs sent.
 */
export function tlb_remove_table_one_wait(cpu: EmulatedCpu): number {
  if (!cpu.tableRemoveOneByRcu) return tlb_remove_table_sync_one(cpu);
  synchronize_rcu(cpu);
  return 0;
}
