// One strategy, one run: map the THP memory, let the walkers loose, munmap it all from CPU 0,
// stop, then check every invariant. The same code path serves every strategy and every script.

import os from 'node:os';
import type { CpuRunPlan, CpuRunReport } from '../cpu-worker/run.ts';
import type { UseAfterFree } from '../cpu-worker/lockless-walk.ts';
import type { PmdOp } from '../cpu-worker/pmd-ops.ts';
import { CpuPhase, CpuStats, cpuWord, sumStat } from '../shared-memory/cpu-block.ts';
import { RunPhase, cpumask_clear, cpumask_set_cpu, mmWord } from '../shared-memory/mm.ts';
import { SharedMachine } from '../shared-memory/shared-machine.ts';
import { strategyByName } from '../strategies/index.ts';
import type { CpuPool } from './cpu-pool.ts';
import { map_thp_range, teardown_range_offline } from './map-thp.ts';
import type { WatchdogReport } from './ipi-watchdog.ts';
import { estimateWholeRange, type Estimate } from './estimate.ts';
import { checkInvariants, walksStillCounted } from './invariants.ts';
import { OP_EXPECTATIONS, wrongPmds } from './op-expectations.ts';
import { parseMunmapArgs, type MunmapConfig } from './options.ts';
import { percentiles, type Percentiles } from './percentiles.ts';

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
  /** PMDs unmapped: pmdsDone for munmap, 0 for the other operations. */
  readonly pmdsUnmapped: number;
  readonly munmapMs: number;
  /** From the start of munmap until its last frame was really freed: later under rcu-free. */
  readonly allFreedMs: number;
  /** The most frames waiting for a grace period at once. */
  readonly peakPendingFrees: number;
  /** True when the budget ran out: munmapMs is then an estimate for the whole range (see estimate). */
  readonly estimated: boolean;
  readonly estimate?: Estimate;
  readonly ipis: { readonly sent: number; readonly skipped: number; readonly acked: number };
  readonly serializeUs: Percentiles;
  readonly walks: {
    readonly completed: number;
    readonly leaf: number;
    /** Walks per second on all walker CPUs together while munmap ran. */
    readonly perSecond: number;
    /** Walks per second on all walker CPUs before munmap, undisturbed: the strategy's walker-side cost. */
    readonly perSecondSteady: number;
    /** Sampled latency of one IRQ-off stretch (a walk, or a real-mode batch), before the operation began, in microseconds. */
    readonly latencyUs: Percentiles;
    readonly byKind: { readonly [kind: string]: number };
    /** GUP-fast walks that found their PMD changed on re-check and backed off. */
    readonly gupBackoffs: number;
    /** The share of their time the walker CPUs were busy (out of idle), measured; --busy asks for it. */
    readonly busyShare: number;
    /** Walks whose PMD was cleared while they used its page: the unmapper and a walker met. */
    readonly collisions: number;
  };
  readonly violations: {
    readonly useAfterFree: number;
    readonly perMillionPmds: number;
    /** Milliseconds from the start of munmap to the first use-after-free; null if none. */
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

/** A walker's use-after-free, with what the unmapper's side did for the same PMD. */
export interface Violation extends UseAfterFree {
  /** IPIs the unmapper's serialize_against_pte_lookup() sent for this PMD: 0 = it saw no walker. */
  readonly unmapperSentIpis: number;
}

const UNMAPPER_CPU = 0;

/**
 * The shared memory a configuration needs: its CPUs, those outside the mm too, its THPs, and
 * for split and collapse a PTE page per huge page (and, for collapse, new frames besides old).
 */
export function createMachine(config: MunmapConfig): SharedMachine {
  return SharedMachine.create({
    cpus: config.cpus + config.outsideCpus,
    hugePages: config.hugePages,
    ptePages: config.op === 'munmap' ? 0 : config.hugePages,
    frames: config.op === 'collapse' ? 2 * config.hugePages : config.hugePages,
  });
}

export async function runStrategy(pool: CpuPool, config: MunmapConfig, strategyName: string, runIndex: number): Promise<StrategyRun> {
  const strategy = strategyByName(strategyName);
  const machine = pool.machine;
  resetMachine(pool, config.cpus);
  OP_EXPECTATIONS[config.op].setup(machine, 0, config.hugePages);

  const plans = walkerPlans(config, strategyName, runIndex, (cpu) => (cpu === UNMAPPER_CPU ? 'unmapper' : cpu < config.cpus ? 'walker' : 'outsider'));
  pool.watchdogReports.length = 0;
  const reports = await pool.run(plans, config.timeoutS * 1000, () => pool.stop(), config.watchdog);
  const munmap = reports[UNMAPPER_CPU].munmap;
  if (!munmap) throw new Error('the unmapper CPU returned no munmap result');

  const total = (field: keyof typeof CpuStats.offset) => sumStat(machine.cpuStats, machine.cpus, field);
  const useAfterFree = total('useAfterFree');
  const whole = munmap.stoppedAtBudget ? estimateWholeRange(munmap.munmapMs, munmap.pmdsDone, munmap.pmds, munmap.serializeUs) : undefined;
  const violations = reports
    .flatMap((r: CpuRunReport) => r.violations)
    .sort((a, b) => a.atMs - b.atMs)
    .map((v) => ({ ...v, unmapperSentIpis: munmap.ipisByPmd[v.hpn] }));
  const run: StrategyRun = {
    strategy: strategy.name,
    safe: strategy.safe,
    models: strategy.models,
    op: munmap.op,
    pmds: munmap.pmds,
    pmdsDone: munmap.pmdsDone,
    pmdsUnmapped: munmap.op === 'munmap' ? munmap.pmdsDone : 0,
    munmapMs: whole?.ms ?? munmap.munmapMs,
    allFreedMs: munmap.allFreedMs,
    peakPendingFrees: munmap.peakPendingFrees,
    estimated: whole !== undefined,
    ...(whole ? { estimate: whole.estimate } : {}),
    ipis: { sent: total('ipisSent'), skipped: munmap.serializeSkipped, acked: total('ipisHandled') },
    serializeUs: percentiles(munmap.serializeUs),
    walks: {
      completed: total('walks'),
      leaf: total('leafWalks'),
      perSecond: munmap.munmapMs > 0 ? ((reports[UNMAPPER_CPU].walksDuringMunmap ?? 0) * 1000) / munmap.munmapMs : 0,
      perSecondSteady: reports[UNMAPPER_CPU].walksPerSecondSteady ?? 0,
      ...walkerSide(reports),
      collisions: total('collisions'),
    },
    violations: {
      useAfterFree,
      perMillionPmds: (useAfterFree * 1e6) / Math.max(1, munmap.pmdsDone),
      firstAfterMs: violations.length > 0 ? violations[0].atMs - munmap.startedAtMs : null,
      first: violations.slice(0, 8),
    },
    counterDrift: walksStillCounted(machine),
    brokenInvariants: [],
    demonstrated: [],
    partial: munmap.aborted,
    watchdog: [...pool.watchdogReports],
  };
  // An interrupted run is reported as it stands; the machine is not reused after it.
  if (run.partial) return run;
  const freed = { frames: total('framesFreed'), pageTables: total('pageTablesFreed'), twice: total('doubleFrees') };
  const wrong = wrongPmds(machine, config.op, 0, munmap.pmdsDone);
  teardown_range_offline(machine, 0, config.hugePages);
  return { ...run, ...checkInvariants(machine, config, run, freed, total('halfStates'), wrong) };
}

/**
 * The configuration walker throughput alone is measured in (stress/walkers.ts, stress/sweep.ts):
 * one walker kind, back to back, every CPU busy, nothing unmapped.
 */
export function walkersAloneConfig(cpus: number, kind = 'find-pte', holdUs = 0, memory = '1G'): MunmapConfig {
  return parseMunmapArgs(['--cpus', String(cpus), '--memory', memory, '--workload', kind, '--hold-us', String(holdUs), '--walk-rate', '0', '--busy', '1']) as MunmapConfig;
}

/** Walker throughput alone: every CPU walks, nothing is unmapped. */
export interface WalkersOnlyRun {
  readonly strategy: string;
  readonly cpus: number;
  /** Walks per second on all CPUs together, over the second half of the run. */
  readonly walksPerSecond: number;
  readonly latencyUs: Percentiles;
}

/**
 * Run every CPU as a walker for `durationMs` under `strategyName`, with no munmap, and measure
 * the walkers over the second half (the JIT has settled by then). Uses the same machine setup,
 * plans and pool as runStrategy(); unmaps on the coordinator afterwards.
 */
export async function runWalkersOnly(pool: CpuPool, config: MunmapConfig, strategyName: string, runIndex: number, durationMs: number): Promise<WalkersOnlyRun> {
  const machine = pool.machine;
  resetMachine(pool, config.cpus);
  map_thp_range(machine, 0, config.hugePages);
  const plans = walkerPlans(config, strategyName, runIndex, () => 'walker');
  const running = pool.run(plans, config.timeoutS * 1000, () => {}, config.watchdog);
  const walked = () => sumStat(machine.cpuStats, machine.cpus, 'walks');
  await sleep(durationMs / 2);
  const [from, walksFrom] = [performance.now(), walked()];
  await sleep(durationMs / 2);
  const [to, walksTo] = [performance.now(), walked()];
  pool.stop();
  const reports = await running;
  teardown_range_offline(machine, 0, config.hugePages);
  return { strategy: strategyName, cpus: config.cpus, walksPerSecond: ((walksTo - walksFrom) * 1000) / (to - from), latencyUs: walkerSide(reports).latencyUs };
}

/**
 * Walk, then run the operation once, unmeasured, so that every worker's JIT has settled before
 * anything is measured.
 * Each worker compiles its own code with the share of a host core it gets, so the time grows
 * with oversubscription: measured here, walk throughput at 8 CPUs on 2 cores keeps rising for
 * about 1.2 s.
 */
export async function warmUpJit(pool: CpuPool, config: MunmapConfig): Promise<void> {
  const quiet = { ...config, faults: {} }; // faults are for the measured runs
  const oversubscription = (config.cpus + config.outsideCpus) / os.availableParallelism();
  const warmupMs = Math.min(JIT_WARMUP_MAX_MS, JIT_WARMUP_MS_PER_CORE_SHARE * Math.max(1, oversubscription));
  await runWalkersOnly(pool, quiet, 'none', -1, warmupMs);
  // And CPU 0's side: one unmeasured run of the operation itself, under none (quick at any size).
  await runStrategy(pool, quiet, 'none', -2);
}

const JIT_WARMUP_MS_PER_CORE_SHARE = 500;
/** Past this, a longer warm-up buys little: at 64x oversubscription a worker still gets its turns. */
const JIT_WARMUP_MAX_MS = 5_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the walkers reported about themselves: throughput, latency, kinds. */
function walkerSide(reports: readonly CpuRunReport[]) {
  const walkers = reports.filter((r) => r.walksByKind !== undefined);
  const byKind: { [kind: string]: number } = {};
  for (const r of walkers) for (const [kind, n] of Object.entries(r.walksByKind ?? {})) byKind[kind] = (byKind[kind] ?? 0) + n;
  const samples = walkers.map((r) => r.walkLatencyUs ?? new Float64Array());
  const latency = new Float64Array(samples.reduce((n, a) => n + a.length, 0));
  samples.reduce((offset, a) => (latency.set(a, offset), offset + a.length), 0);
  return {
    latencyUs: percentiles(latency),
    byKind,
    gupBackoffs: walkers.reduce((sum, r) => sum + (r.gupBackoffs ?? 0), 0),
    busyShare: walkers.length > 0 ? walkers.reduce((sum, r) => sum + (r.busyShare ?? 0), 0) / walkers.length : 0,
  };
}

/** One plan per CPU of the machine, with the role `roleOf` gives it. */
function walkerPlans(config: MunmapConfig, strategy: string, run: number, roleOf: (cpu: number) => CpuRunPlan['role']): CpuRunPlan[] {
  return Array.from({ length: config.cpus + config.outsideCpus }, (_, cpu) => ({
    strategy,
    role: roleOf(cpu),
    seed: config.seed,
    run,
    firstHpn: 0,
    hugePages: config.hugePages,
    workload: config.workload,
    op: config.op,
    fault: config.faults[cpu],
    budgetMs: config.budgetMs,
    warmupMs: config.warmupMs,
  }));
}

/**
 * Between runs, with every CPU idle: fresh run words, counts and statistics; CPUs below
 * `mmCpus` in mm_cpumask, the rest outside the mm.
 */
function resetMachine(pool: CpuPool, mmCpus: number): void {
  const { mm, cpuStats, cpuWords, cpus } = pool.machine;
  Atomics.store(mm, mmWord.runPhase, RunPhase.SETUP);
  Atomics.store(mm, mmWord.abort, 0);
  Atomics.store(mm, mmWord.cpusRunning, 0);
  Atomics.store(mm, mmWord.unmapCursor, -1);
  Atomics.store(mm, mmWord.locklessPgtblWalkCount, 0);
  cpuStats.fill(0);
  cpumask_clear(mm);
  for (let cpu = 0; cpu < cpus; cpu++) {
    if (cpu < mmCpus) cpumask_set_cpu(mm, cpu);
    Atomics.store(cpuWords, cpuWord(cpu, 'phase'), CpuPhase.IDLE);
    Atomics.store(cpuWords, cpuWord(cpu, 'locklessWalks'), 0);
  }
}
