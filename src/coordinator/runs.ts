// One strategy, one run: map the THP memory, let the walkers loose, run the operation from
// CPU 0, stop, then check every invariant. The same code path serves every strategy and every
// script; what each CPU measured comes back in its report, and nowhere else.

import type { CpuRunPlan, CpuRunReport } from '../cpu-worker/run.ts';
import type { PhaseWalks } from '../cpu-worker/walker-loop.ts';
import type { WalkerViolation } from '../kernel/lockless-walk.ts';
import type { KernelConfig } from '../kernel/kernel-config.ts';
import type { PmdOp } from '../kernel/pmd-ops.ts';
import { CPU_STATS, CpuPhase, cpuStat, cpuWord, type CpuStatValues } from '../shared-memory/cpu-block.ts';
import { RunPhase, advanceRunPhase, cpumask_clear, cpumask_set_cpu, mmWord, resetRunWords } from '../shared-memory/mm.ts';
import { SharedMachine } from '../shared-memory/shared-machine.ts';
import { isSafe, strategyByName } from '../strategies/index.ts';
import { map_thp_range, teardown_range_offline } from '../kernel/map-thp.ts';
import { medianRange, percentiles, type Percentiles } from '../base/statistics.ts';
import type { CpuPool } from './cpu-pool.ts';
import type { WatchdogReport } from './ipi-watchdog.ts';
import { estimateWholeRange, type Estimate } from './estimate.ts';
import { OP_EXPECTATIONS, tearDownAndCheck, walksStillCounted } from './checks.ts';
import { kernelOf } from './run-spec.ts';
import { archSpec, type Arch } from '../kernel/archs.ts';
import type { DepositLayout } from '../shared-memory/pte-pages.ts';
import { type RunSpec } from '../spec/run-spec.ts';
import type { TraceRecorder } from './trace-recorder.ts';

/** One row of the report; the JSON `runs[]` entry. */
export interface StrategyRun {
  readonly strategy: string;
  readonly safe: boolean;
  readonly models: string;
  /** What the unmapper CPU did to each PMD. */
  readonly op: PmdOp;
  readonly pmds: number;
  /** PMDs unmapped, split or collapsed. */
  readonly pmdsDone: number;
  readonly opMs: number;
  /** From the start of the operation until its last frame was really freed: later under rcu-frames. */
  readonly allFreedMs: number;
  /** The most frames waiting for a grace period at once. */
  readonly peakPendingFrees: number;
  /** True when the budget ran out: opMs is then an estimate for the whole range (see estimate). */
  readonly estimated: boolean;
  readonly estimate?: Estimate;
  /** The kernel below the strategy that this run emulated. */
  readonly kernel: KernelConfig;
  readonly ipis: {
    readonly sent: number;
    /** PMD serialisations that sent no IPI. */
    readonly skipped: number;
    readonly acked: number;
    /** The IPIs sent, by why: serialize_against_pte_lookup() and the answers' rounds, TLB shootdowns, tlb_remove_table_sync_one(). */
    readonly byReason: { readonly serialize: number; readonly tlbFlush: number; readonly tableSync: number };
    /** Shootdown IPIs not sent: to CPUs in lazy-TLB mode (no tables freed), to preempted vCPUs (--pv kvm). */
    readonly flushSkipped: { readonly lazy: number; readonly preempted: number };
  };
  /** Each CPU's IPIs received, by reason, as /proc/interrupts would count them. */
  readonly interrupts: readonly CpuInterrupts[];
  /** The vCPUs' side: preemptions by the host (--vcpu-preempt), and flushes done late, on leaving lazy mode or as a preempted vCPU ran again. */
  readonly vcpus: { readonly preemptions: number; readonly preemptedMs: number; readonly lazyFlushes: number; readonly deferredFlushes: number };
  /** Upper page tables freed through the mmu_gather (free_pgtables()), the batch allocations that failed, and the grace periods waited for them. */
  readonly tables: { readonly removed: number; readonly batchFails: number; readonly gracePeriodsWaited: number };
  /** What the operation freed: huge-page frames, and PTE pages (a THP's deposit, as munmap zaps it). */
  readonly freed: { readonly frames: number; readonly pteTables: number };
  /** TLB flushes on the unmapping CPU, and the microseconds they took in all (tlbie waits, or IPI rounds). */
  readonly tlb: { readonly flushes: number; readonly flushUs: number };
  readonly serializeUs: Percentiles;
  readonly walks: {
    readonly completed: number;
    readonly leaf: number;
    /** Walks per second on all walker CPUs together while the operation ran. */
    readonly perSecond: number;
    /** Walks per second on all walker CPUs before the operation, undisturbed: the answer's walker-side cost. */
    readonly perSecondSteady: number;
    /** Sampled latency of one IRQ-off stretch (a walk, or a real-mode batch), before the operation began, in microseconds. */
    readonly latencyUs: Percentiles;
    readonly byKind: { readonly [kind: string]: number };
    /** GUP-fast walks that could not take their page reference, or found their PMD changed on re-check, and backed off. */
    readonly gupBackoffs: number;
    /** KVM walks under kvm->mmu_lock that found the range being changed, and retried (5.8 on). */
    readonly kvmRetries: number;
    /** The share of their time the walker CPUs were busy (out of idle), measured; --busy asks for it. */
    readonly busyShare: number;
    /** Walks whose PMD was cleared while they used its page: the unmapper and a walker met. */
    readonly collisions: number;
    /** Walks of another process's page tables on the same CPUs (--other-mm). */
    readonly otherMm: number;
  };
  readonly violations: {
    readonly useAfterFree: number;
    /** Walks that took page-table data of another kind for their own (WalkerViolation). */
    readonly misreads: number;
    readonly perMillionPmds: number;
    /** Milliseconds from the start of the operation to the first use-after-free; null if none. */
    readonly firstAfterMs: number | null;
    readonly first: readonly Violation[];
  };
  /** lockless_pgtbl_walk_count after every walker stopped: 0 unless updates were lost. */
  readonly counterDrift: number;
  /** Invariants that did not hold, in words; empty when all held. */
  readonly brokenInvariants: readonly string[];
  /** For an unsafe strategy: the failures it exists to show, in words. */
  readonly demonstrated: readonly string[];
  /** True when the run was interrupted part way: figures so far, invariants not checked. */
  readonly partial: boolean;
  /** IPIs that went unacknowledged past the watchdog's threshold (with --on-stuck wait). */
  readonly watchdog: readonly WatchdogReport[];
}

