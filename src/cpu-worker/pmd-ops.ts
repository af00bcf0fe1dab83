// The unmapper CPU's work over a range of huge pages, PMD by PMD, each change serialised
// against lockless walkers by the strategy:
//   munmap    zap_huge_pmd()        mm/huge_memory.c, via radix__pmdp_huge_get_and_clear()
//   split     split_huge_pmd()      mm/huge_memory.c, via pmdp_invalidate() and pmd_populate()
//   collapse  collapse_huge_page()  mm/khugepaged.c, via pmdp_collapse_flush()
// The mmu_gather batch is one page: what an operation frees is freed as soon as its PMD is
// serialised (or queued for a grace period), the strictest timing for a walker that holds it.

import { mmWord } from '../shared-memory/mm.ts';
import {
  PTRS_PER_TABLE,
  SUBPAGES,
  entry_pfn,
  pfn_pmd,
  pfn_pte,
  pmd_is_leaf,
  pmd_mkinvalid,
  pte_frame,
  pte_present,
  subpage_pfn,
  table_entry,
} from '../shared-memory/pgtable-entry.ts';
import type { PgtblSyncStrategy } from '../strategies/strategy.ts';
import type { EmulatedCpu } from './cpu.ts';
import { RunAborted } from './cpu.ts';

export const PMD_OPS = ['munmap', 'split', 'collapse'] as const;
export type PmdOp = (typeof PMD_OPS)[number];

export interface MunmapResult {
  readonly op: PmdOp;
  readonly pmds: number;
  /** PMDs unmapped, split or collapsed. */
  readonly pmdsDone: number;
  /** How long the operation took over the whole range (the munmap() call, for munmap). */
  readonly munmapMs: number;
  /** serialize_against_pte_lookup() calls that sent no IPI. */
  readonly serializeSkipped: number;
  /** Microseconds in each serialize_against_pte_lookup() call (with the PMD store before it), in order. */
  readonly serializeUs: Float64Array;
  /** IPIs each PMD's serialisation sent, by huge page (index 0 is firstHpn). */
  readonly ipisByPmd: Int32Array;
  /** When the operation began, as performance.timeOrigin + performance.now(). */
  readonly startedAtMs: number;
  /** From its start until the last page it freed was really freed (later under rcu-free). */
  readonly allFreedMs: number;
  /** The most pages waiting for a grace period at once (0 when frees are immediate). */
  readonly peakPendingFrees: number;
  /** True when the coordinator aborted the run part way. */
  readonly aborted: boolean;
  /** True when the time budget ran out first: PMDs after pmdsDone were left as they were. */
  readonly stoppedAtBudget: boolean;
}

/** How long each serialize_against_pte_lookup() took, what it sent, and how many sent nothing. */
interface SerializeLog {
  readonly us: Float64Array;
  readonly ipis: Int32Array;
  readonly firstHpn: number;
  calls: number;
  skipped: number;
  /** The clock at the end of the last serialisation, which the time budget is checked against. */
  lastReadingMs: number;
}

type PerPmd = (cpu: EmulatedCpu, strategy: PgtblSyncStrategy, hpn: number, log: SerializeLog) => void;

const PER_PMD: { readonly [op in PmdOp]: PerPmd } = {
  munmap: zap_huge_pmd,
  split: split_huge_pmd,
  collapse: collapse_huge_page,
};

/**
 * `op` over huge pages [firstHpn, firstHpn + count), holding the page-table lock for each, or
 * until `budgetMs` has passed (the rest is then estimated by the coordinator).
 */
export function run_pmd_range(cpu: EmulatedCpu, strategy: PgtblSyncStrategy, op: PmdOp, firstHpn: number, count: number, budgetMs = Infinity): MunmapResult {
  const start = performance.now();
  const log: SerializeLog = { us: new Float64Array(count), ipis: new Int32Array(count), firstHpn, calls: 0, skipped: 0, lastReadingMs: start };
  const perPmd = PER_PMD[op];
  let aborted = false;
  let stoppedAtBudget = false;
  try {
    for (let i = 0; i < count; i++) {
      // The clock costs more than a whole PMD under some strategies: use its last reading.
      if (log.lastReadingMs - start > budgetMs) {
        stoppedAtBudget = true;
        break;
      }
      const hpn = firstHpn + i;
      // A hint for walkers that aim at the PMDs about to change; plain, it orders nothing.
      cpu.mm[mmWord.unmapCursor] = hpn;
      // IRQs are on between PMDs: the page-table lock is a spinlock, not spin_lock_irqsave.
      cpu.interruptPoint();
      if (cpu.aborted) throw new RunAborted();
      perPmd(cpu, strategy, hpn, log);
    }
  } catch (error) {
    if (!(error instanceof RunAborted)) throw error;
    aborted = true;
  }
  const munmapMs = performance.now() - start;
  // The call has returned; deferred frees complete in the background (tlb_finish_mmu(); after
  // an abort it gives up waiting, but still drops what it had queued).
  const peakPendingFrees = strategy.tlb_finish_mmu?.(cpu) ?? 0;
  return {
    op,
    pmds: count,
    pmdsDone: log.calls,
    munmapMs,
    serializeSkipped: log.skipped,
    serializeUs: log.us.subarray(0, log.calls),
    ipisByPmd: log.ipis,
    startedAtMs: performance.timeOrigin + start,
    allFreedMs: performance.now() - start,
    peakPendingFrees,
    aborted,
    stoppedAtBudget,
  };
}

