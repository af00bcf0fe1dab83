// Linux 6.1: khugepaged's tlb_remove_table_sync_one() after pmdp_collapse_flush() (2ba99c5e0881):
// an IPI to every online CPU, closing 6.0's hole.

import { linux60 } from './linux-6.0.ts';
import { SAFE_VERSION, sameAs } from './version.ts';

export const linux61 = sameAs({
  version: '6.1',
  sameAs: linux60,
  models: 'as 5.8, collapse IPIs every online CPU (tlb_remove_table_sync_one())',
  sources: ['2ba99c5e0881 (mm/khugepaged: fix GUP-fast interaction by sending IPI)', 'mm/khugepaged.c (collapse_huge_page())'],
  differences: { serialize: { tableSync: 'online-ipi' }, outcomes: SAFE_VERSION },
});
