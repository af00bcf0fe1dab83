// Grace periods for freeing pages that lockless walkers may still hold, as
// MMU_GATHER_RCU_TABLE_FREE does: a CPU with IRQs off is inside a read-side critical section,
// and every interrupt point it passes with IRQs on is a quiescent state. A page queued for
// freeing waits for a grace period that starts after its PMD was cleared: once every CPU has
// passed a quiescent state (or been seen idle) since, no walker can still hold it.
// The reading side is EmulatedCpu.rcu_qs() in cpu.ts.
// Models kernel/rcu/tree.c (call_rcu(), rcu_barrier()) and mm/mmu_gather.c (tlb_remove_table_rcu()).

import { Stat, cpuWord } from '../shared-memory/cpu-block.ts';
import { mmWord } from '../shared-memory/mm.ts';
import type { EmulatedCpu } from './cpu.ts';
import { TraceEvent } from './ftrace.ts';

/** The freeing side, on the unmapper's CPU: call_rcu() batches, one grace period at a time. */
export class RcuFreeQueue {
  /** Frees waiting for the grace period in flight, and frees that will need the next one. */
  private waiting: (() => void)[] = [];
  private next: (() => void)[] = [];
  private gpInFlight = 0;
  /**
   * CPUs below this one have passed a quiescent state in the grace period in flight (the
   * kernel's rcu_node qsmask, as a cursor): a check resumes here instead of rescanning them all.
   */
  private firstNotQuiescent = 0;
  /** The most pages waiting at once since this queue was made. */
  peakPending = 0;

  constructor(private readonly cpu: EmulatedCpu) {}

  get pending(): number {
    return this.waiting.length + this.next.length;
  }

  /** call_rcu(): run `free` after a grace period that starts from now on. */
  call_rcu(free: () => void): void {
    this.next.push(free);
    this.peakPending = Math.max(this.peakPending, this.pending);
    this.advance();
    this.tracePending();
  }

  /** Free what a completed grace period allows, and start the next one if frames need it. */
  advance(): void {
    if (this.gpInFlight !== 0) {
      if (!this.rcu_gp_completed(this.gpInFlight)) return;
      for (const free of this.waiting) free();
      this.waiting = [];
      this.gpInFlight = 0;
      this.tracePending();
    }
    if (this.next.length > 0) {
      [this.waiting, this.next] = [this.next, []];
      // Atomics.add is a full barrier: every PMD clear before it is visible to a walker that
      // sees the new sequence. Pairs with the Atomics.load of gpSeq in EmulatedCpu.rcu_qs().
      this.gpInFlight = Atomics.add(this.cpu.mm, mmWord.gpSeq, 1) + 1;
      this.firstNotQuiescent = 0;
    }
  }

  private tracePending(): void {
    if (this.cpu.tracer?.recording) this.cpu.tracer.instant(TraceEvent.RCU_PENDING, this.pending);
  }

  /** rcu_barrier(): wait, taking interrupts, until every queued frame is freed (or the run aborts). */
  rcu_barrier(): void {
    while (this.pending > 0 && !this.cpu.aborted) {
      this.advance();
      if (this.pending > 0) this.cpu.cpu_idle(performance.now() + 0.01);
    }
  }

  /**
   * Has every other CPU passed a quiescent state in grace period `gp`, or been seen idle? Once
   * seen, a CPU stays counted for this grace period: whatever it walks later began after it.
   */
  private rcu_gp_completed(gp: number): boolean {
    const { words, id } = this.cpu;
    for (; this.firstNotQuiescent < this.cpu.machine.cpus; this.firstNotQuiescent++) {
      const other = this.firstNotQuiescent;
      if (other === id) continue; // we are at an interrupt point ourselves
      if (((Atomics.load(words, cpuWord(other, 'rcuQsSeq')) - gp) | 0) >= 0) continue;
      // A halted CPU is in an extended quiescent state: it is not walking, and a walk it starts
      // after waking begins after our PMD clear. Pairs with its Atomics.store of `halted`.
      if (Atomics.load(words, cpuWord(other, 'halted')) !== 0) continue;
      return false;
    }
    return true;
  }
}

/**
 * synchronize_rcu(): wait, taking interrupts, for a grace period that starts now to end: every
 * other CPU past a quiescent state (or idle) since. Its CPUs must be reporting quiescent states
 * (EmulatedCpu.reportQuiescentStates()); an abort ends the wait.
 */
export function synchronize_rcu(cpu: EmulatedCpu): void {
  const queue = new RcuFreeQueue(cpu);
  queue.call_rcu(() => {});
  queue.rcu_barrier();
  cpu.count(Stat.gracePeriodsWaited);
}
