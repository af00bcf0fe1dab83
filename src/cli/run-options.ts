// What a run is, as command-line options: each mapped to the RunSpec field it sets, reading its
// word with that field's own type (spec/run-fields.ts), showing that field's default in --help.
// Every command that runs the emulator offers these options under the same names, and a
// SpecError a command meets is worded with them (flagOf()).

import { definedFields } from '../base/defined-fields.ts';
import { formatSize } from '../base/sizes.ts';
import { option, type OptionValues } from '../base/option-table.ts';
import { decimal } from '../base/value-types.ts';
import { SpecError, UsageError } from '../base/usage-error.ts';
import { DEFAULT_HZ, MM_CPUMASKS, TLBIE_US, TLB_FLUSHES, WALKER_STYLES } from '../kernel/kernel-config.ts';
import { PMD_OPS } from '../kernel/pmd-ops.ts';
import { WORKLOAD_PROFILES } from '../kernel/walker-kinds.ts';
import { MAX_CPUS } from '../shared-memory/mm.ts';
import { FAULT_KINDS, RUN_FIELDS, type FaultKind } from '../spec/run-fields.ts';
import { ARCHS, ARCH_SPECS, PARAVIRTS } from '../kernel/archs.ts';
import { DEFAULT_RUN, WALKER_WAKE_UPS_PER_S, type RunSpecOverrides } from '../spec/run-spec.ts';

const F = RUN_FIELDS;
const D = DEFAULT_RUN;
const W = F.workload;
const K = F.kernel;

/** What --inject asks for: faults on walker CPUs, and the share of page-table batch allocations that fail. */
interface Injected {
  readonly byCpu?: { readonly [cpu: number]: FaultKind };
  readonly batchAllocFail?: number;
}

const BATCH_ALLOC_FAIL = 'batch-alloc-fail';

/** `kind:cpu,...,batch-alloc-fail:SHARE`: the CPU faults as the faults field reads them, the batch failures apart. */
function injectList(text: string, flag: string): Injected {
  const parts = text.split(',').map((part) => part.trim());
  const batch = parts.filter((part) => part.startsWith(`${BATCH_ALLOC_FAIL}:`));
  const cpus = parts.filter((part) => !part.startsWith(`${BATCH_ALLOC_FAIL}:`));
  if (batch.length > 1) throw new UsageError(`${flag}: ${BATCH_ALLOC_FAIL} is given ${batch.length} times`);
  const batchAllocFail = batch.length === 0 ? undefined : K.batchAllocFail.type(batch[0].slice(BATCH_ALLOC_FAIL.length + 1), `${flag} ${BATCH_ALLOC_FAIL}`);
  return { ...(cpus.length > 0 ? { byCpu: F.faults.type(cpus.join(','), flag) } : {}), ...(batchAllocFail === undefined ? {} : { batchAllocFail }) };
}

