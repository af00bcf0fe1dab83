// Sending IPIs and waiting for them. Models kernel/smp.c: smp_call_function_many() and
// csd_lock_wait(); the receiving half is EmulatedCpu.interruptPoint() in cpu.ts.
//
// Protocol, per target CPU: a sender bumps the target's ipiRequest word (its ticket is the new
// value) and wakes the target if it is halted; the target, at its next interrupt point with IRQs
// on, stores the request count it has handled into its ipiAck word. A sender is done with a
// target once ipiAck has reached its ticket. Counters only grow, so any number of senders can
// be in flight at once and one acknowledgement answers them all.

import { CpuWords, Stat, cpuWord } from '../shared-memory/cpu-block.ts';
import { RunAborted, type EmulatedCpu } from './cpu.ts';
import { TraceEvent } from './ftrace.ts';

/** Why an IPI is sent, as the JSON's ipis.byReason and each CPU's interrupts count them. */
export const IpiReason = { SERIALIZE: 0, TLB_FLUSH: 1, TABLE_SYNC: 2 } as const;
export type IpiReason = (typeof IpiReason)[keyof typeof IpiReason];
/** By IpiReason: the sender's statistic and the target's received-count word. */
const SENT_STAT = [Stat.ipisSerialize, Stat.ipisTlbFlush, Stat.ipisTableSync] as const;
const RECEIVED_OFFSET = [CpuWords.offset.irqSerialize, CpuWords.offset.irqTlbFlush, CpuWords.offset.irqTableSync] as const;

/** Polls of a target's ack before a waiting sender sleeps: a few microseconds of spinning. */
const IPI_SPIN_POLLS = 256;
/** The longest one sleep of a waiting sender, after which it re-checks for an abort. */
const IPI_SLEEP_MS = 1;

/**
 * smp_call_function_many(mask, do_nothing, NULL, wait): interrupt every CPU in `mask` (its first
 * `count`) but the caller and, with `wait`, return only when each has taken the interrupt. The
 * function run on the targets is always do_nothing(): the point is the interrupt, not the call.
 * Returns how many IPIs were sent.
 */
export function smp_call_function_many(cpu: EmulatedCpu, mask: ArrayLike<number>, wait: boolean, reason: IpiReason = IpiReason.SERIALIZE, count = mask.length): number {
  // Traced: the round, each IPI as it is raised (the clock read before, so that no handler can
  // seem to come first), and each wait. Untraced, no clock is read.
  const tracer = cpu.tracer?.recording ? cpu.tracer : undefined;
  const roundUs = tracer ? tracer.now() : 0;
  const tickets = cpu.ipiTickets;
  let sent = 0;
  for (let i = 0; i < count; i++) {
    const target = mask[i];
    if (target === cpu.id) continue;
    const raisedUs = tracer ? tracer.now() : 0;
    tickets[target] = raiseIpi(cpu, target, reason);
    tracer?.instantAt(TraceEvent.IPI_SENT, raisedUs, target, tickets[target]);
    sent++;
  }
  if (wait) {
    for (let i = 0; i < count; i++) {
      const target = mask[i];
      if (target === cpu.id) continue;
      const waitUs = tracer ? tracer.now() : 0;
      csd_lock_wait(cpu, target, tickets[target]);
      tracer?.slice(TraceEvent.CSD_WAIT, waitUs, target, tickets[target]);
    }
  }
  tracer?.slice(TraceEvent.IPI_ROUND, roundUs, sent, wait ? 1 : 0);
  return sent;
}

/** arch_send_call_function_ipi_mask() for one target: returns the ticket to wait for. */
function raiseIpi(cpu: EmulatedCpu, target: number, reason: IpiReason): number {
  const words = cpu.words;
  // Counted before it is raised, so that a handler never sees more requests than reasons.
  Atomics.add(words, target * CpuWords.stride + RECEIVED_OFFSET[reason], 1);
  const ticket = (Atomics.add(words, cpuWord(target, 'ipiRequest'), 1) + 1) | 0;
  // Pairs with the target's Atomics.store of `halted` before it waits on ipiRequest: either we
  // see it halted and wake it, or its Atomics.wait sees our request and does not sleep. Never
  // read notify()'s return value as delivery: the target loops on ipiRequest instead.
  if (Atomics.load(words, cpuWord(target, 'halted')) !== 0) Atomics.notify(words, cpuWord(target, 'ipiRequest'));
  cpu.count(Stat.ipisSent);
  cpu.count(SENT_STAT[reason]);
  return ticket;
}

/**
 * csd_lock_wait(): wait until `target` has acknowledged `ticket`. The sender's IRQs stay on
 * meanwhile, so IPIs sent to it are handled and two CPUs sending to each other cannot
 * deadlock. Spins first (a running target answers within microseconds), then sleeps, which
 * gives an oversubscribed host core to the targets.
 */
function csd_lock_wait(cpu: EmulatedCpu, target: number, ticket: number): void {
  const words = cpu.words;
  const ackWord = cpuWord(target, 'ipiAck');
  let spins = 0;
  for (;;) {
    const acked = Atomics.load(words, ackWord);
    if (((acked - ticket) | 0) >= 0) break;
    cpu.interruptPoint();
    if (++spins < IPI_SPIN_POLLS) continue;
    if (spins === IPI_SPIN_POLLS) cpu.startLongIpiWait(target);
    if (cpu.aborted) {
      cpu.endLongIpiWait();
      throw new RunAborted();
    }
    const waitersWord = cpuWord(target, 'ackWaiters');
    // Pairs with the target's Atomics.load of ackWaiters after its Atomics.store of ipiAck:
    // either it sees us and notifies, or our wait sees its new ack and returns at once.
    Atomics.add(words, waitersWord, 1);
    Atomics.wait(words, ackWord, acked, IPI_SLEEP_MS);
    Atomics.sub(words, waitersWord, 1);
  }
  if (spins >= IPI_SPIN_POLLS) cpu.endLongIpiWait();
}
