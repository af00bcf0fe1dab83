// The command line of stress/munmap.ts, as an option table (src/cli/option-table.ts).

import { decimal, formatOptions, integer, nameList, oneOf, option, parseOptions, quote, readOptions, UsageError } from '../cli/option-table.ts';
import type { Workload } from '../cpu-worker/run.ts';
import { FAULT_KINDS, type FaultKind } from '../cpu-worker/faults.ts';
import { PMD_OPS, type PmdOp } from '../cpu-worker/pmd-ops.ts';
import { WALKER_KIND_NAMES, WORKLOAD_PROFILES, type KindShare } from '../cpu-worker/walker-kinds.ts';
import { MAX_CPUS } from '../shared-memory/mm.ts';
import { STRATEGY_NAMES } from '../strategies/index.ts';
import { formatSize, parseSize } from './sizes.ts';

export { UsageError };

/** THP sizes of book3s64: 2M under the radix MMU, 16M under the hash MMU with 64K pages. */
export const THP_SIZES: readonly number[] = [2 ** 21, 2 ** 24];
/** The most huge pages one run maps: 4 TiB of 2M THPs. Refused before anything is allocated. */
export const MAX_HUGE_PAGES = 2 ** 21;
/** Split and collapse need a PTE page per huge page: 64K of them, 128 MiB of arena, at most. */
export const MAX_PTE_MAPPED_HUGE_PAGES = 2 ** 16;

export interface MunmapConfig {
  /** What CPU 0 does to every PMD of the range. */
  readonly op: PmdOp;
  readonly cpus: number;
  /** Online CPUs that never ran the mm: they only idle, and only sync-one interrupts them. */
  readonly outsideCpus: number;
  readonly memoryBytes: number;
  readonly thpBytes: number;
  readonly hugePages: number;
  readonly strategies: readonly string[];
  readonly seed: number;
  readonly workload: Workload;
  readonly warmupMs: number;
  readonly timeoutS: number;
  /** Where the JSON report goes: a file, '-' for stdout, or nowhere. */
  readonly json: string | undefined;
  /** Faults to inject, by CPU. */
  readonly faults: { readonly [cpu: number]: FaultKind };
  /** CPU 0 stops after this many milliseconds and the rest is estimated; undefined: no limit. */
  readonly budgetMs: number | undefined;
  readonly watchdog: { readonly thresholdMs: number; readonly onStuck: 'wait' | 'abort' };
}

/** `kind:cpu,...`: which CPU misbehaves how. CPUs are checked against --cpus later. */
const faultList = (text: string, flag: string): { [cpu: number]: FaultKind } => {
  const faults: { [cpu: number]: FaultKind } = {};
  for (const part of text.split(',')) {
    const [kind, cpu, extra] = part.trim().split(':');
    if (!(FAULT_KINDS as readonly string[]).includes(kind) || extra !== undefined || !/^\d+$/.test(cpu ?? '')) {
      throw new UsageError(`${flag}: ${quote(part)} is not KIND:CPU with KIND one of ${FAULT_KINDS.join(', ')}`);
    }
    faults[Number(cpu)] = kind as FaultKind;
  }
  return faults;
};

/** A profile name, or `kind:weight,...`. */
const workloadMix = (text: string, flag: string): readonly KindShare[] => {
  const profile = WORKLOAD_PROFILES[text];
  if (profile) return profile;
  return text.split(',').map((part) => {
    const [kind, weight = '1', extra] = part.trim().split(':');
    if (!WALKER_KIND_NAMES.includes(kind)) {
      throw new UsageError(`${flag}: unknown walker kind or profile ${quote(kind)} (kinds: ${WALKER_KIND_NAMES.join(', ')}; profiles: ${Object.keys(WORKLOAD_PROFILES).join(', ')})`);
    }
    const share = Number(weight);
    if (extra !== undefined || !(share > 0) || !Number.isFinite(share)) throw new UsageError(`${flag}: ${quote(part)} needs a positive weight, as in kvm-fault:70`);
    return { kind, weight: share };
  });
};

/** A size such as 512M or 496G, in bytes. */
export const sizeArgument = (text: string, flag: string) => {
  const bytes = parseSize(text);
  if (bytes === undefined || bytes <= 0) throw new UsageError(`${flag} must be a size such as 512M or 496G, got ${quote(text)}`);
  return bytes;
};

