// The far side of the benchmark's round trips, in a worker thread: a raw responder for the
// floors, and an emulated CPU for the emulator's own IPI paths.

import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { EmulatedCpu } from '../kernel/cpu.ts';
import { SharedMachine, type SharedMachineBuffers } from '../shared-memory/shared-machine.ts';

import { BenchWords, RoundWords, doorbellWord, parkIfAsked } from './bench-words.ts';

const api = {
  /** Floor: answer each ping by spinning on it through Atomics.load; parked when asked, between pings. */
  spinResponder(buffer: SharedArrayBuffer): void {
    const w = new Int32Array(buffer);
    for (let seen = 0; ; ) {
      const ping = Atomics.load(w, BenchWords.ping);
      if (ping < 0) return;
      if (ping !== seen) Atomics.store(w, BenchWords.pong, (seen = ping));
      else parkIfAsked(w);
    }
  },

  /** Floor: answer each ping from Atomics.wait, with Atomics.notify. */
  waitResponder(buffer: SharedArrayBuffer): void {
    const w = new Int32Array(buffer);
    for (let seen = 0; ; ) {
      Atomics.wait(w, BenchWords.ping, seen);
      const ping = Atomics.load(w, BenchWords.ping);
      if (ping < 0) return;
      seen = ping;
      Atomics.store(w, BenchWords.pong, ping);
      Atomics.notify(w, BenchWords.pong);
    }
  },

  /**
   * Floor of a broadcast round: sleep on this thread's own doorbell; each time it rings, count
   * an acknowledgement, the last of the round waking the sender. Returns when the bell says -1.
   */
  roundResponder(buffer: SharedArrayBuffer, thread: number, threads: number): void {
    const w = new Int32Array(buffer);
    const bell = doorbellWord(thread);
    for (let seen = 0; ; ) {
      Atomics.wait(w, bell, seen);
      const round = Atomics.load(w, bell);
      if (round < 0) return;
      seen = round;
      // Pairs with the sender's Atomics.wait on acks: the last acknowledgement wakes it.
      if (Atomics.add(w, RoundWords.acks, 1) + 1 === threads) Atomics.notify(w, RoundWords.acks);
    }
  },

  /**
   * Emulator: a CPU taking IPIs, busy (polling interrupt points; parked when asked) or halted,
   * until `control`'s BenchWords say stop.
   */
  emulatedTarget(buffers: SharedMachineBuffers, id: number, halted: boolean, control: SharedArrayBuffer): void {
    const cpu = new EmulatedCpu(new SharedMachine(buffers), id);
    cpu.beginRun();
    const w = new Int32Array(control);
    while (Atomics.load(w, BenchWords.stop) === 0) {
      // Halted until an IPI, as the raw round's threads sleep until their doorbell: an idle loop
      // that woke every few milliseconds would, at 127 CPUs, take the host from the round measured.
      if (halted) cpu.cpu_idle(performance.now() + 1000);
      else {
        for (let i = 0; i < 1000; i++) cpu.interruptPoint();
        parkIfAsked(w);
      }
    }
  },
};

export type BenchWorkerApi = typeof api;

expose(api, nodeEndpoint(parentPort!));
