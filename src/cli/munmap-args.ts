// The command line of stress/munmap.ts: the options of a run (src/cli/run-options.ts), plus the
// command's own: a preset, the answers to compare or one's demonstration, and where the JSON and
// the trace go. It is the only code that turns its argv into RunSpecs.

import { nameList, option, parseGiven, readOptions } from '../base/option-table.ts';
import { integer, oneOf, quote } from '../base/value-types.ts';
import { UsageError } from '../base/usage-error.ts';
import { RING_MODES } from '../shared-memory/trace-ring.ts';
import type { TraceOptions } from '../coordinator/trace-recorder.ts';
import { onArch } from './answers-on-arch.ts';
import { RUN_OPTIONS, fromOptionValues, onCommandLine } from './run-options.ts';
import { runSpec } from '../coordinator/run-spec.ts';
import { DEFAULT_RUN, PRESETS, PRESET_NAMES, type RunSpec, type RunSpecOverrides } from '../spec/run-spec.ts';
import { KERNELS, KERNEL_VERSIONS, RENAMED, STRATEGIES, STRATEGY_NAMES, interestingOutcomes, strategyByName, type Outcome } from '../strategies/index.ts';
import type { Demonstration } from '../strategies/strategy.ts';

/** What --trace writes: Chrome's trace event JSON, or the kernel's ftrace text. */
export const TRACE_FORMATS = ['chrome', 'ftrace'] as const;
export type TraceFormat = (typeof TRACE_FORMATS)[number];

const DEFAULT_STRATEGIES = ['ipi-broadcast', 'counter'];

/** The answers and versions that declare an interesting outcome, shown here or not. */
const DEMONSTRABLE = [...STRATEGIES, ...KERNELS].filter((s) => interestingOutcomes(s).length > 0).map((s) => s.name);

const { op, cpus, 'outside-cpus': outsideCpus, memory, thp, 'base-page': basePage, ...workloadAndRest } = RUN_OPTIONS;

export const OPTIONS = {
  preset: option({ value: 'NAME', default: undefined, help: `a scenario's defaults: ${PRESET_NAMES.join(', ')}`, parse: oneOf(PRESET_NAMES, 'preset') }),
  op,
  cpus,
  'outside-cpus': outsideCpus,
  memory,
  thp,
  'base-page': basePage,
  strategy: option({
    value: 'LIST',
    default: DEFAULT_STRATEGIES.join(','),
    help: `comma-separated strategies, or all (those of the run's --arch): ${STRATEGY_NAMES.join(', ')}`,
    parse: renamedFirst(nameList(STRATEGY_NAMES, 'strategy'), (name) => name),
  }),
  kernel: option({
    value: 'LIST',
    default: undefined,
    help: `Linux versions, each run as it did it (strategy, walkers, TLB flushes, collapse): ${KERNEL_VERSIONS.join(', ')}, or all; with no --strategy, only these run`,
    parse: renamedFirst(nameList(KERNEL_VERSIONS, 'kernel version'), (version) => `linux-${version}`),
  }),
  demonstrate: option({
    value: 'NAME',
    default: undefined,
    help: "run the answer's declared demonstration of its bug, up to its declared attempts, beside the answer that fixed it",
    parse: oneOf(DEMONSTRABLE, 'answer with a demonstration'),
  }),
  ...workloadAndRest,
  json: option({ value: 'FILE', default: undefined, help: "also write the report as JSON to FILE ('-' for stdout)", parse: (text: string): string | undefined => text }),
  trace: option({ value: 'FILE', default: undefined, help: 'also write a timeline of every CPU to FILE, as a Chrome trace (open it in ui.perfetto.dev)', parse: (text: string): string | undefined => text }),
  'trace-pmds': option({ value: 'A..B', default: undefined, defaultNote: 'all', help: 'trace only while CPU 0 is on PMDs A to B of the range (0 is its first)', parse: pmdWindow }),
  'trace-records': option({ value: 'N', default: undefined, defaultNote: 'up to 65536, 64 MiB for all CPUs', help: "records each CPU's trace ring holds", parse: integer(1, 1 << 24) }),
  'trace-format': option({ value: 'FORMAT', default: 'chrome', help: "the trace's format: chrome (JSON, for ui.perfetto.dev) or ftrace (the kernel's trace file, as trace-cmd report prints it)", parse: oneOf(TRACE_FORMATS, 'trace format') }),
  'trace-mode': option({ value: 'MODE', default: 'stop', help: "when a CPU's trace ring is full: stop (keep the oldest records) or overwrite (keep the newest)", parse: oneOf(RING_MODES, 'trace mode') }),
};

/**
 * `list`, but a name that went is refused with the one that replaced it: `counter-rfc` is now
 * `counter-v1`, `6.1-rc1` now `6.0`. `asAnswer` names the answer a word stands for.
 */
function renamedFirst(list: (text: string, flag: string) => readonly string[], asAnswer: (word: string) => string) {
  return (text: string, flag: string): readonly string[] => {
    for (const word of text.split(',').map((w) => w.trim())) {
      const renamed = RENAMED.get(asAnswer(word));
      if (renamed) throw new UsageError(`${flag}: ${quote(word)} is now ${quote(renamed.now.replace(asAnswer(''), ''))}: ${renamed.why}`);
    }
    return list(text, flag);
  };
}

