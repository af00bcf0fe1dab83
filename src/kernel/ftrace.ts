// The emulated kernel's trace points, as ftrace's events would record them (kernel/trace/;
// include/trace/events/preemptirq.h: irq_disable, irq_enable; include/trace/events/ipi.h:
// ipi_raise, ipi_entry, ipi_exit): each CPU writes its own events into its own ring
// (trace-ring.ts). A slice is written once, when it ends, with its start and duration, so a
// ring never holds half of one.

import { TraceControlWord, TraceRingWriter, type TraceBuffers } from '../shared-memory/trace-ring.ts';

/** What a record is; `a` and `b` are its arguments. */
export const TraceEvent = {
  /** Slice, any walker CPU: IRQs off around a walk. a: walker kind (WALKER_KINDS index), b: huge page, or -1 for another mm's. */
  IRQS_OFF: 1,
  /** Slice: the IPI handler. a, b: the first and last ticket it acknowledged. */
  IPI_HANDLER: 2,
  /** Slice: halted in the idle loop. */
  HALT: 3,
  /** Instant: a quiescent state reported (rcu-frames). a: the grace period. */
  RCU_QS: 4,
  /** Slice, the unmapper: one PMD's operation. a: huge page. */
  PMD_OP: 5,
  /** Slice: serialize_against_pte_lookup() (or the collapse's), from the PMD store. a: huge page, b: IPIs sent. */
  SERIALIZE: 6,
  /** Slice: smp_call_function_many(). a: IPIs sent, b: 1 if it waited. */
  IPI_ROUND: 7,
  /** Instant: an IPI raised. a: target CPU, b: its ticket. */
  IPI_SENT: 8,
  /** Slice: csd_lock_wait() for one target. a: target CPU, b: ticket. */
  CSD_WAIT: 9,
  /** Slice: a TLB flush. a: 1 by IPI, 0 by tlbie. */
  TLB_FLUSH: 10,
  /** Instant: a huge-page frame's mapping reference dropped. a: frame. */
  FREE: 11,
  /** Instant: a walker caught a use-after-free or a misread. a: huge page, b: VIOLATION_KINDS index. */
  VIOLATION: 12,
  /** Counter: pages waiting for a grace period. a: how many. */
  RCU_PENDING: 13,
  /** Instant: this CPU started (b = 1) or stopped (b = 0) tracing its walks. a: its walk count then. */
  WALK_TRACING: 14,
  /** Instant: a PTE page freed (zap_deposited_table()). a: the page. */
  FREE_PTE_PAGE: 15,
  /** Instant: a page table handed to tlb_remove_table() (free_pgtables()). a: the table page. */
  FREE_PAGE_TABLE: 16,
} as const;
export type TraceEvent = (typeof TraceEvent)[keyof typeof TraceEvent];

export const VIOLATION_KINDS = ['frame', 'page-table', 'table-as-leaf', 'deposited-table'] as const;

/** One CPU's trace points. */
export class CpuTracer {
  private readonly ring: TraceRingWriter;
  private readonly control: TraceControlWord;
  /** performance.now() + this = milliseconds since the trace's epoch. */
  private readonly originMs: number;
  private readonly firstPmd: number;
  private readonly lastPmd: number;

  constructor(buffers: TraceBuffers, cpu: number) {
    this.ring = new TraceRingWriter(buffers, cpu);
    this.control = new TraceControlWord(buffers);
    this.originMs = performance.timeOrigin - buffers.epochMs;
    [this.firstPmd, this.lastPmd] = [buffers.firstPmd, buffers.lastPmd];
  }

  /** Whether PMD `i` of the operation's range (0 is its first) is in the window traced. */
  tracesPmd(i: number): boolean {
    return i >= this.firstPmd && i <= this.lastPmd;
  }

  /** Whether the unmapper is in the window traced: the events of every CPU are recorded meanwhile. */
  get recording(): boolean {
    return this.control.recording;
  }

  /** The unmapper's side: set as it enters and leaves the window of PMDs traced. */
  set recording(on: boolean) {
    this.control.recording = on;
  }

  /** The trace's clock, in microseconds, for a performance.now() reading already taken. */
  us(nowMs: number): number {
    return (this.originMs + nowMs) * 1000;
  }

  now(): number {
    return this.us(performance.now());
  }

  /** A slice that began at `startUs` (this trace's clock) and ends now. */
  slice(event: TraceEvent, startUs: number, a = 0, b = 0): void {
    const end = this.now();
    this.ring.write(startUs, end - startUs, event, a, b);
  }

  /** A slice whose end is a clock reading already taken (performance.now() milliseconds). */
  sliceTo(event: TraceEvent, startUs: number, endMs: number, a = 0, b = 0): void {
    this.ring.write(startUs, this.us(endMs) - startUs, event, a, b);
  }

  instant(event: TraceEvent, a = 0, b = 0): void {
    this.ring.write(this.now(), 0, event, a, b);
  }

  /** An instant at a time already read (this trace's clock). */
  instantAt(event: TraceEvent, us: number, a = 0, b = 0): void {
    this.ring.write(us, 0, event, a, b);
  }
}
