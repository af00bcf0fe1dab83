// What every answer to "how does the unmapper know no walker still uses the old PMD?" provides:
// its walker side and its unmapper side, in the kernel's names. One file per strategy; the
// registry in index.ts lists them.

import type { EmulatedCpu } from '../cpu-worker/cpu.ts';

export interface PgtblSyncStrategy {
  readonly name: string;
  /** False for strategies kept to show a bug: their use-after-free is the expected result. */
  readonly safe: boolean;
  /** The kernel version or patch series it models, in a few words. */
  readonly models: string;

  /** Walker side, with IRQs already off, before the first page-table load of a walk. */
  start_lockless_pgtbl_walk(cpu: EmulatedCpu): void;
  /** Walker side, after the last use of the pte, before IRQs go back on. */
  end_lockless_pgtbl_walk(cpu: EmulatedCpu): void;
  /**
   * Unmapper side: called right after a PMD is cleared, before the page it mapped is freed.
   * Returns how many IPIs it sent (0 when it decided none was needed).
   */
  serialize_against_pte_lookup(cpu: EmulatedCpu): number;

  /** True if it frees pages after grace periods: CPUs then report quiescent states. */
  readonly gracePeriods?: boolean;
  /** Unmapper side: free a frame whose PMD is cleared and serialised. Absent: free it at once. */
  tlb_remove_page?(cpu: EmulatedCpu, frame: number): void;
  /** Unmapper side: free a page-table page no PMD points at any more. Absent: free it at once. */
  tlb_remove_table?(cpu: EmulatedCpu, page: number): void;
  /**
   * Unmapper side, after the last PMD: wait until every deferred free is done, and return the
   * most pages that were waiting at once. Absent: nothing was deferred.
   */
  tlb_finish_mmu?(cpu: EmulatedCpu): number;
}
