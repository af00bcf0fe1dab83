// The emulator against the host's floors: how much its machinery costs next to the rawest
// thing the host can do for the same job. Each figure is the median of several repeats, with
// the spread, and a ratio to its floor.
//   npm run bench

import { BenchWords, RoundWords, benchWords, doorbellWord, park, roundWords, unpark } from '../src/bench/bench-words.ts';
import type { BenchWorkerApi } from '../src/bench/bench-worker.ts';
import { EmulatedCpu } from '../src/kernel/cpu.ts';
import { smp_call_function_many } from '../src/kernel/ipi.ts';
import { LocklessWalker } from '../src/kernel/lockless-walk.ts';
import { Mulberry32 } from '../src/cpu-worker/prng.ts';
import { HugePageTargets } from '../src/cpu-worker/walker-loop.ts';
import { WalkerWorkload } from '../src/cpu-worker/workload.ts';
import { map_thp_range, teardown_range_offline } from '../src/kernel/map-thp.ts';
import { run_pmd_range } from '../src/kernel/pmd-ops.ts';
import { hostInfo, hostLine } from '../src/base/host.ts';
import { medianRange, type MedianRange } from '../src/base/statistics.ts';
import { kernelOf, runSpec } from '../src/coordinator/run-spec.ts';
import { runCommand } from '../src/cli/command.ts';
import { spawnWorker } from '../src/base/spawn-worker.ts';
import { cpumask_set_cpu, mmWord } from '../src/shared-memory/mm.ts';
import { entry_pfn, pmd_is_leaf } from '../src/shared-memory/pgtable-entry.ts';
import { SharedMachine } from '../src/shared-memory/shared-machine.ts';
import { createTraceBuffers } from '../src/shared-memory/trace-ring.ts';
import { FLOOR as none } from '../src/strategies/index.ts';

const REPEATS = 7;
/** Enough for the optimising compiler to have finished with every loop measured. */
const WARMUPS = 3;
const ROUND_TRIPS = 20_000;
const SLEEPING_ROUND_TRIPS = 2_000;
const PMDS = 8_192;
/** munmap's sample: long enough (tens of ms) that one scheduler tick or GC does not set it. */
const MUNMAP_PMDS = 65_536;
const WORKER = new URL('../src/bench/bench-worker.ts', import.meta.url);

/** A time per operation: the median of the repeats, and their range. */
interface Figure extends MedianRange {
  readonly name: string;
  readonly unit: 'us' | 'ns';
}


/** Run `once` (which returns a time per operation) REPEATS times, after WARMUPS unmeasured ones. */
function measure(name: string, unit: Figure['unit'], once: () => number): Figure {
  for (let i = 0; i < WARMUPS; i++) once();
  return { name, unit, ...medianRange(Array.from({ length: REPEATS }, once)) };
}

/** A figure and its floor, measured turn about, and the median of their pairs' ratios. */
interface Pair {
  readonly figure: Figure;
  readonly floor: Figure;
  readonly ratio: MedianRange;
}

/** A loop to measure: `once` runs it and returns the time per operation. */
interface Loop {
  readonly name: string;
  readonly once: () => number;
}

/**
 * Loops measured turn about, REPEATS times each after WARMUPS of each: this host slows a core to
 * half its speed for a few hundred ms now and then, and measured one after the other the loops
 * met different hosts. `ratio(a, b)` is the median of the REPEATS turns' ratios of loop a to b.
 */
function measureTurnAbout(unit: Figure['unit'], loops: readonly Loop[]): { figures: Figure[]; ratio: (a: number, b: number) => MedianRange } {
  for (let i = 0; i < WARMUPS; i++) for (const { once } of loops) once();
  const turns = Array.from({ length: REPEATS }, () => loops.map(({ once }) => once()));
  return {
    figures: loops.map(({ name }, i) => ({ name, unit, ...medianRange(turns.map((turn) => turn[i])) })),
    ratio: (a, b) => medianRange(turns.map((turn) => turn[a] / turn[b])),
  };
}

/** A loop and its floor, measured turn about (see measureTurnAbout). */
function measurePair(name: string, unit: Figure['unit'], once: () => number, against: Figure['name'], baseline: () => number): Pair {
  const { figures, ratio } = measureTurnAbout(unit, [
    { name: against, once: baseline },
    { name, once },
  ]);
  return { floor: figures[0], figure: figures[1], ratio: ratio(1, 0) };
}

