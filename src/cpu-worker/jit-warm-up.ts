// The JIT warm-up's last step, on a walker CPU: walk under the run's strategy, a few CPUs at a
// time, until this CPU's rate of walks per millisecond of its own thread's CPU time is steady,
// at the rate the other CPUs settled at (walk-rate-settle.ts).
//
// Why a few at a time: V8 optimises on a handful of background threads that every worker of the
// process shares, at the same priority as the CPU threads; with every walker busy, the compiles
// queue behind them, and walkers run baseline code for whole measured cells. With as many
// walkers as the host has cores, the compiler threads get about half of it. The CPUs take their
// turns in a line, each asleep on its own place's word until the end of an earlier turn raises
// it, so that a thousand waiting CPUs do not keep waking to look at one shared count.
// (docs/measurements.md, "The JIT warm-up", has the figures that found both.)

import { Stat } from '../shared-memory/cpu-block.ts';
import { mmWord } from '../shared-memory/mm.ts';
import type { EmulatedCpu } from '../kernel/cpu.ts';
import { threadClock, type ThreadClock } from './thread-clock.ts';
import { WalkRateSettle, type SettleState } from './walk-rate-settle.ts';
import { busyStretch, type HugePageTargets, type PhaseLog } from './walker-loop.ts';
import type { WalkerWorkload } from './workload.ts';

export interface WarmUpPlan {
  /** How many CPUs walk at once; the others wait their turn asleep. */
  readonly atOnce: number;
  /** This CPU's place in the line (0 first); undefined: it does not settle in this run, and counts itself done at once. */
  readonly place: number | undefined;
}

/** How one CPU's warm-up went. */
export interface WarmUpReport {
  /** 'unsettled' when it gave up, or the run stopped first. */
  readonly state: Exclude<SettleState, 'walking'>;
  /** Thread CPU time it walked for, in ms. */
  readonly cpuMs: number;
  /** Its walks per CPU millisecond when it stopped. */
  readonly walksPerCpuMs: number;
  /** Where its thread clock came from. */
  readonly clock: ThreadClock['source'];
  /** When its turn to walk began and ended (performance.timeOrigin + now, ms); absent if it had none. */
  readonly turn?: { readonly fromMs: number; readonly toMs: number };
}

/** Walk this long between two looks at the thread clock. */
const STRETCH_MS = 1;
/** A CPU waiting for its turn looks whether the run has stopped this often (a stop does not wake it). */
const STOP_LOOK_MS = 1_000;

/** Walk back to back until settled, `plan.atOnce` CPUs at a time (when it has a place), then count this CPU in `warmedCpus`. */
export function warmUpWalker(cpu: EmulatedCpu, workload: WalkerWorkload, targets: HugePageTargets, phases: PhaseLog, plan: WarmUpPlan): WarmUpReport {
  const clock = threadClock();
  const startMs = clock.now();
  let report: Omit<WarmUpReport, 'cpuMs' | 'clock'> = { state: 'unsettled', walksPerCpuMs: 0 };
  try {
    if (plan.place !== undefined && waitForTurn(cpu, plan.place, plan.atOnce)) {
      const fromMs = performance.timeOrigin + performance.now();
      try {
        report = settle(cpu, workload, targets, phases, clock);
      } finally {
        report = { ...report, turn: { fromMs, toMs: performance.timeOrigin + performance.now() } };
        endTurn(cpu, plan.atOnce);
      }
    }
    return { ...report, cpuMs: clock.now() - startMs, clock: clock.source };
  } finally {
    clock.close();
    Atomics.add(cpu.mm, mmWord.warmedCpus, 1);
  }
}

function settle(cpu: EmulatedCpu, workload: WalkerWorkload, targets: HugePageTargets, phases: PhaseLog, clock: ThreadClock): Omit<WarmUpReport, 'cpuMs' | 'clock'> {
  const detector = new WalkRateSettle();
  const start = cpu.stat(Stat.walks);
  for (;;) {
    const state = detector.note(cpu.stat(Stat.walks) - start, clock.now(), Atomics.load(cpu.mm, mmWord.warmRate) / 1000);
    if (state === 'settled') publishRate(cpu.mm, detector.rate);
    if (state !== 'walking') return { state, walksPerCpuMs: detector.rate };
    if (cpu.stopping) return { state: 'unsettled', walksPerCpuMs: detector.rate };
    busyStretch(cpu, workload, targets, phases, performance.now() + STRETCH_MS, 0);
  }
}

/** The best settled rate so far, in walks per CPU second, raised to `walksPerCpuMs` if that is better. */
function publishRate(mm: Int32Array, walksPerCpuMs: number): void {
  const rate = Math.round(walksPerCpuMs * 1000);
  for (let best = Atomics.load(mm, mmWord.warmRate); best < rate; ) {
    const seen = Atomics.compareExchange(mm, mmWord.warmRate, best, rate);
    if (seen === best) return;
    best = seen;
  }
}

/**
 * Wait, asleep, until the CPU at `place` may walk: while fewer than `atOnce` turns have ended
 * since the line began, the first `atOnce` places walk; each turn that ends lets the next place
 * in. False if the run stops first.
 */
function waitForTurn(cpu: EmulatedCpu, place: number, atOnce: number): boolean {
  const places = cpu.machine.warmUpPlaces;
  while (!cpu.stopping) {
    // Pairs with endTurn()'s Atomics.add on warmTurnsDone, then its store and notify on this
    // place's word: either this load sees the turn ended, or the wait sees the word raised.
    if (place < Atomics.load(cpu.mm, mmWord.warmTurnsDone) + atOnce) return true;
    Atomics.wait(places, place, 0, STOP_LOOK_MS);
  }
  return false;
}

/** One more turn has ended: let the next place in the line walk. */
function endTurn(cpu: EmulatedCpu, atOnce: number): void {
  const places = cpu.machine.warmUpPlaces;
  const next = Atomics.add(cpu.mm, mmWord.warmTurnsDone, 1) + atOnce;
  if (next >= places.length) return;
  Atomics.store(places, next, 1);
  Atomics.notify(places, next);
}
