// stale-tolerant: what Linux 5.8 merged (Aneesh Kumar K.V., "Avoid IPI while updating page
// table entries"). No IPI when a PMD is cleared or invalidated: walkers read each entry once
// and cope with a stale value, and every caller that uses the page guards it its own way
// (GUP-fast and perf: a page reference and a re-check; KVM: kvm->mmu_lock and the MMU
// notifier; mce: only the pfn). munmap flushes each PMD's TLB entry as it clears it
// (pmdp_huge_get_and_clear_full()); frames still go through the mmu_gather. Collapse kept its
// IPI (radix__pmdp_collapse_flush(), until bedf03416913).
// Models arch/powerpc/mm/book3s64/pgtable.c and radix_pgtable.c from 5.8.

import { serialize_against_pte_lookup } from '../kernel/serialize.ts';
import { SAFE, defineStrategy } from './strategy.ts';

export const staleTolerant = defineStrategy({
  name: 'stale-tolerant',
  models: 'Linux 5.8+: no IPI on clear; walkers read once and guard what they use; TLB flush per PMD',
  sources: ['[PATCH v3 20/22] powerpc/mm/book3s64: Avoid sending IPI on clearing PMD (Aneesh Kumar K.V., 2020), merged for 5.8'],
  outcomes: SAFE,
  // No IPI on a PMD clear or invalidation; collapse keeps it.
  serialize: { collapseFlush: serialize_against_pte_lookup },
  kernel: { walkerStyle: 'value', walkerGuards: true, tlbFlushEachPmd: true },
});
