// What an operation frees, and when: the mmu_gather of one munmap, split or collapse.
// Models mm/mmu_gather.c (tlb_gather_mmu(), tlb_remove_table(), tlb_finish_mmu()) and
// include/asm-generic/tlb.h (tlb_remove_page_size()). The batch is one page: each page is freed
// (or queued behind a grace period) as soon as its PMD is serialised, the strictest timing for a
// walker that holds it.

import type { EmulatedCpu } from './cpu.ts';
import type { PgtblSync } from './pgtbl-sync.ts';
import { RcuFreeQueue } from './rcu.ts';

export class MmuGather {
  /** The grace-period queue, when this gather frees through RCU. */
  private readonly rcu: RcuFreeQueue | undefined;

  /** tlb_gather_mmu(): on the unmapping CPU, for one operation over a range. */
  constructor(
    private readonly cpu: EmulatedCpu,
    freeing: PgtblSync['freeing'],
  ) {
    this.rcu = freeing === 'rcu' ? new RcuFreeQueue(cpu) : undefined;
  }

  /** tlb_remove_page_size(): a huge-page frame no PMD maps any more. */
  tlb_remove_page(frame: number): void {
    const cpu = this.cpu;
    if (this.rcu) this.rcu.call_rcu(() => free_huge_page(cpu, frame));
    else free_huge_page(cpu, frame);
  }

  /** tlb_remove_table(): a page-table page no PMD points at any more. */
  tlb_remove_table(page: number): void {
    const cpu = this.cpu;
    if (this.rcu) this.rcu.call_rcu(() => free_pgtable_page(cpu, page));
    else free_pgtable_page(cpu, page);
  }

  /**
   * tlb_finish_mmu(): wait until every deferred free is done (rcu_barrier(); after an abort it
   * gives up waiting, dropping what it had queued). Returns the most pages that waited at once.
   */
  tlb_finish_mmu(): number {
    this.rcu?.rcu_barrier();
    return this.rcu?.peakPending ?? 0;
  }
}

/** Give a frame back: poison it, and count a double free if it was free already. */
function free_huge_page(cpu: EmulatedCpu, frame: number): void {
  cpu.count(cpu.machine.frames.free(frame) ? 'framesFreed' : 'doubleFrees');
}

/** Give a page-table page back to the arena, likewise. */
function free_pgtable_page(cpu: EmulatedCpu, page: number): void {
  cpu.count(cpu.machine.arena.freePage(page) ? 'pageTablesFreed' : 'doubleFrees');
}
