// One run, as a typed value: the machine, the walkers' workload, the operation, the answer by
// name, the faults and the budget. Built from typed defaults and layers of overrides, every field
// checked by the one value type it has (spec/run-fields.ts), so a script gets an error naming
// the field it set, and the command line, which maps its flags to these fields, the same error
// naming the flag. The answer's name is checked against the registry a layer up
// (coordinator/run-spec.ts), which also knows each answer's kernel.

import { definedFields } from '../base/defined-fields.ts';
import { formatSize } from '../base/sizes.ts';
import { SpecError, field } from '../base/usage-error.ts';
import { archSpec, type Arch } from '../kernel/archs.ts';
import { DEFAULT_HZ, TLBIE_US, gatherCapacity, type KernelConfig } from '../kernel/kernel-config.ts';
import type { PmdOp } from '../kernel/pmd-ops.ts';
import { WORKLOAD_PROFILES, walkerKind, type KindShare } from '../kernel/walker-kinds.ts';
import { MAX_CPUS } from '../shared-memory/mm.ts';
import { RUN_FIELDS, type FaultKind } from './run-fields.ts';

/** THP sizes any architecture has: 2M (radix, x86), 16M (the hash MMU, with 64K pages). */
export const THP_SIZES: readonly number[] = [2 ** 21, 2 ** 24];
/** Base page sizes any architecture has: 64K (ppc64le's), 4K. */
export const BASE_PAGE_SIZES: readonly number[] = [2 ** 16, 2 ** 12];
/** The most huge pages one run maps: 4 TiB of 2M THPs. Refused before anything is allocated. */
export const MAX_HUGE_PAGES = 2 ** 21;
/** Every huge page has a PTE page (deposited beside a THP, or mapping small pages): all of them together take at most this. */
export const PTE_PAGES_MAX_BYTES = 2 ** 30;

/** The most huge pages one run maps with PTE pages of `ptesPerPmd` ptes (4 bytes each here). */
export const maxHugePages = (ptesPerPmd: number): number => Math.min(MAX_HUGE_PAGES, PTE_PAGES_MAX_BYTES / (ptesPerPmd * 4));

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
   * operation's cursor on, so that walks and PMD changes really collide. 0 walks the whole range.
   */
  readonly raceWindow: number;
  /** Share of a walker's IRQ-off stretches that walk another process's page tables, on the same CPUs. */
  readonly otherMm: number;
}

export interface MachineSpec {
  readonly arch: Arch;
  /** Emulated CPUs of the mm: CPU 0 runs the operation, the others walk. */
  readonly cpus: number;
  /** Online CPUs that never ran the mm: they only idle, and only sync-one interrupts them. */
  readonly outsideCpus: number;
  readonly memoryBytes: number;
  /** The THP size; given none, the architecture's. */
  readonly thpBytes: number;
  /** The base page: 64K on ppc64le, 4K on x86. A PTE page maps a THP's worth of them. Given none, the architecture's. */
  readonly basePageBytes: number;
  /**
   * Share of a walker vCPU's time the host preempts it, in stretches, IRQ-off walks included, as
   * an overcommitted host does: 0..1 (0: never).
   */
  readonly vcpuPreempt: number;
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
  /** The answer (or kernel version, `linux-5.8`) the run runs, by its registry name. */
  readonly strategy: string;
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
  /** The kernel below the answer, as far as chosen; the rest is the answer's kernel (kernelBelow()). */
  readonly kernel: Partial<KernelChoices>;
}

/** What a run may choose of its kernel: everything but the architecture, which is the machine's. */
export type KernelChoices = Omit<KernelConfig, 'arch'>;

