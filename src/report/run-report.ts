// The report of a command's runs: the host and how oversubscribed it is, one table row per
// answer, a closing comparison in the seed's terms, and the same facts as JSON (schemaVersion 2;
// CHANGELOG.md says what changed).

import { formatSize } from '../base/sizes.ts';
import type { Workload } from '../spec/run-spec.ts';
import { pmd_is_leaf } from '../shared-memory/pgtable-entry.ts';
import { FLOOR, interestingOutcomes, strategyByName, type Outcome } from '../strategies/index.ts';
import { outcomesShown, verdict } from '../coordinator/checks.ts';
import type { Estimate } from '../coordinator/estimate.ts';
import { describeWatchdog } from '../coordinator/ipi-watchdog.ts';
import type { RunSpec } from '../spec/run-spec.ts';
import type { StrategyRun, Violation } from '../coordinator/runs.ts';
import { hostInfo, hostLine, type HostInfo } from '../base/host.ts';
import { textTable } from '../base/text-table.ts';

/** The JSON's shape: its version, raised when a field is renamed or removed (CHANGELOG.md). */
export const SCHEMA_VERSION = 2;

export interface RunReport {
  readonly schemaVersion: typeof SCHEMA_VERSION;
  readonly host: HostInfo;
  /** The run's configuration, its walker workload flattened in. */
  readonly config: Workload & {
    readonly op: string;
    readonly cpus: number;
    readonly outsideCpus: number;
    readonly memoryBytes: number;
    readonly thpBytes: number;
    readonly basePageBytes: number;
    readonly pmds: number;
    readonly seed: number;
    readonly warmupMs: number;
    /** Emulated CPUs per host core. */
    readonly oversubscription: number;
  };
  readonly runs: readonly (StrategyRun & { readonly walks: StrategyRun['walks'] & { readonly overheadVsNone?: WalkerOverhead } })[];
}

/** What a strategy costs the walkers, against `none` on the same workload and seed. */
export interface WalkerOverhead {
  /** Throughput lost, as a fraction: 0.03 is 3% fewer walks per second than under none. */
  readonly throughputLoss: number;
  /** Walk latency p50 and p99 as a ratio to none's. */
  readonly p50Ratio: number;
  readonly p99Ratio: number;
}

function walkerOverhead(run: StrategyRun, none: StrategyRun): WalkerOverhead {
  const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);
  return {
    throughputLoss: 1 - ratio(run.walks.perSecondSteady, none.walks.perSecondSteady),
    p50Ratio: ratio(run.walks.latencyUs.p50, none.walks.latencyUs.p50),
    p99Ratio: ratio(run.walks.latencyUs.p99, none.walks.latencyUs.p99),
  };
}

export function buildReport(spec: RunSpec, runs: readonly StrategyRun[], host = hostInfo()): RunReport {
  const { machine } = spec;
  return {
    schemaVersion: SCHEMA_VERSION,
    host,
    config: {
      op: spec.op,
      cpus: machine.cpus,
      outsideCpus: machine.outsideCpus,
      memoryBytes: machine.memoryBytes,
      thpBytes: machine.thpBytes,
      basePageBytes: machine.basePageBytes,
      pmds: machine.hugePages,
      seed: spec.seed,
      ...spec.workload,
      warmupMs: spec.warmupMs,
      oversubscription: (machine.cpus + machine.outsideCpus) / host.cores,
    },
    runs: runs.map((run) => {
      const none = runs.find((r) => r.strategy === FLOOR.name);
      return none ? { ...run, walks: { ...run.walks, overheadVsNone: walkerOverhead(run, none) } } : run;
    }),
  };
}

