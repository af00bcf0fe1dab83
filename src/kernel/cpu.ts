// One emulated CPU: its interrupt flag, its interrupt points, its idle halt, and the receiving
// half of the IPI protocol. Models arch/powerpc/include/asm/hw_irq.h (local_irq_save/restore),
// kernel/smp.c (generic_smp_call_function_single_interrupt) and the idle loop's halt.
//
// A CPU takes interrupts only at interrupt points, and only while its IRQ flag is on. This is
// what makes an IPI a barrier against lockless walkers: a walker disables its IRQs around the
// walk, so an IPI sent meanwhile completes only after the walk is over.

import { CpuPhase, CpuStats, Mm, Stat, cpuStat, cpuWord } from '../shared-memory/cpu-block.ts';
import { RunPhase, mmWord, mm_cpumask } from '../shared-memory/mm.ts';
import type { SharedMachine } from '../shared-memory/shared-machine.ts';
import type { TraceBuffers } from '../shared-memory/trace-ring.ts';
import { archSpec } from './archs.ts';
import { CpuTracer, TraceEvent } from './ftrace.ts';
import { freesTablesByRcu, type KernelConfig } from './kernel-config.ts';
import { HostPreemption } from './vcpu-preemption.ts';

/** Thrown out of a wait when the coordinator aborts the run (another CPU crashed, or Ctrl-C). */
export class RunAborted extends Error {
  constructor() {
    super('run aborted by the coordinator');
  }
}

/**
 * Pressure on this CPU's store buffer just before an unordered store (powerpc's atomic_inc()):
 * race amplification fills the buffer there (cpu-worker/race-amplifier.ts), so that the store
 * drains late, as litmus7 does; otherwise nothing happens.
 */
export interface StoreBufferPressure {
  beforeUnorderedStore(): void;
}

class NoPressure implements StoreBufferPressure {
  beforeUnorderedStore(): void {}
}
const NO_PRESSURE = new NoPressure();

export class EmulatedCpu {
  readonly words: Int32Array;
  readonly stats: Float64Array;
  readonly mm: Int32Array;
  /** The running answer's words, every CPU's and every mm's (shared-memory/answer-words.ts). */
  readonly answerCpuWords: Int32Array;
  readonly answerMmWords: Int32Array;
  /** See StoreBufferPressure: what this run does before an unordered store. */
  storeBuffer: StoreBufferPressure = NO_PRESSURE;
  /** This CPU's stats record starts here in `stats`. */
  readonly statBase: number;
  /** Scratch for smp_call_function_many(): the ticket each target must acknowledge. */
  readonly ipiTickets: Int32Array;
  /** Scratch for an IPI round's target list: a TLB flush's CPUs of mm_cpumask (tlb-flush.ts), a targeted table sync's walkers. */
  readonly flushMask: Int32Array;
  /** This run's kernel, as far as the CPU itself needs it: a halt enters lazy-TLB mode (x86). */
  lazyTlb = false;
  /** tlb_remove_table_sync_one() is a real IPI: page tables are freed through RCU (CONFIG_MMU_GATHER_RCU_TABLE_FREE). */
  tablesByRcu = true;
  /** The guest's TLB flush is KVM's paravirt one (kvm_flush_tlb_multi()), not native_flush_tlb_multi(). */
  paravirtFlush = false;
  /** tlb_remove_table_one() waits for a grace period (1fb3d8c20bfa), not every CPU's IPI. */
  tableRemoveOneByRcu = false;
  /** The host's preemptions of this vCPU, when the run has them (--vcpu-preempt). */
  private preemption: HostPreemption | undefined;
  /** The mm's TLB flush count when this CPU went lazy. */
  private lazyAtFlush = 0;
  /** mm_cpumask(mm) as a list, read once per run: the mask does not change while it runs. */
  mmCpus: readonly number[] = [];
  /** cpu_online_mask: every CPU of the machine, whether it ever ran the mm or not. */
  readonly onlineCpus: readonly number[];
  /** The mm of the walk this CPU is doing now (Mm): another process's walks run on the same CPUs. */
  walkingMm: Mm = Mm.THIS;
  /** This run's trace points, when it is traced (--trace). */
  tracer: CpuTracer | undefined;
  /** The tracer, while this CPU's walks are traced (see traceWalks()); undefined otherwise. */
  private walkTracer: CpuTracer | undefined;
  /** When IRQs went off, on the trace's clock, while walks are traced. */
  private irqsOffSinceUs = 0;

