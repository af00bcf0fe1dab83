// The command line of stress/munmap.ts: each option declared once, with its default, its help
// line and its parser; --help and the errors are made from the same table.

import { parseArgs } from 'node:util';
import { MAX_CPUS } from '../shared-memory/mm.ts';
import { STRATEGY_NAMES } from '../strategies/index.ts';
import type { Workload } from '../cpu-worker/run.ts';
import { formatSize, parseSize } from './sizes.ts';

/** Bad input: the message names the option and the value, on one line. */
export class UsageError extends Error {}

/** THP sizes of book3s64: 2M under the radix MMU, 16M under the hash MMU with 64K pages. */
export const THP_SIZES: readonly number[] = [2 ** 21, 2 ** 24];
/** The most huge pages one run maps: 4 TiB of 2M THPs. Refused before anything is allocated. */
export const MAX_HUGE_PAGES = 2 ** 21;

export interface MunmapConfig {
  readonly cpus: number;
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
}

interface OptionSpec<T> {
  readonly value: string;
  readonly default: string | undefined;
  /** The default under --race-window: short walks, back to back, so that walks and clears meet. */
  readonly raceDefault?: string;
  readonly help: string;
  readonly parse: (text: string, flag: string) => T;
}

const option = <T>(spec: OptionSpec<T>) => spec;