/** One CPU's IPIs received in a run, by reason. */
export interface CpuInterrupts {
  readonly cpu: number;
  readonly serialize: number;
  readonly tlbFlush: number;
  readonly tableSync: number;
}

/** A walker's use-after-free, with the strategy it ran under and what the unmapper's side did for the same PMD. */
export interface Violation extends WalkerViolation {
  readonly strategy: string;
  /** IPIs the unmapper's serialize_against_pte_lookup() sent for this PMD: 0 = it saw no walker. */
  readonly unmapperSentIpis: number;
}

const OPERATOR_CPU = 0;

/**
 * Which run of a pool this is, for the walkers' seeds: the measured runs count from 0, the JIT
 * warm-up's runs (coordinator/jit-warm-up.ts) come before them.
 */
export const WarmUpRun = { FEEDBACK: -1, OPERATION: -2, SETTLE: -3 } as const;

/**
 * The shared memory a run needs: its CPUs, those outside the mm too, its THPs, and for split
 * and collapse a PTE page per huge page (and, for collapse, new frames besides old).
 */
export function createMachine(spec: RunSpec): SharedMachine {
  const { arch, cpus, outsideCpus, hugePages, ptesPerPmd } = spec.machine;
  return SharedMachine.create({
    cpus: cpus + outsideCpus,
    hugePages,
    ptesPerPmd,
    // One PTE page a huge page, whatever the operation: a THP's deposit, or a PTE-mapped page's.
    ptePages: hugePages,
    // A collapse holds old frames and new at once.
    frames: spec.op === 'collapse' || spec.op === 'collapse-munmap' ? 2 * hugePages : hugePages,
    deposits: depositLayout(arch),
  });
}

/** Where `arch` keeps the deposit list, and how its pointers read. */
const depositLayout = (arch: Arch): DepositLayout => ({ listInPtes: archSpec(arch).depositList === 'ptes', bigEndian: archSpec(arch).bigEndian });