export const RUN_OPTIONS = {
  arch: option({ field: F.machine.arch.path, value: 'ARCH', default: D.machine.arch, help: `the kernel's architecture: ${ARCHS.map((a) => `${a} (${ARCH_SPECS[a].models})`).join('; ')}`, parse: F.machine.arch.type }),
  op: option({ field: F.op.path, value: 'OP', default: D.op, help: `what CPU 0 does to every PMD: ${PMD_OPS.join(', ')}`, parse: F.op.type }),
  cpus: option({ field: F.machine.cpus.path, value: 'N', default: String(D.machine.cpus), help: `emulated CPUs, 1..${MAX_CPUS}: CPU 0 runs munmap, the others walk`, parse: F.machine.cpus.type }),
  'outside-cpus': option({
    field: F.machine.outsideCpus.path,
    value: 'N',
    default: String(D.machine.outsideCpus),
    help: 'more online CPUs that never ran the mm (idle; only sync-one interrupts them)',
    parse: F.machine.outsideCpus.type,
  }),
  memory: option({ field: F.machine.memoryBytes.path, value: 'SIZE', default: formatSize(D.machine.memoryBytes), help: 'THP memory to map and unmap (K, M, G, T suffixes)', parse: F.machine.memoryBytes.type }),
  thp: option({ field: F.machine.thpBytes.path, value: 'SIZE', default: undefined, defaultNote: "the architecture's: 2M; 16M on ppc64-hash", help: 'huge page size: 2M (radix MMU, x86) or 16M (hash MMU)', parse: F.machine.thpBytes.type }),
  'base-page': option({
    field: F.machine.basePageBytes.path,
    value: 'SIZE',
    default: undefined,
    defaultNote: "the architecture's: 64K on powerpc, 4K on x86",
    help: 'base page size: 64K (32 ptes per 2M PMD) or 4K (512)',
    parse: F.machine.basePageBytes.type,
  }),
  'vcpu-preempt': option({
    field: F.machine.vcpuPreempt.path,
    value: 'SHARE',
    default: String(D.machine.vcpuPreempt),
    help: "share of a walker vCPU's time the host preempts it, in 1 ms stretches, IRQ-off walks included (0..1)",
    parse: F.machine.vcpuPreempt.type,
  }),
  pv: option({
    field: K.paravirt.path,
    value: 'HOW',
    default: 'none',
    help: `the guest's paravirt TLB flush: ${PARAVIRTS.join(' (bare metal), ')} (kvm_flush_tlb_multi(): a preempted vCPU gets no flush IPI; x86 only)`,
    parse: K.paravirt.type,
  }),
  seed: option({ field: F.seed.path, value: 'N', default: String(D.seed), help: 'seed for the walk addresses', parse: F.seed.type }),
  workload: option({
    field: W.mix.path,
    value: 'MIX',
    default: 'qemu-guest',
    defaultNote: 'find-pte with --race-window',
    help: `walker kinds and weights (kind:weight,...) or a profile (${Object.keys(WORKLOAD_PROFILES).join(', ')})`,
    parse: W.mix.type,
  }),
  'hold-us': option({ field: W.holdUs.path, value: 'US', default: undefined, defaultNote: "each kind's own; 1 with --race-window", help: 'microseconds every walk uses its page with IRQs off', parse: W.holdUs.type }),
  'walk-rate': option({
    field: W.walkRate.path,
    value: 'N',
    default: String(D.workload.walkRate),
    defaultNote: '0 with --race-window',
    help: 'IRQ-off stretches per second per busy CPU (a guest walks now and then); 0 = back to back',
    parse: W.walkRate.type,
  }),
  busy: option({ field: W.busy.path, value: 'SHARE', default: String(D.workload.busy), defaultNote: '1 with --race-window', help: 'share of time a walker CPU is busy (0..1); idle CPUs halt', parse: W.busy.type }),
  'duty-ms': option({
    field: W.dutyMs.path,
    value: 'MS',
    default: String(D.workload.dutyMs),
    defaultNote: `max(1, walkers / ${WALKER_WAKE_UPS_PER_S / 1000}): the idle walkers wake ${WALKER_WAKE_UPS_PER_S.toLocaleString('en-US')} times a second at most`,
    help: "period of a walker CPU's busy/idle cycle (an idle CPU wakes once a period), or auto",
    parse: W.dutyMs.type,
  }),
  'other-mm': option({ field: W.otherMm.path, value: 'SHARE', default: String(D.workload.otherMm), help: "share of walks that walk another process's page tables on the same CPUs (0..1)", parse: W.otherMm.type }),
  'race-window': option({
    field: W.raceWindow.path,
    value: 'N',
    default: String(D.workload.raceWindow),
    help: 'amplify races: walkers hammer the N huge pages from the unmap cursor on (0 = walk anywhere)',
    parse: W.raceWindow.type,
  }),
  'warmup-ms': option({ field: F.warmupMs.path, value: 'MS', default: String(D.warmupMs), help: 'walkers run this long before munmap; its second half measures them', parse: F.warmupMs.type }),
  timeout: option({ field: F.timeoutS.path, value: 'S', default: String(D.timeoutS), help: 'a strategy not done after this many seconds is reported stuck', parse: F.timeoutS.type }),
  inject: option({
    field: F.faults.path,
    value: 'LIST',
    default: undefined,
    help: `faults, KIND:CPU,...: ${FAULT_KINDS.join(', ')} (on walker CPUs); and batch-alloc-fail:SHARE, the share of the mmu_gather's page-table batch allocations that fail`,
    parse: injectList,
  }),
  // In seconds here, budgetMs in the spec.
  budget: option({ field: F.budgetMs.path, value: 'S', default: undefined, help: 'stop each strategy after S seconds and estimate the rest from the PMDs done', parse: decimal(0.001, 86_400) }),
  'walker-style': option({
    field: K.walkerStyle.path,
    value: 'STYLE',
    default: undefined,
    defaultNote: "the strategy's kernel: pointer before 5.8, value after",
    help: `how walkers use what they find: ${WALKER_STYLES.join(', ')} (re-read through the pointer at use, or read once)`,
    parse: K.walkerStyle.type,
  }),
  'mm-cpumask': option({
    field: K.mmCpumask.path,
    value: 'WHICH',
    default: undefined,
    defaultNote: "the version's: sticky before 5.12, exact after; exact for the answers",
    help: `which CPUs mm_cpumask holds: ${MM_CPUMASKS.join(' (every CPU the mm ran on, --outside-cpus too), ')} (those running it)`,
    parse: K.mmCpumask.type,
  }),
  'tlb-flush': option({
    field: K.tlbFlushBy.path,
    value: 'HOW',
    default: undefined,
    defaultNote: "the architecture's: tlbie on powerpc, ipi on x86",
    help: `how a TLB flush reaches the CPUs: ${TLB_FLUSHES.join(' (radix, a cost on the flusher), ')} (an IPI round to the mm's CPUs; x86's skips lazy ones)`,
    parse: K.tlbFlushBy.type,
  }),
  'tlbie-us': option({
    field: K.tlbieUs.path,
    value: 'US',
    default: undefined,
    defaultNote: `${TLBIE_US.toFixed(2)}, Linux 5.8's (369 - 39) ms over 253,952 PMDs; 0 with --race-window`,
    help: "one tlbie flush's cost to the flushing CPU",
    parse: K.tlbieUs.type,
  }),
  'gather-batch': option({
    field: K.gatherBatch.path,
    value: 'N',
    default: undefined,
    defaultNote: "the kernel's: 8198 with 64K pages, 9698 with 4K; 1 with --race-window",
    help: 'pages an mmu_gather holds before one TLB flush and their free',
    parse: K.gatherBatch.type,
  }),
  hz: option({
    field: K.hz.path,
    value: 'N',
    default: String(DEFAULT_HZ),
    help: "scheduler ticks a second: each CPU notes an RCU quiescent state once a tick (rcu-frames' grace periods)",
    parse: K.hz.type,
  }),
  'watchdog-ms': option({ field: F.watchdog.thresholdMs.path, value: 'MS', default: String(D.watchdog.thresholdMs), help: 'report an IPI not acknowledged within this time', parse: F.watchdog.thresholdMs.type }),
  'on-stuck': option({ field: F.watchdog.onStuck.path, value: 'WHAT', default: D.watchdog.onStuck, help: 'after a watchdog report: abort the run, or wait', parse: F.watchdog.onStuck.type }),
};

