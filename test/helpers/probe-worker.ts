// A worker for tests that need a second real thread acting as an emulated CPU under the
// test's direct control: send IPIs, idle, free a frame at a chosen moment.

import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { EmulatedCpu } from '../../src/kernel/cpu.ts';
import { smp_call_function_many } from '../../src/kernel/ipi.ts';
import type { KernelConfig } from '../../src/kernel/kernel-config.ts';
import { HostPreemption } from '../../src/kernel/vcpu-preemption.ts';
import { Stat } from '../../src/shared-memory/cpu-block.ts';
import { SharedMachine, type SharedMachineBuffers } from '../../src/shared-memory/shared-machine.ts';

let cpu: EmulatedCpu | undefined;
const self = () => {
  if (!cpu) throw new Error('attach first');
  return cpu;
};

const api = {
  attach(buffers: SharedMachineBuffers, id: number): void {
    cpu = new EmulatedCpu(new SharedMachine(buffers), id);
  },

  /**
   * `rounds` synchronous IPI rounds to `mask`; then, so that slower senders still get their
   * answers, halt taking IPIs until `done[0]` counts every participant. Returns IPIs sent.
   */
  storm(mask: number[], rounds: number, done: Int32Array, participants: number): number {
    const me = self();
    let sent = 0;
    for (let r = 0; r < rounds; r++) sent += smp_call_function_many(me, mask, true);
    Atomics.add(done, 0, 1);
    while (Atomics.load(done, 0) < participants) me.cpu_idle(performance.now() + 1);
    return sent;
  },

  /** Run as a CPU of `kernel` does: an x86 one halts in lazy-TLB mode. */
  runsKernel(kernel: KernelConfig): void {
    self().beginRun(undefined, kernel);
  },

  /**
   * Preempted by the host for `ms`, as if in the middle of whatever it did, then halted
   * `thenIdleMs`, taking IPIs; returns the flushes done for it as it ran again.
   */
  preemptedFor(ms: number, thenIdleMs = 0): number {
    const me = self();
    new HostPreemption(me, 0.5, 0, ms).maybePreempt(performance.now());
    if (thenIdleMs > 0) me.cpu_idle(performance.now() + thenIdleMs);
    return me.stat(Stat.deferredFlushes);
  },

  /** Its statistic `stat` (a Stat offset). */
  stat(stat: number): number {
    return self().stat(stat);
  },

  /** Halt with IRQs on for `ms`, taking any IPI that comes. */
  idle(ms: number): void {
    self().cpu_idle(performance.now() + ms);
  },

  /** Wait `ms`, then store `value` into page-table entry `slot`, as an unmapper changing a PMD would. */
  storeEntryAfter(slot: number, value: number, ms: number): void {
    const until = performance.now() + ms;
    while (performance.now() < until);
    Atomics.store(self().machine.arena.entries, slot, value);
  },

  /** Wait `ms`, then free `frame` as an unmapper would. */
  freeFrameAfter(frame: number, ms: number): boolean {
    const until = performance.now() + ms;
    while (performance.now() < until);
    return self().machine.frames.free(frame);
  },
};

export type ProbeApi = typeof api;

expose(api, nodeEndpoint(parentPort!));