const integer = (min: number, max: number) => (text: string, flag: string) => {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got '${text}'`);
  }
  return n;
};

const decimal = (min: number, max: number) => (text: string, flag: string) => {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`${flag} must be a number from ${min} to ${max}, got '${text}'`);
  }
  return n;
};

const size = (text: string, flag: string) => {
  const bytes = parseSize(text);
  if (bytes === undefined || bytes <= 0) throw new UsageError(`${flag} must be a size such as 512M or 496G, got '${text}'`);
  return bytes;
};

const strategyList = (text: string, flag: string) => {
  if (text === 'all') return STRATEGY_NAMES;
  const names = text.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!STRATEGY_NAMES.includes(name)) {
      throw new UsageError(`${flag}: unknown strategy '${name}' (known: ${STRATEGY_NAMES.join(', ')}, all)`);
    }
  }
  return [...new Set(names)];
};

export const OPTIONS = {
  cpus: option({ value: 'N', default: '8', help: `emulated CPUs, 1..${MAX_CPUS}: CPU 0 runs munmap, the others walk`, parse: integer(1, MAX_CPUS) }),
  memory: option({ value: 'SIZE', default: '1G', help: 'THP memory to map and unmap (K, M, G, T suffixes)', parse: size }),
  thp: option({ value: 'SIZE', default: '2M', help: 'huge page size: 2M (radix MMU) or 16M (hash MMU)', parse: size }),
  strategy: option({ value: 'LIST', default: 'ipi-broadcast,counter', help: `comma-separated strategies, or all: ${STRATEGY_NAMES.join(', ')}`, parse: strategyList }),
  seed: option({ value: 'N', default: '1', help: 'seed for the walk addresses', parse: integer(0, 2 ** 32 - 1) }),
  'hold-us': option({ value: 'US', default: '2', raceDefault: '0.2', help: 'microseconds a walker uses the page with IRQs off', parse: decimal(0, 1e6) }),
  'walk-rate': option({ value: 'N', default: '0', help: 'walks per second per busy CPU; 0 = back to back', parse: decimal(0, 1e9) }),
  busy: option({ value: 'SHARE', default: '0.5', raceDefault: '1', help: 'share of time a walker CPU is busy (0..1); idle CPUs halt', parse: decimal(0, 1) }),
  'race-window': option({ value: 'N', default: '0', help: 'amplify races: walkers hammer the N huge pages from the unmap cursor on (0 = walk anywhere)', parse: integer(0, 1 << 20) }),
  'warmup-ms': option({ value: 'MS', default: '20', help: 'walkers run this long before munmap starts', parse: decimal(0, 60_000) }),
  timeout: option({ value: 'S', default: '300', help: 'a strategy not done after this many seconds is reported stuck', parse: decimal(1, 86_400) }),
  json: option({ value: 'FILE', default: undefined, help: "also write the report as JSON to FILE ('-' for stdout)", parse: (text: string) => text }),
} as const;

export function helpText(command: string): string {
  const rows = Object.entries(OPTIONS).map(([name, spec]) => {
    const flag = `  --${name} ${spec.value}`;
    const raceDefault = 'raceDefault' in spec ? `, ${spec.raceDefault} with --race-window` : '';
    const dflt = spec.default === undefined ? '' : ` [${spec.default}${raceDefault}]`;
    return `${flag.padEnd(22)}${spec.help}${dflt}`;
  });
  return [
    `usage: ${command} [options]`,
    '',
    'Maps THP memory, starts one worker thread per emulated CPU walking the page tables',
    'locklessly, then munmaps it all from CPU 0 under each strategy, measuring and checking.',
    '',
    ...rows,
    `${'  --help'.padEnd(22)}show this help`,
    '',
    'Exit status: 0 all invariants held, 1 internal failure (a crashed or stuck CPU),',
    '2 bad usage, 3 a safe strategy used a freed page or an invariant broke.',
  ].join('\n');
}

/** The validated configuration, or 'help'. Throws UsageError on bad input. */
export function parseMunmapArgs(argv: readonly string[]): MunmapConfig | 'help' {
  const values = parseOrExplain(argv);
  if (values.help) return 'help';
  const racing = OPTIONS['race-window'].parse(values['race-window'] ?? '0', '--race-window') > 0;
  const get = <K extends keyof typeof OPTIONS>(name: K): ReturnType<(typeof OPTIONS)[K]['parse']> => {
    const spec: OptionSpec<unknown> = OPTIONS[name];
    const text = values[name] ?? (racing && spec.raceDefault !== undefined ? spec.raceDefault : spec.default);
    return OPTIONS[name].parse(text as string, `--${name}`) as ReturnType<(typeof OPTIONS)[K]['parse']>;
  };

  const thpBytes = get('thp');
  if (!THP_SIZES.includes(thpBytes)) throw new UsageError(`--thp must be 2M or 16M, got '${values.thp}'`);
  const memoryBytes = get('memory');
  if (memoryBytes % thpBytes !== 0) {
    throw new UsageError(`--memory ${formatSize(memoryBytes)} is not a whole number of ${formatSize(thpBytes)} huge pages`);
  }
  const hugePages = memoryBytes / thpBytes;
  if (hugePages > MAX_HUGE_PAGES) {
    throw new UsageError(`--memory ${formatSize(memoryBytes)} is ${hugePages} huge pages; the limit is ${MAX_HUGE_PAGES} (${formatSize(MAX_HUGE_PAGES * thpBytes)} of ${formatSize(thpBytes)} pages)`);
  }
  return {
    cpus: get('cpus'),
    memoryBytes,
    thpBytes,
    hugePages,
    strategies: get('strategy'),
    seed: get('seed'),
    workload: { holdUs: get('hold-us'), walkRate: get('walk-rate'), busy: get('busy'), raceWindow: get('race-window') },
    warmupMs: get('warmup-ms'),
    timeoutS: get('timeout'),
    json: values.json,
  };
}

function parseOrExplain(argv: readonly string[]) {
  const options = Object.fromEntries(Object.keys(OPTIONS).map((name) => [name, { type: 'string' as const }]));
  try {
    return parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean' } }, strict: true, allowPositionals: false })
      .values as { [name: string]: string | undefined } & { help?: boolean };
  } catch (error) {
    // node:util's messages run on with advice, sometimes over several lines; keep their first
    // sentence, lower-cased, so that the error stays one line.
    const message = (error instanceof Error ? error.message : String(error)).split(/\.\s|\n/)[0];
    throw new UsageError(message.charAt(0).toLowerCase() + message.slice(1));
  }
}