/** Named scenarios: defaults for several options at once; options given still win. */
export const PRESETS: { readonly [name: string]: { readonly [option: string]: string } } = {
  // The seed's: qemu with 128 vCPUs unmapping 496 GB of THP memory. The vCPUs are mostly
  // halted and walk the host's page tables now and then, which is why the seed's counter
  // almost always read zero. Busy 0.5% of the time, the 127 walkers ask for 0.64 of a host
  // core, so a 2-core host still has one for CPU 0: the figures measure the strategies, not
  // threads queueing for a core (at 2% the walkers alone would ask for 2.5 cores).
  'qemu-128': {
    cpus: '128',
    memory: '496G',
    thp: '2M',
    workload: 'qemu-guest',
    busy: '0.005',
    'duty-ms': '50',
    'walk-rate': '200',
    strategy: 'ipi-broadcast,counter,percpu,rcu-free',
    budget: '60',
    // 127 CPU threads on a few host cores: a thread can wait seconds for its turn.
    'watchdog-ms': '60000',
  },
};

export const OPTIONS = {
  preset: option({ value: 'NAME', default: undefined, help: `a scenario's defaults: ${Object.keys(PRESETS).join(', ')}`, parse: oneOf(Object.keys(PRESETS), 'preset') }),
  op: option({ value: 'OP', default: 'munmap', help: `what CPU 0 does to every PMD: ${PMD_OPS.join(', ')}`, parse: oneOf(PMD_OPS, 'operation') }),
  cpus: option({ value: 'N', default: '8', help: `emulated CPUs, 1..${MAX_CPUS}: CPU 0 runs munmap, the others walk`, parse: integer(1, MAX_CPUS) }),
  'outside-cpus': option({ value: 'N', default: '0', help: 'more online CPUs that never ran the mm (idle; only sync-one interrupts them)', parse: integer(0, MAX_CPUS - 1) }),
  memory: option({ value: 'SIZE', default: '1G', help: 'THP memory to map and unmap (K, M, G, T suffixes)', parse: sizeArgument }),
  thp: option({ value: 'SIZE', default: '2M', help: 'huge page size: 2M (radix MMU) or 16M (hash MMU)', parse: sizeArgument }),
  strategy: option({
    value: 'LIST',
    default: 'ipi-broadcast,counter',
    help: `comma-separated strategies, or all: ${STRATEGY_NAMES.join(', ')}`,
    parse: nameList(STRATEGY_NAMES, 'strategy'),
  }),
  seed: option({ value: 'N', default: '1', help: 'seed for the walk addresses', parse: integer(0, 2 ** 32 - 1) }),
  workload: option({ value: 'MIX', default: 'qemu-guest', defaultNote: 'find-pte with --race-window', help: `walker kinds and weights (kind:weight,...) or a profile (${Object.keys(WORKLOAD_PROFILES).join(', ')})`, parse: workloadMix }),
  'hold-us': option({ value: 'US', default: undefined, defaultNote: "each kind's own; 0.2 with --race-window", help: 'microseconds every walk uses its page with IRQs off', parse: decimal(0, 1e6) }),
  'walk-rate': option({
    value: 'N',
    default: '20000',
    defaultNote: '0 with --race-window',
    help: 'IRQ-off stretches per second per busy CPU (a guest walks now and then); 0 = back to back',
    parse: decimal(0, 1e9),
  }),
  busy: option({ value: 'SHARE', default: '0.5', defaultNote: '1 with --race-window', help: 'share of time a walker CPU is busy (0..1); idle CPUs halt', parse: decimal(0, 1) }),
  'duty-ms': option({ value: 'MS', default: '1', help: "period of a walker CPU's busy/idle cycle (an idle CPU wakes once a period)", parse: decimal(0.01, 10_000) }),
  'race-window': option({ value: 'N', default: '0', help: 'amplify races: walkers hammer the N huge pages from the unmap cursor on (0 = walk anywhere)', parse: integer(0, 1 << 20) }),
  'warmup-ms': option({ value: 'MS', default: '100', help: 'walkers run this long before munmap; its second half measures them', parse: decimal(0, 60_000) }),
  timeout: option({ value: 'S', default: '300', help: 'a strategy not done after this many seconds is reported stuck', parse: decimal(1, 86_400) }),
  inject: option({ value: 'LIST', default: undefined, help: `faults, KIND:CPU,...: ${FAULT_KINDS.join(', ')} (on walker CPUs)`, parse: faultList }),
  budget: option({ value: 'S', default: undefined, help: 'stop each strategy after S seconds and estimate the rest from the PMDs done', parse: decimal(0.001, 86_400) }),
  'watchdog-ms': option({ value: 'MS', default: '5000', help: 'report an IPI not acknowledged within this time', parse: decimal(10, 3_600_000) }),
  'on-stuck': option({ value: 'WHAT', default: 'abort', help: 'after a watchdog report: abort the run, or wait', parse: oneOf(['abort', 'wait'] as const, 'choice') }),
  json: option({ value: 'FILE', default: undefined, help: "also write the report as JSON to FILE ('-' for stdout)", parse: (text: string): string | undefined => text }),
};

