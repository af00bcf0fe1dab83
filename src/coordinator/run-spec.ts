// One run, as a typed value: the machine, the walkers' workload, the operation, the strategy,
// the faults and the budget. Its defaults come from the option table (run-options.ts); a script
// or a test builds one with runSpec({ ...overrides }), and the command line builds one from what
// the user typed. Nothing else parses a command line to describe a run.

import { parseOptions, type OptionValues } from '../base/option-table.ts';
import { UsageError } from '../base/usage-error.ts';
import { formatSize } from '../base/sizes.ts';
import type { FaultKind } from '../cpu-worker/faults.ts';
import type { Workload } from '../cpu-worker/run.ts';
import { DEFAULT_HZ, TLBIE_US, maxGatherBatch, type KernelConfig } from '../kernel/kernel-config.ts';
import type { PmdOp } from '../kernel/pmd-ops.ts';
import { WORKLOAD_PROFILES } from '../kernel/walker-kinds.ts';
import { MAX_CPUS } from '../shared-memory/mm.ts';
import { PTRS_PER_TABLE } from '../shared-memory/pgtable-entry.ts';
import { FLOOR, strategyByName, type PgtblSyncStrategy } from '../strategies/index.ts';
import { RUN_OPTIONS, autoDutyMs, type RunOptions } from './run-options.ts';

/** THP sizes of book3s64: 2M under the radix MMU, 16M under the hash MMU with 64K pages. */
export const THP_SIZES: readonly number[] = [2 ** 21, 2 ** 24];
/** Base page sizes: 64K (ppc64le's), 4K. */
export const BASE_PAGE_SIZES: readonly number[] = [2 ** 16, 2 ** 12];
/** The most huge pages one run maps: 4 TiB of 2M THPs. Refused before anything is allocated. */
export const MAX_HUGE_PAGES = 2 ** 21;
/** Split and collapse need a PTE page per huge page: 64K of them, 128 MiB of arena, at most. */
export const MAX_PTE_MAPPED_HUGE_PAGES = 2 ** 16;

export interface MachineSpec {
  /** Emulated CPUs of the mm: CPU 0 runs the operation, the others walk. */
  readonly cpus: number;
  /** Online CPUs that never ran the mm: they only idle, and only sync-one interrupts them. */
  readonly outsideCpus: number;
  readonly memoryBytes: number;
  readonly thpBytes: number;
  /** The base page: 64K on ppc64le, 4K elsewhere. A PTE page maps a THP's worth of them. */
  readonly basePageBytes: number;
  /** memoryBytes / thpBytes: the PMDs the operation goes over. */
  readonly hugePages: number;
  /** thpBytes / basePageBytes: the ptes of a PTE page. */
  readonly ptesPerPmd: number;
}

export interface WatchdogSpec {
  readonly thresholdMs: number;
  /** On a report: keep waiting (the report is kept and shown), or abort the run. */
  readonly onStuck: 'wait' | 'abort';
}

export interface RunSpec {
  /** What CPU 0 does to every PMD of the range. */
  readonly op: PmdOp;
  readonly strategy: PgtblSyncStrategy;
  readonly machine: MachineSpec;
  readonly workload: Workload;
  readonly seed: number;
  /** Walkers run this long before CPU 0 starts; its second half measures them. */
  readonly warmupMs: number;
  /** A run not done after this long is reported stuck. */
  readonly timeoutS: number;
  /** Faults to inject, by CPU. */
  readonly faults: { readonly [cpu: number]: FaultKind };
  /** CPU 0 stops after this many milliseconds and the rest is estimated; undefined: no limit. */
  readonly budgetMs: number | undefined;
  readonly watchdog: WatchdogSpec;
  /** The kernel below the strategy, as far as chosen; the rest is the strategy's kernel (kernelOf()). */
  readonly kernel: Partial<KernelConfig>;
}

/** What a caller changes from the defaults; anything left out keeps its default. */
export interface RunSpecOverrides {
  /** A named scenario's values, under the other overrides. */
  readonly preset?: PresetName;
  readonly op?: PmdOp;
  readonly strategy?: string | PgtblSyncStrategy;
  readonly machine?: Partial<Omit<MachineSpec, 'hugePages' | 'ptesPerPmd'>>;
  readonly workload?: WorkloadOverrides;
  readonly seed?: number;
  readonly warmupMs?: number;
  readonly timeoutS?: number;
  readonly faults?: { readonly [cpu: number]: FaultKind };
  readonly budgetMs?: number | undefined;
  readonly watchdog?: Partial<WatchdogSpec>;
  readonly kernel?: Partial<KernelConfig>;
}

/** A workload's changes from the defaults; `dutyMs: 'auto'` is resolved with the walker count. */
export type WorkloadOverrides = Partial<Omit<Workload, 'dutyMs'>> & { readonly dutyMs?: number | 'auto' };

