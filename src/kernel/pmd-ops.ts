// The unmapper CPU's work over a range of huge pages, PMD by PMD, each change serialised
// against lockless walkers through the PgtblSync hooks, each free through the mmu_gather:
//   munmap    zap_huge_pmd()        mm/huge_memory.c, via pmdp_huge_get_and_clear()
//   split     split_huge_pmd()      mm/huge_memory.c, via pmdp_invalidate() and pmd_populate()
//   collapse  collapse_huge_page()  mm/khugepaged.c, via pmdp_collapse_flush()
//   retract-unflushed  hypothetical: retract_page_tables() (mm/khugepaged.c, 6.1) without its flush

import { Stat } from '../shared-memory/cpu-block.ts';
import { mmWord } from '../shared-memory/mm.ts';
import { PTRS_PER_TABLE, entry_pfn, pfn_pmd, pmd_is_leaf, pmd_mkinvalid, pte_frame, pte_present, table_entry } from '../shared-memory/pgtable-entry.ts';
import type { SharedMachine } from '../shared-memory/shared-machine.ts';
import { archSpec } from './archs.ts';
import type { EmulatedCpu } from './cpu.ts';
import { RunAborted } from './cpu.ts';
import { TraceEvent, type CpuTracer } from './ftrace.ts';
import type { KernelConfig } from './kernel-config.ts';
import { MmuGather } from './mmu-gather.ts';
import { pgtable_trans_huge_deposit, pgtable_trans_huge_withdraw } from './pgtable-deposit.ts';
import { mmu_notifier_invalidate_range_end, mmu_notifier_invalidate_range_start } from './mmu-notifier.ts';
import type { PgtblSync } from './pgtbl-sync.ts';
import { flush_tlb_range } from './tlb-flush.ts';

/**
 * What CPU 0 does to the range. collapse-munmap takes the PMDs in pairs: it collapses the first
 * (PTE-mapped) and unmaps the second (a THP), so that the unmap withdraws the table the collapse
 * has just deposited, the interleaving Jann Horn's first reason needs. retract-unflushed is no
 * kernel's: a caller of the table sync with no TLB flush before it (retract_unflushed()).
 */
export const PMD_OPS = ['munmap', 'split', 'collapse', 'collapse-munmap', 'retract-unflushed'] as const;
export type PmdOp = (typeof PMD_OPS)[number];

export interface OpResult {
  readonly op: PmdOp;
  readonly pmds: number;
  /** PMDs unmapped, split or collapsed. */
  readonly pmdsDone: number;
  /** How long the operation took over the whole range (the munmap() call, for munmap): up to its last batch flushed and freed. */
  readonly opMs: number;
  /** serialize_against_pte_lookup() calls that sent no IPI. */
  readonly serializeSkipped: number;
  /**
   * Microseconds in serialize_against_pte_lookup() calls (with the PMD store before it), in order:
   * every call while they are slow, one in TIMED_EVERY while they are fast (see SerializeLog).
   */
  readonly serializeUs: Float64Array;
  /** IPIs each PMD's serialisation sent, by huge page (index 0 is firstHpn). */
  readonly ipisByPmd: Int32Array;
  /** When the operation began, as performance.timeOrigin + performance.now(). */
  readonly startedAtMs: number;
  /** From its start until the last page it freed was really freed (later under rcu-frames). */
  readonly allFreedMs: number;
  /** The most pages waiting for a grace period at once (0 when frees are immediate). */
  readonly peakPendingFrees: number;
  /** True when the coordinator aborted the run part way. */
  readonly aborted: boolean;
  /** True when the time budget ran out first: PMDs after pmdsDone were left as they were. */
  readonly stoppedAtBudget: boolean;
}

/**
 * How long serialize_against_pte_lookup() took, what it sent, and how many sent nothing. Two
 * clock reads cost more than a whole PMD under the cheap strategies (about 80 ns each, against
 * 300-600 ns for the PMD), so a call is timed only while calls are slow, or one in TIMED_EVERY
 * while they are fast: the percentiles come from those samples, exact where they matter.
 */
