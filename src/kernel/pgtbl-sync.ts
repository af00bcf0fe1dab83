// The question every PMD change puts to the kernel: "may a lockless walker still be using what
// this PMD pointed at?" The emulated kernel asks it through these hooks, in the kernel's own
// names, and never knows which answer it runs: each answer (src/strategies/) implements them.

import type { EmulatedCpu } from './cpu.ts';

export interface PgtblSync {
  /** Walker side, with IRQs already off, before the first page-table load of a walk. */
  start_lockless_pgtbl_walk(cpu: EmulatedCpu): void;
  /** Walker side, after the last use of the pte, before IRQs go back on. */
  end_lockless_pgtbl_walk(cpu: EmulatedCpu): void;
  /**
   * Walker side, where a version put its hooks outside the IRQ-off window: before
   * local_irq_save(), after local_irq_restore() (the series' v5 counted there).
   */
  before_irqs_off?(cpu: EmulatedCpu): void;
  after_irqs_on?(cpu: EmulatedCpu): void;
  /**
   * The RFC's scope: start and end wrap the lookup alone (inside find_current_mm_pte()), so the
   * count drops before the caller has used the pte.
   */
  readonly countsLookupOnly?: boolean;
  /**
   * Its increment of the walk count orders nothing (powerpc's atomic_inc()): race amplification
   * then fills the walker's store buffer just before it, so that it drains late.
   */
  readonly unorderedIncrement?: boolean;
  /**
   * Whose walks its walker side counts: the mm's (the series' mm counter, which another
   * process's walks do not touch), or the CPU's, whatever mm it walks (per-CPU counts). Absent:
   * the mm's.
   */
  readonly counts?: 'mm-walks' | 'cpu-walks';
  /**
   * Unmapper side: called right after a PMD is cleared, before the page it mapped is freed.
   * Returns how many IPIs it sent (0 when it decided none was needed).
   */
  serialize_against_pte_lookup(cpu: EmulatedCpu): number;
  /**
   * Unmapper side of a collapse, after pmdp_collapse_flush() cleared the PMD, before the PTE
   * page is deposited: the versions differ here (5.8 kept the IPI in radix__pmdp_collapse_flush(),
   * 6.1 sends tlb_remove_table_sync_one() from khugepaged). Absent: serialize_against_pte_lookup().
   */
  serialize_collapse?(cpu: EmulatedCpu): number;
  /**
   * How the mmu_gather frees what an operation unmapped: at once, once serialised, or after an
   * RCU grace period (MMU_GATHER_RCU_TABLE_FREE's tlb_remove_table_rcu(), here for frames too).
   */
  readonly freeing: 'immediate' | 'rcu';
}