/** zap_huge_pmd(): clear the THP leaf, serialise, free the page. */
function zap_huge_pmd(cpu: EmulatedCpu, strategy: PgtblSyncStrategy, hpn: number, log: SerializeLog): void {
  const { entries } = cpu.machine.arena;
  const slot = cpu.machine.arena.pmdSlot(hpn);
  if (slot < 0 || !pmd_is_leaf(entries[slot])) return;
  const orig = entries[slot];
  const start = performance.now();
  // radix__pmdp_huge_get_and_clear(): a plain store (the page-table lock serialises writers;
  // the ordering against walkers is the strategy's business), then the strategy, with nothing
  // in between.
  entries[slot] = 0;
  serialized(cpu, strategy, hpn, log, start);
  tlb_remove_page(cpu, strategy, entry_pfn(orig));
}

/**
 * split_huge_pmd() -> __split_huge_pmd_locked(): invalidate the THP leaf and serialise, fill a
 * PTE page with the THP's small pages, then point the PMD at it. Nothing is freed: a walker
 * holding the old leaf still maps the same frame. What must never happen is a walker following
 * the new PMD into a PTE page whose ptes it cannot see yet.
 */
function split_huge_pmd(cpu: EmulatedCpu, strategy: PgtblSyncStrategy, hpn: number, log: SerializeLog): void {
  const { arena } = cpu.machine;
  const slot = arena.pmdSlot(hpn);
  if (slot < 0 || !pmd_is_leaf(arena.entries[slot])) return;
  const orig = arena.entries[slot];
  // pgtable_trans_huge_withdraw(): the PTE page deposited when the THP was mapped.
  const pgtable = arena.allocPage();
  const start = performance.now();
  // pmdp_invalidate(): no longer usable by walkers, still present to the mm.
  arena.entries[slot] = pmd_mkinvalid(orig);
  serialized(cpu, strategy, hpn, log, start);
  const frame = entry_pfn(orig);
  for (let i = 0; i < SUBPAGES; i++) arena.entries[pgtable * PTRS_PER_TABLE + i] = pfn_pte(subpage_pfn(frame, i));
  // smp_wmb(); pmd_populate(): the ptes are visible before the PMD points at them. Pairs with
  // the walker's load of a pte through the PMD it loaded (an address dependency).
  Atomics.store(arena.entries, slot, table_entry(pgtable));
}

/**
 * collapse_huge_page() (khugepaged): clear the PMD pointing at a PTE page and serialise
 * (pmdp_collapse_flush()), copy into a new huge page and map it, then free the small pages and
 * the PTE page, which a walker may still be reading. (The kernel may deposit the PTE page for a
 * later split instead; freeing it is the case that matters to walkers.)
 */
function collapse_huge_page(cpu: EmulatedCpu, strategy: PgtblSyncStrategy, hpn: number, log: SerializeLog): void {
  const { arena, frames } = cpu.machine;
  const slot = arena.pmdSlot(hpn);
  if (slot < 0) return;
  const pmd = arena.entries[slot];
  if (!pte_present(pmd) || pmd_is_leaf(pmd)) return;
  const pgtable = entry_pfn(pmd);
  const oldFrame = pte_frame(arena.entries[pgtable * PTRS_PER_TABLE]);
  const start = performance.now();
  // pmdp_collapse_flush(): no new walk can find the PTE page after this.
  arena.entries[slot] = 0;
  serialized(cpu, strategy, hpn, log, start);
  // __collapse_huge_page_copy() into a new huge page, then set_pmd_at().
  Atomics.store(arena.entries, slot, pfn_pmd(frames.alloc()));
  tlb_remove_page(cpu, strategy, oldFrame);
  tlb_remove_table(cpu, strategy, pgtable);
}

/** serialize_against_pte_lookup(), timed from `start` (just before the PMD store), and logged. */
function serialized(cpu: EmulatedCpu, strategy: PgtblSyncStrategy, hpn: number, log: SerializeLog, start: number): void {
  const sent = strategy.serialize_against_pte_lookup(cpu);
  log.lastReadingMs = performance.now();
  log.us[log.calls++] = (log.lastReadingMs - start) * 1000;
  log.ipis[hpn - log.firstHpn] = sent;
  if (sent === 0) log.skipped++;
  cpu.count('pmdsDone');
}

/** tlb_remove_page_size(): free at once, or as the strategy says (after a grace period). */
function tlb_remove_page(cpu: EmulatedCpu, strategy: PgtblSyncStrategy, frame: number): void {
  if (strategy.tlb_remove_page) strategy.tlb_remove_page(cpu, frame);
  else free_huge_page(cpu, frame);
}

/** tlb_remove_table(): free a page-table page at once, or as the strategy says. */
function tlb_remove_table(cpu: EmulatedCpu, strategy: PgtblSyncStrategy, page: number): void {
  if (strategy.tlb_remove_table) strategy.tlb_remove_table(cpu, page);
  else free_pgtable_page(cpu, page);
}

/** Give a frame back: poison it, and count a double free if it was free already. */
export function free_huge_page(cpu: EmulatedCpu, frame: number): void {
  cpu.count(cpu.machine.frames.free(frame) ? 'framesFreed' : 'doubleFrees');
}

/** Give a page-table page back to the arena, likewise. */
export function free_pgtable_page(cpu: EmulatedCpu, page: number): void {
  cpu.count(cpu.machine.arena.freePage(page) ? 'pageTablesFreed' : 'doubleFrees');
}