class SerializeLog {
  /** The timed calls' microseconds, in order. */
  readonly us: Float64Array;
  samples = 0;
  readonly ipis: Int32Array;
  calls = 0;
  skipped = 0;
  /** The clock at the end of the last timed serialisation, which the time budget is checked against. */
  lastReadingMs: number;
  /** The last timed call took longer than FAST_SERIALIZE_US: time every call. */
  private slow = true;

  constructor(
    count: number,
    readonly firstHpn: number,
    startMs: number,
  ) {
    this.us = new Float64Array(count);
    this.ipis = new Int32Array(count);
    this.lastReadingMs = startMs;
  }

  /**
   * Just before the PMD store: the clock, if this call is to be timed (always while calls are
   * slow or traced), else UNTIMED.
   */
  start(traced: boolean): number {
    return this.slow || traced || this.calls % TIMED_EVERY === 0 ? performance.now() : UNTIMED;
  }

  /** A call on `hpn` that sent `sent` IPIs, begun at `startMs` (start()'s answer). */
  note(hpn: number, sent: number, startMs: number): void {
    if (startMs !== UNTIMED) {
      this.lastReadingMs = performance.now();
      const us = (this.lastReadingMs - startMs) * 1000;
      this.us[this.samples++] = us;
      this.slow = us > FAST_SERIALIZE_US;
    }
    this.ipis[hpn - this.firstHpn] = sent;
    this.calls++;
    if (sent === 0) this.skipped++;
  }
}

const TIMED_EVERY = 16;
const UNTIMED = -1;
/** Past this, a call costs a hundred clock reads: time every one. */
const FAST_SERIALIZE_US = 20;

/** What one operation needs on every PMD: its CPU, the hooks, its mmu_gather and its log. */
interface PmdOpContext {
  readonly cpu: EmulatedCpu;
  readonly sync: PgtblSync;
  readonly kernel: KernelConfig;
  readonly tlb: MmuGather;
  readonly log: SerializeLog;
  /** The tracer while this PMD is in the window traced (--trace-pmds); undefined otherwise. */
  traced: CpuTracer | undefined;
  /** pmdp_huge_get_and_clear() is an xchg (x86-64), not a plain store. */
  readonly lockedClear: boolean;
}

type PerPmd = (op: PmdOpContext, hpn: number) => void;

const PER_PMD: { readonly [op in PmdOp]: PerPmd } = {
  munmap: zap_huge_pmd,
  split: split_huge_pmd,
  collapse: collapse_huge_page,
  'collapse-munmap': (op, hpn) => ((hpn - op.log.firstHpn) % 2 === 0 ? collapse_huge_page : zap_huge_pmd)(op, hpn),
  'retract-unflushed': retract_unflushed,
};

/**
 * `op` over huge pages [firstHpn, firstHpn + count), holding the page-table lock for each, or
 * until `budgetMs` has passed (the rest is then estimated by the coordinator).
 */
