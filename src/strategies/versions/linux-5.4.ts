// Linux 5.4: serialize_against_pte_lookup() on every PMD clear, invalidation and collapse
// (radix__pmdp_huge_get_and_clear(), pmdp_invalidate(), radix__pmdp_collapse_flush()); walkers
// keep the pointer __find_linux_pte() returned; munmap flushes once per mmu_gather batch.

import { POWERPC, SAFE_VERSION, type VersionRow } from './version.ts';

export const linux54: VersionRow = {
  version: '5.4',
  models: 'IPI to mm_cpumask on every PMD change; pointer walkers; batched TLB flush',
  sources: ['arch/powerpc/mm/book3s64/pgtable.c (serialize_against_pte_lookup(), pmdp_invalidate())', 'arch/powerpc/mm/book3s64/radix_pgtable.c (radix__pmdp_huge_get_and_clear(), radix__pmdp_collapse_flush())'],
  serialize: { pmdClear: 'mm-ipi', pmdInvalidate: 'mm-ipi', collapseFlush: 'mm-ipi', tableSync: 'none' },
  walkerStyle: 'pointer',
  walkerGuards: false,
  tlbFlushEachPmd: false,
  gupRechecksPmd: false,
  mmCpumask: 'sticky',
  arches: POWERPC,
  rcuTableFree: 'always',
  tableRemoveOne: 'sync-ipi',
  flushRangeFreedTables: false,
  outcomes: SAFE_VERSION,
};
