// What an emulated CPU does during one run: the operation's CPU (the qemu thread calling
// munmap, or khugepaged collapsing) or a walker CPU (a vCPU whose guest keeps faulting, pinning,
// sampling: lockless walks). The answer is resolved here, once, where the worker starts its run;
// below this file the kernel only sees the PgtblSync hooks.

import { CpuPhase, cpuStatValues, type CpuStatValues } from '../shared-memory/cpu-block.ts';
import { RunPhase, advanceRunPhase, mmWord } from '../shared-memory/mm.ts';
import { strategyByName, type PgtblSyncStrategy } from '../strategies/index.ts';
import type { EmulatedCpu } from '../kernel/cpu.ts';
import type { KernelConfig } from '../kernel/kernel-config.ts';
import { ANYWHERE, LocklessWalker, type WalkAim, type WalkerViolation } from '../kernel/lockless-walk.ts';
import type { PgtblSync } from '../kernel/pgtbl-sync.ts';
import { run_pmd_range, type OpResult, type PmdOp } from '../kernel/pmd-ops.ts';
import type { TraceBuffers } from '../shared-memory/trace-ring.ts';
import { FaultInjector } from './faults.ts';
import type { FaultKind } from '../spec/run-fields.ts';
import type { Workload } from '../spec/run-spec.ts';
import { warmUpWalker, type WarmUpPlan, type WarmUpReport } from './jit-warm-up.ts';
import { Mulberry32, cpuSeed } from './prng.ts';
import { storeBufferFill } from './race-amplifier.ts';
import { HugePageTargets, PhaseLog, busyStretch, type PhaseWalks } from './walker-loop.ts';
import { WalkerWorkload } from './workload.ts';

export interface CpuRunPlan {
  readonly strategy: string;
  /** The CPU changing the PMDs (the qemu thread calling munmap, khugepaged), a vCPU walking, or a CPU outside the mm that only idles. */
  readonly role: 'operator' | 'walker' | 'outsider';
  /** The user's --seed and which run this is: together they fix the walk addresses. */
  readonly seed: number;
  readonly run: number;
  /** The mapped range: huge pages [firstHpn, firstHpn + hugePages). */
  readonly firstHpn: number;
  readonly hugePages: number;
  readonly workload: Workload;
  /** What the unmapper does to the range. */
  readonly op: PmdOp;
  /** The kernel below the strategy: walker style, TLB flushing, mmu_gather batch. */
  readonly kernel: KernelConfig;
  /** A fault to inject into this (walker) CPU. */
  readonly fault?: FaultKind;
  /** Share of a walker vCPU's running time the host preempts it (0: never). */
  readonly vcpuPreempt: number;
  /** The unmapper stops after this long; the coordinator estimates the rest. */
  readonly budgetMs?: number;
  /** How long walkers run before the unmapper starts; its second half is RunPhase.MEASURE. */
  readonly warmupMs: number;
  /** The run's trace rings, when it is traced. */
  readonly trace?: TraceBuffers;
  /** A walker's JIT warm-up instead of its workload: it warms up, then idles until the run stops. */
  readonly warmUp?: WarmUpPlan;
}

/** Everything one CPU tells the coordinator at the end of a run: the one channel for results. */
export interface CpuRunReport {
  readonly cpu: number;
  /** Its statistics, final now that it has stopped. */
  readonly stats: CpuStatValues;
  readonly violations: readonly WalkerViolation[];
  /** What a walker CPU measured of itself; absent on the others. */
  readonly walker?: WalkerReport;
  /** The unmapper's measurements; absent on the others. */
  readonly operation?: OpResult;
  /** How a warming-up walker's warm-up went. */
  readonly warmUp?: WarmUpReport;
}

export interface WalkerReport {
  /** Walks of each kind. */
  readonly byKind: { readonly [kind: string]: number };
  /** Sampled walk latencies in microseconds. */
  readonly latencyUs: Float64Array;
  readonly gupBackoffs: number;
  readonly kvmRetries: number;
  /** The share of its time the walker was out of idle, as measured. */
  readonly busyShare: number;
  /** Undisturbed (RunPhase.MEASURE), and while CPU 0 changed the PMDs (RunPhase.OPERATE). */
  readonly measure: PhaseWalks;
  readonly operate: PhaseWalks;
}

/** CPUs outside the mm wake this often to see whether the run is over. */
const OUTSIDER_WAKE_MS = 1;

export function runCpu(cpu: EmulatedCpu, plan: CpuRunPlan): CpuRunReport {
  const strategy = strategyByName(plan.strategy);
  cpu.beginRun(plan.trace, plan.kernel);
  // A kernel that may wait for a grace period (tlb_remove_table_one() since 1fb3d8c20bfa) needs
  // every CPU's quiescent states; an answer that frees through RCU asks for them itself.
  if (plan.kernel.tableRemoveOne === 'rcu' && plan.kernel.batchAllocFail > 0) cpu.reportQuiescentStates(plan.kernel.hz);
  strategy.lifecycle.runBegins(cpu, plan.kernel);
  Atomics.add(cpu.mm, mmWord.cpusRunning, 1);
  let report: Omit<CpuRunReport, 'stats'>;
  try {
    if (plan.role === 'operator') {
      report = { cpu: cpu.id, violations: [], operation: runOperation(cpu, strategy, plan) };
    } else if (plan.role === 'outsider') {
      while (!cpu.stopping) cpu.cpu_idle(performance.now() + OUTSIDER_WAKE_MS);
      report = { cpu: cpu.id, violations: [] };
    } else {
      report = runWalker(cpu, strategy, plan);
    }
  } finally {
    cpu.interruptPoint();
    cpu.setPhase(CpuPhase.DONE);
  }
  return { ...report, stats: cpuStatValues(cpu.stats, cpu.id) };
}