export type RunOptions = typeof RUN_OPTIONS;

/** The overrides that option values (as parsed; undefined where not given) stand for. */
export function fromOptionValues(v: Partial<OptionValues<RunOptions>>): RunSpecOverrides {
  return {
    ...definedFields({ op: v.op, seed: v.seed, warmupMs: v['warmup-ms'], timeoutS: v.timeout, faults: v.inject?.byCpu }),
    ...(v.budget === undefined ? {} : { budgetMs: v.budget * 1000 }),
    machine: definedFields({ arch: v.arch, cpus: v.cpus, outsideCpus: v['outside-cpus'], memoryBytes: v.memory, thpBytes: v.thp, basePageBytes: v['base-page'], vcpuPreempt: v['vcpu-preempt'] }),
    workload: definedFields({ mix: v.workload, holdUs: v['hold-us'], walkRate: v['walk-rate'], busy: v.busy, dutyMs: v['duty-ms'], raceWindow: v['race-window'], otherMm: v['other-mm'] }),
    watchdog: definedFields({ thresholdMs: v['watchdog-ms'], onStuck: v['on-stuck'] }),
    kernel: definedFields({
      paravirt: v.pv,
      batchAllocFail: v.inject?.batchAllocFail,
      mmCpumask: v['mm-cpumask'],
      walkerStyle: v['walker-style'],
      tlbFlushBy: v['tlb-flush'],
      tlbieUs: v['tlbie-us'],
      gatherBatch: v['gather-batch'],
      hz: v.hz,
    }),
  };
}

const FLAG_OF_FIELD = new Map<string | undefined, string>([
  ...Object.entries(RUN_OPTIONS).map(([name, spec]): [string | undefined, string] => [spec.field, `--${name}`]),
  // --inject sets two fields: the faults by CPU, and this one.
  [F.kernel.batchAllocFail.path, `--inject ${BATCH_ALLOC_FAIL}`],
]);

/** The flag that sets `field`, for wording a SpecError on a command line; the field itself if none does. */
export const flagOf = (path: string): string => FLAG_OF_FIELD.get(path) ?? path;

/** `build()`'s value; a SpecError it throws becomes a UsageError naming the flags instead of the fields. */
export function onCommandLine<T>(build: () => T): T {
  try {
    return build();
  } catch (error) {
    if (error instanceof SpecError) throw new UsageError(error.worded(flagOf));
    throw error;
  }
}
