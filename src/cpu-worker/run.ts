// What an emulated CPU does during one run: the unmapper CPU (the qemu thread calling munmap)
// or a walker CPU (a vCPU whose guest keeps faulting, pinning, sampling: lockless walks).

import { CpuPhase, sumStat } from '../shared-memory/cpu-block.ts';
import { mmWord } from '../shared-memory/mm.ts';
import { strategyByName } from '../strategies/index.ts';
import type { PgtblSyncStrategy } from '../strategies/strategy.ts';
import type { EmulatedCpu } from './cpu.ts';
import { LocklessWalker, type UseAfterFree } from './lockless-walk.ts';
import { run_pmd_range, type MunmapResult, type PmdOp } from './pmd-ops.ts';
import { FaultInjector, type FaultKind } from './faults.ts';
import type { KindShare } from './walker-kinds.ts';
import { cpuSeed, mulberry32 } from './prng.ts';

export interface Workload {
  /** The walker kinds and their shares of the walks. */
  readonly mix: readonly KindShare[];
  /** Microseconds every walk uses its page with IRQs off; undefined: each kind's own. */
  readonly holdUs: number | undefined;
  /** Walks per second on a busy CPU; 0 runs them back to back. */
  readonly walkRate: number;
  /** Share of time a walker CPU is busy, 0..1; the rest it spends halted (idle). */
  readonly busy: number;
  /** The period of that busy/idle cycle, in milliseconds: an idle CPU wakes once per period. */
  readonly dutyMs: number;
  /**
   * Race amplification: when non-zero, walkers aim at the `raceWindow` huge pages from the
   * unmapper's cursor on, so that walks and clears really collide. 0 walks the whole range.
   */
  readonly raceWindow: number;
}

export interface CpuRunPlan {
  readonly strategy: string;
  /** The qemu thread calling munmap, a vCPU walking, or a CPU outside the mm that only idles. */
  readonly role: 'unmapper' | 'walker' | 'outsider';
  /** The user's --seed and which run this is: together they fix the walk addresses. */
  readonly seed: number;
  readonly run: number;
  /** The mapped range: huge pages [firstHpn, firstHpn + hugePages). */
  readonly firstHpn: number;
  readonly hugePages: number;
  readonly workload: Workload;
  /** What the unmapper does to the range. */
  readonly op: PmdOp;
  /** A fault to inject into this (walker) CPU. */
  readonly fault?: FaultKind;
  /** The unmapper stops after this long; the coordinator estimates the rest. */
  readonly budgetMs?: number;
  /** How long walkers run before the unmapper starts. */
  readonly warmupMs: number;
}

export interface CpuRunReport {
  readonly cpu: number;
  readonly violations: readonly UseAfterFree[];
  /** Walks of each kind (walkers only). */
  readonly walksByKind?: { readonly [kind: string]: number };
  /** Sampled walk latencies in microseconds (walkers only). */
  readonly walkLatencyUs?: Float64Array;
  readonly gupBackoffs?: number;
  /** The share of its time the walker was out of idle, as measured (walkers only). */
  readonly busyShare?: number;
  /** The unmapper's measurements; absent on walkers. */
  readonly munmap?: MunmapResult;
  /** Walks completed on all CPUs while munmap ran (unmapper only). */
  readonly walksDuringMunmap?: number;
  /**
   * Walks per second on all CPUs over the second half of the warm-up, when the walkers run
   * undisturbed and the JIT has settled: the strategy's cost to walkers alone (unmapper only).
   */
  readonly walksPerSecondSteady?: number;
}

/** CPUs outside the mm wake this often to see whether the run is over. */
const OUTSIDER_WAKE_MS = 1;

export function runCpu(cpu: EmulatedCpu, plan: CpuRunPlan): CpuRunReport {
  const strategy = strategyByName(plan.strategy);
  cpu.beginRun(strategy);
  Atomics.add(cpu.mm, mmWord.cpusRunning, 1);
  try {
    if (plan.role === 'unmapper') return runUnmapper(cpu, strategy, plan);
    if (plan.role === 'outsider') {
      while (!cpu.stopping) cpu.cpu_idle(performance.now() + OUTSIDER_WAKE_MS);
      return { cpu: cpu.id, violations: [] };
    }
    const random = mulberry32(cpuSeed(plan.seed, cpu.id, plan.run));
    const fault = plan.fault ? new FaultInjector(cpu, plan.fault) : undefined;
    const walker = new LocklessWalker(cpu, strategy, plan.workload.mix, plan.workload.holdUs, random, fault);
    const busyShare = runWalker(cpu, walker, plan, random);
    return {
      cpu: cpu.id,
      violations: walker.violations,
      busyShare,
      walksByKind: walker.walksByKind,
      walkLatencyUs: walker.latencyUs.slice(0, walker.latencySamples),
      gupBackoffs: walker.gupBackoffs,
    };
  } finally {
    cpu.interruptPoint();
    cpu.setPhase(CpuPhase.DONE);
  }
}