/** Run `spec` on the pool's CPUs; with a `recorder`, the CPUs trace the run into fresh rings it then reads. */
export async function runStrategy(pool: CpuPool, spec: RunSpec, runIndex: number, recorder?: TraceRecorder): Promise<StrategyRun> {
  const strategy = strategyByName(spec.strategy);
  const machine = pool.machine;
  // A sticky mm_cpumask keeps the bits of the CPUs outside the mm: they ran it once.
  resetMachine(pool, spec.machine.cpus + (kernelOf(spec).mmCpumask === 'sticky' ? spec.machine.outsideCpus : 0));
  machine.arena.pte.setLayout(depositLayout(spec.machine.arch));
  OP_EXPECTATIONS[spec.op].setup(machine, 0, spec.machine.hugePages);

  const trace = recorder?.buffersFor(machine.cpus);
  const roleOf = (cpu: number) => (cpu === OPERATOR_CPU ? 'operator' : cpu < spec.machine.cpus ? 'walker' : 'outsider');
  const plans = cpuPlans(spec, runIndex, roleOf).map((plan) => (trace ? { ...plan, trace } : plan));
  pool.watchdogReports.length = 0;
  const reports = await pool.run(plans, spec.timeoutS * 1000, () => pool.stop(), spec.watchdog);
  if (trace) recorder?.collect(trace, strategy.name, spec.op, plans);
  const result = reports[OPERATOR_CPU].operation;
  if (!result) throw new Error('CPU 0 returned no result of its operation');

  const stats = sumStats(reports);
  const whole = result.stoppedAtBudget ? estimateWholeRange(result.opMs, result.pmdsDone, result.pmds, result.serializeUs) : undefined;
  const violations = reports
    .flatMap((r) => r.violations)
    .sort((a, b) => a.atMs - b.atMs)
    .map((v) => ({ ...v, strategy: strategy.name, unmapperSentIpis: result.ipisByPmd[v.hpn] }));
  const walkers = walkerSide(reports);
  const run: StrategyRun = {
    strategy: strategy.name,
    safe: isSafe(strategy),
    models: strategy.models,
    op: result.op,
    pmds: result.pmds,
    pmdsDone: result.pmdsDone,
    opMs: whole?.ms ?? result.opMs,
    allFreedMs: result.allFreedMs,
    peakPendingFrees: result.peakPendingFrees,
    estimated: whole !== undefined,
    ...(whole ? { estimate: whole.estimate } : {}),
    kernel: kernelOf(spec),
    ipis: {
      sent: stats.ipisSent,
      skipped: result.serializeSkipped,
      acked: stats.ipisHandled,
      byReason: { serialize: stats.ipisSerialize, tlbFlush: stats.ipisTlbFlush, tableSync: stats.ipisTableSync },
      flushSkipped: { lazy: stats.flushSkippedLazy, preempted: stats.flushSkippedPreempted },
    },
    interrupts: interruptsByCpu(machine),
    vcpus: { preemptions: stats.preemptions, preemptedMs: stats.preemptedMs, lazyFlushes: stats.lazyFlushes, deferredFlushes: stats.deferredFlushes },
    tables: { removed: stats.tablesRemoved, batchFails: stats.tableBatchFails, gracePeriodsWaited: stats.gracePeriodsWaited },
    freed: { frames: stats.framesFreed, pteTables: stats.pteTablesFreed },
    tlb: { flushes: stats.tlbFlushes, flushUs: stats.tlbFlushUs },
    serializeUs: percentiles(result.serializeUs),
    walks: {
      completed: stats.walks,
      leaf: stats.leafWalks,
      perSecond: walkers.perSecond.operate,
      perSecondSteady: walkers.perSecond.measure,
      latencyUs: walkers.latencyUs,
      byKind: walkers.byKind,
      gupBackoffs: walkers.gupBackoffs,
      kvmRetries: walkers.kvmRetries,
      busyShare: walkers.busyShare,
      collisions: stats.collisions,
      otherMm: stats.otherMmWalks,
    },
    violations: {
      useAfterFree: stats.useAfterFree,
      misreads: stats.misreads,
      perMillionPmds: (stats.useAfterFree * 1e6) / Math.max(1, result.pmdsDone),
      firstAfterMs: violations.length > 0 ? violations[0].atMs - result.startedAtMs : null,
      first: violations.slice(0, 8),
    },
    counterDrift: walksStillCounted(machine),
    brokenInvariants: [],
    demonstrated: [],
    partial: result.aborted,
    watchdog: [...pool.watchdogReports],
  };
  // An interrupted run is reported as it stands; the machine is not reused after it.
  if (run.partial) return run;
  return { ...run, ...tearDownAndCheck(machine, spec, { stats, pmds: run.pmds, pmdsDone: run.pmdsDone, estimated: run.estimated, counterDrift: run.counterDrift }) };
}

