// The unmapper's side of the per-CPU answers (the series' v6, the per-CPU mm pointer): a full
// barrier, then an IPI to just the CPUs of the mm whose own word says they are walking.

import type { EmulatedCpu } from '../kernel/cpu.ts';
import { smp_call_function_many } from '../kernel/ipi.ts';

/**
 * smp_mb(), then smp_call_function_many() to the CPUs for which `walking(cpu, other)` holds;
 * none walking, no IPI. The barrier pairs with each walker's full barrier after it publishes
 * its word in start_lockless_pgtbl_walk(): either we see the word, or it sees the PMD change.
 */
export function ipi_walking_cpus(cpu: EmulatedCpu, walking: (cpu: EmulatedCpu, other: number) => boolean): number {
  cpu.smp_mb();
  const targets: number[] = [];
  for (const other of cpu.mmCpus) if (walking(cpu, other)) targets.push(other);
  return targets.length === 0 ? 0 : smp_call_function_many(cpu, targets, true);
}
