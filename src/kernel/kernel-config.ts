// What differs between the kernels the emulator runs, below the strategy: how the TLB is
// flushed, how many pages one mmu_gather frees at a time, and how lockless walkers use what
// they find. Set per run (RunSpec.kernel); each field defaults to what the strategy's kernel did.

/** How a lockless walker uses the entry it found. */
export const WALKER_STYLES = ['pointer', 'value'] as const;
export type WalkerStyle = (typeof WALKER_STYLES)[number];

/** How a TLB flush reaches the other CPUs. */
export const TLB_FLUSHES = ['tlbie', 'ipi'] as const;
export type TlbFlushBy = (typeof TLB_FLUSHES)[number];

export interface KernelConfig {
  /**
   * pointer: before 5.8, __find_linux_pte() returned a pointer into the live table
   * ((pte_t *)pmdp for a THP) and the caller dereferenced it later, re-reading whatever the
   * entry had become. value: from 5.8, the walker reads each entry once and uses that value.
   */
  readonly walkerStyle: WalkerStyle;
  /**
   * Each walker kind guards what it uses as its callers did after 5.8's rework (a page reference,
   * kvm->mmu_lock), not by its IRQs alone (see WalkerKind.guard).
   */
  readonly walkerGuards: boolean;
  /** munmap flushes each PMD as it clears it (flush_pmd_tlb_range(), 5.8+), not once per mmu_gather batch. */
  readonly tlbFlushEachPmd: boolean;
  /** tlbie: radix's broadcast invalidation, a cost on the flushing CPU alone. ipi: x86's shootdown, an IPI round to the mm's CPUs. */
  readonly tlbFlushBy: TlbFlushBy;
  /** What one tlbie flush costs the flushing CPU, in microseconds. */
  readonly tlbieUs: number;
  /** Pages an mmu_gather frees at once, after the flush that covers them. */
  readonly gatherBatch: number;
  /** Scheduler ticks a second: a CPU notes an RCU quiescent state once a tick. */
  readonly hz: number;
}

/** ppc64_defconfig's and pseries_defconfig's CONFIG_HZ_100 (030bdc3fd080). */
export const DEFAULT_HZ = 100;

/**
 * The radix flush, from Linux 5.8's own figures: munmap of 496 GB (253,952 PMDs) on 128 cores
 * took 39 ms without the per-PMD flush and 369 ms with it.
 */
export const TLBIE_US = ((369 - 39) * 1000) / 253_952;

/**
 * MAX_GATHER_BATCH (include/asm-generic/tlb.h): the pointers that fit in one page after the
 * batch header, ((PAGE_SIZE - 2 * sizeof(void *)) / sizeof(void *)): 8190 with 64K pages.
 */
export const maxGatherBatch = (basePageBytes: number): number => (basePageBytes - 2 * 8) / 8;
