// What differs between the kernels the emulator runs, below the strategy: how the TLB is
// flushed, how many pages one mmu_gather frees at a time, and how lockless walkers use what
// they find. Set per run (RunSpec.kernel); each field defaults to what the strategy's kernel did.

import type { Arch, Paravirt, TlbFlushBy } from './archs.ts';

export { TLB_FLUSHES, type TlbFlushBy } from './archs.ts';

/** How a lockless walker uses the entry it found. */
export const WALKER_STYLES = ['pointer', 'value'] as const;
export type WalkerStyle = (typeof WALKER_STYLES)[number];

/**
 * Which CPUs mm_cpumask(mm) holds. sticky: every CPU the mm ever ran on, as powerpc kept it
 * until 5.12 ("Power only ever sets bits", Peter Zijlstra); exact: the CPUs running it now, as
 * 032b7f08932c ("powerpc/64s/radix: serialize_against_pte_lookup IPIs trim mm_cpumask", 5.12)
 * trims it in the serialize IPI's handler, here from the start. --outside-cpus are online CPUs
 * not running the mm: under sticky they ran it once and keep their bit.
 */
export const MM_CPUMASKS = ['sticky', 'exact'] as const;
export type MmCpumask = (typeof MM_CPUMASKS)[number];


/**
 * When page tables are freed through RCU (CONFIG_MMU_GATHER_RCU_TABLE_FREE), which makes
 * tlb_remove_table_sync_one() a real IPI: always (powerpc; x86 from a37259732a7d, 6.15), or only
 * in a kernel built for paravirt (x86 before: `select MMU_GATHER_RCU_TABLE_FREE if PARAVIRT`),
 * which here is a kernel run with --pv.
 */
export const RCU_TABLE_FREES = ['always', 'if-paravirt'] as const;
export type RcuTableFree = (typeof RCU_TABLE_FREES)[number];

/**
 * What tlb_remove_table_one() does when the mmu_gather cannot allocate a batch page for a page
 * table it frees: sync-ipi, tlb_remove_table_sync_one() and free at once (to 7.0); rcu, wait for
 * a grace period instead (synchronize_rcu(), 1fb3d8c20bfa, Lance Yang).
 */
export const TABLE_REMOVE_ONES = ['sync-ipi', 'rcu'] as const;
export type TableRemoveOne = (typeof TABLE_REMOVE_ONES)[number];

export interface KernelConfig {
  /** The architecture, as the run's machine has it (archs.ts). */
  readonly arch: Arch;
  /** The guest kernel's paravirt TLB flush (pv_ops.mmu.flush_tlb_multi): none, or KVM's. */
  readonly paravirt: Paravirt;
  readonly rcuTableFree: RcuTableFree;
  readonly tableRemoveOne: TableRemoveOne;
  /** Share of the mmu_gather's page-table batch allocations that fail (an injected fault), 0..1. */
  readonly batchAllocFail: number;
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
  /**
   * GUP-fast re-checks the PMD after taking its reference from a pte, not only the pte
   * (70cbc3cc78a99, 6.0; the THP leaf path always re-checked the PMD).
   */
  readonly gupRechecksPmd: boolean;
  /** munmap flushes each PMD as it clears it (flush_pmd_tlb_range(), 5.8+), not once per mmu_gather batch. */
  readonly tlbFlushEachPmd: boolean;
  /**
   * x86's flush_tlb_range() says page tables were freed, so that its shootdown reaches lazy-TLB
   * CPUs too: false in 6.1, true from 3ef938c35035 ("x86/mm: Fix flush_tlb_range() when used for
   * zapping normal PMDs", Jann Horn, 2025), since collapse frees a PTE page through it.
   */
  readonly flushRangeFreedTables: boolean;
  readonly mmCpumask: MmCpumask;
  readonly tlbFlushBy: TlbFlushBy;
  /** What one tlbie flush costs the flushing CPU, in microseconds. */
  readonly tlbieUs: number;
  /** Pages an mmu_gather holds before it flushes and frees them (gatherCapacity()). */
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
 * The pages one mmu_gather holds before it must flush and free them (include/asm-generic/tlb.h):
 * MMU_GATHER_BUNDLE pages in the batch on the stack (8), then up to MAX_GATHER_BATCH_COUNT
 * batches of MAX_GATHER_BATCH each, a page of pointers after the batch's header:
 *   #define MAX_GATHER_BATCH	((PAGE_SIZE - sizeof(struct mmu_gather_batch)) / sizeof(void *))
 *   #define MAX_GATHER_BATCH_COUNT	(10000UL/MAX_GATHER_BATCH)
 * With 64K pages: 8 + 1 x 8190 = 8198; with 4K: 8 + 19 x 510 = 9698. When the last batch is
 * full, __tlb_remove_page_size() says so and the caller flushes (tlb_flush_mmu()).
 */
export function gatherCapacity(basePageBytes: number): number {
  const batch = (basePageBytes - MMU_GATHER_BATCH_HEADER_BYTES) / POINTER_BYTES;
  return MMU_GATHER_BUNDLE + Math.floor(10_000 / batch) * batch;
}

/** struct mmu_gather_batch's header: its next pointer, then nr and max (unsigned ints). */
const MMU_GATHER_BATCH_HEADER_BYTES = 8 + 4 + 4;
const POINTER_BYTES = 8;
const MMU_GATHER_BUNDLE = 8;

/** Whether page tables go through RCU, so that tlb_remove_table_sync_one() is a real IPI. */
export const freesTablesByRcu = (kernel: KernelConfig): boolean => kernel.rcuTableFree === 'always' || kernel.paravirt !== 'none';