export function formatHeader(report: RunReport): string {
  const { host, config } = report;
  const factor = config.oversubscription;
  const share =
    factor > 1
      ? `${factor.toFixed(1)}x oversubscribed: a CPU's thread is often not on a core, and an IPI to it waits for the host scheduler`
      : 'one host core or more per emulated CPU';
  const aim = config.raceWindow > 0 ? `walkers aim at the ${config.raceWindow} huge page(s) from the unmap cursor on` : 'walkers walk anywhere in the range';
  return [
    hostLine(host),
    `machine: ${config.cpus} emulated CPUs (CPU 0 unmaps, ${config.cpus - 1} walk)` +
      (config.outsideCpus > 0 ? ` + ${config.outsideCpus} outside the mm (idle)` : '') +
      ` on ${host.cores} host cores, ${share}`,
    `memory: ${formatSize(config.memoryBytes)} of ${formatSize(config.thpBytes)} THPs (${formatSize(config.basePageBytes)} base pages, ` +
      `${config.thpBytes / config.basePageBytes} ptes a PTE page) = ${config.pmds} PMDs, CPU 0 does ${config.op} on each; ` +
      `walkers busy ${percent(config.busy)} of the time` + (config.busy < 1 ? ` in ${+config.dutyMs.toFixed(1)} ms cycles, ` : ', ') +
      (config.walkRate > 0 ? `${config.walkRate.toLocaleString('en-US')} IRQ-off stretches/s when busy` : 'walking back to back when busy') +
      `, seed ${config.seed}`,
    `walkers: ${config.mix.map((s) => `${s.kind}:${s.weight}`).join(' ')}; ` +
      (config.holdUs === undefined ? "each kind's own hold with IRQs off" : `${config.holdUs} us per walk with IRQs off`),
    `race: ${aim}`,
    describeLoad(config.cpus - 1, config.busy, host.cores, config.dutyMs),
  ].join('\n');
}

/**
 * What the run asks of the host: the walkers' busy shares and CPU 0, against its cores; and,
 * where there are many, how often the idle walkers wake, since each wake-up is a context switch.
 */
export function describeLoad(walkers: number, busy: number, cores: number, dutyMs: number): string {
  const asked = walkers * busy;
  const fits = asked + 1 <= cores;
  const wakeUps = busy < 1 ? (walkers * 1000) / dutyMs : 0;
  return (
    `load: the walkers ask for ${asked.toFixed(asked < 10 ? 2 : 0)} of the ${cores} host cores (${walkers} x ${percent(busy)} busy), CPU 0 for 1: ` +
    (fits ? 'the host has room for both' : 'the host is short of cores, so every CPU waits for its turn and the figures include those waits') +
    (wakeUps > MANY_WAKE_UPS_PER_S
      ? `; and they wake ${Math.round(wakeUps).toLocaleString('en-US')} times/s (each once per ${dutyMs} ms), which alone can take the host: a longer --duty-ms wakes them less`
      : '')
  );
}

/** Past this many wake-ups a second the host's scheduler is the bottleneck (docs/measurements.md, "Many CPUs"). */
const MANY_WAKE_UPS_PER_S = 100_000;

/** A column: its title (the operation's name in it, where it says OP), and each run's cell. */
type Column = { readonly title: string; readonly cell: (run: StrategyRun, floor: StrategyRun | undefined) => string };

