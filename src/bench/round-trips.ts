// The bench's round trips: one CPU to one other, and a broadcast round to many halted CPUs, each
// measured turn about with the host's own floor for the same job (threads pinging words in
// shared memory, sleeping in Atomics.wait and woken by Atomics.notify).

import { spawnWorker } from '../base/spawn-worker.ts';
import { EmulatedCpu } from '../kernel/cpu.ts';
import { smp_call_function_many } from '../kernel/ipi.ts';
import { cpumask_set_cpu } from '../shared-memory/mm.ts';
import { SharedMachine } from '../shared-memory/shared-machine.ts';
import { BenchWords, RoundWords, benchWords, doorbellWord, park, roundWords, unpark } from './bench-words.ts';
import type { BenchWorkerApi } from './bench-worker.ts';
import { elapsedUs, measurePair, type Pair } from './measure.ts';

const ROUND_TRIPS = 20_000;
const SLEEPING_ROUND_TRIPS = 2_000;
const WORKER = new URL('./bench-worker.ts', import.meta.url);

/** A worker running `responder`, answering on words of its own. */
async function responder(kind: 'spinResponder' | 'waitResponder') {
  const words = benchWords();
  const { api, worker } = spawnWorker<BenchWorkerApi>(WORKER, `bench-${kind}`);
  const done = api[kind](words.buffer as SharedArrayBuffer);
  let ping = 0;
  // The first answer proves the responder is in its loop.
  Atomics.store(words, BenchWords.ping, ++ping);
  Atomics.notify(words, BenchWords.ping);
  while (Atomics.load(words, BenchWords.pong) !== ping) await new Promise((r) => setTimeout(r, 1));
  return {
    words,
    /** One round trip: ping (waking the responder if it sleeps), and spin for its pong. */
    trip() {
      Atomics.store(words, BenchWords.ping, ++ping);
      if (kind === 'waitResponder') Atomics.notify(words, BenchWords.ping);
      while (Atomics.load(words, BenchWords.pong) !== ping);
    },
    async stop() {
      unpark(words);
      Atomics.store(words, BenchWords.ping, -1);
      Atomics.notify(words, BenchWords.ping);
      await done;
      await worker.terminate();
    },
  };
}

/**
 * A round trip from this thread to one other, two ways, measured turn about (paired): the raw
 * floor (ping a thread spinning on the word, or asleep in Atomics.wait and notified, and spin for
 * its pong, as the emulator's sender spins before it would sleep) and the emulator's IPI from
 * CPU 0 to CPU 1, busy polling its interrupt points or halted in cpu_idle(). While one loop is
 * measured, the other's far side, if it spins, is parked: three spinning threads on two cores
 * would measure the host's scheduler.
 */
export async function roundTrip(halted: boolean): Promise<Pair> {
  const raw = await responder(halted ? 'waitResponder' : 'spinResponder');
  const machine = SharedMachine.create({ cpus: 2, hugePages: 1 });
  cpumask_set_cpu(machine.mm, 0);
  cpumask_set_cpu(machine.mm, 1);
  const control = benchWords();
  const { api, worker } = spawnWorker<BenchWorkerApi>(WORKER, 'bench-target');
  const running = api.emulatedTarget(machine.buffers, 1, halted, control.buffer as SharedArrayBuffer);
  const cpu = new EmulatedCpu(machine, 0);
  cpu.beginRun();
  const ipi = () => smp_call_function_many(cpu, [1], true);
  ipi(); // the target is up once it answers
  const rounds = halted ? SLEEPING_ROUND_TRIPS : ROUND_TRIPS;
  const turn = (trip: () => void, farSide: Int32Array, other: Int32Array) => () => {
    if (!halted) {
      park(other);
      unpark(farSide);
    }
    trip(); // the far side is answering again
    const start = performance.now();
    for (let i = 0; i < rounds; i++) trip();
    return elapsedUs(start, rounds);
  };
  try {
    return measurePair(
      `emulator IPI to a ${halted ? 'halted' : 'busy (polling)'} CPU`, 'us', turn(ipi, control, raw.words),
      halted ? 'raw round trip, wake a sleeper, spin for it' : 'raw round trip, both spinning', turn(raw.trip, raw.words, control),
    );
  } finally {
    unpark(control);
    Atomics.store(control, BenchWords.stop, 1);
    smp_call_function_many(cpu, [1], false); // wake it if halted
    await Promise.all([running, raw.stop()]);
    await worker.terminate();
  }
}

