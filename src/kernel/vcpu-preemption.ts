// The host preempting a vCPU, as an overcommitted KVM host does: for a stretch the vCPU's thread
// does not run at all, IRQs on or off, inside a lockless walk or not, so an IPI to it waits
// until the stretch ends. KVM tells the guest in steal_time.preempted, which the guest's
// paravirt TLB flush reads (tlb-flush.ts): a preempted vCPU gets no flush IPI but the
// KVM_VCPU_FLUSH_TLB mark, and the host flushes for it as it runs it again.
// Models arch/x86/kvm/x86.c (kvm_steal_time_set_preempted(), record_steal_time()) and
// include/uapi/linux/kvm_para.h.

import { Stat, cpuWord } from '../shared-memory/cpu-block.ts';

/** steal_time.preempted's bits (include/uapi/linux/kvm_para.h). */
export const KVM_VCPU_PREEMPTED = 1 << 0;
export const KVM_VCPU_FLUSH_TLB = 1 << 1;

/**
 * How long one preemption lasts: chosen, not measured, of the order of a host scheduler's slice
 * (EEVDF's base slice is 0.75 ms, 3 ms with its scaling on 8+ CPUs).
 */
export const PREEMPT_STRETCH_MS = 1;

/** What the preemption needs of its CPU: its words, its statistics, whether it is halted. */
interface PreemptibleCpu {
  readonly id: number;
  readonly words: Int32Array;
  count(stat: number, by?: number): void;
}

/** One vCPU's preemptions: every so long of running, a stretch of not running at all. */
export class HostPreemption {
  /** When the next preemption is due (performance.now() time). */
  dueAtMs: number;
  private readonly runMs: number;
  private readonly stretchMs: number;
  private readonly preemptedWord: number;
  private readonly haltedWord: number;
  /** A word no one notifies: a preempted vCPU sleeps on it for its whole stretch. */
  private readonly asleep = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));

  /** Preempted `share` of its running time, `stretchMs` at a time; the first stretch `phase` (0..1) of a cycle from now. */
  constructor(
    private readonly cpu: PreemptibleCpu,
    share: number,
    phase: number,
    stretchMs = PREEMPT_STRETCH_MS,
  ) {
    this.stretchMs = stretchMs;
    this.runMs = (stretchMs * (1 - share)) / share;
    this.dueAtMs = performance.now() + phase * (this.runMs + stretchMs);
    this.preemptedWord = cpuWord(cpu.id, 'preempted');
    this.haltedWord = cpuWord(cpu.id, 'halted');
  }

  /** At any point of the vCPU's work: preempted now, if it is due and the vCPU is running (a halted one has given up its time). */
  maybePreempt(now: number): void {
    if (now < this.dueAtMs || this.cpu.words[this.haltedWord] !== 0) return;
    const { words } = this.cpu;
    // kvm_steal_time_set_preempted(): before the thread stops. Sequentially consistent: pairs
    // with the flushing CPU's Atomics.load and compareExchange of it in kvm_flush_tlb_multi().
    Atomics.store(words, this.preemptedWord, KVM_VCPU_PREEMPTED);
    Atomics.wait(this.asleep, 0, 0, this.stretchMs);
    // record_steal_time(): xchg the word back to 0; a flush skipped meanwhile is done now
    // (kvm_vcpu_flush_tlb_guest()).
    const state = Atomics.exchange(words, this.preemptedWord, 0);
    if ((state & KVM_VCPU_FLUSH_TLB) !== 0) this.cpu.count(Stat.deferredFlushes);
    const end = performance.now();
    this.cpu.count(Stat.preemptions);
    this.cpu.count(Stat.preemptedMs, end - now);
    this.dueAtMs = end + this.runMs;
  }
}