  /** The last ipiRequest value handled: the value this CPU has published as its ipiAck. */
  private handledRequests = 0;
  /** Mirrors the shared irqEnabled word, which only this CPU writes. */
  private irqsOn = true;
  /**
   * Whether interrupt points report RCU quiescent states: only for an answer that frees through
   * RCU (reportQuiescentStates()), since the report costs every interrupt point an Atomics.load
   * of the grace-period word.
   */
  private reportsQuiescentStates = false;
  /** The last grace-period sequence this CPU has reported a quiescent state in. */
  private qsSeen = -1;
  /** The scheduler tick's period, and when the next one is due (performance.now() time). */
  private tickMs = Infinity;
  private nextTickMs = 0;

  private readonly requestWord: number;
  private readonly ackWord: number;
  private readonly ackWaitersWord: number;
  private readonly haltedWord: number;
  private readonly irqWord: number;
  private readonly irqOffCountWord: number;
  private readonly fenceWord: number;
  private readonly kindWord: number;
  private readonly lastHpnWord: number;
  private readonly isLazyWord: number;

  constructor(
    readonly machine: SharedMachine,
    readonly id: number,
  ) {
    this.words = machine.cpuWords;
    this.stats = machine.cpuStats;
    this.mm = machine.mm;
    this.answerCpuWords = machine.answerCpuWords;
    this.answerMmWords = machine.answerMmWords;
    this.statBase = cpuStat(id, 'walks') - CpuStats.offset.walks;
    this.ipiTickets = new Int32Array(machine.cpus);
    this.flushMask = new Int32Array(machine.cpus);
    this.onlineCpus = Array.from({ length: machine.cpus }, (_, cpu) => cpu);
    this.requestWord = cpuWord(id, 'ipiRequest');
    this.ackWord = cpuWord(id, 'ipiAck');
    this.ackWaitersWord = cpuWord(id, 'ackWaiters');
    this.haltedWord = cpuWord(id, 'halted');
    this.irqWord = cpuWord(id, 'irqEnabled');
    this.irqOffCountWord = cpuWord(id, 'irqOffCount');
    this.fenceWord = cpuWord(id, 'fence');
    this.kindWord = cpuWord(id, 'walkerKind');
    this.lastHpnWord = cpuWord(id, 'lastWalkedHpn');
    this.isLazyWord = cpuWord(id, 'isLazy');
    this.handledRequests = Atomics.load(this.words, this.ackWord);
    this.words[this.irqWord] = 1;
  }

  /** Add to one of this CPU's statistics, `Stat.<name>` (only this CPU writes them). */
  count(stat: number, by = 1): void {
    this.stats[this.statBase + stat] += by;
  }

  /**
   * Called at the start of every run, once the coordinator has set mm_cpumask. `trace`, when the
   * run is traced, holds this CPU's ring; `kernel`, the run's kernel (a bare CPU, as in a unit
   * test, has powerpc's). The answer's runBegins() comes after.
   */
  beginRun(trace?: TraceBuffers, kernel?: KernelConfig): void {
    this.tablesByRcu = kernel ? freesTablesByRcu(kernel) : true;
    this.paravirtFlush = kernel?.paravirt === 'kvm';
    this.tableRemoveOneByRcu = kernel?.tableRemoveOne === 'rcu';
    this.preemption = undefined;
    this.words[this.isLazyWord] = 0;
    this.tracer = trace && new CpuTracer(trace, this.id);
    this.walkTracer = undefined;
    this.mmCpus = mm_cpumask(this.mm, this.machine.cpus);
    // Only a CPU that has run the mm keeps its page tables loaded when it idles.
    this.lazyTlb = kernel !== undefined && archSpec(kernel.arch).lazyTlb && this.mmCpus.includes(this.id);
    this.reportsQuiescentStates = false;
    this.tickMs = Infinity;
    this.nextTickMs = 0;
    this.walkingMm = Mm.THIS;
    this.storeBuffer = NO_PRESSURE;
    this.setPhase(CpuPhase.RUNNING);
  }

  /**
   * For an answer that frees through RCU grace periods: from now on, this CPU notes a quiescent
   * state at the first interrupt point after each of the `hz` scheduler ticks a second.
   */
  reportQuiescentStates(hz: number): void {
    this.reportsQuiescentStates = true;
    this.tickMs = 1000 / hz;
  }

  setPhase(phase: (typeof CpuPhase)[keyof typeof CpuPhase]): void {
    Atomics.store(this.words, cpuWord(this.id, 'phase'), phase);
  }

  // ---- interrupts -------------------------------------------------------------------------

  /** local_irq_save(): interrupts off, returning whether they were on. */
  local_irq_save(): boolean {
    const flags = this.irqsOn;
    this.irqsOn = false;
    // Plain stores: disabling interrupts is not a memory barrier (the reviewers' point).
    this.words[this.irqWord] = 0;
    this.words[this.irqOffCountWord]++;
    if (this.walkTracer && flags) this.irqsOffSinceUs = this.walkTracer.now();
    return flags;
  }

