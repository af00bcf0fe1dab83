// Invalidating the TLB entries of a range, as the kernel does after a PMD changes and before
// what it mapped may be freed. Models arch/powerpc/mm/book3s64/radix_tlb.c (radix__flush_tlb_range
// and radix__flush_pmd_tlb_range: a broadcast tlbie that the flushing CPU waits on, no other CPU
// involved) and, with tlbFlushBy 'ipi', arch/x86/mm/tlb.c (flush_tlb_mm_range(): an IPI to every
// other CPU of mm_cpumask, each running flush_tlb_func()).

import { Stat } from '../shared-memory/cpu-block.ts';
import { mmWord } from '../shared-memory/mm.ts';
import type { EmulatedCpu } from './cpu.ts';
import { TraceEvent } from './ftrace.ts';
import { smp_call_function_many } from './ipi.ts';
import type { KernelConfig } from './kernel-config.ts';

/** Flush, and return the mm's flush count from before it: what a page cleared before the flush was gathered at. */
export function flush_tlb_range(cpu: EmulatedCpu, kernel: KernelConfig): number {
  const start = performance.now();
  if (kernel.tlbFlushBy === 'ipi') {
    smp_call_function_many(cpu, cpu.mmCpus, true);
  } else {
    // tlbie; eieio; tlbsync; ptesync: the flushing CPU waits for the broadcast to complete.
    const until = start + kernel.tlbieUs / 1000;
    while (performance.now() < until);
  }
  // The mm's flush count, bumped here, on the unmapping CPU, and read by it alone while the
  // operation runs (MmuGather): a free that sees this flush's count knows the flush is done.
  const before = Atomics.add(cpu.mm, mmWord.tlbFlushSeq, 1);
  const end = performance.now();
  cpu.count(Stat.tlbFlushes);
  cpu.count(Stat.tlbFlushUs, (end - start) * 1000);
  if (cpu.tracer?.recording) cpu.tracer.sliceTo(TraceEvent.TLB_FLUSH, cpu.tracer.us(start), end, kernel.tlbFlushBy === 'ipi' ? 1 : 0);
  return before;
}
