// The question every PMD change puts to the kernel: "may a lockless walker still be using what
// this PMD pointed at?" The emulated kernel asks it at fixed places, through these hooks, and
// never knows which answer it runs: each answer (src/strategies/) fills them. Where two answers
// differ (the series' v1 drops its count after the lookup, v5 after the use) is which hooks they
// fill, never a flag the kernel reads.

import type { EmulatedCpu } from './cpu.ts';
import type { KernelConfig } from './kernel-config.ts';

export type WalkerHook = (cpu: EmulatedCpu) => void;
/** An unmapper-side hook: returns how many IPIs it sent (0 when it decided none was needed). */
export type SerializeHook = (cpu: EmulatedCpu) => number;

/** The places of a lockless walk where an answer's walker side runs, in the order a walk passes them. */
export interface WalkerSide {
  /** Before local_irq_save(): where the series' v2-v5 counted the walk. */
  readonly beforeIrqsOff: WalkerHook;
  /** IRQs off, before the walk's first page-table load. */
  readonly walkStart: WalkerHook;
  /** The lookup has returned, found or not, before the pte is used: where v1's count dropped, inside find_current_mm_pte(). */
  readonly lookupEnd: WalkerHook;
  /** After the last use of the pte, IRQs still off. */
  readonly walkEnd: WalkerHook;
  /** After local_irq_restore(). */
  readonly afterIrqsOn: WalkerHook;
}

/** The places a PMD change asks the answer to serialise against walkers, each on the CPU changing it. */
export interface SerializeSide {
  /** munmap: zap_huge_pmd() has cleared a THP leaf (pmdp_huge_get_and_clear()), before its frame goes to the mmu_gather. */
  readonly pmdClear: SerializeHook;
  /** split: pmdp_invalidate() has invalidated the leaf, before the PMD points at a PTE page. */
  readonly pmdInvalidate: SerializeHook;
  /** collapse: inside pmdp_collapse_flush(), the PMD cleared, before the old PTE page is deposited. */
  readonly collapseFlush: SerializeHook;
  /** collapse: after pmdp_collapse_flush() returns, khugepaged's tlb_remove_table_sync_one() (6.1+). */
  readonly tableSync: SerializeHook;
  /** mmu_gather: a page table freed with no batch page (tlb_remove_table_one()), after its flush, before it is freed. */
  readonly tableFree: SerializeHook;
}

/** When a run begins, and when a walker CPU starts and stops walking for it. */
export interface Lifecycle {
  /** On every CPU, as its run begins, mm_cpumask set: an answer sets up what its CPUs do at interrupt points. */
  readonly runBegins: (cpu: EmulatedCpu, kernel: KernelConfig) => void;
  readonly walkerStarts: WalkerHook;
  readonly walkerStops: WalkerHook;
}

/**
 * How the mmu_gather frees what an operation unmapped: at once, once serialised, or after an RCU
 * grace period (MMU_GATHER_RCU_TABLE_FREE's tlb_remove_table_rcu(), here for frames too).
 */
export type Freeing = 'immediate' | 'rcu';

/** Everything of an answer the kernel calls. */
export interface PgtblSync {
  readonly walker: WalkerSide;
  readonly serialize: SerializeSide;
  readonly lifecycle: Lifecycle;
  readonly freeing: Freeing;
}