  /** local_irq_restore(): back to the saved state; IPIs that arrived meanwhile are taken now. */
  local_irq_restore(flags: boolean): void {
    if (this.walkTracer && flags) {
      const hpn = this.walkingMm === Mm.THIS ? this.words[this.lastHpnWord] : -1;
      this.walkTracer.slice(TraceEvent.IRQS_OFF, this.irqsOffSinceUs, this.words[this.kindWord], hpn);
    }
    this.irqsOn = flags;
    this.words[this.irqWord] = flags ? 1 : 0;
    if (flags) this.interruptPoint();
  }

  /**
   * A point inside a walk, IRQs off, where only the host can stop this vCPU: between a walk's
   * PMD load and its pte load, as a vCPU preempted there would be (Sean Christopherson on Lance
   * Yang's v4: "it's entirely possible the vCPU is in a software/lockless walk").
   */
  preemptionPoint(): void {
    if (this.preemption !== undefined) this.preemption.maybePreempt(performance.now());
  }

  /** From now on the host preempts this vCPU `share` of its running time (0..1), its first stretch `phase` (0..1) of a cycle away. */
  hostPreempts(share: number, phase: number): void {
    this.preemption = share > 0 ? new HostPreemption(this, share, phase) : undefined;
  }

  /**
   * A point where a real CPU could take an interrupt: with IRQs on, take pending IPIs and, under
   * a grace-period strategy, report a quiescent state (no lockless walk is in progress here).
   * IRQs on or off, the host may preempt the vCPU here.
   */
  interruptPoint(): void {
    if (this.preemption !== undefined) this.preemption.maybePreempt(performance.now());
    if (!this.irqsOn) return;
    if (Atomics.load(this.words, this.requestWord) !== this.handledRequests) this.generic_smp_call_function_interrupt();
    if (this.reportsQuiescentStates) this.rcu_qs();
  }

  /**
   * rcu_qs() (kernel/rcu/tree_plugin.h), as the scheduler tick (rcu_sched_clock_irq()) calls it:
   * no lockless walk is in progress here, so this CPU has passed a quiescent state in the
   * current grace period. Published once per grace period, at the first interrupt point after a
   * tick; a halted CPU needs none (RcuFreeQueue counts it idle).
   */
  private rcu_qs(): void {
    const now = performance.now();
    if (now < this.nextTickMs) return;
    this.nextTickMs = now + this.tickMs;
    const gp = Atomics.load(this.mm, mmWord.gpSeq);
    if (gp === this.qsSeen) return;
    this.qsSeen = gp;
    // Sequentially consistent, and after every load of the walk that just ended: pairs with the
    // Atomics.load of rcuQsSeq in RcuFreeQueue.rcu_gp_completed() before the page is freed.
    Atomics.store(this.words, cpuWord(this.id, 'rcuQsSeq'), gp);
    if (this.tracer?.recording) this.tracer.instant(TraceEvent.RCU_QS, gp);
  }

  /**
   * The IPI handler: run the requested function (do_nothing) for every request up to now, then
   * acknowledge them all at once. Several senders may each be waiting for their own request.
   */
  private generic_smp_call_function_interrupt(): void {
    const tracer = this.tracer?.recording ? this.tracer : undefined;
    const startUs = tracer ? tracer.now() : 0;
    const firstTicket = (this.handledRequests + 1) | 0;
    const requests = Atomics.load(this.words, this.requestWord);
    this.count(Stat.ipisHandled, (requests - this.handledRequests) | 0);
    this.handledRequests = requests;
    // Sequentially consistent: everything this CPU did before (the walk it has just finished)
    // happens-before the sender's Atomics.load of this ack in csd_lock_wait().
    Atomics.store(this.words, this.ackWord, requests);
    // Pairs with the sender's Atomics.add on ackWaiters before its Atomics.wait on ipiAck:
    // either we see the waiter and wake it, or its wait sees the new ack and does not sleep.
    if (Atomics.load(this.words, this.ackWaitersWord) !== 0) Atomics.notify(this.words, this.ackWord);
    tracer?.slice(TraceEvent.IPI_HANDLER, startUs, firstTicket, requests);
  }

  // ---- the IPI watchdog's view (csd_lock_wait_toolong) ----------------------------------------

  /** A wait for `target` has outlasted spinning: publish it, for the coordinator's watchdog. */
  startLongIpiWait(target: number): void {
    this.stats[this.statBase + CpuStats.offset.ipiWaitSince] = performance.timeOrigin + performance.now();
    Atomics.store(this.words, cpuWord(this.id, 'ipiWaitTarget'), target + 1);
  }

