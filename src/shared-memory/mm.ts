// The shared part of the emulated mm_struct (include/linux/mm_types.h): mm_cpumask, the
// lockless-walk counter proposed by the seed's series, and the words the coordinator uses to
// run the CPUs. Fields written by different threads sit on different cache lines.

import { INT32_WORDS_PER_LINE, lineGroupedRecord } from './layout.ts';

/** The most emulated CPUs one machine can have. */
export const MAX_CPUS = 1024;

export const MmWords = lineGroupedRecord(
  [
    // The seed's mm->context.lockless_pgtbl_walk_count: written by every walker on every CPU,
    // so it gets a line of its own and the contention on it is the walkers' alone.
    ['locklessPgtblWalkCount'],
    // Written by the unmapper only: the huge-page number it will clear next.
    ['unmapCursor'],
    // Written by the coordinator: see RunPhase.
    ['runPhase', 'abort'],
    // Bumped once by each CPU when its run loop has started.
    ['cpusRunning'],
    // The RCU grace-period sequence: bumped by the CPU that starts a grace period, read by
    // every CPU at its interrupt points (rcu-free only).
    ['gpSeq'],
  ],
  INT32_WORDS_PER_LINE,
);

export const RunPhase = { SETUP: 0, STOP: 1 } as const;

const MASK_WORDS = MAX_CPUS / 32;
/** mm_cpumask(mm): one bit per CPU that has run the mm, after the fields above. */
const CPUMASK_BASE = MmWords.stride;
export const MM_WORDS = CPUMASK_BASE + MASK_WORDS;

export const mmWord = MmWords.offset;

export function cpumask_set_cpu(mm: Int32Array, cpu: number): void {
  Atomics.or(mm, CPUMASK_BASE + (cpu >>> 5), 1 << (cpu & 31));
}

export function cpumask_clear(mm: Int32Array): void {
  for (let w = 0; w < MASK_WORDS; w++) Atomics.store(mm, CPUMASK_BASE + w, 0);
}

export function cpumask_test_cpu(mm: Int32Array, cpu: number): boolean {
  return (Atomics.load(mm, CPUMASK_BASE + (cpu >>> 5)) & (1 << (cpu & 31))) !== 0;
}

/** The CPUs of mm_cpumask(mm) below `nrCpus`, in order: for_each_cpu(cpu, mm_cpumask(mm)). */
export function mm_cpumask(mm: Int32Array, nrCpus: number): number[] {
  const cpus: number[] = [];
  for (let cpu = 0; cpu < nrCpus; cpu++) if (cpumask_test_cpu(mm, cpu)) cpus.push(cpu);
  return cpus;
}
