// The shared part of the emulated mm_struct (include/linux/mm_types.h): mm_cpumask, the MMU
// notifier's and the TLB's sequences, and the words the coordinator uses to run the CPUs. Fields
// written by different threads sit on different cache lines. What an answer keeps per mm (the
// series' walk count) is in answer-words.ts.

import { INT32_WORDS_PER_LINE, lineGroupedRecord } from './layout.ts';

/** The most emulated CPUs one machine can have. */
export const MAX_CPUS = 1024;

export const MmWords = lineGroupedRecord(
  [
    // Written by the unmapper only: the huge-page number it will clear next.
    ['unmapCursor'],
    // Written by the coordinator, and by CPU 0 as its warm-up ends: see RunPhase.
    ['runPhase', 'abort'],
    // Bumped once by each CPU when its run loop has started.
    ['cpusRunning'],
    // The RCU grace-period sequence: bumped by the CPU that starts a grace period, read by
    // every CPU at its interrupt points (rcu-frames only).
    ['gpSeq'],
    // kvm->mmu_lock, taken by every KVM walker from 5.8 and by the unmapper's MMU notifier:
    // a line of its own, as it bounces between them.
    ['kvmMmuLock'],
    // The MMU notifier's invalidations in progress and done (kvm->mmu_notifier_count and _seq),
    // written by the unmapper under kvmMmuLock.
    ['mmuInvalidateCount', 'mmuInvalidateSeq'],
    // TLB flushes of this mm so far: bumped by the flushing CPU after each flush, so that a
    // free can check the flush that covers its page has happened (the mmu_gather's order).
    ['tlbFlushSeq'],
    // The JIT warm-up's (cpu-worker/jit-warm-up.ts), written by the CPUs warming up: the turns
    // to walk that have ended, the CPUs done, and the best settled rate (walks per CPU second).
    ['warmTurnsDone', 'warmedCpus', 'warmRate'],
  ],
  INT32_WORDS_PER_LINE,
);

/**
 * The phases of one run, in order. Every walker counts its own walks per phase, so walker
 * throughput is measured one way only: by the walkers, over the phase each was in.
 *   WARMUP   walkers walk, nothing is measured (their JIT settles)
 *   MEASURE  walkers walk undisturbed: what the strategy costs them alone
 *   OPERATE  CPU 0 changes the PMDs (munmap, split, collapse)
 *   STOP     every CPU returns its report
 */
export const RunPhase = { WARMUP: 0, MEASURE: 1, OPERATE: 2, STOP: 3 } as const;
export type RunPhase = (typeof RunPhase)[keyof typeof RunPhase];

/** Words that count for the life of the machine, never reset: a CPU compares them with its own copies. */
const SEQUENCES: readonly (keyof typeof MmWords.offset)[] = ['gpSeq', 'mmuInvalidateSeq', 'tlbFlushSeq'];

/**
 * Between runs, with every CPU idle: every run word back to its start (the cursor before the
 * first PMD, everything else 0), the sequences kept.
 */
export function resetRunWords(mm: Int32Array): void {
  for (const [name, offset] of Object.entries(MmWords.offset)) {
    if (!(SEQUENCES as readonly string[]).includes(name)) Atomics.store(mm, offset, 0);
  }
  Atomics.store(mm, MmWords.offset.unmapCursor, -1);
}

/**
 * Move the run on to `phase`, unless it is there or further already: CPU 0 ending its warm-up
 * must never undo the coordinator's STOP, which may come at any moment (an abort, Ctrl-C).
 */
export function advanceRunPhase(mm: Int32Array, phase: RunPhase): void {
  for (let now = Atomics.load(mm, MmWords.offset.runPhase); now < phase; ) {
    const seen = Atomics.compareExchange(mm, MmWords.offset.runPhase, now, phase);
    if (seen === now) return;
    now = seen;
  }
}

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
