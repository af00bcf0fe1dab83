// The JIT warm-up, the coordinator's side: before anything is measured on a pool of CPUs, each
// CPU's code is optimised for everything the session will run on it, and is seen to be.
//   1. feedback: under each strategy in turn, a short run of walkers alone, every CPU walking
//      back to back in busy stretches, through the phases of a run. V8 optimises for what it has seen: a call
//      site that has seen one strategy's hooks, or a path never taken (a change of phase, a
//      walk that holds its page), is compiled as a deoptimisation, and was thrown away, then
//      recompiled, in the middle of the first measured run;
//   2. the operation: one short run of it under each strategy, so that CPU 0's side is warm
//      too, and the walkers have met PMDs being cleared and walked at the workload's pace;
//   3. settle: every CPU walks until its walks per millisecond of its own thread's CPU time are
//      steady, at the rate the others settled at (cpu-worker/walk-rate-settle.ts), a host
//      core's worth of CPUs at a time, so that V8's compiler threads, which every CPU shares,
//      get the rest of the host (cpu-worker/jit-warm-up.ts says why).

import os from 'node:os';
import type { WarmUpReport } from '../cpu-worker/jit-warm-up.ts';
import { SETTLE_LIMITS } from '../cpu-worker/walk-rate-settle.ts';
import type { ThreadClock } from '../cpu-worker/thread-clock.ts';
import { map_thp_range, teardown_range_offline } from '../kernel/map-thp.ts';
import { mmWord } from '../shared-memory/mm.ts';
import { medianRange, type MedianRange } from '../base/statistics.ts';
import type { CpuPool } from './cpu-pool.ts';
import type { RunSpec } from '../spec/run-spec.ts';
import { WarmUpRun, cpuPlans, resetMachine, runStrategy, runWalkersOnly, sleep } from './runs.ts';

/** What a pool will be used for, so that its warm-up covers it. */
export interface WarmUpSpec {
  /** Every answer the session will run on the pool, by name. */
  readonly strategies: readonly string[];
  /** Whether it runs the operation (munmap, split, collapse), or walkers alone. */
  readonly operation: boolean;
}

/** How the warm-up went, for the start-up line and the JSON. */
export interface JitWarmUp {
  readonly cpus: number;
  /** CPUs whose walk rate settled, and those that gave up (by CPU number). */
  readonly settled: number;
  readonly unsettled: readonly number[];
  /** The settled CPUs' walks per millisecond of their thread's CPU time... */
  readonly walksPerCpuMs: MedianRange;
  /** ...and each CPU's, by CPU number (its last rate, for one that did not settle). */
  readonly walksPerCpuMsByCpu: readonly number[];
  /** The thread clock the CPUs measured with. */
  readonly clock: ThreadClock['source'];
  /** Every CPU's turns to walk while settling, in each round (performance.timeOrigin + now, ms). */
  readonly turns: readonly WarmUpTurn[];
}

export interface WarmUpTurn {
  readonly cpu: number;
  readonly round: number;
  readonly fromMs: number;
  readonly toMs: number;
}

/** The operation's warm-up runs stop after this long each; the rest of the range is torn down. */
const OPERATION_WARM_UP_MS = 200;
/**
 * A feedback run lasts this many of the walkers' busy/idle cycles, and no less than
 * FEEDBACK_MIN_MS: every walker walks a busy stretch each cycle.
 */
const FEEDBACK_CYCLES = 4;
const FEEDBACK_MIN_MS = 200;
/** How often the coordinator looks whether every CPU has settled. */
const POLL_MS = 20;

