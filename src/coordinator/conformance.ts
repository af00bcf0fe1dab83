// The conformance harness: every answer's declaration proved on real threads, as jcstress proves
// a test's outcomes. An answer that forbids every outcome holds every invariant under munmap,
// split and collapse with walkers hammering the PMDs being changed (SAFETY_RUNS); each outcome it
// declares interesting shows within the attempts its demonstration declares, and never under the
// answer it names as its fix. The harness returns what it found, with the rates: the suite
// (test/conformance/) asserts on it, and `stress/munmap.ts --demonstrate` prints it.

import { archSpec } from '../kernel/archs.ts';
import { WALKER_KIND_NAMES, walkerKind } from '../kernel/walker-kinds.ts';
import type { RunSpec, RunSpecOverrides } from '../spec/run-spec.ts';
import { strategyByName, type Outcome, type PgtblSyncStrategy } from '../strategies/index.ts';
import type { Demonstration } from '../strategies/strategy.ts';
import { outcomesShown } from './checks.ts';
import { CpuPool } from './cpu-pool.ts';
import { kernelOf, runSpec } from './run-spec.ts';
import { createMachine, runStrategy, type StrategyRun } from './runs.ts';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** A run every answer that claims safety must come through, as the harness declares it. */
export interface SafetyRun {
  readonly name: string;
  readonly spec: Omit<RunSpecOverrides, 'strategy'>;
  /** Whether its walkers aim at the PMDs being changed: then walks must meet the changes, or the run proved nothing. */
  readonly racing: boolean;
}

const EVERY_KIND = WALKER_KIND_NAMES.map((kind) => ({ kind, weight: 1 }));
const BUSY = { busy: 1, walkRate: 0 };

export const SAFETY_RUNS: readonly SafetyRun[] = [
  { name: 'munmap, every walker kind at once', spec: { op: 'munmap', machine: { cpus: 4, memoryBytes: 64 * MiB }, workload: { ...BUSY, mix: EVERY_KIND } }, racing: false },
  { name: 'split, every walker kind at once', spec: { op: 'split', machine: { cpus: 4, memoryBytes: 64 * MiB }, workload: { ...BUSY, mix: EVERY_KIND } }, racing: false },
  { name: 'collapse, every walker kind at once', spec: { op: 'collapse', machine: { cpus: 4, memoryBytes: 64 * MiB }, workload: { ...BUSY, mix: EVERY_KIND } }, racing: false },
  { name: 'munmap, walkers hammering the PMDs being cleared', spec: { op: 'munmap', machine: { cpus: 3, memoryBytes: 8 * GiB }, workload: { raceWindow: 2 } }, racing: true },
  { name: 'split, walkers hammering the PMDs being split', spec: { op: 'split', machine: { cpus: 3, memoryBytes: 4 * GiB }, workload: { raceWindow: 2 } }, racing: true },
  { name: 'collapse, walkers hammering the PTE pages being deposited', spec: { op: 'collapse', machine: { cpus: 3, memoryBytes: 8 * GiB }, workload: { raceWindow: 2 } }, racing: true },
  {
    name: 'collapse beside munmap, walkers hammering the PTE pages deposited and freed',
    spec: { op: 'collapse-munmap', machine: { cpus: 3, memoryBytes: 8 * GiB }, workload: { raceWindow: 2 } },
    racing: true,
  },
];

/**
 * `overrides` run under `strategy`, with every walker kind its kernel can run: after 5.8's
 * rework, not the hash MMU's, whose guard is not modelled (coordinator/run-spec.ts refuses it).
 */
export function conformanceSpec(overrides: Omit<RunSpecOverrides, 'strategy'>, strategy: string): RunSpec {
  // On the answer's own architecture (a version's; powerpc's for an answer), with the kinds of walker it has.
  const arch = overrides.machine?.arch ?? strategyByName(strategy).arches[0];
  const onArch = { ...overrides, strategy, machine: { ...overrides.machine, arch } };
  const mix = overrides.workload?.mix;
  const spec = runSpec({ ...onArch, workload: { ...overrides.workload, mix: undefined } });
  if (mix === undefined) return spec;
  const walks = (kind: string) => archSpec(arch).walkers === 'powerpc' || walkerKind(kind).arch === 'any';
  const guarded = (kind: string) => !kernelOf(spec).walkerGuards || kind !== 'hash-fault';
  return runSpec({ ...onArch, workload: { ...overrides.workload, mix: mix.filter(({ kind }) => walks(kind) && guarded(kind)) } });
}

/** What one answer's run of a safety run showed. */
export interface SafetyFinding {
  readonly strategy: string;
  readonly run: StrategyRun;
  /** What broke, in words; empty when the declaration held. */
  readonly failures: readonly string[];
}

/** Every answer of `strategies` through `safety`, on one pool. */
export async function checkSafety(safety: SafetyRun, strategies: readonly PgtblSyncStrategy[]): Promise<SafetyFinding[]> {
  const specs = strategies.map((strategy) => conformanceSpec(safety.spec, strategy.name));
  const findings: SafetyFinding[] = [];
  // One pool an architecture: their machines differ (PTE pages of 32 ptes or 512).
  for (const arch of new Set(specs.map((spec) => spec.machine.arch))) findings.push(...(await checkSafetyOn(specs.filter((spec) => spec.machine.arch === arch))));
  return strategies.map((strategy) => findings.find((f) => f.strategy === strategy.name)!);
}

