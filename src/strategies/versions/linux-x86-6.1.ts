// Linux 6.1 on x86-64: khugepaged's collapse clears the PMD with xchg and flushes the range by
// IPI to the mm's CPUs, lazy-TLB ones skipped (pmdp_collapse_flush() -> flush_tlb_range(),
// freed_tables false), then calls tlb_remove_table_sync_one() (2ba99c5e0881). That call is an IPI
// to every online CPU only in a kernel that frees page tables through RCU, which x86 did only
// when built for paravirt (`select MMU_GATHER_RCU_TABLE_FREE if PARAVIRT`, arch/x86/Kconfig);
// here that is a kernel run with --pv. Bare metal without PARAVIRT relies on the shootdown IPI:
// GUP-fast's IRQs-off walk holds it off (the code's own words, a37259732a7d's changelog).

import { SAFE_VERSION, type VersionRow } from './version.ts';

export const linuxX8661: VersionRow = {
  version: 'x86-6.1',
  arches: ['x86'],
  models: 'collapse: shootdown IPI to the mm (lazy CPUs skipped), then tlb_remove_table_sync_one(), a real IPI only with --pv (PARAVIRT)',
  sources: [
    '2ba99c5e0881 (mm/khugepaged: fix GUP-fast interaction by sending IPI)',
    'arch/x86/Kconfig (select MMU_GATHER_RCU_TABLE_FREE if PARAVIRT)',
    'arch/x86/mm/tlb.c (native_flush_tlb_multi(), tlb_is_not_lazy())',
    'mm/pgtable-generic.c (pmdp_collapse_flush(), pgtable_trans_huge_deposit())',
  ],
  serialize: { pmdClear: 'none', pmdInvalidate: 'none', collapseFlush: 'none', tableSync: 'online-ipi' },
  walkerStyle: 'value',
  walkerGuards: true,
  tlbFlushEachPmd: false,
  gupRechecksPmd: true,
  mmCpumask: 'exact',
  rcuTableFree: 'if-paravirt',
  tableRemoveOne: 'sync-ipi',
  flushRangeFreedTables: false,
  outcomes: SAFE_VERSION,
};