/** Walker throughput alone: every CPU walks, nothing is unmapped. */
export interface WalkersOnlyRun {
  readonly strategy: string;
  readonly cpus: number;
  /** Walks per second on all CPUs together: the median of the measured intervals. */
  readonly walksPerSecond: number;
  /** The lowest and highest of those intervals' rates. */
  readonly spread: { readonly min: number; readonly max: number };
  /** The rate of each measured interval, in order. */
  readonly intervals: readonly number[];
  readonly latencyUs: Percentiles;
  /** True when the run was interrupted before its intervals were all measured: not a measurement. */
  readonly partial: boolean;
}

/** Measured intervals of a walkers-alone run: their median is its figure, their range its spread. */
export const WALKER_INTERVALS = 5;

/**
 * Run every CPU as a walker for `durationMs`, with no operation: the first half warms up, the
 * second half (RunPhase.MEASURE) is cut into WALKER_INTERVALS intervals, each measured by
 * reading every CPU's walk count from shared memory at its ends. Uses the same machine setup,
 * plans and pool as runStrategy(); unmaps on the coordinator afterwards.
 */
export async function runWalkersOnly(pool: CpuPool, spec: RunSpec, runIndex: number, durationMs: number): Promise<WalkersOnlyRun> {
  const machine = pool.machine;
  resetMachine(pool, spec.machine.cpus);
  map_thp_range(machine, 0, spec.machine.hugePages);
  const running = pool.run(cpuPlans(spec, runIndex, () => 'walker'), spec.timeoutS * 1000, () => {}, spec.watchdog);
  await sleep(durationMs / 2);
  advanceRunPhase(machine.mm, RunPhase.MEASURE);
  const intervals: number[] = [];
  let { walks, at } = walksNow(machine, spec.machine.cpus);
  for (let i = 0; i < WALKER_INTERVALS; i++) {
    await sleep(durationMs / 2 / WALKER_INTERVALS);
    const now = walksNow(machine, spec.machine.cpus);
    intervals.push(((now.walks - walks) * 1000) / (now.at - at));
    ({ walks, at } = now);
  }
  // An interrupt (or another CPU's crash) stopped the walkers part way: the intervals since read walks that were not being made.
  const partial = Atomics.load(machine.mm, mmWord.abort) !== 0;
  pool.stop();
  const walkers = walkerSide(await running);
  teardown_range_offline(machine, 0, spec.machine.hugePages);
  const { median, min, max } = medianRange(intervals);
  return {
    strategy: spec.strategy,
    cpus: spec.machine.cpus,
    walksPerSecond: median,
    spread: { min, max },
    intervals,
    latencyUs: walkers.latencyUs,
    partial,
  };
}

/**
 * Every CPU's walks so far, and when: the clock read before and after the counts, `at` their
 * midpoint, read again if the two are far apart. The coordinator is one of the host's runnable
 * threads like every CPU's, and preempted between the counts and the clock it can wait a whole
 * time slice for a core: the interval that ended there would read low and the next one high.
 */
function walksNow(machine: SharedMachine, cpus: number): { readonly walks: number; readonly at: number } {
  for (let tries = 1; ; tries++) {
    const before = performance.now();
    const walks = walksSoFar(machine, cpus);
    const after = performance.now();
    if (after - before <= READ_SKEW_MS || tries === READ_TRIES) return { walks, at: (before + after) / 2 };
  }
}

/** A reading of the walk counts is good when its clock reads are this close (it takes microseconds). */
const READ_SKEW_MS = 0.5;
const READ_TRIES = 4;

/**
 * Every CPU's walks so far, read as they run: each CPU alone writes its count, a float64 whose
 * aligned load does not tear on the 64-bit hosts V8 runs on; a count read a walk late is a walk
 * in the next interval.
 */