/** Under --race-window: one kind of short walk, back to back, so that walks and clears really meet. */
const RACE_DEFAULTS = { workload: 'find-pte', 'hold-us': '0.2', 'walk-rate': '0', busy: '1' };

export function helpText(command: string): string {
  return [
    `usage: ${command} [options]`,
    '',
    'Maps THP memory, starts one worker thread per emulated CPU walking the page tables',
    'locklessly, then munmaps it all from CPU 0 under each strategy, measuring and checking.',
    '',
    formatOptions(OPTIONS),
    '',
    'Exit status: 0 all invariants held (an unsafe strategy\'s failures are what it shows),',
    '1 internal failure (a crashed or stuck CPU), 2 bad usage, 3 a safe strategy used a freed',
    'page or an invariant broke.',
  ].join('\n');
}

/** The validated configuration, or 'help'. Throws UsageError on bad input. */
export function parseMunmapArgs(argv: readonly string[]): MunmapConfig | 'help' {
  const { given, help } = readOptions(argv, OPTIONS);
  if (help) return 'help';
  const preset = given.preset === undefined ? {} : PRESETS[OPTIONS.preset.parse(given.preset, '--preset')];
  const racing = OPTIONS['race-window'].parse(given['race-window'] ?? preset['race-window'] ?? '0', '--race-window') > 0;
  const o = parseOptions(OPTIONS, given, { ...preset, ...(racing ? RACE_DEFAULTS : {}) });

  if (o.cpus + o['outside-cpus'] > MAX_CPUS) {
    throw new UsageError(`--cpus ${o.cpus} plus --outside-cpus ${o['outside-cpus']} is more than ${MAX_CPUS} CPUs`);
  }
  const faults = o.inject ?? {};
  for (const cpu of Object.keys(faults).map(Number)) {
    if (cpu === 0 || cpu >= o.cpus) throw new UsageError(`--inject: CPU ${cpu} is not a walker CPU (1..${o.cpus - 1})`);
  }
  if (!THP_SIZES.includes(o.thp)) throw new UsageError(`--thp must be 2M or 16M, got ${quote(given.thp ?? '')}`);
  if (o.memory % o.thp !== 0) {
    throw new UsageError(`--memory ${formatSize(o.memory)} is not a whole number of ${formatSize(o.thp)} huge pages`);
  }
  const hugePages = o.memory / o.thp;
  const limit = o.op === 'munmap' ? MAX_HUGE_PAGES : MAX_PTE_MAPPED_HUGE_PAGES;
  if (hugePages > limit) {
    const why = o.op === 'munmap' ? '' : `, as --op ${o.op} needs a PTE page for each`;
    throw new UsageError(`--memory ${formatSize(o.memory)} is ${hugePages} huge pages; the limit is ${limit} (${formatSize(limit * o.thp)} of ${formatSize(o.thp)} pages${why})`);
  }
  return {
    op: o.op,
    cpus: o.cpus,
    outsideCpus: o['outside-cpus'],
    memoryBytes: o.memory,
    thpBytes: o.thp,
    hugePages,
    strategies: o.strategy,
    seed: o.seed,
    workload: { mix: o.workload, holdUs: o['hold-us'], walkRate: o['walk-rate'], busy: o.busy, dutyMs: o['duty-ms'], raceWindow: o['race-window'] },
    warmupMs: o['warmup-ms'],
    timeoutS: o.timeout,
    json: o.json,
    faults,
    watchdog: { thresholdMs: o['watchdog-ms'], onStuck: o['on-stuck'] },
    budgetMs: o.budget === undefined ? undefined : o.budget * 1000,
  };
}