const COLUMNS: readonly Column[] = [
  { title: 'strategy', cell: (r) => r.strategy + (r.safe ? '' : ' (unsafe)') + (r.partial ? ' PARTIAL' : '') },
  { title: 'PMDs', cell: (r) => `${r.pmdsDone}/${r.pmds}` },
  { title: 'OP ms', cell: (r) => (r.estimated ? '~' : '') + fixed(r.opMs) },
  { title: 'x none', cell: (r, none) => (none ? `${fixed(r.opMs / Math.max(none.opMs, 1e-3))}x` : '-') },
  { title: 'all freed ms', cell: (r) => fixed(r.allFreedMs) },
  { title: 'us/PMD', cell: (r) => fixed(r.estimate ? r.estimate.perPmdUs.mean : (r.opMs * 1000) / Math.max(1, r.pmdsDone)) },
  { title: 'TLB flushes', cell: (r) => `${r.tlb.flushes}` },
  { title: 'flush ms', cell: (r) => fixed(r.tlb.flushUs / 1000) },
  { title: 'IPIs sent', cell: (r) => `${r.ipis.sent}` },
  // Why they were sent: serialize_against_pte_lookup() and the answers' rounds / TLB shootdowns / tlb_remove_table_sync_one().
  { title: 'serialize/flush/sync', cell: (r) => `${r.ipis.byReason.serialize}/${r.ipis.byReason.tlbFlush}/${r.ipis.byReason.tableSync}` },
  { title: 'acked', cell: (r) => `${r.ipis.acked}` },
  { title: 'skipped', cell: (r) => `${r.ipis.skipped}` },
  { title: 'serialize us p50/p99/max', cell: (r) => `${fixed(r.serializeUs.p50)}/${fixed(r.serializeUs.p99)}/${fixed(r.serializeUs.max)}` },
  { title: 'walks/s', cell: (r) => Math.round(r.walks.perSecondSteady).toLocaleString('en-US') },
  // Sampled one stretch in 16 before the operation: walkers that walk rarely may give none.
  { title: 'walk us p50/p99', cell: (r) => (r.walks.latencyUs.count > 0 ? `${fixed(r.walks.latencyUs.p50)}/${fixed(r.walks.latencyUs.p99)}` : '-') },
  { title: 'collisions', cell: (r) => `${r.walks.collisions}` },
  { title: 'use-after-free', cell: (r) => `${r.violations.useAfterFree}` },
  { title: 'misreads', cell: (r) => `${r.violations.misreads}` },
  { title: 'invariants', cell: (r) => verdict(strategyByName(r.strategy), r) },
];

/** One row per strategy; ratios are to the floor's run when it is in the table. */
export function formatTable(runs: readonly StrategyRun[]): string {
  const none = runs.find((r) => r.strategy === FLOOR.name);
  const op = runs[0]?.op ?? 'munmap';
  return textTable(
    COLUMNS.map((c) => c.title.replace('OP', op)),
    runs.map((run) => COLUMNS.map((c) => c.cell(run, none))),
    { rule: true },
  );
}

/** Each outcome, as a finding names it. */
const OUTCOME_WORDS: { readonly [outcome in Outcome]: string } = { useAfterFree: 'use-after-free', misread: 'misread', counterDrift: 'count drift' };

/** What went wrong, one line each, each unsafe strategy's verdict, and the seed-style comparison. */
export function formatFindings(runs: readonly StrategyRun[]): string {
  const lines: string[] = [];
  for (const run of runs) {
    for (const { outcome, declared } of interestingOutcomes(strategyByName(run.strategy))) {
      if ('hostCannotShow' in declared) lines.push(`${run.strategy}: ${OUTCOME_WORDS[outcome]} not shown on this host: ${declared.hostCannotShow}`);
    }
    for (const broken of run.brokenInvariants) lines.push(`${run.strategy}: INVARIANT BROKEN: ${broken}`);
    for (const v of run.violations.first) lines.push(`${run.strategy}: ${describeViolation(v)}`);
    for (const w of run.watchdog) lines.push(`${run.strategy}: ${describeWatchdog(w)}`);
    if (run.partial) lines.push(`${run.strategy}: PARTIAL: interrupted after ${run.pmdsDone} of ${run.pmds} PMDs`);
    const ipiLine = describeIpis(run);
    if (ipiLine) lines.push(`${run.strategy}: ${ipiLine}`);
    if (run.estimate) lines.push(`${run.strategy}: ${describeEstimate(run.op, run.estimate, run.pmds)}`);
    else if (!run.safe) lines.push(...unsafeVerdict(run));
  }
  const safe = runs.filter((r) => r.safe && r.pmdsDone > 0);
  if (safe.length >= 2) {
    const slowest = safe.reduce((a, b) => (b.opMs > a.opMs ? b : a));
    const fastest = safe.reduce((a, b) => (b.opMs < a.opMs ? b : a));
    if (slowest !== fastest) {
      const said = (r: StrategyRun) => `${r.strategy} ${r.estimated ? '~' : ''}${seconds(r.opMs)}${r.estimated ? ' (estimated)' : ` with ${r.ipis.sent} IPIs`}`;
      lines.push(`${slowest.op} of ${slowest.pmds} PMDs: ${said(slowest)}, ${said(fastest)}: ${(slowest.opMs / Math.max(fastest.opMs, 1e-3)).toFixed(0)}x faster`);
    }
  }
  return lines.join('\n');
}

