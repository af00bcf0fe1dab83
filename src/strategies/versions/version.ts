// A Linux version as the emulator runs it: one data row saying, per operation, how the version
// serialised a PMD change against lockless walkers, how its walkers used what they found, and
// how munmap flushed the TLB. A version like another is written `sameAs` it, with its
// differences said explicitly, so that what it inherits is the version it names, whole.

import type { Arch } from '../../kernel/archs.ts';
import type { MmCpumask, RcuTableFree, TableRemoveOne, WalkerStyle } from '../../kernel/kernel-config.ts';
import { serialize_against_pte_lookup, tlb_remove_table_sync_one } from '../../kernel/serialize.ts';
import type { SerializeHook, SerializeSide } from '../../kernel/pgtbl-sync.ts';
import type { KernelChoices } from '../../spec/run-spec.ts';
import { SAFE, SENDS_NOTHING, defineStrategy, type Outcomes, type PgtblSyncStrategy } from '../strategy.ts';

/**
 * How one PMD change is serialised:
 *   none        nothing is sent
 *   mm-ipi      serialize_against_pte_lookup(): an IPI to every other CPU of mm_cpumask
 *   online-ipi  tlb_remove_table_sync_one(): an IPI to every other online CPU
 *   answer      what the series posted on this base does (`answer`'s hook)
 */
export type Serialization = 'none' | 'mm-ipi' | 'online-ipi' | 'answer';

/** The places a version row serialises by name. */
type VersionSerializePlace = Exclude<keyof SerializeSide, 'tableFree'>;

export interface VersionRow {
  /** As --kernel takes it: 5.4, 6.1, x86-6.15. */
  readonly version: string;
  /** The architectures this row is the kernel of: powerpc's, or x86. */
  readonly arches: readonly Arch[];
  /** What it did, in a few words, and where that is written (commits, postings). */
  readonly models: string;
  readonly sources: readonly string[];
  /** A patch series this row runs on the version's base, by answer name: its walker side and words. Absent: the version's own, nothing beyond IRQs off and its guards. */
  readonly answer?: PgtblSyncStrategy;
  /** Per PMD change; a page table freed without a batch page waits as `tableRemoveOne` says. */
  readonly serialize: { readonly [op in VersionSerializePlace]: Serialization };
  /** pointer: the caller dereferences (pte_t *)pmdp after the walk (before 5.8); value: each entry read once (5.8+). */
  readonly walkerStyle: WalkerStyle;
  /** Each walker kind guards what it uses as its callers did after 5.8's rework (a page reference, kvm->mmu_lock). */
  readonly walkerGuards: boolean;
  /** munmap flushes each PMD's TLB entry as it clears it (5.8+), not once per mmu_gather batch. */
  readonly tlbFlushEachPmd: boolean;
  /** GUP-fast re-checks the PMD from a pte too (70cbc3cc78a99, 6.0). */
  readonly gupRechecksPmd: boolean;
  /** Which CPUs mm_cpumask holds: sticky before 5.12, exact since (032b7f08932c). */
  readonly mmCpumask: MmCpumask;
  /** Whether page tables are freed through RCU: always, or (x86 before 6.15) only in a paravirt kernel. */
  readonly rcuTableFree: RcuTableFree;
  /** What a page table freed without a batch page waits for: every CPU's IPI, or (1fb3d8c20bfa) a grace period. */
  readonly tableRemoveOne: TableRemoveOne;
  /** x86's flush_tlb_range() reaches lazy-TLB CPUs too (3ef938c35035). */
  readonly flushRangeFreedTables: boolean;
  readonly outcomes: Outcomes;
}

/** A version written as another, with its differences: every field not given is the other's. */
export interface SameAs {
  readonly version: string;
  readonly sameAs: VersionRow;
  readonly models: string;
  readonly sources: readonly string[];
  readonly differences?: Partial<Omit<VersionRow, 'version' | 'models' | 'sources' | 'serialize'>> & { readonly serialize?: Partial<VersionRow['serialize']> };
}

/** The whole row of a version written `sameAs` another. */
export function sameAs({ version, sameAs: base, models, sources, differences = {} }: SameAs): VersionRow {
  return { ...base, ...differences, version, models, sources, serialize: { ...base.serialize, ...differences.serialize } };
}

/** The powerpc kernels a powerpc version row runs on. */
export const POWERPC: readonly Arch[] = ['ppc64le-radix', 'ppc64-radix', 'ppc64-hash'];

/** Every version but a hole's is safe. */
export const SAFE_VERSION: Outcomes = SAFE;


/** The runnable answer a version row stands for, named `linux-VERSION`. */
export function versionStrategy(row: VersionRow): PgtblSyncStrategy {
  const hook = (op: VersionSerializePlace): SerializeHook => {
    const how = row.serialize[op];
    if (how === 'answer') {
      if (!row.answer) throw new Error(`linux-${row.version}: ${op} is the answer's, but the row names no answer`);
      return row.answer.serialize[op];
    }
    return how === 'mm-ipi' ? serialize_against_pte_lookup : how === 'online-ipi' ? tlb_remove_table_sync_one : SENDS_NOTHING;
  };
  return defineStrategy({
    name: `linux-${row.version}`,
    models: `Linux ${row.version}: ${row.models}`,
    sources: row.sources,
    outcomes: row.outcomes,
    ...(row.answer ? { words: row.answer.words, walker: row.answer.walker, lifecycle: row.answer.lifecycle } : {}),
    serialize: { pmdClear: hook('pmdClear'), pmdInvalidate: hook('pmdInvalidate'), collapseFlush: hook('collapseFlush'), tableSync: hook('tableSync') },
    kernel: kernelOfRow(row),
    arches: row.arches,
  });
}

/** The kernel below a version row: what an answer posted on that version runs on. */
export function kernelOfRow(row: VersionRow): Partial<KernelChoices> {
  return {
    walkerStyle: row.walkerStyle,
    walkerGuards: row.walkerGuards,
    tlbFlushEachPmd: row.tlbFlushEachPmd,
    gupRechecksPmd: row.gupRechecksPmd,
    mmCpumask: row.mmCpumask,
    rcuTableFree: row.rcuTableFree,
    tableRemoveOne: row.tableRemoveOne,
    flushRangeFreedTables: row.flushRangeFreedTables,
  };
}
