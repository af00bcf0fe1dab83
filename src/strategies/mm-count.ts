// The series' mm-wide walk count (mm->context.lockless_pgtbl_walk_count), and its unmapper
// side, shared by the versions that keep it in the mm: serialize_against_pte_lookup() as the
// series changed it, skipping the IPI when no walk is counted. The answers that count this way
// declare MM_COUNT_WORDS as their words.

import type { EmulatedCpu } from '../kernel/cpu.ts';
import { smp_call_function_many } from '../kernel/ipi.ts';
import { Mm } from '../shared-memory/cpu-block.ts';
import { answerMmSlot, answerWords } from '../shared-memory/answer-words.ts';

/**
 * The count, one per mm: written by every walker on every CPU, so the contention on its line is
 * the walkers' alone. A walk of another process's tables counts in that mm's.
 */
export const MM_COUNT_WORDS = answerWords({ perMm: ['locklessPgtblWalkCount'] });
const COUNT = MM_COUNT_WORDS.perMm.locklessPgtblWalkCount;

/** Where the count of the mm this CPU walks now is, in the per-mm answer words. */
export const walkedMmCount = (cpu: EmulatedCpu): number => answerMmSlot(cpu.walkingMm, COUNT);

/** running_lockless_pgtbl_walk(mm): this mm's count. */
export const running_lockless_pgtbl_walk = (cpu: EmulatedCpu): number => Atomics.load(cpu.answerMmWords, answerMmSlot(Mm.THIS, COUNT));

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