const elapsedUs = (start: number, ops: number) => ((performance.now() - start) * 1000) / ops;

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
async function roundTrip(halted: boolean): Promise<Pair> {
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
/** Broadcast rounds to this many halted threads: the main job's 7, and the preset's 127. */
const BROADCAST_TARGETS = [7, 31, 127];

/**
 * A broadcast round to `n` halted threads, two ways, measured turn about (paired): the floor
 * (ring each of n sleeping threads' own doorbell with Atomics.notify, sleep until the last of
 * the n acknowledgements wakes this thread), and the emulator's smp_call_function_many() from
 * CPU 0 to n halted CPUs, on n other threads, asleep while the floor's run.
 */
async function broadcastRound(n: number): Promise<Pair> {
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
    // after some thousands of rounds (at 127 CPUs on Node 24 a round took 1.7x its steady time
    // for the first 3-4 s), so both kinds of round run that many first.
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

/** Rings for a traced CPU 0, recording, that never fill (the newest records overwrite the oldest). */
function tracing(cpu: EmulatedCpu): void {
  const trace = createTraceBuffers(1, { capacity: 1 << 16, mode: 'overwrite', epochMs: performance.timeOrigin, firstPmd: 0, lastPmd: Infinity });
  cpu.beginRun(trace);
  if (!cpu.tracer) throw new Error('beginRun() with rings made no tracer');
  cpu.tracer.recording = true;
  cpu.traceWalks(true);
}

/**
 * A lockless walk (none: no strategy cost), against a raw loop doing the same loads; and, when
 * `traced` is called, the same walk traced. Nothing is traced before every untraced figure is
 * taken: a CPU that has once had a tracer leaves V8's compiled code more general.
 */
function walks(): { walk: Pair; traced: () => Figure } {
  const machine = SharedMachine.create({ cpus: 1, hugePages: PMDS });
  map_thp_range(machine, 0, PMDS);
  const cpu = new EmulatedCpu(machine, 0);
  cpu.beginRun();
  // The walker's own generator and targets, as a walker CPU has them.
  const random = new Mulberry32(1);
  const walker = new LocklessWalker(cpu, none.walker, 'value');
  const workload = new WalkerWorkload(cpu, walker, random, { mix: [{ kind: 'find-pte', weight: 1 }], holdUs: 0, guarded: false, otherMm: 0 });
  const targets = new HugePageTargets(cpu, { firstHpn: 0, hugePages: PMDS, raceWindow: 0 }, random);
  const walkOnce = () => {
    const start = performance.now();
    for (let i = 0; i < 1_000_000; i++) workload.step(targets);
    return elapsedUs(start, 1_000_000) * 1000;
  };
  const { entries } = machine.arena;
  const frames = machine.frames.words;
  let sink = 0;
  const rawOnce = () => {
    const start = performance.now();
    for (let i = 0; i < 1_000_000; i++) {
      const slot = machine.arena.pmdSlot(targets.next());
      const pmd = entries[slot];
      sink += Atomics.load(frames, entry_pfn(pmd)) + Atomics.load(frames, entry_pfn(pmd)) + Atomics.load(entries, slot);
    }
    return elapsedUs(start, 1_000_000) * 1000;
  };
  const walk = measurePair('lockless walk + use (find-pte, no hold)', 'ns', walkOnce, 'raw loop: the same page-table and frame loads', rawOnce);
  if (sink === -1) console.log(sink);
  const traced = () => {
    tracing(cpu);
    return measure('the same walk, traced (--trace)', 'ns', walkOnce);
  };
  return { walk, traced };
}

/**
 * munmap per PMD under none, against two raw loops measured turn about with it: the barest
 * clear-and-free, and the steps the emulator's munmap takes that a kernel takes too, inline,
 * without its statistics, timing or trace checks (so that their cost is the ratio between the
 * last two); and, when `traced` is called, the same munmap traced.
 */
function munmaps(): { kernelSteps: Pair; munmap: Pair; traced: () => Figure } {
  const machine = SharedMachine.create({ cpus: 1, hugePages: MUNMAP_PMDS });
  const cpu = new EmulatedCpu(machine, 0);
  cpu.beginRun();
  const kernel = kernelOf(runSpec());
  const { entries } = machine.arena;
  const munmapOnce = () => {
    map_thp_range(machine, 0, MUNMAP_PMDS);
    const result = run_pmd_range(cpu, none, kernel, 'munmap', 0, MUNMAP_PMDS);
    return (result.munmapMs * 1e6) / MUNMAP_PMDS;
  };
  const rawOnce = () => {
    map_thp_range(machine, 0, MUNMAP_PMDS);
    const start = performance.now();
    for (let hpn = 0; hpn < MUNMAP_PMDS; hpn++) {
      const slot = machine.arena.pmdSlot(hpn);
      const pmd = entries[slot];
      entries[slot] = 0;
      machine.frames.free(entry_pfn(pmd));
    }
    const ns = elapsedUs(start, MUNMAP_PMDS) * 1000;
    teardown_range_offline(machine, 0, MUNMAP_PMDS);
    return ns;
  };
  // run_pmd_range()'s zap_huge_pmd() and mmu_gather under none, written out: the interrupt
  // point between PMDs, the leaf check, the clear, the batch, its TLB flush (the tlbie's wait and
  // the flush count), then each frame's reference dropped (tlb_flush_mmu(), mm/mmu_gather.c:
  // flush, then free_pages_and_swap_cache(); one folio_put() a frame here).
  const batch = new Int32Array(kernel.gatherBatch);
  const flushAndFree = (gathered: number) => {
    const until = performance.now() + kernel.tlbieUs / 1000;
    while (performance.now() < until);
    Atomics.add(cpu.mm, mmWord.tlbFlushSeq, 1);
    for (let i = 0; i < gathered; i++) machine.frames.put(batch[i]);
  };
  const kernelStepsOnce = () => {
    map_thp_range(machine, 0, MUNMAP_PMDS);
    const start = performance.now();
    let gathered = 0;
    for (let hpn = 0; hpn < MUNMAP_PMDS; hpn++) {
      cpu.interruptPoint();
      const slot = machine.arena.pmdSlot(hpn);
      if (slot < 0 || !pmd_is_leaf(entries[slot])) continue;
      const pmd = entries[slot];
      entries[slot] = 0;
      batch[gathered++] = entry_pfn(pmd);
      if (gathered === batch.length) {
        flushAndFree(gathered);
        gathered = 0;
      }
    }
    flushAndFree(gathered);
    const ns = elapsedUs(start, MUNMAP_PMDS) * 1000;
    // A floor that did less than the munmap would flatter it: every frame must be free again.
    const left = machine.frames.mappedCount();
    if (left !== 0) throw new Error(`munmap's kernel steps left ${left} of ${MUNMAP_PMDS} frames mapped`);
    return ns;
  };
  const { figures, ratio } = measureTurnAbout('ns', [
    { name: 'raw loop: clear the PMD, free the frame', once: rawOnce },
    { name: "raw loop: munmap's kernel steps, inline", once: kernelStepsOnce },
    { name: 'munmap per PMD under none', once: munmapOnce },
  ]);
  const [raw, steps, munmap] = figures;
  const traced = () => {
    tracing(cpu);
    return measure('the same munmap, traced (--trace)', 'ns', munmapOnce);
  };
  return { kernelSteps: { figure: steps, floor: raw, ratio: ratio(1, 0) }, munmap: { figure: munmap, floor: steps, ratio: ratio(2, 1) }, traced };
}

/** A line of the table: a figure, and what it is compared with (itself: a floor), paired or not. */
interface Row {
  readonly figure: Figure;
  readonly against: Figure;
  readonly ratio?: MedianRange;
}

async function main(): Promise<number> {
  process.stdout.write(`${hostLine(hostInfo())}; median of ${REPEATS}, [min..max]; x: the ratio of medians, or of pairs measured turn about (paired)\n\n`);
  const rows: Row[] = [];
  const paired = ({ figure, floor: against, ratio }: Pair, floorToo = true): Row[] => [
    ...(floorToo ? [{ figure: against, against }] : []),
    { figure, against, ratio },
  ];
  for (const halted of [false, true]) rows.push(...paired(await roundTrip(halted)));
  for (const n of BROADCAST_TARGETS) rows.push(...paired(await broadcastRound(n)));
  const w = walks();
  const m = munmaps();
  // munmap's floor is the line above it: its kernel steps, themselves against the barest loop.
  rows.push(...paired(w.walk), ...paired(m.kernelSteps), ...paired(m.munmap, false));
  rows.push({ figure: w.traced(), against: w.walk.figure }, { figure: m.traced(), against: m.munmap.figure });
  const cell = (f: Figure) => `${f.median.toFixed(f.median < 10 ? 2 : 1)} ${f.unit} [${f.min.toFixed(2)}..${f.max.toFixed(2)}]`;
  const width = Math.max(...rows.map(({ figure }) => figure.name.length));
  for (const { figure, against, ratio } of rows) {
    const x = ratio ? `${ratio.median.toFixed(2)}x [${ratio.min.toFixed(2)}..${ratio.max.toFixed(2)}] paired, ` : `${(figure.median / against.median).toFixed(2)}x `;
    process.stdout.write(`${figure.name.padEnd(width)}  ${cell(figure).padEnd(28)}  ${figure === against ? 'floor' : `${x}${against.name}`}\n`);
  }
  return 0;
}

await runCommand('bench', 'npm run bench', () => main());
