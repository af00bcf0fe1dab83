// What an operation frees, and when: the mmu_gather of one munmap. Pages are gathered in a
// batch and freed only after a TLB flush that covers them (tlb_flush_mmu(): flush, then free),
// when the batch is full and at the end; with RCU freeing (the hypothetical rcu-frames) the
// freed batch then also waits for a grace period. Page tables it frees (free_pgtables()) go
// through tlb_remove_table(): batched for RCU, or, when no batch page can be had, freed one at
// a time after an IPI to every CPU or, since 1fb3d8c20bfa, a grace period (tlb_remove_table_one()).
// Models mm/mmu_gather.c (tlb_gather_mmu(), tlb_flush_mmu(), tlb_finish_mmu()) and
// include/asm-generic/tlb.h (tlb_remove_page_size()).

import { Stat } from '../shared-memory/cpu-block.ts';
import { mmWord } from '../shared-memory/mm.ts';
import type { EmulatedCpu } from './cpu.ts';
import { TraceEvent } from './ftrace.ts';
import type { KernelConfig } from './kernel-config.ts';
import type { PgtblSync, SerializeHook } from './pgtbl-sync.ts';
import { archSpec } from './archs.ts';
import { RcuFreeQueue } from './rcu.ts';
import { tlb_remove_table_one_wait } from './serialize.ts';
import { flush_tlb_range } from './tlb-flush.ts';

export class MmuGather {
  /**
   * The batch: frames gathered, and the TLB flush count when each was gathered (after its PMD
   * was cleared). Typed arrays the size of a batch, filled and emptied in place: arrays grown
   * a frame at a time cost a munmap more per PMD than the rest of its bookkeeping.
   */
  private readonly frames: Int32Array;
  private readonly gatheredAt: Int32Array;
  private gathered = 0;
  /** The grace-period queue, when this gather frees through RCU. */
  private readonly rcu: RcuFreeQueue | undefined;
  /** tlb->freed_tables: page tables were freed since the last flush, which must then reach lazy CPUs too. */
  private freedTables = false;
  /** Failed batch allocations owed: each table adds the failure share, and a whole one fails (KernelConfig.batchAllocFail). */
  private failDue = 0;

  /** tlb_gather_mmu(): on the unmapping CPU, for one operation over a range. */
  constructor(
    private readonly cpu: EmulatedCpu,
    freeing: PgtblSync['freeing'],
    private readonly kernel: KernelConfig,
    /** What a page table freed without a batch page waits for: the answer's, or its kernel's (tlb_remove_table_one()). */
    private readonly tableFree: SerializeHook = tlb_remove_table_one_wait,
  ) {
    this.rcu = freeing === 'rcu' ? new RcuFreeQueue(cpu) : undefined;
    this.frames = new Int32Array(kernel.gatherBatch);
    this.gatheredAt = new Int32Array(kernel.gatherBatch);
  }

  /** tlb_remove_page_size(): a huge-page frame whose PMD is cleared; a full batch is flushed and freed. */
  tlb_remove_page(frame: number): void {
    this.frames[this.gathered] = frame;
    // A plain load: the flush count is bumped by this CPU alone (flush_tlb_range() runs on
    // the unmapping CPU), and read by no other while the operation runs.
    this.gatheredAt[this.gathered] = this.cpu.mm[mmWord.tlbFlushSeq];
    if (++this.gathered >= this.kernel.gatherBatch) this.tlb_flush_mmu();
  }

  /** tlb_flush_mmu(): flush the TLB, then free what is gathered (through RCU when asked). */
  tlb_flush_mmu(): void {
    if (this.gathered === 0 && !this.freedTables) return;
    flush_tlb_range(this.cpu, this.kernel, this.freedTables);
    this.freedTables = false;
    for (let i = 0; i < this.gathered; i++) this.free_flushed(this.frames[i], this.gatheredAt[i]);
    this.gathered = 0;
  }

  /**
   * pmd_free_tlb() -> tlb_remove_table() (mm/mmu_gather.c): page table `table` is freed with this
   * gather. Without RCU table freeing (x86 built without PARAVIRT, before 6.15) it is a page
   * like the others, freed after the flush's IPIs (tlb_remove_page()); with it, it goes in a
   * batch freed after the flush and a grace period (tlb_remove_table_rcu()), or, when the batch
   * page cannot be allocated, through tlb_remove_table_one() at once. The emulator keeps the
   * table page itself (docs/model.md): what it runs is each path's wait.
   */
  tlb_remove_table(table: number): void {
    const { cpu, kernel } = this;
    this.freedTables = true;
    cpu.count(Stat.tablesRemoved);
    if (cpu.tracer?.recording) cpu.tracer.instant(TraceEvent.FREE_PAGE_TABLE, table);
    if (!cpu.tablesByRcu) return;
    this.failDue += kernel.batchAllocFail;
    if (this.failDue < 1) return;
    this.failDue -= 1;
    cpu.count(Stat.tableBatchFails);
    // tlb_table_invalidate(): the hardware walker may cache the table; flush before it goes.
    if (archSpec(kernel.arch).tableInvalidate) flush_tlb_range(cpu, kernel, true);
    // tlb_remove_table_one(): wait for every lockless walker, then free.
    this.tableFree(cpu);
  }

  /** Free a frame cleared when the flush count was `clearedAt`, once flushed: at once, or after a grace period. */
  free_flushed(frame: number, clearedAt: number): void {
    const cpu = this.cpu;
    if (this.rcu) this.rcu.call_rcu(() => free_huge_page(cpu, frame, clearedAt));
    else free_huge_page(cpu, frame, clearedAt);
  }

  /** tlb_finish_mmu(): flush and free what is left; munmap() returns after this. */
  tlb_finish_mmu(): void {
    this.tlb_flush_mmu();
  }

  /**
   * What rcu-frames leaves for later: wait until every grace period is over (rcu_barrier();
   * after an abort it gives up waiting, dropping what it had queued). Returns the most pages
   * that waited at once.
   */
  rcu_barrier(): number {
    this.rcu?.rcu_barrier();
    return this.rcu?.peakPending ?? 0;
  }
}

/**
 * Drop the mapping's reference to a frame: it is freed now, or by the last GUP-fast walker
 * still holding one (which counts it then); a frame with no reference left is a double free.
 * A frame whose covering TLB flush has not happened yet (the flush count has not moved since its
 * PMD was cleared) is counted too: another CPU's TLB could still map it.
 */
function free_huge_page(cpu: EmulatedCpu, frame: number, clearedAt: number): void {
  // This CPU's own flush count, as in tlb_remove_page() (a plain load).
  if (cpu.mm[mmWord.tlbFlushSeq] === clearedAt) cpu.count(Stat.freedBeforeFlush);
  put_page(cpu, frame);
  if (cpu.tracer?.recording) cpu.tracer.instant(TraceEvent.FREE, frame);
}

/** folio_put(), counting what it did on the CPU that did it. */
export function put_page(cpu: EmulatedCpu, frame: number): void {
  const put = cpu.machine.frames.put(frame);
  if (put !== 'held') cpu.count(put === 'freed' ? Stat.framesFreed : Stat.doubleFrees);
}