export function run_pmd_range(cpu: EmulatedCpu, sync: PgtblSync, kernel: KernelConfig, op: PmdOp, firstHpn: number, count: number, budgetMs = Infinity): OpResult {
  const start = performance.now();
  const log = new SerializeLog(count, firstHpn, start);
  const context: PmdOpContext = { cpu, sync, kernel, tlb: new MmuGather(cpu, sync.freeing, kernel, sync.serialize.tableFree), log, traced: undefined, lockedClear: archSpec(kernel.arch).pmdGetAndClear === 'xchg' };
  const tracer = cpu.tracer;
  const perPmd = PER_PMD[op];
  let aborted = false;
  let stoppedAtBudget = false;
  let notifying = false;
  try {
    // The range is about to change: KVM's walkers under kvm->mmu_lock wait, or retry.
    mmu_notifier_invalidate_range_start(cpu);
    notifying = true;
    for (let i = 0; i < count; i++) {
      // The clock costs more than a whole PMD under some strategies: use its last reading.
      if (log.lastReadingMs - start > budgetMs) {
        stoppedAtBudget = true;
        break;
      }
      const hpn = firstHpn + i;
      // A hint for walkers that aim at the PMDs about to change; plain, it orders nothing.
      cpu.mm[mmWord.unmapCursor] = hpn;
      if (tracer) traceWindow(context, tracer, i);
      // IRQs are on between PMDs: the page-table lock is a spinlock, not spin_lock_irqsave.
      cpu.interruptPoint();
      // An abort (another CPU crashed, Ctrl-C) is looked for every few PMDs; a wait for an
      // IPI looks for it by itself.
      if (i % ABORT_CHECK_EVERY === 0 && cpu.aborted) throw new RunAborted();
      const traced = context.traced;
      const startUs = traced ? traced.now() : 0;
      perPmd(context, hpn);
      if (traced) traced.slice(TraceEvent.PMD_OP, startUs, hpn);
    }
  } catch (error) {
    if (!(error instanceof RunAborted)) throw error;
    aborted = true;
  }
  if (notifying && !aborted) mmu_notifier_invalidate_range_end(cpu);
  // munmap() of the whole range: unmap_region() frees its page tables before the last flush.
  if (op === 'munmap' && !aborted && !stoppedAtBudget) free_pgtables(context, firstHpn, count);
  context.tlb.tlb_finish_mmu();
  const opMs = performance.now() - start;
  // The call has returned; frees deferred to a grace period complete in the background.
  const peakPendingFrees = context.tlb.rcu_barrier();
  if (tracer) tracer.recording = false;
  return {
    op,
    pmds: count,
    pmdsDone: log.calls,
    opMs,
    serializeSkipped: log.skipped,
    serializeUs: log.us.subarray(0, log.samples),
    ipisByPmd: log.ipis,
    startedAtMs: performance.timeOrigin + start,
    allFreedMs: performance.now() - start,
    peakPendingFrees,
    aborted,
    stoppedAtBudget,
  };
}

const ABORT_CHECK_EVERY = 64;

/**
 * Record every CPU's events while PMD `i` of the range is in the window traced (the whole range
 * unless --trace-pmds says otherwise): the unmapper turns the trace's control word on and off.
 */
function traceWindow(op: PmdOpContext, tracer: CpuTracer, i: number): void {
  const inWindow = tracer.tracesPmd(i);
  if (inWindow === (op.traced !== undefined)) return;
  tracer.recording = inWindow;
  op.traced = inWindow ? tracer : undefined;
}

/**
 * zap_huge_pmd(): clear the THP leaf, serialise, flush its TLB entry (5.8+; before, the
 * mmu_gather flushes once per batch), free the PTE page deposited beside the PMD at once
 * (zap_deposited_table(): withdraw, then pte_free(), neither through the mmu_gather nor RCU),
 * and hand the frame to the mmu_gather.
 */
function zap_huge_pmd(op: PmdOpContext, hpn: number): void {
  const { arena } = op.cpu.machine;
  const { entries } = arena;
  const slot = arena.pmdSlot(hpn);
  if (slot < 0 || !pmd_is_leaf(entries[slot])) return;
  const orig = entries[slot];
  const start = op.log.start(op.traced !== undefined);
  // pmdp_huge_get_and_clear(), then the strategy, with nothing in between.
  pmdp_huge_get_and_clear(op, slot);
  serialized(op, hpn, start, op.sync.serialize.pmdClear(op.cpu));
  if (op.kernel.tlbFlushEachPmd) flush_tlb_range(op.cpu, op.kernel, op.kernel.flushRangeFreedTables); // flush_pmd_tlb_range()
  zap_deposited_table(op, hpn);
  op.tlb.tlb_remove_page(entry_pfn(orig));
}

/**
 * free_pgtables() (mm/memory.c), for a range no other mapping shares: every PMD page and PUD
 * page under it goes through the mmu_gather (pmd_free_tlb(), pud_free_tlb()), which makes its
 * last flush one that freed tables.
 */
