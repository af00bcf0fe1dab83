// powerpc's atomic_inc() and atomic_dec() are atomic but order nothing. JavaScript has no such
// operation on x86-64: every Atomics read-modify-write is a locked instruction, a full fence. So
// the walk count is split into one word per CPU, each written only by its own CPU with a plain
// store: an update that is never lost and never fenced. running_lockless_pgtbl_walk() sums them.
// The answers that count this way declare SPLIT_COUNT_WORDS as their words.

import type { EmulatedCpu } from '../kernel/cpu.ts';
import { smp_call_function_many } from '../kernel/ipi.ts';
import { answerCpuSlot, answerWords } from '../shared-memory/answer-words.ts';

/** This CPU's share of the walk count: only this CPU writes it. */
export const SPLIT_COUNT_WORDS = answerWords({ perCpu: ['locklessWalks'] });
const OWN = SPLIT_COUNT_WORDS.perCpu.locklessWalks;

/** atomic_inc(&count) with no barrier: a plain store to this CPU's own word. */
export function atomic_inc_unordered(cpu: EmulatedCpu): void {
  cpu.storeBuffer.beforeUnorderedStore();
  cpu.answerCpuWords[answerCpuSlot(cpu.id, OWN)]++;
}

/** atomic_dec(&count) with no barrier. */
export function atomic_dec_unordered(cpu: EmulatedCpu): void {
  cpu.answerCpuWords[answerCpuSlot(cpu.id, OWN)]--;
}

/** running_lockless_pgtbl_walk(mm), with plain loads: it may not see a store still buffered. */
export function running_lockless_pgtbl_walk(cpu: EmulatedCpu): number {
  let running = 0;
  for (const other of cpu.mmCpus) running += cpu.answerCpuWords[answerCpuSlot(other, OWN)];
  return running;
}

/**
 * serialize_against_pte_lookup() as the series changed it, over the split count: smp_mb(), then
 * the broadcast only if a walk is counted. The barrier orders the PMD change before the reads of
 * the count; on the walker's side nothing pairs with it, which is these versions' bug: an
 * increment may still sit in its CPU's store buffer (race-amplifier.ts makes it likelier).
 */
export function serialize_if_split_count(cpu: EmulatedCpu): number {
  cpu.smp_mb();
  if (running_lockless_pgtbl_walk(cpu) === 0) return 0;
  return smp_call_function_many(cpu, cpu.mmCpus, true);
}