/** What a run is before its derived fields: what defaults and overrides set; page sizes left out are the architecture's. */
type MachineInput = Omit<MachineSpec, 'hugePages' | 'ptesPerPmd' | 'thpBytes' | 'basePageBytes'> & { readonly thpBytes?: number; readonly basePageBytes?: number };
type WorkloadInput = Omit<Workload, 'dutyMs' | 'mix'> & { readonly dutyMs: number | 'auto'; readonly mix?: readonly KindShare[] };
type RunInput = Omit<RunSpec, 'machine' | 'workload'> & { readonly machine: MachineInput; readonly workload: WorkloadInput };

/** A workload's changes from the defaults; `dutyMs: 'auto'` is resolved with the walker count. */
export type WorkloadOverrides = Partial<WorkloadInput>;

/** What a caller changes from the defaults; anything left out keeps its default. */
export interface RunSpecOverrides {
  /** A named scenario's values, under the other overrides. */
  readonly preset?: PresetName;
  readonly op?: PmdOp;
  readonly strategy?: string;
  readonly machine?: Partial<MachineInput>;
  readonly workload?: WorkloadOverrides;
  readonly seed?: number;
  readonly warmupMs?: number;
  readonly timeoutS?: number;
  readonly faults?: { readonly [cpu: number]: FaultKind };
  /** Undefined, given, lifts a preset's budget. */
  readonly budgetMs?: number | undefined;
  readonly watchdog?: Partial<WatchdogSpec>;
  readonly kernel?: Partial<KernelChoices>;
}

/**
 * The idle walkers together wake at most this often by default: each wake-up is a host context
 * switch and tens of microseconds of a core, and a thousand walkers waking every millisecond
 * take a small host whole (docs/measurements.md, "Many CPUs").
 */
export const WALKER_WAKE_UPS_PER_S = 10_000;

/** `dutyMs: 'auto'`: 1 ms, or longer where that many walkers would wake too often together. */
export function autoDutyMs(walkers: number): number {
  return Math.max(1, (walkers * 1000) / WALKER_WAKE_UPS_PER_S);
}

/** The run when nothing is said: 8 CPUs unmapping 1 GiB of 2M THPs under the architecture's walkers (qemu-guest on powerpc). */
export const DEFAULT_RUN: RunInput = {
  op: 'munmap',
  strategy: 'none',
  machine: { arch: 'ppc64le-radix', cpus: 8, outsideCpus: 0, memoryBytes: 2 ** 30, vcpuPreempt: 0 },
  workload: { holdUs: undefined, walkRate: 20_000, busy: 0.5, dutyMs: 'auto', raceWindow: 0, otherMm: 0 },
  seed: 1,
  warmupMs: 100,
  timeoutS: 300,
  faults: {},
  budgetMs: undefined,
  watchdog: { thresholdMs: 5_000, onStuck: 'abort' },
  kernel: {},
};

export interface Preset {
  readonly spec: Omit<RunSpecOverrides, 'preset'>;
  /** The answers the scenario compares. */
  readonly strategies: readonly string[];
}