function free_pgtables(op: PmdOpContext, firstHpn: number, count: number): void {
  const { arena } = op.cpu.machine;
  const end = firstHpn + count;
  for (let hpn = firstHpn; hpn < end; hpn = (Math.floor(hpn / PTRS_PER_TABLE) + 1) * PTRS_PER_TABLE) op.tlb.tlb_remove_table(arena.pmdPage(hpn));
  const pudSpan = PTRS_PER_TABLE * PTRS_PER_TABLE;
  for (let hpn = firstHpn; hpn < end; hpn = (Math.floor(hpn / pudSpan) + 1) * pudSpan) op.tlb.tlb_remove_table(arena.pudPage(hpn));
}

/** zap_deposited_table() (mm/huge_memory.c): the deposit list's head withdrawn and freed, whichever THP deposited it. */
function zap_deposited_table(op: PmdOpContext, hpn: number): void {
  const { arena } = op.cpu.machine;
  const pgtable = pgtable_trans_huge_withdraw(arena, hpn);
  op.cpu.count(arena.pte.free(pgtable) ? Stat.pteTablesFreed : Stat.doubleFrees);
  if (op.traced) op.traced.instant(TraceEvent.FREE_PTE_PAGE, pgtable);
}

/**
 * split_huge_pmd() -> __split_huge_pmd_locked(): invalidate the THP leaf and serialise, withdraw
 * the PTE page deposited beside the PMD and fill it with the THP's small pages, then point the
 * PMD at it. Nothing is freed: a walker holding the old leaf still maps the same frame. What must
 * never happen is a walker following the new PMD into a PTE page whose ptes it cannot see yet.
 */
function split_huge_pmd(op: PmdOpContext, hpn: number): void {
  const { arena } = op.cpu.machine;
  const slot = arena.pmdSlot(hpn);
  if (slot < 0 || !pmd_is_leaf(arena.entries[slot])) return;
  const orig = arena.entries[slot];
  const start = op.log.start(op.traced !== undefined);
  // pmdp_invalidate(): no longer usable by walkers, still present to the mm; its TLB entry is
  // flushed (flush_pmd_tlb_range(), in every version).
  arena.entries[slot] = pmd_mkinvalid(orig);
  serialized(op, hpn, start, op.sync.serialize.pmdInvalidate(op.cpu));
  flush_tlb_range(op.cpu, op.kernel, op.kernel.flushRangeFreedTables);
  const pgtable = pgtable_trans_huge_withdraw(arena, hpn);
  arena.pte.fill(pgtable, entry_pfn(orig));
  // smp_wmb(); pmd_populate(): the ptes are visible before the PMD points at them. Pairs with
  // the walker's load of a pte through the PMD it loaded (an address dependency).
  Atomics.store(arena.entries, slot, table_entry(pgtable));
}

/**
 * collapse_huge_page() (khugepaged): clear the PMD pointing at a PTE page, flush and serialise
 * (pmdp_collapse_flush()), copy into a new huge page and map it, deposit the old PTE page for a
 * later split (pgtable_trans_huge_deposit(): it now holds list pointers, not ptes), and free
 * the small pages. A walker may still be reading the old PTE page.
 */
function collapse_huge_page(op: PmdOpContext, hpn: number): void {
  const { arena, frames } = op.cpu.machine;
  const slot = ptePmdSlot(arena, hpn);
  if (slot < 0) return;
  const pgtable = entry_pfn(arena.entries[slot]);
  const oldFrame = mappedFrame(arena, pgtable);
  const start = op.log.start(op.traced !== undefined);
  // pmdp_collapse_flush(): no new walk can find the PTE page after this, nor any TLB entry.
  pmdp_huge_get_and_clear(op, slot);
  const flushSent = op.sync.serialize.collapseFlush(op.cpu);
  const flushedAt = flush_tlb_range(op.cpu, op.kernel, op.kernel.flushRangeFreedTables);
  // khugepaged, once pmdp_collapse_flush() has returned: tlb_remove_table_sync_one() (6.1+).
  serialized(op, hpn, start, flushSent + op.sync.serialize.tableSync(op.cpu));
  // __collapse_huge_page_copy() into a new huge page, clearing each pte it copies; the PTE page
  // is deposited beside the PMD, then set_pmd_at() maps the new page (under the PMD lock).
  arena.pte.clear(pgtable);
  pgtable_trans_huge_deposit(arena, hpn, pgtable);
  Atomics.store(arena.entries, slot, pfn_pmd(frames.alloc()));
  // The small pages go straight back (free_page_and_swap_cache()), the flush above covering them.
  op.tlb.free_flushed(oldFrame, flushedAt);
}

