// The far side of the benchmark's round trips, in a worker thread: a raw responder for the
// floors, and an emulated CPU for the emulator's own IPI paths.

import { parentPort } from 'node:worker_threads';
import { expose } from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { EmulatedCpu } from '../kernel/cpu.ts';
import { SharedMachine, type SharedMachineBuffers } from '../shared-memory/shared-machine.ts';

import { BenchWords } from './bench-words.ts';

const api = {
  /** Floor: answer each ping by spinning on a plain-typed-array word through Atomics.load. */
  spinResponder(buffer: SharedArrayBuffer): void {
    const w = new Int32Array(buffer);
    for (let seen = 0; ; ) {
      const ping = Atomics.load(w, BenchWords.ping);
      if (ping < 0) return;
      if (ping !== seen) Atomics.store(w, BenchWords.pong, (seen = ping));
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

  /** Emulator: a CPU taking IPIs, busy (polling interrupt points) or halted, until told to stop. */
  emulatedTarget(buffers: SharedMachineBuffers, id: number, halted: boolean, stop: SharedArrayBuffer): void {
    const cpu = new EmulatedCpu(new SharedMachine(buffers), id);
    cpu.beginRun();
    const stopWord = new Int32Array(stop);
    while (Atomics.load(stopWord, 0) === 0) {
      if (halted) cpu.cpu_idle(performance.now() + 5);
      else for (let i = 0; i < 1000; i++) cpu.interruptPoint();
    }
  },
};

export type BenchWorkerApi = typeof api;

expose(api, nodeEndpoint(parentPort!));
