// Linux 5.8: Aneesh Kumar K.V.'s rework ("powerpc/mm/book3s64: Avoid sending IPI on clearing
// PMD"): no IPI on clear or invalidation, walkers that read each entry once and guard what they
// use, a TLB flush per PMD in pmdp_huge_get_and_clear_full(); collapse keeps its IPI.

import { POWERPC, SAFE_VERSION, type VersionRow } from './version.ts';

export const linux58: VersionRow = {
  version: '5.8',
  models: 'no IPI on clear; value walkers guard their use; TLB flush per PMD; collapse IPI',
  sources: ['[PATCH v3 20/22] powerpc/mm/book3s64: Avoid sending IPI on clearing PMD (Aneesh Kumar K.V., 2020)', 'arch/powerpc/mm/book3s64/radix_pgtable.c (radix__pmdp_collapse_flush())'],
  serialize: { pmdClear: 'none', pmdInvalidate: 'none', collapseFlush: 'mm-ipi', tableSync: 'none' },
  walkerStyle: 'value',
  walkerGuards: true,
  tlbFlushEachPmd: true,
  gupRechecksPmd: false,
  mmCpumask: 'sticky',
  arches: POWERPC,
  rcuTableFree: 'always',
  tableRemoveOne: 'sync-ipi',
  flushRangeFreedTables: false,
  outcomes: SAFE_VERSION,
};
