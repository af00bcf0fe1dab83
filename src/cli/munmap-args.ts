// The command line of stress/munmap.ts: the options of a run (src/cli/run-options.ts), plus the
// command's own: a preset, the strategies to compare, and where the JSON goes. It is the only
// code that turns argv into RunSpecs.

import { formatOptions, nameList, option, parseGiven, readOptions } from '../base/option-table.ts';
import { integer, oneOf, quote } from '../base/value-types.ts';
import { UsageError } from '../base/usage-error.ts';
import { RING_MODES } from '../shared-memory/trace-ring.ts';
import type { TraceOptions } from '../coordinator/trace-recorder.ts';
import { RUN_OPTIONS, fromOptionValues, onCommandLine } from './run-options.ts';
import { runSpec } from '../coordinator/run-spec.ts';
import { PRESETS, PRESET_NAMES, type RunSpec } from '../spec/run-spec.ts';
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
  trace: option({ value: 'FILE', default: undefined, help: 'also write a timeline of every CPU to FILE, as a Chrome trace (open it in ui.perfetto.dev)', parse: (text: string): string | undefined => text }),
  'trace-pmds': option({ value: 'A..B', default: undefined, defaultNote: 'all', help: 'trace only while CPU 0 is on PMDs A to B of the range (0 is its first)', parse: pmdWindow }),
  'trace-records': option({ value: 'N', default: undefined, defaultNote: 'up to 65536, 64 MiB for all CPUs', help: "records each CPU's trace ring holds", parse: integer(1, 1 << 24) }),
  'trace-mode': option({ value: 'MODE', default: 'stop', help: "when a CPU's trace ring is full: stop (keep the oldest records) or overwrite (keep the newest)", parse: oneOf(RING_MODES, 'trace mode') }),
};

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
  readonly trace: { readonly file: string; readonly options: TraceOptions } | undefined;
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
  const runs = strategies.map((strategy) => onCommandLine(() => runSpec({ ...base, strategy })));
  for (const flag of ['trace-pmds', 'trace-records'] as const) {
    if (values[flag] !== undefined && values.trace === undefined) throw new UsageError(`--${flag} needs --trace FILE`);
  }
  const window = values['trace-pmds'];
  const pmds = runs[0].machine.hugePages;
  if (window && window.last >= pmds) throw new UsageError(`--trace-pmds ${window.first}..${window.last} is past the range's last PMD (${pmds - 1})`);
  const trace = values.trace === undefined ? undefined : { file: values.trace, options: { pmds: window, recordsPerCpu: values['trace-records'], mode: values['trace-mode'] ?? 'stop' } };
  return { runs, json: values.json, trace };
}
