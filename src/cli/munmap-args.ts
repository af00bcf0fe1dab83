// The command line of stress/munmap.ts: the options of a run (src/coordinator/run-options.ts), plus the
// command's own: a preset, the strategies to compare, and where the JSON goes. It is the only
// code that turns argv into RunSpecs.

import { formatOptions, nameList, oneOf, option, parseGiven, readOptions } from './option-table.ts';
import { RUN_OPTIONS } from '../coordinator/run-options.ts';
import { PRESETS, PRESET_NAMES, fromOptionValues, runSpec, type RunSpec } from '../coordinator/run-spec.ts';
import { KERNEL_VERSIONS, STRATEGY_NAMES } from '../strategies/index.ts';


const DEFAULT_STRATEGIES = ['ipi-broadcast', 'counter'];

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
    help: `comma-separated strategies, or all: ${STRATEGY_NAMES.join(', ')}`,
    parse: nameList(STRATEGY_NAMES, 'strategy'),
  }),
  kernel: option({
    value: 'LIST',
    default: undefined,
    help: `Linux versions, each run as it did it (strategy, walkers, TLB flushes, collapse): ${KERNEL_VERSIONS.join(', ')}, or all; with no --strategy, only these run`,
    parse: nameList(KERNEL_VERSIONS, 'kernel version'),
  }),
  ...workloadAndRest,
  json: option({ value: 'FILE', default: undefined, help: "also write the report as JSON to FILE ('-' for stdout)", parse: (text: string): string | undefined => text }),
};

/** What one invocation asks for: one run per strategy, all alike but for it, and the JSON's destination. */
export interface MunmapCommand {
  readonly runs: readonly RunSpec[];
  /** Where the JSON report goes: a file, '-' for stdout, or nowhere. */
  readonly json: string | undefined;
}

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

/** The validated runs, or 'help'. Throws UsageError, naming the option, on bad input. */
export function parseMunmapArgs(argv: readonly string[]): MunmapCommand | 'help' {
  const { given, help } = readOptions(argv, OPTIONS);
  if (help) return 'help';
  // Only what was given: the rest is RunSpec's defaults, under the preset's.
  const values = parseGiven(OPTIONS, given);
  const preset = values.preset;
  const kernels = (values.kernel ?? []).map((version) => `linux-${version}`);
  const strategies = [...(values.strategy ?? (kernels.length > 0 ? [] : preset ? PRESETS[preset].strategies : DEFAULT_STRATEGIES)), ...kernels];
  const base = { ...fromOptionValues(values), ...(preset ? { preset } : {}) };
  return { runs: strategies.map((strategy) => runSpec({ ...base, strategy })), json: values.json };
}
