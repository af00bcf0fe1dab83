// Linux 6.15 on x86-64: page tables always freed through RCU (a37259732a7d, "x86/mm: Make
// MMU_GATHER_RCU_TABLE_FREE unconditional", Rik van Riel), so every collapse's
// tlb_remove_table_sync_one() interrupts every online CPU, bare metal too; and flush_tlb_range()
// says tables were freed, so the collapse's shootdown reaches lazy-TLB CPUs as well
// (3ef938c35035, "x86/mm: Fix flush_tlb_range() when used for zapping normal PMDs", Jann Horn).

import { linuxX8661 } from './linux-x86-6.1.ts';
import { sameAs } from './version.ts';

export const linuxX86615 = sameAs({
  version: 'x86-6.15',
  sameAs: linuxX8661,
  models: 'tables always RCU-freed: every collapse IPIs every online CPU; its shootdown reaches lazy CPUs',
  sources: ['a37259732a7d (x86/mm: Make MMU_GATHER_RCU_TABLE_FREE unconditional)', '3ef938c35035 (x86/mm: Fix flush_tlb_range() when used for zapping normal PMDs)'],
  differences: { rcuTableFree: 'always', flushRangeFreedTables: true },
});
