// powerpc's atomic_inc() and atomic_dec() are atomic but order nothing. JavaScript has no such
// operation on x86-64: every Atomics read-modify-write is a locked instruction, a full fence. So
// the walk count is split into one word per CPU, each written only by its own CPU with a plain
// store: an update that is never lost and never fenced. running_lockless_pgtbl_walk() sums them.
// The answers that count this way declare SPLIT_COUNT_WORDS as their words.

import type { EmulatedCpu } from '../kernel/cpu.ts';
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
