// Invalidating the TLB entries of a range, as the kernel does after a PMD changes and before
// what it mapped may be freed. With tlbFlushBy 'tlbie', arch/powerpc/mm/book3s64/radix_tlb.c
// (radix__flush_tlb_range(), radix__flush_pmd_tlb_range(): a broadcast tlbie that the flushing
// CPU waits on, no other CPU involved); with 'ipi', arch/x86/mm/tlb.c (flush_tlb_mm_range() ->
// native_flush_tlb_multi(): an IPI to each other CPU of mm_cpumask, each running
// flush_tlb_func(), but for CPUs in lazy-TLB mode when no page tables were freed) and, under
// --pv kvm, arch/x86/kernel/kvm.c (kvm_flush_tlb_multi(): no IPI to a preempted vCPU, which the
// host flushes as it runs it again).

import { Stat, cpuWord } from '../shared-memory/cpu-block.ts';
import { mmWord } from '../shared-memory/mm.ts';
import type { EmulatedCpu } from './cpu.ts';
import { TraceEvent } from './ftrace.ts';
import { IpiReason, smp_call_function_many } from './ipi.ts';
import type { KernelConfig } from './kernel-config.ts';
import { KVM_VCPU_FLUSH_TLB, KVM_VCPU_PREEMPTED } from './vcpu-preemption.ts';

/**
 * Flush, and return the mm's flush count from before it: what a page cleared before the flush
 * was gathered at. `freedTables`: page tables were freed since the last flush (tlb->freed_tables,
 * or flush_tlb_range()'s own, KernelConfig.flushRangeFreedTables), so lazy CPUs are interrupted too.
 */
export function flush_tlb_range(cpu: EmulatedCpu, kernel: KernelConfig, freedTables = false): number {
  const start = performance.now();
  // inc_mm_tlb_gen(), before any CPU is looked at. The mm's flush count is read by the
  // unmapping CPU (MmuGather: a free that sees this count knows its flush is done) and by a CPU
  // leaving lazy mode. Sequentially consistent: pairs with that CPU's Atomics.store of isLazy
  // before its load of this count (EmulatedCpu.leave_lazy_tlb()).
  const before = Atomics.add(cpu.mm, mmWord.tlbFlushSeq, 1);
  if (kernel.tlbFlushBy === 'ipi') {
    const targets = flushTargets(cpu, kernel, freedTables);
    smp_call_function_many(cpu, cpu.flushMask, true, IpiReason.TLB_FLUSH, targets);
  } else {
    // tlbie; eieio; tlbsync; ptesync: the flushing CPU waits for the broadcast to complete.
    const until = start + kernel.tlbieUs / 1000;
    while (performance.now() < until);
  }
  const end = performance.now();
  cpu.count(Stat.tlbFlushes);
  cpu.count(Stat.tlbFlushUs, (end - start) * 1000);
  if (cpu.tracer?.recording) cpu.tracer.sliceTo(TraceEvent.TLB_FLUSH, cpu.tracer.us(start), end, kernel.tlbFlushBy === 'ipi' ? 1 : 0);
  return before;
}

/**
 * The CPUs of mm_cpumask a shootdown interrupts, written to cpu.flushMask; returns how many.
 * kvm_flush_tlb_multi() first: a preempted vCPU is marked KVM_VCPU_FLUSH_TLB instead, tables
 * freed or not. Then native_flush_tlb_multi(): with no page tables freed, a CPU in lazy-TLB mode
 * is skipped (tlb_is_not_lazy() in 6.1, should_flush_tlb() since), to flush itself when it
 * switches back to the mm.
 */
function flushTargets(cpu: EmulatedCpu, kernel: KernelConfig, freedTables: boolean): number {
  const { words, flushMask } = cpu;
  const skipLazy = cpu.lazyTlb && !freedTables;
  const paravirt = kernel.paravirt === 'kvm';
  let n = 0;
  for (const target of cpu.mmCpus) {
    if (target === cpu.id) continue;
    if (paravirt) {
      const word = cpuWord(target, 'preempted');
      const state = Atomics.load(words, word);
      // try_cmpxchg(&src->preempted, &state, state | KVM_VCPU_FLUSH_TLB): pairs with the vCPU's
      // Atomics.exchange of the word as it runs again (HostPreemption).
      if ((state & KVM_VCPU_PREEMPTED) !== 0 && Atomics.compareExchange(words, word, state, state | KVM_VCPU_FLUSH_TLB) === state) {
        cpu.count(Stat.flushSkippedPreempted);
        continue;
      }
    }
    // Pairs with the target's Atomics.store of isLazy in enter_lazy_tlb() and leave_lazy_tlb().
    if (skipLazy && Atomics.load(words, cpuWord(target, 'isLazy')) !== 0) {
      cpu.count(Stat.flushSkippedLazy);
      continue;
    }
    flushMask[n++] = target;
  }
  return n;
}