/** Warm `pool` up for `warmUp`; `say` hears how far it has got, a few words at a time (for a terminal's status line). */
export async function warmUpJit(pool: CpuPool, spec: RunSpec, { strategies, operation }: WarmUpSpec, say: (progress: string) => void = () => {}): Promise<JitWarmUp> {
  const cores = os.availableParallelism();
  const quiet: RunSpec = { ...spec, faults: {} }; // faults are for the measured runs
  const backToBack = (holdUs: number | undefined, busy: number) => ({ ...quiet.workload, holdUs, walkRate: 0, busy });
  // Walks back to back with the workload's holds, the walkers asking for the host's cores and no
  // more: with all 1023 of them busy at once, 22 CPUs had not seen the run stop a minute later.
  const feedback = backToBack(quiet.workload.holdUs, Math.min(1, cores / pool.machine.cpus));
  const feedbackMs = Math.max(FEEDBACK_MIN_MS, FEEDBACK_CYCLES * quiet.workload.dutyMs);
  for (const [i, strategy] of strategies.entries()) {
    say(`warming up: ${strategy}'s walks (${i + 1} of ${strategies.length})`);
    await runWalkersOnly(pool, { ...quiet, strategy, workload: feedback }, WarmUpRun.FEEDBACK, feedbackMs);
  }
  if (operation) {
    const budgetMs = Math.min(spec.budgetMs ?? Infinity, OPERATION_WARM_UP_MS);
    for (const strategy of strategies) {
      say(`warming up: ${spec.op} under ${strategy}`);
      await runStrategy(pool, { ...quiet, strategy, budgetMs }, WarmUpRun.OPERATION);
    }
  }
  // Holding nothing, so that the rate measures the code and not the workload's pauses.
  const settling: RunSpec = { ...quiet, strategy: strategies[0] ?? spec.strategy, workload: backToBack(0, 1) };
  const settleProgress = (round: number) => (done: number, of: number) => say(`warming up: settling walk rates${round > 0 ? ` again (round ${round + 1})` : ''}, ${done}/${of} CPUs done`);
  let reports = await settle(pool, settling, cores, () => true, 0, settleProgress(0));
  const turns = turnsOf(reports, 0);
  // The first CPUs to settle had nobody to compare with, and the compiles the feedback runs
  // queued for every CPU may have held theirs up: a CPU well below the best settles again,
  // against the best.
  for (let round = 1; round < SETTLE_ROUNDS; round++) {
    const best = Math.max(0, ...reports.filter((r) => r.state === 'settled').map((r) => r.walksPerCpuMs));
    const lagging = (r: WarmUpReport) => r.state !== 'settled' || r.walksPerCpuMs < SETTLE_LIMITS.referenceShare * best;
    if (!reports.some(lagging)) break;
    const again = await settle(pool, settling, cores, (cpu) => lagging(reports[cpu]), best, settleProgress(round));
    turns.push(...turnsOf(again, round));
    reports = reports.map((r, cpu) => (lagging(r) ? again[cpu] : r));
  }
  return summarise(reports, turns);
}

const turnsOf = (reports: readonly WarmUpReport[], round: number): WarmUpTurn[] => reports.flatMap(({ turn }, cpu) => (turn ? [{ cpu, round, ...turn }] : []));

/** Settling rounds at most: the second and third for the CPUs that lag. */
const SETTLE_ROUNDS = 3;

/**
 * The CPUs `settles` picks walk until they have settled, `atOnce` at a time, against the best
 * rate `reference` (walks per CPU ms, 0 if none yet); done when every one of them is.
 */
async function settle(
  pool: CpuPool,
  spec: RunSpec,
  atOnce: number,
  settles: (cpu: number) => boolean,
  reference: number,
  progress: (done: number, of: number) => void,
): Promise<WarmUpReport[]> {
  const machine = pool.machine;
  resetMachine(pool, spec.machine.cpus);
  Atomics.store(machine.mm, mmWord.warmRate, Math.round(reference * 1000));
  map_thp_range(machine, 0, spec.machine.hugePages);
  // The CPUs that settle take their places in the line in the order of their numbers.
  let places = 0;
  const plans = cpuPlans(spec, WarmUpRun.SETTLE, () => 'walker').map((plan, cpu) => ({ ...plan, warmUp: { atOnce, place: settles(cpu) ? places++ : undefined } }));
  const running = pool.run(plans, spec.timeoutS * 1000, () => {}, spec.watchdog);
  // Each CPU counts itself done (an interrupt stops them all, and they count themselves then
  // too), then idles until the run stops. A CPU that fails rejects `running`.
  for (let done; (done = Atomics.load(machine.mm, mmWord.warmedCpus)) < machine.cpus; ) {
    progress(done, machine.cpus);
    await Promise.race([sleep(POLL_MS), running]);
  }
  pool.stop();
  const reports = await running;
  teardown_range_offline(machine, 0, spec.machine.hugePages);
  return reports.map((r) => {
    if (!r.warmUp) throw new Error(`CPU ${r.cpu} returned no warm-up report`);
    return r.warmUp;
  });
}

function summarise(reports: readonly WarmUpReport[], turns: readonly WarmUpTurn[]): JitWarmUp {
  const rates = reports.filter((r) => r.state === 'settled').map((r) => r.walksPerCpuMs);
  return {
    cpus: reports.length,
    settled: rates.length,
    unsettled: reports.flatMap((r, cpu) => (r.state === 'settled' ? [] : [cpu])),
    walksPerCpuMs: medianRange(rates),
    walksPerCpuMsByCpu: reports.map((r) => Math.round(r.walksPerCpuMs)),
    clock: reports[0]?.clock ?? 'wall',
    turns,
  };
}
