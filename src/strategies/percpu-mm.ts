// percpu-mm: not a posting. The per-CPU tracker of Lance Yang's v4 targeted sync (2 Feb 2026;
// targeted-sync and targeted-sync-v4 run it as posted, on x86's table syncs), with the full
// barrier Peter Zijlstra asked for, transplanted to the PMD changes of the seed's problem: each
// CPU keeps a pointer to the mm it walks, so the unmapper interrupts only the CPUs walking this
// mm, not those walking another process's tables (which the Bras series' v6 per-CPU count,
// counting any mm's walks, interrupts too).

import type { EmulatedCpu } from '../kernel/cpu.ts';
import { Mm } from '../shared-memory/cpu-block.ts';
import { answerCpuSlot, answerWords } from '../shared-memory/answer-words.ts';
import { ipi_walking_cpus } from './ipi-walking-cpus.ts';
import { SAFE, defineStrategy } from './strategy.ts';

const WORDS = answerWords({ perCpu: ['walkingMm'] });
const walkingMm = (cpu: number) => answerCpuSlot(cpu, WORDS.perCpu.walkingMm);

/** `other` is walking this mm's page tables. */
const walking_this_mm = (cpu: EmulatedCpu, other: number) => Atomics.load(cpu.answerCpuWords, walkingMm(other)) === Mm.THIS;

export const percpuMm = defineStrategy({
  name: 'percpu-mm',
  models: "not a posting: v4's 2026 per-CPU walk mm (full barrier) on 5.4's PMD changes: IPI only CPUs walking this mm",
  sources: ['not a posting: the tracker of Lance Yang\'s v4 (20260202074557.16544-1-lance.yang@linux.dev), with a full barrier, on the PMD changes of 5.4'],
  outcomes: SAFE,
  words: WORDS,
  walker: {
    // Publish the mm, then the walk's loads: Atomics.store is sequentially consistent (an xchg
    // on x86-64, a full barrier). Pairs with the unmapper's smp_mb() before it reads every pointer.
    walkStart(cpu) {
      Atomics.store(cpu.answerCpuWords, walkingMm(cpu.id), cpu.walkingMm);
    },
    // Every use of the pte happens-before the unmapper's Atomics.load that sees the pointer go.
    walkEnd(cpu) {
      Atomics.store(cpu.answerCpuWords, walkingMm(cpu.id), Mm.NONE);
    },
  },
  // Reads every CPU's pointer after a barrier that pairs with the walker's Atomics.store of it.
  serialize: { pmdClear: (cpu) => ipi_walking_cpus(cpu, walking_this_mm) },
});