export interface Preset {
  readonly spec: Omit<RunSpecOverrides, 'preset'>;
  /** The strategies the scenario compares. */
  readonly strategies: readonly string[];
}

/** Named scenarios: values for several options at once; what is given besides still wins. */
export const PRESETS = {
  // The seed's: qemu with 128 vCPUs unmapping 496 GB of THP memory. The vCPUs are mostly
  // halted and walk the host's page tables now and then, which is why the seed's counter
  // almost always read zero. Busy 0.5% of the time, the 127 walkers ask for 0.64 of a host
  // core, so a 2-core host still has one for CPU 0: the figures measure the strategies, not
  // threads queueing for a core (at 2% the walkers alone would ask for 2.5 cores).
  'qemu-128': {
    spec: {
      machine: { cpus: 128, memoryBytes: 496 * 2 ** 30, thpBytes: 2 ** 21 },
      workload: { mix: WORKLOAD_PROFILES['qemu-guest'], busy: 0.005, dutyMs: 50, walkRate: 200 },
      budgetMs: 60_000,
      // 127 CPU threads on a few host cores: a thread can wait seconds for its turn.
      watchdog: { thresholdMs: 60_000 },
    },
    strategies: ['ipi-broadcast', 'counter', 'percpu', 'stale-tolerant'],
  },
} as const satisfies { readonly [name: string]: Preset };

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/**
 * Under race amplification: one kind of short walk, back to back, so that walks and clears
 * really meet; each holds its page for 1 us, enough to outlast a PMD clear, its flush and the
 * free of its page when a strategy misses the walk.
 */
const RACE_WORKLOAD: WorkloadOverrides = { mix: WORKLOAD_PROFILES['find-pte'], holdUs: 1, walkRate: 0, busy: 1 };

/** The run the option table describes when nothing is given. */
let tableDefaults: RunSpecOverrides | undefined;

/** A run: the defaults, under the preset, under race-amplification defaults, under `overrides`. */
export function runSpec(overrides: RunSpecOverrides = {}): RunSpec {
  tableDefaults ??= fromOptionValues(parseOptions(RUN_OPTIONS, {}));
  const preset: Preset | undefined = overrides.preset === undefined ? undefined : PRESETS[overrides.preset];
  const racing = (overrides.workload?.raceWindow ?? preset?.spec.workload?.raceWindow ?? 0) > 0;
  const layers = [tableDefaults, preset?.spec ?? {}, racing ? { workload: RACE_WORKLOAD } : {}, overrides];
  return validated(layers.reduce(merge));
}

/** The configuration walker throughput alone is measured in: one kind, back to back, every CPU busy. */
export function walkersAloneSpec(cpus: number, kind = 'find-pte', holdUs = 0, memoryBytes = 2 ** 30): RunSpec {
  return runSpec({ machine: { cpus, memoryBytes }, workload: { mix: [{ kind, weight: 1 }], holdUs, walkRate: 0, busy: 1 } });
}

/** The overrides that option values (as parsed from the table; undefined where not given) stand for. */
export function fromOptionValues(v: Partial<OptionValues<RunOptions>>): RunSpecOverrides {
  return {
    ...given({ op: v.op, seed: v.seed, warmupMs: v['warmup-ms'], timeoutS: v.timeout, faults: v.inject }),
    ...(v.budget === undefined ? {} : { budgetMs: v.budget * 1000 }),
    machine: given({ cpus: v.cpus, outsideCpus: v['outside-cpus'], memoryBytes: v.memory, thpBytes: v.thp, basePageBytes: v['base-page'] }),
    workload: given({ mix: v.workload, holdUs: v['hold-us'], walkRate: v['walk-rate'], busy: v.busy, dutyMs: v['duty-ms'], raceWindow: v['race-window'], otherMm: v['other-mm'] }),
    watchdog: given({ thresholdMs: v['watchdog-ms'], onStuck: v['on-stuck'] }),
    kernel: given({ walkerStyle: v['walker-style'], tlbFlushBy: v['tlb-flush'], tlbieUs: v['tlbie-us'], gatherBatch: v['gather-batch'], hz: v.hz }),
  };
}

/**
 * The kernel a run emulates below its strategy: what the run chose, else what the strategy's
 * kernel did (pointer walkers and one flush per mmu_gather batch before 5.8). Race
 * amplification keeps the time from a PMD clear to the free of its page at its least (a batch
 * of one page, a flush that costs nothing), so that a walker the strategy missed meets the free.
 */