function runUnmapper(cpu: EmulatedCpu, strategy: PgtblSyncStrategy, plan: CpuRunPlan): CpuRunReport {
  // Let every walker start, then warm up, halted like a qemu thread waiting for work. An
  // abort meanwhile falls through: run_pmd_range() sees it before its first PMD.
  while (Atomics.load(cpu.mm, mmWord.cpusRunning) < cpu.machine.cpus && !cpu.aborted) {
    cpu.cpu_idle(performance.now() + 0.1);
  }
  if (!cpu.aborted) cpu.cpu_idle(performance.now() + plan.warmupMs / 2);
  const steadyFrom = performance.now();
  const walksAtSteady = totalWalks(cpu);
  if (!cpu.aborted) cpu.cpu_idle(performance.now() + plan.warmupMs / 2);
  const walksBefore = totalWalks(cpu);
  const steadyMs = performance.now() - steadyFrom;
  const munmap = run_pmd_range(cpu, strategy, plan.op, plan.firstHpn, plan.hugePages, plan.budgetMs);
  return {
    cpu: cpu.id,
    violations: [],
    munmap,
    walksDuringMunmap: totalWalks(cpu) - walksBefore,
    walksPerSecondSteady: steadyMs > 0 ? ((walksBefore - walksAtSteady) * 1000) / steadyMs : 0,
  };
}

/** Walk in busy/idle cycles until the run stops; returns the share of the time spent busy. */
function runWalker(cpu: EmulatedCpu, walker: LocklessWalker, plan: CpuRunPlan, random: () => number): number {
  const { walkRate, busy, dutyMs } = plan.workload;
  const gapMs = walkRate > 0 ? 1000 / walkRate : 0;
  const nextTarget = walkTargets(cpu, plan, random);
  const start = performance.now();
  let busyMs = 0;
  while (!cpu.stopping) {
    const cycleStart = performance.now();
    const busyUntil = cycleStart + dutyMs * busy;
    let nextWalk = cycleStart;
    do {
      walker.step(nextTarget);
      if (gapMs > 0) {
        // Paced, never catching up in a burst: a late walk moves the schedule, not the rate.
        nextWalk = Math.max(nextWalk + gapMs, performance.now());
        // The work between walks ends with the busy share: a longer gap must not stretch it.
        workUntil(cpu, Math.min(nextWalk, busyUntil));
      }
    } while (performance.now() < busyUntil && !cpu.stopping);
    busyMs += performance.now() - cycleStart;
    if (busy < 1) cpu.cpu_idle(cycleStart + dutyMs);
  }
  const elapsedMs = performance.now() - start;
  return elapsedMs > 0 ? Math.min(1, busyMs / elapsedMs) : 0;
}

/**
 * The huge pages a walker walks: anywhere in the range, or, to amplify the race, one of the
 * `raceWindow` PMDs from the unmapper's cursor on, re-read before every walk: the walker keeps
 * hammering the PMD being cleared, so that its next increment lands in any gap the unmapper
 * reads as "no walk in flight".
 */
function walkTargets(cpu: EmulatedCpu, plan: CpuRunPlan, random: () => number): () => number {
  const { firstHpn, hugePages } = plan;
  const window = plan.workload.raceWindow;
  if (window === 0) return () => firstHpn + Math.floor(random() * hugePages);
  const lastHpn = firstHpn + hugePages - 1;
  return () => Math.min(lastHpn, Math.max(firstHpn, Atomics.load(cpu.mm, mmWord.unmapCursor)) + Math.floor(random() * window));
}

/** IRQ-on work between walks until `untilMs`, taking interrupts at every pass. */
function workUntil(cpu: EmulatedCpu, untilMs: number): void {
  while (performance.now() < untilMs) cpu.interruptPoint();
}

/** Walks done by every CPU so far. */
const totalWalks = (cpu: EmulatedCpu): number => sumStat(cpu.stats, cpu.machine.cpus, 'walks');
