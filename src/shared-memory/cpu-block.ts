// Per-CPU shared state: the emulated CPU's interrupt words and its statistics, one record per
// CPU, each padded to whole cache lines so that one CPU's writes never steal another's line.
// Models the per-CPU call_single_data / csd lock (kernel/smp.c) and the CPU's MSR_EE bit.

import { FLOAT64_WORDS_PER_LINE, INT32_WORDS_PER_LINE, paddedRecord } from './layout.ts';

export const CpuWords = paddedRecord(
  [
    // IPI requests sent to this CPU so far. Senders bump it with Atomics.add.
    'ipiRequest',
    // The last ipiRequest value this CPU has handled: its acknowledgement of every IPI up to it.
    'ipiAck',
    // Senders sleeping in Atomics.wait on ipiAck; this CPU notifies them only when non-zero.
    'ackWaiters',
    // 1 while this CPU sleeps in Atomics.wait on ipiRequest (idle halt): senders notify it.
    'halted',
    // The emulated MSR_EE: 1 when this CPU takes interrupts. Written by its owner only, with a
    // plain store, because local_irq_disable() is not a memory barrier.
    'irqEnabled',
    // Scratch word for this CPU's smp_mb(): an Atomics read-modify-write on a line it owns.
    'fence',
    // The huge-page number this CPU last walked, for reports on a stuck or faulting CPU.
    'lastWalkedHpn',
    // See CpuPhase: how far this CPU's run loop has got, for the supervisor.
    'phase',
    // The last grace-period sequence this CPU has passed a quiescent state in (RCU freeing only).
    'rcuQsSeq',
    // Bumped by this CPU each time it disables IRQs: a watchdog that sees IRQs off with the
    // same count twice knows they stayed off in between.
    'irqOffCount',
    // The walker kind (index in WALKER_KINDS) of this CPU's current IRQ-off stretch.
    'walkerKind',
    // 1 + the CPU this CPU is waiting on in csd_lock_wait(), or 0. See CpuStats.ipiWaitSince.
    'ipiWaitTarget',
    // x86's cpu_tlbstate_shared.is_lazy: 1 while this CPU, having run the mm, idles in lazy-TLB
    // mode. Written by this CPU, read by flushing CPUs (native_flush_tlb_multi()).
    'isLazy',
    // KVM's steal_time.preempted for this vCPU: KVM_VCPU_PREEMPTED while the host has it scheduled
    // out, with KVM_VCPU_FLUSH_TLB added by a guest CPU that skipped it in a flush.
    'preempted',
    // IPIs received, by reason (IpiReason), as /proc/interrupts counts them: added to by senders.
    'irqSerialize',
    'irqTlbFlush',
    'irqTableSync',
  ],
  INT32_WORDS_PER_LINE,
);

export const CpuPhase = { IDLE: 0, RUNNING: 1, DONE: 2 } as const;

/** Which mm a CPU walks: the one being unmapped, or another process's on the same CPUs. */
export const Mm = { NONE: 0, THIS: 1, OTHER: 2 } as const;
export type Mm = (typeof Mm)[keyof typeof Mm];

/** Counters each CPU keeps about itself. Float64 so that long soaks never wrap. */
export const CpuStats = paddedRecord(
  [
    'walks', // lockless walks started
    'otherMmWalks', // of them, walks of another mm's page tables
    'leafWalks', // walks that reached a THP leaf and used its frame
    'useAfterFree', // walks whose frame was freed while they used it
    'misreads', // walks that took page-table data of another kind for theirs (see WalkerViolation)
    'collisions', // walks whose PMD was changed while they used its page
    'halfStates', // walks that followed a PMD to a PTE page whose ptes were not there yet
    'ipisSent', // IPIs this CPU sent (one per target)
    'ipisSerialize', // of them, serialize_against_pte_lookup() and the answers' own rounds
    'ipisTlbFlush', // TLB shootdowns (x86's flush_tlb_mm_range())
    'ipisTableSync', // tlb_remove_table_sync_one()
    'flushSkippedLazy', // flush IPIs not sent to a CPU in lazy-TLB mode (no page tables freed)
    'flushSkippedPreempted', // flush IPIs not sent to a preempted vCPU, marked KVM_VCPU_FLUSH_TLB instead
    'lazyFlushes', // flushes this CPU did leaving lazy-TLB mode, its TLB gone stale meanwhile
    'deferredFlushes', // flushes done for this vCPU as it ran again (KVM_VCPU_FLUSH_TLB)
    'preemptions', // times the host preempted this vCPU
    'preemptedMs', // milliseconds it was preempted
    'tablesRemoved', // page tables this CPU handed to tlb_remove_table()
    'tableBatchFails', // of them, ones whose batch page could not be allocated (tlb_remove_table_one())
    'gracePeriodsWaited', // synchronize_rcu() calls this CPU waited in
    'ipisHandled', // IPIs this CPU acknowledged
    'pmdsDone', // PMDs this CPU unmapped, split or collapsed
    'framesFreed', // huge-page frames this CPU freed
    'pteTablesFreed', // PTE pages this CPU freed (a THP's deposit, withdrawn as munmap zaps it)
    'doubleFrees', // frees of a frame or page-table page that was already free
    'tlbFlushes', // TLB flushes this CPU did (tlbie, or an IPI round)
    'tlbFlushUs', // microseconds they took
    'freedBeforeFlush', // frames this CPU freed before the TLB flush that covers them
    'ipiWaitSince', // when the current csd_lock_wait() started sleeping (timeOrigin + now, ms)
  ],
  FLOAT64_WORDS_PER_LINE,
);

export const cpuWord = (cpu: number, field: keyof typeof CpuWords.offset): number =>
  cpu * CpuWords.stride + CpuWords.offset[field];

export const cpuStat = (cpu: number, field: CpuStat): number =>
  cpu * CpuStats.stride + CpuStats.offset[field];

export type CpuStat = keyof typeof CpuStats.offset;

/**
 * Each statistic's place in a CPU's record, by name: `cpu.count(Stat.walks)`. Hot paths pass
 * the place, not the name: a property read with a name that varies from call to call is a
 * megamorphic lookup in V8, and cost a walk more than its page-table loads.
 */
export const Stat = CpuStats.offset;
/** One CPU's statistics by name, as it reports them at the end of a run. */
export type CpuStatValues = { readonly [field in CpuStat]: number };

export const CPU_STATS = Object.keys(CpuStats.offset) as CpuStat[];

/**
 * CPU `cpu`'s statistics as they stand: only it writes them, so at its end they are final. A
 * null-prototype object: an ordinary one, made with the same names in the same order as
 * CpuStats.offset, shared V8's shape with it, and its first count that was not a small integer
 * changed that shape under every walk compiled against Stat, which was thrown away in the next
 * runs, for each of a pool's first runs.
 */
export function cpuStatValues(stats: Float64Array, cpu: number): CpuStatValues {
  const values = Object.create(null) as { [field in CpuStat]: number };
  for (const field of CPU_STATS) values[field] = stats[cpuStat(cpu, field)];
  return values;
}