/**
 * Where a run's IPIs went, where that says more than their number: table syncs per PMD (what
 * the 2026 series set out to remove), shootdowns skipped (lazy CPUs, preempted vCPUs), the
 * host's preemptions, the batch failures' waits. Undefined when there is nothing of it.
 */
export function describeIpis(run: StrategyRun): string | undefined {
  const { byReason, flushSkipped } = run.ipis;
  const parts: string[] = [];
  const perPmd = (n: number) => (run.pmdsDone > 0 ? ` (${(n / run.pmdsDone).toFixed(1)} a PMD)` : '');
  if (byReason.tableSync > 0) parts.push(`${byReason.tableSync.toLocaleString('en-US')} table-sync IPIs${perPmd(byReason.tableSync)}`);
  if (byReason.tlbFlush > 0 || flushSkipped.lazy + flushSkipped.preempted > 0) {
    const skipped = [flushSkipped.lazy > 0 ? `${flushSkipped.lazy} to lazy-TLB CPUs` : '', flushSkipped.preempted > 0 ? `${flushSkipped.preempted} to preempted vCPUs` : ''].filter(Boolean);
    parts.push(`${byReason.tlbFlush.toLocaleString('en-US')} shootdown IPIs${perPmd(byReason.tlbFlush)}${skipped.length > 0 ? `, ${skipped.join(' and ')} not sent` : ''}`);
  }
  const { preemptions, preemptedMs, lazyFlushes, deferredFlushes } = run.vcpus;
  if (preemptions > 0) parts.push(`vCPUs preempted ${preemptions} times (${fixed(preemptedMs)} ms), ${deferredFlushes} flushes done for them as they ran again`);
  if (lazyFlushes > 0) parts.push(`${lazyFlushes} flushes done by CPUs leaving lazy-TLB mode`);
  const { removed, batchFails, gracePeriodsWaited } = run.tables;
  if (batchFails > 0) {
    const waited = gracePeriodsWaited > 0 ? `${gracePeriodsWaited} grace periods waited` : byReason.tableSync > 0 ? 'each waited for table-sync IPIs' : 'none waited (the answer skipped the wait)';
    parts.push(`${batchFails} of ${removed} page tables found no batch page: ${waited}`);
  }
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** Both sides of one violation: what the walker read, and what the unmapper read and did. */
export function describeViolation(v: Violation): string {
  const loaded = `loaded PMD 0x${v.pmd.toString(16)} (${pmd_is_leaf(v.pmd) ? 'a THP leaf' : 'pointing at a PTE page'})`;
  const unmapper =
    v.unmapperSentIpis === 0
      ? 'the unmapper had changed that PMD, then saw no walk in flight and sent no IPI'
      : `the unmapper had changed that PMD and sent ${v.unmapperSentIpis} IPI(s)`;
  const where = `on CPU ${v.cpu} (${v.kind}), huge page ${v.hpn}`;
  switch (v.what) {
    case 'table-as-leaf':
      return `misread ${where}: the walker ${loaded}, kept a pointer to it, and read it again as a leaf when it had become a pointer to PTE page ${v.page} (the pmd_t -> pte_t cast of a split); ${unmapper}`;
    case 'deposited-table':
      return `misread ${where}: the walker ${loaded} and read PTE page ${v.page} after it was deposited, taking its list pointers for a pte; ${unmapper}`;
    default: {
      const page = v.what === 'frame' ? `frame ${v.page}` : `PTE page ${v.page}`;
      const walker = v.freeOnArrival
        ? `${loaded} and found ${page} already freed`
        : `${loaded} and was using ${page} when it was freed (generation ${v.generationSeen} -> ${v.generationNow})`;
      return `use-after-free ${where}: the walker ${walker}; ${unmapper}`;
    }
  }
}

/** What an unsafe strategy's run showed, as its expectations say: its bug demonstrated, or what it allows. */
function unsafeVerdict(run: StrategyRun): string[] {
  const v = run.violations;
  const strategy = strategyByName(run.strategy);
  const interesting = interestingOutcomes(strategy);
  if (run.demonstrated.length === 0) {
    // Only a bug the answer exists to show is worth chasing with its declared demonstration.
    if (!interesting.some(({ declared }) => 'demonstrate' in declared)) return [];
    return [`${run.strategy} (unsafe): no failure shown this run, ${run.walks.collisions} collisions; see it with npx tsx stress/munmap.ts --demonstrate ${run.strategy}`];
  }
  const shown: string[] = [];
  if (v.useAfterFree > 0) {
    const first = v.firstAfterMs === null ? '' : `, the first ${fixed(v.firstAfterMs)} ms into the ${run.op}`;
    shown.push(`${v.useAfterFree} use-after-free in ${run.pmdsDone} PMDs (${fixed(v.perMillionPmds)} per million)${first}, ${run.walks.collisions} collisions`);
  }
  if (v.misreads > 0) {
    shown.push(`${v.misreads} misread(s) by ${run.kernel.walkerStyle} walkers: page-table data of another kind taken for a walker's own, the hazard serialize_against_pte_lookup() existed for`);
  }
  if (run.counterDrift !== 0) {
    shown.push(
      `lost updates left the walk count at ${run.counterDrift} instead of 0: while it is off 0 every PMD pays ` +
        'for an IPI round, and where it reads 0 with walks in flight a page can be freed under them',
    );
  }
  const shownInteresting = interesting.filter(({ outcome }) => outcomesShown({ useAfterFree: v.useAfterFree, misreads: v.misreads, counterDrift: run.counterDrift })[outcome]);
  const said = shownInteresting.length > 0 ? `DEMONSTRATED (${shownInteresting.map(({ declared }) => declared.desc).join('; ')})` : 'shown, as it allows';
  return [`${run.strategy} (unsafe): ${said}: ${shown.join('; ')}`];
}

function describeEstimate(op: string, e: Estimate, pmds: number): string {
  return (
    `ESTIMATED: CPU 0 stopped at the time budget after ${e.measuredPmds} of ${pmds} PMDs (${seconds(e.measuredMs)}); ` +
    `at ${fixed(e.perPmdUs.mean)} us per PMD (serialize sd ${fixed(e.perPmdUs.sd)} us), the whole ${op} would take ` +
    `~${seconds(e.measuredMs + ((pmds - e.measuredPmds) * e.perPmdUs.mean) / 1000)} (95%: ${seconds(e.lowMs)} to ${seconds(e.highMs)}, ` +
    (e.transientPmds > 0 ? `projected from the PMDs after the first ${e.transientPmds}, a start unlike the rest; ` : '') +
    (e.batches > 0 ? `from ${e.batches} batches of the PMDs and their drift, ${e.driftUs >= 0 ? '+' : ''}${fixed(e.driftUs)} us per PMD from the first half to the second)` : 'too few PMDs done to say more)')
  );
}

/** A share as a percentage, with no more digits than it needs: 0.005 is 0.5%. */
function percent(share: number): string {
  return `${+(share * 100).toFixed(2)}%`;
}

function fixed(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function seconds(ms: number): string {
  if (ms >= 2 * 3600_000) return `${(ms / 3600_000).toFixed(1)} h`;
  if (ms >= 120_000) return `${(ms / 60_000).toFixed(1)} min`;
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${fixed(ms)} ms`;
}