async function checkSafetyOn(specs: readonly RunSpec[]): Promise<SafetyFinding[]> {
  const pool = await CpuPool.start(createMachine(specs[0]));
  try {
    const findings: SafetyFinding[] = [];
    for (const [i, spec] of specs.entries()) {
      const run = await runStrategy(pool, spec, i);
      const failures = [...run.brokenInvariants];
      if (run.pmdsDone !== spec.machine.hugePages) failures.push(`${run.pmdsDone} of ${spec.machine.hugePages} PMDs done`);
      findings.push({ strategy: spec.strategy, run, failures });
    }
    return findings;
  } finally {
    await pool.close();
  }
}

/** How one interesting outcome's demonstration went. */
export interface DemonstrationFinding {
  readonly strategy: string;
  readonly outcome: Outcome;
  readonly demonstration: Demonstration;
  /** The answer's runs: the last is the first that showed the outcome, if one did. */
  readonly runs: readonly StrategyRun[];
  readonly shown: boolean;
  /** The fix's runs under the same spec: as many as the answer's, two at least. */
  readonly fixRuns: readonly StrategyRun[];
  /** What went wrong with the declaration, in words; empty when it held. */
  readonly failures: readonly string[];
}

/** Whether `run` showed `outcome`. */
export const shows = (run: StrategyRun, outcome: Outcome): boolean =>
  outcomesShown({ useAfterFree: run.violations.useAfterFree, misreads: run.violations.misreads, counterDrift: run.counterDrift })[outcome];

/** The answer's demonstration of `outcome`, run as it declares, then its fix as many times. */
export async function checkDemonstration(strategy: PgtblSyncStrategy, outcome: Outcome, demonstration: Demonstration): Promise<DemonstrationFinding> {
  const spec = conformanceSpec(demonstration.spec, strategy.name);
  const fixSpec = conformanceSpec(demonstration.spec, demonstration.fixedBy);
  const pool = await CpuPool.start(createMachine(spec));
  try {
    const runs: StrategyRun[] = [];
    while (runs.length < demonstration.attempts && !runs.some((run) => shows(run, outcome))) runs.push(await runStrategy(pool, spec, runs.length));
    const fixRuns: StrategyRun[] = [];
    for (let i = 0; i < Math.max(2, runs.length); i++) fixRuns.push(await runStrategy(pool, fixSpec, runs.length + i));
    return judgeDemonstration(strategy.name, outcome, demonstration, runs, fixRuns);
  } finally {
    await pool.close();
  }
}

/** What a demonstration's runs, and its fix's, say of the declaration. */
export function judgeDemonstration(strategy: string, outcome: Outcome, demonstration: Demonstration, runs: readonly StrategyRun[], fixRuns: readonly StrategyRun[]): DemonstrationFinding {
  const shown = runs.some((run) => shows(run, outcome));
  const failures: string[] = [];
  if (!shown) failures.push(`${strategy}: ${outcome} not shown in ${runs.length} attempt(s) of its demonstration`);
  // What the answer shows must be what it declares: an outcome it forbids is a broken run.
  for (const run of runs) failures.push(...run.brokenInvariants.map((broken) => `${strategy}: ${broken}`));
  for (const run of fixRuns) {
    if (shows(run, outcome)) failures.push(`${demonstration.fixedBy}, its fix, showed ${outcome} too`);
    failures.push(...run.brokenInvariants.map((broken) => `${demonstration.fixedBy}: ${broken}`));
  }
  const met = fixRuns.reduce((sum, run) => sum + run.walks.collisions, 0);
  if (met === 0 && outcome !== 'counterDrift') failures.push(`${demonstration.fixedBy}: no walk met the operation in ${fixRuns.length} run(s): its "never" tested nothing`);
  return { strategy, outcome, demonstration, runs, shown, fixRuns, failures };
}

/** The rate a demonstration saw, as the suite's log and the command print it. */
export function describeDemonstration(f: DemonstrationFinding): string {
  const count = (run: StrategyRun) => (f.outcome === 'useAfterFree' ? run.violations.useAfterFree : f.outcome === 'misread' ? run.violations.misreads : Math.abs(run.counterDrift));
  const seen = f.runs.reduce((sum, run) => sum + count(run), 0);
  const pmds = f.runs.reduce((sum, run) => sum + run.pmdsDone, 0);
  const rate = f.outcome === 'counterDrift' ? `drift ${seen}` : `${seen} in ${pmds} PMDs (${((seen * 1e6) / Math.max(1, pmds)).toFixed(1)} per million)`;
  const fixSeen = f.fixRuns.reduce((sum, run) => sum + count(run), 0);
  return (
    `${f.strategy}: ${f.outcome} ${f.shown ? `shown in attempt ${f.runs.length} of ${f.demonstration.attempts}` : `NOT shown in ${f.runs.length} attempt(s)`}, ${rate}; ` +
    `${f.demonstration.fixedBy}: ${fixSeen} in ${f.fixRuns.length} run(s)`
  );
}
