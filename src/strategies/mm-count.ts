// The series' mm-wide walk count (mm->context.lockless_pgtbl_walk_count), and its unmapper
// side, shared by the versions that keep it in the mm: serialize_against_pte_lookup() as the
// series changed it, skipping the IPI when no walk is counted.

import type { EmulatedCpu } from '../kernel/cpu.ts';
import { smp_call_function_many } from '../kernel/ipi.ts';
import { mmWord } from '../shared-memory/mm.ts';

/** running_lockless_pgtbl_walk(mm). */
export const running_lockless_pgtbl_walk = (cpu: EmulatedCpu): number => Atomics.load(cpu.mm, mmWord.locklessPgtblWalkCount);

/**
 * smp_mb(), then the broadcast only if a walk is counted. The barrier pairs with the walker's
 * barrier after its increment (every posted version had this one): the PMD change is visible
 * before the count is read, or a walker that has counted itself may still load the old PMD.
 */
export function serialize_if_walks_counted(cpu: EmulatedCpu): number {
  cpu.smp_mb();
  if (running_lockless_pgtbl_walk(cpu) === 0) return 0;
  return smp_call_function_many(cpu, cpu.mmCpus, true);
}