function runOperation(cpu: EmulatedCpu, sync: PgtblSync, plan: CpuRunPlan): OpResult {
  // Let every walker start, then warm up, halted like a qemu thread waiting for work. An
  // abort meanwhile falls through: run_pmd_range() sees it before its first PMD.
  while (Atomics.load(cpu.mm, mmWord.cpusRunning) < cpu.machine.cpus && !cpu.aborted) {
    cpu.cpu_idle(performance.now() + 0.1);
  }
  if (!cpu.aborted) cpu.cpu_idle(performance.now() + plan.warmupMs / 2);
  advanceRunPhase(cpu.mm, RunPhase.MEASURE);
  if (!cpu.aborted) cpu.cpu_idle(performance.now() + plan.warmupMs / 2);
  advanceRunPhase(cpu.mm, RunPhase.OPERATE);
  // Under race amplification an operation's unordered page-table store drains late too.
  if (plan.workload.raceWindow > 0) cpu.storeBuffer = storeBufferFill();
  return run_pmd_range(cpu, sync, plan.kernel, plan.op, plan.firstHpn, plan.hugePages, plan.budgetMs);
}

/**
 * Under race amplification a walk aims at a PTE page's first two ptes, where a deposit writes its
 * list pointers, and takes this long from its PMD to its pte (see WalkAim): chosen, long enough for
 * an operation that frees a table at once to do so in between, short enough that the walker is
 * often between walks, where a tracker's scan misses it (docs/model.md).
 */
const AMPLIFIED_AIM: WalkAim = { firstTwoPtes: true, descentNs: 300 };

/** Walk in busy/idle cycles until the run stops, noting the walks of each phase. */
function runWalker(cpu: EmulatedCpu, strategy: PgtblSyncStrategy, plan: CpuRunPlan): Omit<CpuRunReport, 'stats'> {
  const { walkRate, busy, dutyMs, mix, holdUs, otherMm } = plan.workload;
  const random = new Mulberry32(cpuSeed(plan.seed, cpu.id, plan.run));
  const fault = plan.fault ? new FaultInjector(cpu, plan.fault) : undefined;
  const amplified = plan.workload.raceWindow > 0;
  if (amplified) cpu.storeBuffer = storeBufferFill();
  const walker = new LocklessWalker(cpu, strategy.walker, plan.kernel, amplified ? AMPLIFIED_AIM : ANYWHERE, fault && (() => fault.inWalk()));
  const workload = new WalkerWorkload(cpu, walker, random, { mix, holdUs, guarded: plan.kernel.walkerGuards, otherMm });
  const targets = new HugePageTargets(cpu, { firstHpn: plan.firstHpn, hugePages: plan.hugePages, raceWindow: plan.workload.raceWindow }, random);
  const phases = new PhaseLog(cpu);
  const gapMs = walkRate > 0 ? 1000 / walkRate : 0;
  // Each vCPU's preemptions start at its own point of the cycle, as its busy cycle does.
  if (plan.vcpuPreempt > 0 && !plan.warmUp) cpu.hostPreempts(plan.vcpuPreempt, random.next());
  strategy.lifecycle.walkerStarts(cpu);
  try {
    if (plan.warmUp) {
      const warmUp = warmUpWalker(cpu, workload, targets, phases, plan.warmUp);
      while (!cpu.stopping) cpu.cpu_idle(Infinity);
      return { cpu: cpu.id, violations: walker.violations, warmUp };
    }
    const start = performance.now();
    let busyMs = 0;
    // Each CPU's cycle starts at its own point of the period, as vCPUs' do: started in step, 127
    // walkers woke together every period, a thundering herd that slowed the unmapper's IPI rounds
    // until the host's delays had spread them out.
    if (busy < 1) cpu.cpu_idle(start + random.next() * dutyMs);
    while (phases.note() !== RunPhase.STOP) {
      const cycleStart = performance.now();
      busyStretch(cpu, workload, targets, phases, cycleStart + dutyMs * busy, gapMs);
      busyMs += performance.now() - cycleStart;
      if (busy < 1) cpu.cpu_idle(cycleStart + dutyMs);
    }
    cpu.traceWalks(false);
    const elapsedMs = performance.now() - start;
    return {
      cpu: cpu.id,
      violations: walker.violations,
      walker: {
        byKind: workload.walksByKind,
        latencyUs: workload.latencyUs.slice(0, workload.latencySamples),
        gupBackoffs: walker.gupBackoffs,
        kvmRetries: walker.kvmRetries,
        busyShare: elapsedMs > 0 ? Math.min(1, busyMs / elapsedMs) : 0,
        measure: phases.walksOf(RunPhase.MEASURE),
        operate: phases.walksOf(RunPhase.OPERATE),
      },
    };
  } finally {
    strategy.lifecycle.walkerStops(cpu);
  }
}
