// Every field of a run, with the one value type that says what it may hold: RunSpec's checks
// (run-spec.ts) and the command line's parsers (coordinator/run-options.ts) are these, so that
// a bound is written once and a bad value is refused in the same words from code and from a flag.

import { SpecError, UsageError, field } from '../base/usage-error.ts';
import { decimal, integer, oneOf, optional, quote, shown, size, valueType, type ValueType } from '../base/value-types.ts';
import { MM_CPUMASKS, RCU_TABLE_FREES, TABLE_REMOVE_ONES, TLB_FLUSHES, WALKER_STYLES } from '../kernel/kernel-config.ts';
import { PMD_OPS } from '../kernel/pmd-ops.ts';
import { WALKER_KIND_NAMES, WORKLOAD_PROFILES, type KindShare } from '../kernel/walker-kinds.ts';
import { MAX_CPUS } from '../shared-memory/mm.ts';
import { ARCHS, PARAVIRTS } from '../kernel/archs.ts';

export const FAULT_KINDS = ['stuck-irq', 'crash', 'slow'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** A field of RunSpec: where it is (its path, as errors name it) and the type of what it holds. */
export interface RunField<T> {
  readonly path: string;
  readonly type: ValueType<T>;
  /** `value` if the field may hold it; else a SpecError naming the field. */
  check(value: unknown): T;
}

const at = <T>(path: string, type: ValueType<T>): RunField<T> => ({ path, type, check: (value) => type.check(value, path) });

/** A profile name, or `kind:weight,...`; in code, a list of kinds and positive weights. */
const walkerMix = valueType(
  (text, flag): readonly KindShare[] => {
    if (Object.hasOwn(WORKLOAD_PROFILES, text)) return WORKLOAD_PROFILES[text];
    return text.split(',').map((part) => {
      const [kind, weight = '1', extra] = part.trim().split(':');
      if (!WALKER_KIND_NAMES.includes(kind)) {
        throw new UsageError(`${flag}: unknown walker kind or profile ${quote(kind)} (kinds: ${WALKER_KIND_NAMES.join(', ')}; profiles: ${Object.keys(WORKLOAD_PROFILES).join(', ')})`);
      }
      const share = Number(weight);
      if (extra !== undefined || !(share > 0) || !Number.isFinite(share)) throw new UsageError(`${flag}: ${quote(part)} needs a positive weight, as in kvm-fault:70`);
      return { kind, weight: share };
    });
  },
  (value, name): readonly KindShare[] => {
    if (!Array.isArray(value) || value.length === 0) throw new SpecError([field(name), ` must be a list of walker kinds and weights, got ${shown(value)}`]);
    return value.map((share: unknown, i) => {
      const record = typeof share === 'object' && share !== null ? share : {};
      const kind = 'kind' in record ? record.kind : undefined;
      const weight = 'weight' in record ? record.weight : undefined;
      if (typeof kind !== 'string' || !WALKER_KIND_NAMES.includes(kind)) throw new SpecError([field(`${name}[${i}].kind`), `: unknown walker kind ${shown(kind)} (kinds: ${WALKER_KIND_NAMES.join(', ')})`]);
      if (typeof weight !== 'number' || !(weight > 0) || !Number.isFinite(weight)) throw new SpecError([field(`${name}[${i}].weight`), ` must be a number above 0, got ${shown(weight)}`]);
      return { kind, weight };
    });
  },
);

const isFaultKind = (value: unknown): value is FaultKind => (FAULT_KINDS as readonly unknown[]).includes(value);

/** `kind:cpu,...`: which CPU misbehaves how; in code, faults by CPU. CPUs are checked against the machine later. */
const faultList = valueType(
  (text, flag) => {
    const faults: { [cpu: number]: FaultKind } = {};
    for (const part of text.split(',')) {
      const [kind, cpu, extra] = part.trim().split(':');
      if (!isFaultKind(kind) || extra !== undefined || !/^\d+$/.test(cpu ?? '')) {
        throw new UsageError(`${flag}: ${quote(part)} is not KIND:CPU with KIND one of ${FAULT_KINDS.join(', ')}`);
      }
      faults[Number(cpu)] = kind;
    }
    return faults;
  },
  (value, name) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SpecError([field(name), ` must be faults by CPU, got ${shown(value)}`]);
    const faults: { [cpu: number]: FaultKind } = {};
    for (const [cpu, kind] of Object.entries(value)) {
      if (!/^\d+$/.test(cpu) || !isFaultKind(kind)) throw new SpecError([field(`${name}[${cpu}]`), ` must be one of ${FAULT_KINDS.join(', ')}, got ${shown(kind)}`]);
      faults[Number(cpu)] = kind;
    }
    return faults;
  },
);