/** `A..B`: a window of PMDs, both ends included. */
function pmdWindow(text: string, flag: string): { first: number; last: number } {
  const match = /^(\d+)\.\.(\d+)$/.exec(text.trim());
  const [first, last] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!match || first > last || !Number.isSafeInteger(last)) throw new UsageError(`${flag} must be A..B with 0 <= A <= B, got ${quote(text)}`);
  return { first, last };
}

/** What one invocation asks for: one run per strategy, all alike but for it, and where the JSON and the trace go. */
export interface MunmapCommand {
  readonly runs: readonly RunSpec[];
  /** Where the JSON report goes: a file, '-' for stdout, or nowhere. */
  readonly json: string | undefined;
  /** The trace's file and how it is recorded, when asked for. */
  readonly trace: { readonly file: string; readonly format: TraceFormat; readonly options: TraceOptions } | undefined;
  /** With --demonstrate: what the runs demonstrate (the first runs until it shows, the second is its fix). */
  readonly demonstrating?: DemonstrationRequest;
}

/** What --demonstrate asks for: an answer's interesting outcome, run as its demonstration declares, beside its fix. */
export interface DemonstrationRequest {
  readonly strategy: string;
  readonly outcome: Outcome;
  readonly demonstration: Demonstration;
}

/** The validated runs. Throws UsageError, naming the option, on bad input. */
export function parseMunmapArgs(argv: readonly string[]): MunmapCommand {
  return munmapCommandFrom(readOptions(argv, OPTIONS).given);
}

/** The validated runs for the options given (their words). */
export function munmapCommandFrom(given: { readonly [name: string]: string | undefined }): MunmapCommand {
  // Only what was given: the rest is RunSpec's defaults, under the preset's or the demonstration's.
  const values = parseGiven(OPTIONS, given);
  const preset = values.preset;
  const demonstrating = values.demonstrate === undefined ? undefined : demonstrationOf(values.demonstrate);
  if (demonstrating && (values.strategy !== undefined || values.kernel !== undefined || preset !== undefined)) {
    throw new UsageError('--demonstrate runs the answer it names and its fix; leave out --strategy, --kernel and --preset');
  }
  const arch = values.arch ?? DEFAULT_RUN.machine.arch;
  // `all` is every version of the run's architecture; a version named is refused on another.
  const versions = given.kernel?.trim() === 'all' ? KERNELS.filter((k) => k.arches.includes(arch)) : (values.kernel ?? []).map((version) => strategyByName(`linux-${version}`));
  for (const version of versions) {
    if (!version.arches.includes(arch)) {
      const hint = values.arch === undefined ? `; add --arch ${version.arches[0]}` : '';
      throw new UsageError(`--kernel ${version.name.replace(/^linux-/, '')} is a kernel of ${version.arches.join(', ')}, not of --arch ${arch}${hint}`);
    }
  }
  const kernels = versions.map((version) => version.name);
  const named = values.strategy && onArch(values.strategy, given.strategy, arch);
  const strategies = demonstrating
    ? [demonstrating.strategy, demonstrating.demonstration.fixedBy]
    : [...(named ?? (kernels.length > 0 ? [] : preset ? PRESETS[preset].strategies : DEFAULT_STRATEGIES)), ...kernels];
  const given_ = fromOptionValues(values);
  const under = demonstrating?.demonstration.spec ?? {};
  const base: RunSpecOverrides = {
    ...under,
    ...given_,
    machine: { ...under.machine, ...given_.machine },
    workload: { ...under.workload, ...given_.workload },
    watchdog: { ...under.watchdog, ...given_.watchdog },
    kernel: { ...under.kernel, ...given_.kernel },
    ...(preset ? { preset } : {}),
  };
  const runs = strategies.map((strategy) => onCommandLine(() => runSpec({ ...base, strategy })));
  for (const flag of ['trace-pmds', 'trace-records', 'trace-format'] as const) {
    if (values[flag] !== undefined && values.trace === undefined) throw new UsageError(`--${flag} needs --trace FILE`);
  }
  const window = values['trace-pmds'];
  const pmds = runs[0].machine.hugePages;
  if (window && window.last >= pmds) throw new UsageError(`--trace-pmds ${window.first}..${window.last} is past the range's last PMD (${pmds - 1})`);
  const trace =
    values.trace === undefined ? undefined : { file: values.trace, format: values['trace-format'] ?? 'chrome', options: { pmds: window, recordsPerCpu: values['trace-records'], mode: values['trace-mode'] ?? 'stop' } };
  return { runs, json: values.json, trace, ...(demonstrating ? { demonstrating } : {}) };
}

/** The demonstration `name` declares; a UsageError saying why when it declares none this host can run. */
function demonstrationOf(name: string): DemonstrationRequest {
  const strategy = strategyByName(name);
  const interesting = interestingOutcomes(strategy);
  const shown = interesting.find(({ declared }) => 'demonstrate' in declared);
  if (shown && 'demonstrate' in shown.declared) return { strategy: name, outcome: shown.outcome, demonstration: shown.declared.demonstrate };
  const [cannot] = interesting;
  if (cannot && 'hostCannotShow' in cannot.declared) throw new UsageError(`--demonstrate: ${name}'s ${cannot.outcome} is not shown on this host: ${cannot.declared.hostCannotShow}`);
  throw new UsageError(`--demonstrate: ${name} declares no interesting outcome`);
}