export function kernelOf(spec: RunSpec): KernelConfig {
  const racing = spec.workload.raceWindow > 0;
  return {
    walkerStyle: 'pointer',
    walkerGuards: false,
    tlbFlushEachPmd: false,
    tlbFlushBy: 'tlbie',
    tlbieUs: racing ? 0 : TLBIE_US,
    gatherBatch: racing ? 1 : maxGatherBatch(spec.machine.basePageBytes),
    hz: DEFAULT_HZ,
    ...spec.strategy.kernel,
    ...spec.kernel,
  };
}

/** The fields of `values` that are set. */
function given<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** `over` on top of `under`: nested records field by field, everything else whole. */
function merge(under: RunSpecOverrides, over: RunSpecOverrides): RunSpecOverrides {
  return {
    ...under,
    ...over,
    machine: { ...under.machine, ...over.machine },
    workload: { ...under.workload, ...over.workload },
    watchdog: { ...under.watchdog, ...over.watchdog },
    kernel: { ...under.kernel, ...over.kernel },
  };
}

/** Every default is in the table, so every field is set; check what no single option can. */
function validated(o: RunSpecOverrides): RunSpec {
  const machine = o.machine as Omit<MachineSpec, 'hugePages' | 'ptesPerPmd'>;
  const { cpus, outsideCpus, memoryBytes, thpBytes, basePageBytes } = machine;
  if (cpus + outsideCpus > MAX_CPUS) throw new UsageError(`--cpus ${cpus} plus --outside-cpus ${outsideCpus} is more than ${MAX_CPUS} CPUs`);
  const faults = o.faults ?? {};
  for (const cpu of Object.keys(faults).map(Number)) {
    if (cpu === 0 || cpu >= cpus) throw new UsageError(`--inject: CPU ${cpu} is not a walker CPU (1..${cpus - 1})`);
  }
  if (!THP_SIZES.includes(thpBytes)) throw new UsageError(`--thp must be 2M or 16M, got '${formatSize(thpBytes)}'`);
  if (!BASE_PAGE_SIZES.includes(basePageBytes)) throw new UsageError(`--base-page must be 64K or 4K, got '${formatSize(basePageBytes)}'`);
  const ptesPerPmd = thpBytes / basePageBytes;
  if (ptesPerPmd > PTRS_PER_TABLE) {
    throw new UsageError(`--thp ${formatSize(thpBytes)} with --base-page ${formatSize(basePageBytes)} is ${ptesPerPmd} ptes a PMD, more than a PTE page holds (${PTRS_PER_TABLE}): 16M THPs are the hash MMU's, with 64K pages`);
  }
  if (memoryBytes % thpBytes !== 0) {
    throw new UsageError(`--memory ${formatSize(memoryBytes)} is not a whole number of ${formatSize(thpBytes)} huge pages`);
  }
  const op = o.op as PmdOp;
  const hugePages = memoryBytes / thpBytes;
  const limit = op === 'munmap' ? MAX_HUGE_PAGES : MAX_PTE_MAPPED_HUGE_PAGES;
  if (hugePages > limit) {
    const why = op === 'munmap' ? '' : `, as --op ${op} needs a PTE page for each`;
    throw new UsageError(`--memory ${formatSize(memoryBytes)} is ${hugePages} huge pages; the limit is ${limit} (${formatSize(limit * thpBytes)} of ${formatSize(thpBytes)} pages${why})`);
  }
  const workload = o.workload as Omit<Workload, 'dutyMs'> & { dutyMs: number | 'auto' };
  const strategy = o.strategy === undefined ? FLOOR : typeof o.strategy === 'string' ? strategyByName(o.strategy) : o.strategy;
  const spec: RunSpec = {
    op,
    strategy,
    machine: { ...machine, hugePages, ptesPerPmd },
    workload: { ...workload, dutyMs: workload.dutyMs === 'auto' ? autoDutyMs(cpus - 1) : workload.dutyMs },
    seed: o.seed as number,
    warmupMs: o.warmupMs as number,
    timeoutS: o.timeoutS as number,
    faults,
    budgetMs: o.budgetMs,
    watchdog: o.watchdog as WatchdogSpec,
    kernel: o.kernel ?? {},
  };
  if (kernelOf(spec).walkerGuards && spec.workload.mix.some(({ kind }) => kind === UNGUARDED_AFTER_58)) {
    throw new UsageError(
      `--workload: ${UNGUARDED_AFTER_58} walks the hash MMU's tables, whose guard after 5.8 (H_PAGE_BUSY on the entry) is not modelled; ` +
        `${strategy.name} runs radix's 5.8 walkers, so leave ${UNGUARDED_AFTER_58} to strategies before 5.8`,
    );
  }
  return spec;
}

/** The walker kind whose 5.8 guard the emulator does not have: hash_page() held H_PAGE_BUSY. */
const UNGUARDED_AFTER_58 = 'hash-fault';
