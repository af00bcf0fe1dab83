// What a run is, as command-line options: each declared once with its default, its help line
// and its parser. RunSpec (run-spec.ts) takes its defaults from here, and every command that
// runs the emulator offers these options under the same names.

import { decimal, integer, oneOf, option, quote } from '../base/option-table.ts';
import { UsageError } from '../base/usage-error.ts';
import { parseSize } from '../base/sizes.ts';
import { FAULT_KINDS, type FaultKind } from '../cpu-worker/faults.ts';
import { DEFAULT_HZ, TLBIE_US, TLB_FLUSHES, WALKER_STYLES } from '../kernel/kernel-config.ts';
import { PMD_OPS } from '../kernel/pmd-ops.ts';
import { WALKER_KIND_NAMES, WORKLOAD_PROFILES, type KindShare } from '../kernel/walker-kinds.ts';
import { MAX_CPUS } from '../shared-memory/mm.ts';

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

/**
 * The idle walkers together wake at most this often by default. Each wake-up is a host context
 * switch and tens of microseconds of a core: 1023 walkers waking every 1 ms (1M a second) did
 * not finish a 64M run in 400 s on a 2-core host; every 20 ms (51,000 a second) the JIT warm-up
 * alone took 55 s; every 100 ms, 17 s.
 */
export const WALKER_WAKE_UPS_PER_S = 10_000;

/** `--duty-ms auto`: 1 ms, or longer where that many walkers would wake too often together. */
export function autoDutyMs(walkers: number): number {
  return Math.max(1, (walkers * 1000) / WALKER_WAKE_UPS_PER_S);
}

const dutyPeriod = (text: string, flag: string): number | 'auto' => {
  if (text === 'auto') return 'auto';
  const ms = Number(text);
  if (text.trim() === '' || !Number.isFinite(ms) || ms < 0.01 || ms > 10_000) throw new UsageError(`${flag} must be auto or a number from 0.01 to 10000, got ${quote(text)}`);
  return ms;
};

export const RUN_OPTIONS = {
  op: option({ value: 'OP', default: 'munmap', help: `what CPU 0 does to every PMD: ${PMD_OPS.join(', ')}`, parse: oneOf(PMD_OPS, 'operation') }),
  cpus: option({ value: 'N', default: '8', help: `emulated CPUs, 1..${MAX_CPUS}: CPU 0 runs munmap, the others walk`, parse: integer(1, MAX_CPUS) }),
  'outside-cpus': option({ value: 'N', default: '0', help: 'more online CPUs that never ran the mm (idle; only sync-one interrupts them)', parse: integer(0, MAX_CPUS - 1) }),
  memory: option({ value: 'SIZE', default: '1G', help: 'THP memory to map and unmap (K, M, G, T suffixes)', parse: sizeArgument }),
  thp: option({ value: 'SIZE', default: '2M', help: 'huge page size: 2M (radix MMU) or 16M (hash MMU)', parse: sizeArgument }),
  'base-page': option({ value: 'SIZE', default: '64K', help: 'base page size: 64K (ppc64le: 32 ptes per 2M PMD) or 4K (512)', parse: sizeArgument }),
  seed: option({ value: 'N', default: '1', help: 'seed for the walk addresses', parse: integer(0, 2 ** 32 - 1) }),
  workload: option({ value: 'MIX', default: 'qemu-guest', defaultNote: 'find-pte with --race-window', help: `walker kinds and weights (kind:weight,...) or a profile (${Object.keys(WORKLOAD_PROFILES).join(', ')})`, parse: workloadMix }),
  'hold-us': option({ value: 'US', default: undefined, defaultNote: "each kind's own; 1 with --race-window", help: 'microseconds every walk uses its page with IRQs off', parse: decimal(0, 1e6) }),
  'walk-rate': option({
    value: 'N',
    default: '20000',
    defaultNote: '0 with --race-window',
    help: 'IRQ-off stretches per second per busy CPU (a guest walks now and then); 0 = back to back',
    parse: decimal(0, 1e9),
  }),
  busy: option({ value: 'SHARE', default: '0.5', defaultNote: '1 with --race-window', help: 'share of time a walker CPU is busy (0..1); idle CPUs halt', parse: decimal(0, 1) }),
  'duty-ms': option({
    value: 'MS',
    default: 'auto',
    defaultNote: `max(1, walkers / ${WALKER_WAKE_UPS_PER_S / 1000}): the idle walkers wake ${WALKER_WAKE_UPS_PER_S.toLocaleString('en-US')} times a second at most`,
    help: "period of a walker CPU's busy/idle cycle (an idle CPU wakes once a period), or auto",
    parse: dutyPeriod,
  }),
  'other-mm': option({ value: 'SHARE', default: '0', help: "share of walks that walk another process's page tables on the same CPUs (0..1)", parse: decimal(0, 1) }),
  'race-window': option({ value: 'N', default: '0', help: 'amplify races: walkers hammer the N huge pages from the unmap cursor on (0 = walk anywhere)', parse: integer(0, 1 << 20) }),
  'warmup-ms': option({ value: 'MS', default: '100', help: 'walkers run this long before munmap; its second half measures them', parse: decimal(0, 60_000) }),
  timeout: option({ value: 'S', default: '300', help: 'a strategy not done after this many seconds is reported stuck', parse: decimal(1, 86_400) }),
  inject: option({ value: 'LIST', default: undefined, help: `faults, KIND:CPU,...: ${FAULT_KINDS.join(', ')} (on walker CPUs)`, parse: faultList }),
  budget: option({ value: 'S', default: undefined, help: 'stop each strategy after S seconds and estimate the rest from the PMDs done', parse: decimal(0.001, 86_400) }),
  'walker-style': option({
    value: 'STYLE',
    default: undefined,
    defaultNote: "the strategy's kernel: pointer before 5.8, value after",
    help: `how walkers use what they find: ${WALKER_STYLES.join(', ')} (re-read through the pointer at use, or read once)`,
    parse: oneOf(WALKER_STYLES, 'walker style'),
  }),
  'tlb-flush': option({ value: 'HOW', default: 'tlbie', help: `how a TLB flush reaches the CPUs: ${TLB_FLUSHES.join(' (radix, a cost on the flusher), ')} (x86, an IPI round to the mm)`, parse: oneOf(TLB_FLUSHES, 'TLB flush') }),
  'tlbie-us': option({
    value: 'US',
    default: undefined,
    defaultNote: `${TLBIE_US.toFixed(2)}, Linux 5.8's (369 - 39) ms over 253,952 PMDs; 0 with --race-window`,
    help: "one tlbie flush's cost to the flushing CPU",
    parse: decimal(0, 1e6),
  }),
  'gather-batch': option({ value: 'N', default: undefined, defaultNote: "the kernel's 8190 (64K pages); 1 with --race-window", help: 'pages an mmu_gather frees at once, after one TLB flush', parse: integer(1, 1 << 20) }),
  hz: option({ value: 'N', default: String(DEFAULT_HZ), help: "scheduler ticks a second: each CPU notes an RCU quiescent state once a tick (rcu-frames' grace periods)", parse: integer(10, 10_000) }),
  'watchdog-ms': option({ value: 'MS', default: '5000', help: 'report an IPI not acknowledged within this time', parse: decimal(10, 3_600_000) }),
  'on-stuck': option({ value: 'WHAT', default: 'abort', help: 'after a watchdog report: abort the run, or wait', parse: oneOf(['abort', 'wait'] as const, 'choice') }),
};

export type RunOptions = typeof RUN_OPTIONS;