/** Rounds run before a broadcast round is measured: enough for every target to reach optimised code. */
const BROADCAST_WARM_ROUNDS = 6_000;
/** Broadcast rounds to this many halted threads: the main job's 7, 31, x86's 64-CPU collapse's 63, and the preset's 127. */
export const BROADCAST_TARGETS = [7, 31, 63, 127];

/**
 * A broadcast round to `n` halted threads, two ways, measured turn about (paired): the floor
 * (ring each of n sleeping threads' own doorbell with Atomics.notify, sleep until the last of
 * the n acknowledgements wakes this thread), and the emulator's smp_call_function_many() from
 * CPU 0 to n halted CPUs, on n other threads, asleep while the floor's run.
 */
export async function broadcastRound(n: number): Promise<Pair> {
  const rounds = Math.max(20, Math.round(2000 / n));
  const spawn = (role: string) => Array.from({ length: n }, (_, i) => spawnWorker<BenchWorkerApi>(WORKER, `bench-${role}-${i}`));
  const [responders, cpus] = [spawn('round'), spawn('cpu')];
  try {
    const buffer = new SharedArrayBuffer(roundWords(n) * Int32Array.BYTES_PER_ELEMENT);
    const w = new Int32Array(buffer);
    const answering = responders.map(({ api }, i) => api.roundResponder(buffer, i, n));
    let round = 0;
    const ring = (value: number) => {
      for (let i = 0; i < n; i++) {
        Atomics.store(w, doorbellWord(i), value);
        Atomics.notify(w, doorbellWord(i));
      }
    };
    const rawRound = () => {
      Atomics.store(w, RoundWords.acks, 0);
      ring(++round);
      // Pairs with each responder's Atomics.add on acks; the last one notifies.
      for (let acks; (acks = Atomics.load(w, RoundWords.acks)) < n; ) Atomics.wait(w, RoundWords.acks, acks, 10);
    };

    const machine = SharedMachine.create({ cpus: n + 1, hugePages: 1 });
    for (let cpu = 0; cpu <= n; cpu++) cpumask_set_cpu(machine.mm, cpu);
    const control = benchWords();
    const targets = cpus.map(({ api }, i) => api.emulatedTarget(machine.buffers, i + 1, true, control.buffer as SharedArrayBuffer));
    const cpu = new EmulatedCpu(machine, 0);
    cpu.beginRun();
    // Each target handles one IPI a round: its idle loop and handler reach optimised code only
    // after some thousands of rounds, so both kinds of round run that many first.
    for (let i = 0; i < BROADCAST_WARM_ROUNDS; i++) rawRound();
    for (let i = 0; i < BROADCAST_WARM_ROUNDS; i++) smp_call_function_many(cpu, cpu.mmCpus, true);
    const timed = (roundOnce: () => void) => () => {
      const start = performance.now();
      for (let i = 0; i < rounds; i++) roundOnce();
      return elapsedUs(start, rounds);
    };
    const pair = measurePair(
      `emulator broadcast round to ${n} halted CPUs`, 'us', timed(() => smp_call_function_many(cpu, cpu.mmCpus, true)),
      `raw broadcast round, ${n} sleeping threads`, timed(rawRound),
    );
    ring(-1);
    Atomics.store(control, BenchWords.stop, 1);
    smp_call_function_many(cpu, cpu.mmCpus, false); // wake them to see the stop
    await Promise.all([...answering, ...targets]);
    return pair;
  } finally {
    await Promise.all([...responders, ...cpus].map(({ worker }) => worker.terminate()));
  }
}
