// percpu: the series' v6 (Leonardo Bras, Feb 2020): each CPU counts its own walks in flight on
// its own cache line; the unmapper, after a full barrier, interrupts only the CPUs whose count is
// non-zero. this_cpu_inc() counts whatever mm the CPU walks.
// Models arch/powerpc/mm/book3s64/pgtable.c of the series, v6.

import type { EmulatedCpu } from '../kernel/cpu.ts';
import { answerCpuSlot, answerWords } from '../shared-memory/answer-words.ts';
import { ipi_walking_cpus } from './ipi-walking-cpus.ts';
import { SAFE, defineStrategy } from './strategy.ts';

const WORDS = answerWords({ perCpu: ['locklessWalks'] });
const walks = (cpu: number) => answerCpuSlot(cpu, WORDS.perCpu.locklessWalks);

/** A walk in flight on `other`, whatever mm it walks. */
const walks_counted = (cpu: EmulatedCpu, other: number) => Atomics.load(cpu.answerCpuWords, walks(other)) !== 0;

export const percpu = defineStrategy({
  name: 'percpu',
  models: 'Bras series v6: per-CPU count, IPI only the CPUs walking',
  sources: ['Leonardo Bras, "[PATCH v6 00/11] Introduces new functions for tracking lockless pagetable walks" (6 Feb 2020, 20200206030900.147032-1-leonardo@linux.ibm.com)'],
  outcomes: SAFE,
  words: WORDS,
  walker: {
    // this_cpu_inc() then smp_mb(): one Atomics.add on our own line is both. Pairs with the
    // unmapper's smp_mb() between its PMD clear and its reads of every CPU's count.
    walkStart(cpu) {
      Atomics.add(cpu.answerCpuWords, walks(cpu.id), 1);
    },
    // Every use of the pte happens-before the unmapper's Atomics.load that sees the count drop.
    walkEnd(cpu) {
      Atomics.sub(cpu.answerCpuWords, walks(cpu.id), 1);
    },
  },
  // Reads every CPU's count after a barrier that pairs with the walker's Atomics.add.
  serialize: { pmdClear: (cpu) => ipi_walking_cpus(cpu, walks_counted) },
});
