// munmap() of a THP-mapped range, PMD by PMD, on the emulated CPU of the unmapping thread.
// Models mm/huge_memory.c: zap_huge_pmd(), and arch/powerpc/mm/book3s64/radix_pgtable.c:
// radix__pmdp_huge_get_and_clear(), which calls serialize_against_pte_lookup().
//
// The mmu_gather batch is one page: a frame is freed as soon as its PMD is serialised, the
// strictest timing for a walker that still uses it.

import { mmWord } from '../shared-memory/mm.ts';
import { entry_pfn, pmd_is_leaf } from '../shared-memory/pgtable-entry.ts';
import type { PgtblSyncStrategy } from '../strategies/strategy.ts';
import type { EmulatedCpu } from './cpu.ts';
import { RunAborted } from './cpu.ts';

export interface MunmapResult {
  readonly pmds: number;
  readonly pmdsUnmapped: number;
  readonly munmapMs: number;
  /** serialize_against_pte_lookup() calls that sent no IPI. */
  readonly serializeSkipped: number;
  /** Microseconds in each serialize_against_pte_lookup() call, in unmap order. */
  readonly serializeUs: Float64Array;
  /** IPIs each PMD's serialisation sent, by huge page (index 0 is firstHpn). */
  readonly ipisByPmd: Int32Array;
  /** When munmap began, as performance.timeOrigin + performance.now(). */
  readonly startedAtMs: number;
  /** From the start of munmap until its last frame was really freed (later than munmapMs under rcu-free). */
  readonly allFreedMs: number;
  /** The most frames waiting for a grace period at once (0 when frees are immediate). */
  readonly peakPendingFrees: number;
  /** True when the coordinator aborted the run part way. */
  readonly aborted: boolean;
}

/** munmap(addr, len) over huge pages [firstHpn, firstHpn + count), each mapped by a PMD leaf. */
export function munmap_thp_range(cpu: EmulatedCpu, strategy: PgtblSyncStrategy, firstHpn: number, count: number): MunmapResult {
  const serialize: SerializeLog = { us: new Float64Array(count), ipis: new Int32Array(count), firstHpn, calls: 0, skipped: 0 };
  let aborted = false;
  const start = performance.now();
  try {
    for (let i = 0; i < count; i++) {
      const hpn = firstHpn + i;
      // A hint for walkers that aim at the PMDs about to be cleared; plain, it orders nothing.
      cpu.mm[mmWord.unmapCursor] = hpn;
      // IRQs are on between PMDs: the page-table lock is a spinlock, not spin_lock_irqsave.
      cpu.interruptPoint();
      if (cpu.aborted) throw new RunAborted();
      zap_huge_pmd(cpu, strategy, hpn, serialize);
    }
  } catch (error) {
    if (!(error instanceof RunAborted)) throw error;
    aborted = true;
  }
  const munmapMs = performance.now() - start;
  // munmap() has returned; deferred frees complete in the background (tlb_finish_mmu()).
  const peakPendingFrees = aborted ? 0 : (strategy.tlb_finish_mmu?.(cpu) ?? 0);
  return {
    pmds: count,
    pmdsUnmapped: serialize.calls,
    munmapMs,
    allFreedMs: performance.now() - start,
    peakPendingFrees,
    serializeSkipped: serialize.skipped,
    serializeUs: serialize.us.subarray(0, serialize.calls),
    ipisByPmd: serialize.ipis,
    startedAtMs: performance.timeOrigin + start,
    aborted,
  };
}

/** How long each serialize_against_pte_lookup() took, what it sent, and how many sent nothing. */
interface SerializeLog {
  readonly us: Float64Array;
  readonly ipis: Int32Array;
  readonly firstHpn: number;
  calls: number;
  skipped: number;
}

/** zap_huge_pmd(): clear the PMD leaf, serialise against lockless walkers, free the page. */
function zap_huge_pmd(cpu: EmulatedCpu, strategy: PgtblSyncStrategy, hpn: number, log: SerializeLog): void {
  const slot = cpu.machine.arena.pmdSlot(hpn);
  if (slot < 0) return;
  const entries = cpu.machine.arena.entries;
  const orig = entries[slot];
  if (!pmd_is_leaf(orig)) return;
  pmdp_huge_get_and_clear(cpu, strategy, entries, slot, hpn, log);
  cpu.count('pmdsUnmapped');
  // tlb_remove_page_size(): with a batch of one, the page is freed here, or queued for a grace period.
  if (strategy.tlb_remove_page) strategy.tlb_remove_page(cpu, entry_pfn(orig));
  else free_huge_page(cpu, entry_pfn(orig));
}

/** Give a frame back: poison it, and count a double free if it was free already. */
export function free_huge_page(cpu: EmulatedCpu, frame: number): void {
  cpu.count(cpu.machine.frames.free(frame) ? 'framesFreed' : 'doubleFrees');
}

/** radix__pmdp_huge_get_and_clear(): clear the entry, then serialize_against_pte_lookup(). */
function pmdp_huge_get_and_clear(cpu: EmulatedCpu, strategy: PgtblSyncStrategy, entries: Int32Array, slot: number, hpn: number, log: SerializeLog): void {
  const start = performance.now();
  // A plain store: the page-table lock serialises writers, and the ordering against walkers
  // is the strategy's business, not the store's. Nothing runs between it and the strategy.
  entries[slot] = 0;
  const sent = strategy.serialize_against_pte_lookup(cpu);
  log.us[log.calls++] = (performance.now() - start) * 1000;
  log.ipis[hpn - log.firstHpn] = sent;
  if (sent === 0) log.skipped++;
}