  endLongIpiWait(): void {
    Atomics.store(this.words, cpuWord(this.id, 'ipiWaitTarget'), 0);
  }

  // ---- barriers ---------------------------------------------------------------------------

  /**
   * smp_mb(): a full barrier. JavaScript has no fence, but an Atomics read-modify-write is
   * sequentially consistent and V8 emits a locked instruction for it on x86-64, which orders
   * the plain accesses around it too. The word is this CPU's own, so the line stays local.
   */
  smp_mb(): void {
    Atomics.add(this.words, this.fenceWord, 0);
  }

  /**
   * x86's smp_rmb(), smp_wmb() and barrier() (arch/x86/include/asm/barrier.h): a compiler
   * barrier and nothing else, x86 keeping loads in order with loads and stores with stores. An
   * Atomics.load of this CPU's own word is a plain mov on x86-64, and V8 moves no memory access
   * across an Atomics operation: the compiler is stopped, the store buffer is not drained. Only
   * an answer modelling x86's code uses it; under it a store before may still pass a load after.
   */
  barrier(): void {
    Atomics.load(this.words, this.fenceWord);
  }

  // ---- run control ------------------------------------------------------------------------

  get stopping(): boolean {
    return Atomics.load(this.mm, mmWord.runPhase) === RunPhase.STOP;
  }

  /** The phase of the run (RunPhase), as the coordinator or CPU 0 last set it. */
  get runPhase(): RunPhase {
    return Atomics.load(this.mm, mmWord.runPhase) as RunPhase;
  }

  /** This CPU's value of one of its statistics, `Stat.<name>`. */
  stat(stat: number): number {
    return this.stats[this.statBase + stat];
  }

  get aborted(): boolean {
    return Atomics.load(this.mm, mmWord.abort) !== 0;
  }

  /**
   * The idle loop: halt with IRQs on until `untilMs` (performance.now() time) or the run
   * stops, taking every IPI that wakes us. Sleeps in Atomics.wait on our request word.
   */
  cpu_idle(untilMs: number): void {
    const haltedAtUs = this.tracer ? this.tracer.now() : 0;
    if (this.lazyTlb) this.enter_lazy_tlb();
    // Pairs with the sender's Atomics.load of `halted` after its Atomics.add on ipiRequest:
    // either the sender sees us halted and notifies, or our wait sees its request.
    Atomics.store(this.words, this.haltedWord, 1);
    for (;;) {
      this.interruptPoint();
      const left = untilMs - performance.now();
      if (left <= 0 || this.stopping) break;
      Atomics.wait(this.words, this.requestWord, this.handledRequests, left);
    }
    Atomics.store(this.words, this.haltedWord, 0);
    if (this.lazyTlb) this.leave_lazy_tlb();
    if (this.tracer?.recording) this.tracer.slice(TraceEvent.HALT, haltedAtUs);
  }

  /** enter_lazy_tlb() (arch/x86/mm/tlb.c): idle keeps the mm's page tables loaded, and says so. */
  private enter_lazy_tlb(): void {
    this.lazyAtFlush = Atomics.load(this.mm, mmWord.tlbFlushSeq);
    Atomics.store(this.words, this.isLazyWord, 1);
  }

  /**
   * switch_mm_irqs_off() back to the mm from lazy mode: no longer lazy, then, as after its
   * smp_mb(), the flush count read: a flush that skipped this CPU meanwhile is done now.
   */
  private leave_lazy_tlb(): void {
    // Sequentially consistent, so also the kernel's smp_mb(): pairs with the flushing CPU's
    // Atomics.add of tlbFlushSeq before it reads isLazy (flush_tlb_range()). Either it saw this
    // CPU not lazy and interrupts it, or this load sees its new count.
    Atomics.store(this.words, this.isLazyWord, 0);
    if (Atomics.load(this.mm, mmWord.tlbFlushSeq) !== this.lazyAtFlush) this.count(Stat.lazyFlushes);
  }

  /**
   * Trace this CPU's IRQ-off stretches from now on, or stop: a walker decides between walks, so
   * that a stretch is traced whole or not at all. Each change is marked with the CPU's walk
   * count, so that a reader can check that the trace holds every walk in between.
   */
  traceWalks(on: boolean): void {
    const tracer = this.tracer;
    if (!tracer || on === (this.walkTracer !== undefined)) return;
    this.walkTracer = on ? tracer : undefined;
    tracer.instant(TraceEvent.WALK_TRACING, this.stat(Stat.walks), on ? 1 : 0);
  }
}