/** The PMD slot of huge page `hpn` when it points at a PTE page (small pages), else -1: nothing to collapse or retract. */
function ptePmdSlot(arena: SharedMachine['arena'], hpn: number): number {
  const slot = arena.pmdSlot(hpn);
  if (slot < 0) return -1;
  const pmd = arena.entries[slot];
  return pte_present(pmd) && !pmd_is_leaf(pmd) ? slot : -1;
}

/** The huge frame whose small pages PTE page `pgtable` maps, read from its first pte. */
const mappedFrame = (arena: SharedMachine['arena'], pgtable: number): number => pte_frame(arena.pte.entries[arena.pte.slot(pgtable, 0)]);

/**
 * pmdp_huge_get_and_clear(): on x86-64 native_pmdp_get_and_clear(), an xchg, which drains this
 * CPU's store buffer before any later load; on powerpc (radix__pmdp_huge_get_and_clear()) a
 * plain store here, the page-table lock serialising writers and the order against walkers
 * being the answer's business.
 */
function pmdp_huge_get_and_clear(op: PmdOpContext, slot: number): void {
  const entries = op.cpu.machine.arena.entries;
  if (op.lockedClear) Atomics.exchange(entries, slot, 0);
  else entries[slot] = 0;
}

/**
 * Hypothetical, in no kernel: retract_page_tables() as 2ba99c5e0881 (6.1) left it, its sync IPI
 * sent "before freeing/reusing page tables" and the table then freed at once, but with the PMD
 * cleared by a plain pmd_clear() and no TLB flush before the sync. It is the caller Peter Zijlstra warned of on
 * Lance Yang's v10 ("there is nothing that guarantees there is [a preceding TLB flush]"), and
 * the only kind of caller where v4's smp_rmb() meets store buffering with no locked instruction
 * in between to hide it (docs/table-sync.md). The small pages go to the mmu_gather.
 */
function retract_unflushed(op: PmdOpContext, hpn: number): void {
  const { cpu } = op;
  const { arena } = cpu.machine;
  const slot = ptePmdSlot(arena, hpn);
  if (slot < 0) return;
  const pgtable = entry_pfn(arena.entries[slot]);
  const frame = mappedFrame(arena, pgtable);
  const start = op.log.start(op.traced !== undefined);
  // Race amplification fills the store buffer first, so that the clear drains late.
  cpu.storeBuffer.beforeUnorderedStore();
  // pmd_clear(): a plain store, still in this CPU's store buffer as the sync reads.
  arena.entries[slot] = 0;
  serialized(op, hpn, start, op.sync.serialize.tableSync(cpu));
  // pte_free(): at once, not through the mmu_gather or RCU.
  cpu.count(arena.pte.free(pgtable) ? Stat.pteTablesFreed : Stat.doubleFrees);
  if (op.traced) op.traced.instant(TraceEvent.FREE_PTE_PAGE, pgtable);
  op.tlb.tlb_remove_page(frame);
}

/**
 * A PMD's serialisation done, having sent `sent` IPIs: timed from `start` (just before the PMD
 * store; for a collapse, up to the end of its table sync, pmdp_collapse_flush()'s TLB flush
 * between) unless it is UNTIMED, and logged.
 */
function serialized({ cpu, log, traced }: PmdOpContext, hpn: number, start: number, sent: number): void {
  log.note(hpn, sent, start);
  traced?.sliceTo(TraceEvent.SERIALIZE, traced.us(start), log.lastReadingMs, hpn, sent);
  cpu.count(Stat.pmdsDone);
}