function walksSoFar(machine: SharedMachine, cpus: number): number {
  let walks = 0;
  for (let cpu = 0; cpu < cpus; cpu++) walks += machine.cpuStats[cpuStat(cpu, 'walks')];
  return walks;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every CPU's statistics, added up. */
function sumStats(reports: readonly CpuRunReport[]): CpuStatValues {
  return Object.fromEntries(CPU_STATS.map((field) => [field, reports.reduce((sum, r) => sum + r.stats[field], 0)])) as CpuStatValues;
}

/** What the walkers reported about themselves: throughput in each phase, latency, kinds. */
function walkerSide(reports: readonly CpuRunReport[]) {
  const walkers = reports.flatMap((r) => (r.walker ? [r.walker] : []));
  const byKind: { [kind: string]: number } = {};
  for (const w of walkers) for (const [kind, n] of Object.entries(w.byKind)) byKind[kind] = (byKind[kind] ?? 0) + n;
  const latency = new Float64Array(walkers.reduce((n, w) => n + w.latencyUs.length, 0));
  walkers.reduce((offset, w) => (latency.set(w.latencyUs, offset), offset + w.latencyUs.length), 0);
  // Each walker's rate over the phase as it saw it, added up: walkers see a phase begin a
  // little apart, an idle one as late as its next wake-up.
  const rate = (phase: (w: (typeof walkers)[number]) => PhaseWalks) => walkers.reduce((sum, w) => sum + (phase(w).ms > 0 ? (phase(w).walks * 1000) / phase(w).ms : 0), 0);
  return {
    perSecond: { measure: rate((w) => w.measure), operate: rate((w) => w.operate) },
    latencyUs: percentiles(latency),
    byKind,
    gupBackoffs: walkers.reduce((sum, w) => sum + w.gupBackoffs, 0),
    kvmRetries: walkers.reduce((sum, w) => sum + w.kvmRetries, 0),
    busyShare: walkers.length > 0 ? walkers.reduce((sum, w) => sum + w.busyShare, 0) / walkers.length : 0,
  };
}

/** What each CPU of the machine received, read once every CPU has stopped. */
function interruptsByCpu(machine: SharedMachine): CpuInterrupts[] {
  const word = (cpu: number, name: 'irqSerialize' | 'irqTlbFlush' | 'irqTableSync') => Atomics.load(machine.cpuWords, cpuWord(cpu, name));
  return Array.from({ length: machine.cpus }, (_, cpu) => ({ cpu, serialize: word(cpu, 'irqSerialize'), tlbFlush: word(cpu, 'irqTlbFlush'), tableSync: word(cpu, 'irqTableSync') }));
}

/** One plan per CPU of the machine, with the role `roleOf` gives it. */
export function cpuPlans(spec: RunSpec, run: number, roleOf: (cpu: number) => CpuRunPlan['role']): CpuRunPlan[] {
  const kernel = kernelOf(spec);
  return Array.from({ length: spec.machine.cpus + spec.machine.outsideCpus }, (_, cpu) => ({
    strategy: spec.strategy,
    role: roleOf(cpu),
    seed: spec.seed,
    run,
    firstHpn: 0,
    hugePages: spec.machine.hugePages,
    workload: spec.workload,
    op: spec.op,
    kernel,
    fault: spec.faults[cpu],
    vcpuPreempt: spec.machine.vcpuPreempt,
    budgetMs: spec.budgetMs,
    warmupMs: spec.warmupMs,
  }));
}

/**
 * Between runs, with every CPU idle: fresh run words, counts and statistics; CPUs below
 * `mmCpus` in mm_cpumask, the rest outside the mm.
 */
export function resetMachine(pool: CpuPool, mmCpus: number): void {
  const { mm, cpuStats, cpuWords, cpus, answerCpuWords, answerMmWords } = pool.machine;
  resetRunWords(mm);
  cpuStats.fill(0);
  pool.machine.warmUpPlaces.fill(0);
  // Whatever answer ran last, the next finds its words at 0 (shared-memory/answer-words.ts).
  for (const words of [answerCpuWords, answerMmWords]) for (let i = 0; i < words.length; i++) Atomics.store(words, i, 0);
  cpumask_clear(mm);
  for (let cpu = 0; cpu < cpus; cpu++) {
    if (cpu < mmCpus) cpumask_set_cpu(mm, cpu);
    Atomics.store(cpuWords, cpuWord(cpu, 'phase'), CpuPhase.IDLE);
    for (const word of ['irqSerialize', 'irqTlbFlush', 'irqTableSync', 'isLazy', 'preempted'] as const) Atomics.store(cpuWords, cpuWord(cpu, word), 0);
  }
}