const dutyRange = decimal(0.01, 10_000);
/** A period in ms, or auto. */
const dutyPeriod = valueType(
  (text, flag): number | 'auto' => {
    if (text === 'auto') return 'auto';
    const ms = Number(text);
    if (text.trim() === '' || !Number.isFinite(ms) || ms < 0.01 || ms > 10_000) throw new UsageError(`${flag} must be auto or a number from 0.01 to 10000, got ${quote(text)}`);
    return ms;
  },
  (value, name): number | 'auto' => (value === 'auto' ? 'auto' : dutyRange.check(value, name)),
);

/** A name looked up a layer up: here, any name at all. */
const name = valueType(
  (text) => text,
  (value, path) => {
    if (typeof value !== 'string' || value === '') throw new SpecError([field(path), ` must be a name, got ${shown(value)}`]);
    return value;
  },
);

const yesNo = valueType(
  (text) => text === 'true',
  (value, path) => {
    if (typeof value !== 'boolean') throw new SpecError([field(path), ` must be true or false, got ${shown(value)}`]);
    return value;
  },
);

/** Every field of a run, laid out as RunSpec is. */
export const RUN_FIELDS = {
  op: at('op', oneOf(PMD_OPS, 'operation')),
  strategy: at('strategy', name),
  machine: {
    arch: at('machine.arch', oneOf(ARCHS, 'architecture')),
    cpus: at('machine.cpus', integer(1, MAX_CPUS)),
    outsideCpus: at('machine.outsideCpus', integer(0, MAX_CPUS - 1)),
    memoryBytes: at('machine.memoryBytes', size),
    thpBytes: at('machine.thpBytes', size),
    basePageBytes: at('machine.basePageBytes', size),
    vcpuPreempt: at('machine.vcpuPreempt', decimal(0, 1)),
  },
  workload: {
    mix: at('workload.mix', walkerMix),
    holdUs: at('workload.holdUs', optional(decimal(0, 1e6))),
    walkRate: at('workload.walkRate', decimal(0, 1e9)),
    busy: at('workload.busy', decimal(0, 1)),
    dutyMs: at('workload.dutyMs', dutyPeriod),
    raceWindow: at('workload.raceWindow', integer(0, 1 << 20)),
    otherMm: at('workload.otherMm', decimal(0, 1)),
  },
  seed: at('seed', integer(0, 2 ** 32 - 1)),
  warmupMs: at('warmupMs', decimal(0, 60_000)),
  timeoutS: at('timeoutS', decimal(1, 86_400)),
  faults: at('faults', faultList),
  budgetMs: at('budgetMs', optional(decimal(1, 86_400_000))),
  watchdog: {
    thresholdMs: at('watchdog.thresholdMs', decimal(10, 3_600_000)),
    onStuck: at('watchdog.onStuck', oneOf(['abort', 'wait'] as const, 'choice')),
  },
  kernel: {
    paravirt: at('kernel.paravirt', optional(oneOf(PARAVIRTS, 'paravirt TLB flush'))),
    rcuTableFree: at('kernel.rcuTableFree', optional(oneOf(RCU_TABLE_FREES, 'RCU table freeing'))),
    tableRemoveOne: at('kernel.tableRemoveOne', optional(oneOf(TABLE_REMOVE_ONES, 'batch-failure path'))),
    batchAllocFail: at('kernel.batchAllocFail', optional(decimal(0, 1))),
    walkerStyle: at('kernel.walkerStyle', optional(oneOf(WALKER_STYLES, 'walker style'))),
    walkerGuards: at('kernel.walkerGuards', optional(yesNo)),
    gupRechecksPmd: at('kernel.gupRechecksPmd', optional(yesNo)),
    mmCpumask: at('kernel.mmCpumask', optional(oneOf(MM_CPUMASKS, 'mm_cpumask'))),
    tlbFlushEachPmd: at('kernel.tlbFlushEachPmd', optional(yesNo)),
    flushRangeFreedTables: at('kernel.flushRangeFreedTables', optional(yesNo)),
    tlbFlushBy: at('kernel.tlbFlushBy', optional(oneOf(TLB_FLUSHES, 'TLB flush'))),
    tlbieUs: at('kernel.tlbieUs', optional(decimal(0, 1e6))),
    gatherBatch: at('kernel.gatherBatch', optional(integer(1, 1 << 20))),
    hz: at('kernel.hz', optional(integer(10, 10_000))),
  },
} as const;