/** Named scenarios: values for several fields at once; what is given besides still wins. */
export const PRESETS = {
  // The seed's: qemu with 128 vCPUs unmapping 496 GB of THP memory. The vCPUs are mostly
  // halted and walk the host's page tables now and then, which is why the seed's counter
  // almost always read zero. Busy 0.5% of the time, the 127 walkers ask for 0.64 of a host
  // core, so a 2-core host still has one for CPU 0: the figures measure the answers, not
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
 * Under race amplification: one kind of short walk (the architecture's raceWorkload), back to
 * back, so that walks and PMD changes really meet; each holds its page for 1 us, enough to
 * outlast a PMD clear, its flush and the free of its page when an answer misses the walk.
 */
export const RACE_WORKLOAD: WorkloadOverrides = { holdUs: 1, walkRate: 0, busy: 1 };

/** A run: the defaults, under the preset, under race-amplification defaults, under `overrides`. */
export function buildRunSpec(overrides: RunSpecOverrides = {}): RunSpec {
  const preset: Preset | undefined = overrides.preset === undefined ? undefined : PRESETS[overrides.preset];
  const racing = (overrides.workload?.raceWindow ?? preset?.spec.workload?.raceWindow ?? 0) > 0;
  // The race's walkers are the architecture's: known before the layers, as the race layer needs them.
  const arch = archSpec(RUN_FIELDS.machine.arch.check(overrides.machine?.arch ?? preset?.spec.machine?.arch ?? DEFAULT_RUN.machine.arch));
  const race: RunSpecOverrides = { workload: { ...RACE_WORKLOAD, mix: WORKLOAD_PROFILES[arch.raceWorkload] } };
  const layers: RunSpecOverrides[] = [preset?.spec ?? {}, racing ? race : {}, overrides];
  return checked(layers.reduce(merge, DEFAULT_RUN));
}

/** The configuration walker throughput alone is measured in: one kind, back to back, every CPU busy. */
export function walkersAloneSpec(cpus: number, kind = 'find-pte', holdUs = 0, memoryBytes = 2 ** 30, arch: Arch = DEFAULT_RUN.machine.arch): RunSpec {
  return buildRunSpec({ machine: { cpus, memoryBytes, arch }, workload: { mix: [{ kind, weight: 1 }], holdUs, walkRate: 0, busy: 1 } });
}

/**
 * The kernel a run emulates below its answer: what the run chose, else what the answer's kernel
 * (`answerKernel`) does, else before 5.8's (pointer walkers, one flush per mmu_gather batch).
 * Race amplification keeps the time from a PMD clear to the free of its page at its least (a
 * batch of one page, a flush that costs nothing), so that a walker the answer missed meets the free.
 */
export function kernelBelow(spec: RunSpec, answerKernel: Partial<KernelChoices> = {}): KernelConfig {
  const racing = spec.workload.raceWindow > 0;
  const arch = archSpec(spec.machine.arch);
  return {
    arch: arch.name,
    paravirt: spec.kernel.paravirt ?? 'none',
    rcuTableFree: spec.kernel.rcuTableFree ?? answerKernel.rcuTableFree ?? 'always',
    tableRemoveOne: spec.kernel.tableRemoveOne ?? answerKernel.tableRemoveOne ?? 'sync-ipi',
    batchAllocFail: spec.kernel.batchAllocFail ?? 0,
    walkerStyle: spec.kernel.walkerStyle ?? answerKernel.walkerStyle ?? 'pointer',
    walkerGuards: spec.kernel.walkerGuards ?? answerKernel.walkerGuards ?? false,
    gupRechecksPmd: spec.kernel.gupRechecksPmd ?? answerKernel.gupRechecksPmd ?? false,
    mmCpumask: spec.kernel.mmCpumask ?? answerKernel.mmCpumask ?? 'exact',
    tlbFlushEachPmd: spec.kernel.tlbFlushEachPmd ?? answerKernel.tlbFlushEachPmd ?? false,
    flushRangeFreedTables: spec.kernel.flushRangeFreedTables ?? answerKernel.flushRangeFreedTables ?? false,
    tlbFlushBy: spec.kernel.tlbFlushBy ?? answerKernel.tlbFlushBy ?? arch.tlbFlushes[0],
    tlbieUs: spec.kernel.tlbieUs ?? answerKernel.tlbieUs ?? (racing ? 0 : TLBIE_US),
    gatherBatch: spec.kernel.gatherBatch ?? answerKernel.gatherBatch ?? (racing ? 1 : gatherCapacity(spec.machine.basePageBytes)),
    hz: spec.kernel.hz ?? answerKernel.hz ?? DEFAULT_HZ,
  };
}

/**
 * `over` on top of `under`: nested records field by field, everything else whole; a field left
 * undefined keeps `under`'s value, but for the budget, where undefined given lifts it.
 */
function merge(under: RunInput, over: RunSpecOverrides): RunInput {
  const { preset: _, budgetMs, machine, workload, watchdog, kernel, ...top } = over;
  return {
    ...under,
    ...definedFields(top),
    ...('budgetMs' in over ? { budgetMs } : {}),
    machine: { ...under.machine, ...definedFields(machine) },
    workload: { ...under.workload, ...definedFields(workload) },
    watchdog: { ...under.watchdog, ...definedFields(watchdog) },
    kernel: { ...under.kernel, ...definedFields(kernel) },
  };
}

/** Every field checked by its type, then what no single field can say, then the derived fields. */
function checked(input: RunInput): RunSpec {
  const M = RUN_FIELDS.machine;
  const arch = archSpec(M.arch.check(input.machine.arch));
  const machine = {
    arch: arch.name,
    cpus: M.cpus.check(input.machine.cpus),
    outsideCpus: M.outsideCpus.check(input.machine.outsideCpus),
    memoryBytes: M.memoryBytes.check(input.machine.memoryBytes),
    thpBytes: input.machine.thpBytes === undefined ? arch.thpSizes[0] : M.thpBytes.check(input.machine.thpBytes),
    basePageBytes: input.machine.basePageBytes === undefined ? arch.basePages[0] : M.basePageBytes.check(input.machine.basePageBytes),
    vcpuPreempt: M.vcpuPreempt.check(input.machine.vcpuPreempt),
  };
  const w = input.workload;
  const workload = {
    mix: w.mix === undefined ? WORKLOAD_PROFILES[arch.workload] : RUN_FIELDS.workload.mix.check(w.mix),
    holdUs: RUN_FIELDS.workload.holdUs.check(w.holdUs),
    walkRate: RUN_FIELDS.workload.walkRate.check(w.walkRate),
    busy: RUN_FIELDS.workload.busy.check(w.busy),
    dutyMs: RUN_FIELDS.workload.dutyMs.check(w.dutyMs),
    raceWindow: RUN_FIELDS.workload.raceWindow.check(w.raceWindow),
    otherMm: RUN_FIELDS.workload.otherMm.check(w.otherMm),
  };
  const k = input.kernel;
  const K = RUN_FIELDS.kernel;
  const kernel: Partial<KernelChoices> = {
    paravirt: K.paravirt.check(k.paravirt),
    rcuTableFree: K.rcuTableFree.check(k.rcuTableFree),
    tableRemoveOne: K.tableRemoveOne.check(k.tableRemoveOne),
    batchAllocFail: K.batchAllocFail.check(k.batchAllocFail),
    walkerStyle: K.walkerStyle.check(k.walkerStyle),
    walkerGuards: K.walkerGuards.check(k.walkerGuards),
    gupRechecksPmd: K.gupRechecksPmd.check(k.gupRechecksPmd),
    mmCpumask: K.mmCpumask.check(k.mmCpumask),
    tlbFlushEachPmd: K.tlbFlushEachPmd.check(k.tlbFlushEachPmd),
    flushRangeFreedTables: K.flushRangeFreedTables.check(k.flushRangeFreedTables),
    tlbFlushBy: K.tlbFlushBy.check(k.tlbFlushBy),
    tlbieUs: K.tlbieUs.check(k.tlbieUs),
    gatherBatch: K.gatherBatch.check(k.gatherBatch),
    hz: K.hz.check(k.hz),
  };
  const spec = {
    op: RUN_FIELDS.op.check(input.op),
    strategy: RUN_FIELDS.strategy.check(input.strategy),
    seed: RUN_FIELDS.seed.check(input.seed),
    warmupMs: RUN_FIELDS.warmupMs.check(input.warmupMs),
    timeoutS: RUN_FIELDS.timeoutS.check(input.timeoutS),
    faults: RUN_FIELDS.faults.check(input.faults),
    budgetMs: RUN_FIELDS.budgetMs.check(input.budgetMs),
    watchdog: { thresholdMs: RUN_FIELDS.watchdog.thresholdMs.check(input.watchdog.thresholdMs), onStuck: RUN_FIELDS.watchdog.onStuck.check(input.watchdog.onStuck) },
    kernel,
  };
  const { cpus, outsideCpus, memoryBytes, thpBytes, basePageBytes } = machine;
  if (cpus + outsideCpus > MAX_CPUS) throw new SpecError([field('machine.cpus', String(cpus)), ' plus ', field('machine.outsideCpus', String(outsideCpus)), ` is more than ${MAX_CPUS} CPUs`]);
  for (const cpu of Object.keys(spec.faults).map(Number)) {
    if (cpu === 0 || cpu >= cpus) throw new SpecError([field('faults'), `: CPU ${cpu} is not a walker CPU (1..${cpus - 1})`]);
  }
  if (!THP_SIZES.includes(thpBytes)) throw new SpecError([field('machine.thpBytes'), ` must be 2M or 16M, got '${formatSize(thpBytes)}'`]);
  if (!BASE_PAGE_SIZES.includes(basePageBytes)) throw new SpecError([field('machine.basePageBytes'), ` must be 64K or 4K, got '${formatSize(basePageBytes)}'`]);
  const notOn = (path: string, value: string, has: readonly string[], hint = '') =>
    new SpecError([field(path, value), ` does not exist on `, field('machine.arch', arch.name), ` (it has ${has.join(', ')})${hint}`]);
  if (!arch.thpSizes.includes(thpBytes)) {
    throw notOn('machine.thpBytes', formatSize(thpBytes), arch.thpSizes.map(formatSize), thpBytes === 2 ** 24 ? ": 16M THPs are the hash MMU's, ppc64-hash" : '');
  }
  if (!arch.basePages.includes(basePageBytes)) throw notOn('machine.basePageBytes', formatSize(basePageBytes), arch.basePages.map(formatSize));
  if (kernel.tlbFlushBy !== undefined && !arch.tlbFlushes.includes(kernel.tlbFlushBy)) throw notOn('kernel.tlbFlushBy', kernel.tlbFlushBy, arch.tlbFlushes);
  if (kernel.paravirt !== undefined && !arch.paravirt.includes(kernel.paravirt)) throw notOn('kernel.paravirt', kernel.paravirt, arch.paravirt, ': KVM\'s paravirt TLB flush is x86\'s (kvm_flush_tlb_multi())');
  const foreign = workload.mix.find(({ kind }) => arch.walkers === 'generic' && walkerKind(kind).arch !== 'any');
  if (foreign) {
    throw new SpecError([field('workload.mix'), `: ${foreign.kind} walks powerpc's tables (${walkerKind(foreign.kind).models}); `, field('machine.arch', arch.name), ` has only the generic gup-fast`]);
  }
  const ptesPerPmd = thpBytes / basePageBytes;
  if (memoryBytes % thpBytes !== 0) throw new SpecError([field('machine.memoryBytes', formatSize(memoryBytes)), ` is not a whole number of ${formatSize(thpBytes)} huge pages`]);
  const hugePages = memoryBytes / thpBytes;
  const limit = maxHugePages(ptesPerPmd);
  if (hugePages > limit) {
    const why = limit < MAX_HUGE_PAGES ? [', with a PTE page of ', field('machine.basePageBytes', formatSize(basePageBytes)), ' pages for each)'] : [')'];
    throw new SpecError([field('machine.memoryBytes', formatSize(memoryBytes)), ` is ${hugePages} huge pages; the limit is ${limit} (${formatSize(limit * thpBytes)} of ${formatSize(thpBytes)} pages`, ...why]);
  }
  return {
    ...spec,
    machine: { ...machine, hugePages, ptesPerPmd },
    workload: { ...workload, dutyMs: workload.dutyMs === 'auto' ? autoDutyMs(cpus - 1) : workload.dutyMs },
  };
}
