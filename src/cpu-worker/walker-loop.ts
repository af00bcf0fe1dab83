// A walker CPU's loop, shared by its measured runs (run.ts) and its JIT warm-up
// (jit-warm-up.ts): busy stretches of walks, the phases it notes, the huge pages it aims at.

import { Stat } from '../shared-memory/cpu-block.ts';
import { RunPhase, mmWord } from '../shared-memory/mm.ts';
import type { EmulatedCpu } from '../kernel/cpu.ts';
import type { WalkTargets } from '../kernel/lockless-walk.ts';
import type { Mulberry32 } from './prng.ts';
import type { WalkerWorkload } from './workload.ts';

/** Walks a walker did in one phase of the run, and how long it was in that phase. */
export interface PhaseWalks {
  readonly walks: number;
  readonly ms: number;
}

/**
 * One busy stretch: walk until `busyUntil` (paced `gapMs` apart, or back to back) or the run
 * stops. A function of its own, called once a cycle, so that V8 optimises it as a function and
 * keeps that code for the next run: a loop inside runWalker(), which each run enters once, had
 * to be compiled on the stack again at every run (on-stack replacement, on compiler threads
 * that 16 busy CPUs starve), and the first second of every run walked unoptimised.
 */
export function busyStretch(cpu: EmulatedCpu, workload: WalkerWorkload, targets: HugePageTargets, phases: PhaseLog, busyUntil: number, gapMs: number): void {
  let nextWalk = performance.now();
  do {
    // Only while the unmapper is in the window traced (an Atomics.load, so only when traced).
    if (cpu.tracer) cpu.traceWalks(cpu.tracer.recording);
    if (gapMs > 0) {
      workload.step(targets);
      // Paced, never catching up in a burst: a late walk moves the schedule, not the rate.
      nextWalk = Math.max(nextWalk + gapMs, performance.now());
      // The work between walks ends with the busy share: a longer gap must not stretch it.
      workUntil(cpu, Math.min(nextWalk, busyUntil));
    } else {
      // Back to back, the clock and the run's phase are looked at once every few walks: a
      // clock read and an Atomics.load after every walk were a quarter of a short walk's cost.
      for (let i = 0; i < WALKS_PER_LOOK; i++) workload.step(targets);
    }
  } while (performance.now() < busyUntil && phases.note() !== RunPhase.STOP);
}

/** Back-to-back walks between two looks at the clock: a few microseconds of short walks. */
const WALKS_PER_LOOK = 16;

/** A walker's own record of the run's phases: when it saw each begin, and its walks in each. */
export class PhaseLog {
  private readonly walks: PhaseWalks[] = Object.values(RunPhase).map(() => ({ walks: 0, ms: 0 }));
  private phase: RunPhase;
  private since = performance.now();
  private walksSince: number;

  constructor(private readonly cpu: EmulatedCpu) {
    this.phase = cpu.runPhase;
    this.walksSince = cpu.stat(Stat.walks);
  }

  /** The phase now; on a change, the phase that ended is written down. */
  note(): RunPhase {
    const phase = this.cpu.runPhase;
    if (phase !== this.phase) {
      const [now, walks] = [performance.now(), this.cpu.stat(Stat.walks)];
      this.walks[this.phase] = { walks: walks - this.walksSince, ms: now - this.since };
      [this.phase, this.since, this.walksSince] = [phase, now, walks];
    }
    return phase;
  }

  /** The walks of a phase that has ended. */
  walksOf(phase: RunPhase): PhaseWalks {
    return this.walks[phase];
  }
}

/**
 * The huge pages a walker walks: anywhere in the range, or, to amplify the race, one of the
 * `raceWindow` PMDs from the unmapper's cursor on, re-read before every walk: the walker keeps
 * hammering the PMD being cleared, so that its next increment lands in any gap the unmapper
 * reads as "no walk in flight".
 */
export class HugePageTargets implements WalkTargets {
  private readonly firstHpn: number;
  private readonly hugePages: number;
  private readonly window: number;

  constructor(
    private readonly cpu: EmulatedCpu,
    /** The mapped range, huge pages [firstHpn, firstHpn + hugePages), and the workload's race window. */
    { firstHpn, hugePages, raceWindow }: { readonly firstHpn: number; readonly hugePages: number; readonly raceWindow: number },
    private readonly random: Mulberry32,
  ) {
    [this.firstHpn, this.hugePages, this.window] = [firstHpn, hugePages, raceWindow];
  }

  next(): number {
    if (this.window === 0) return this.firstHpn + this.random.below(this.hugePages);
    const lastHpn = this.firstHpn + this.hugePages - 1;
    return Math.min(lastHpn, Math.max(this.firstHpn, Atomics.load(this.cpu.mm, mmWord.unmapCursor)) + this.random.below(this.window));
  }
}

/** IRQ-on work between walks until `untilMs`, taking interrupts at every pass. */
export function workUntil(cpu: EmulatedCpu, untilMs: number): void {
  while (performance.now() < untilMs) cpu.interruptPoint();
}
