// skip-on-unmap: Leonardo Bras' "[RFC PATCH 1/1] powerpc/pgtable: Skip
// serialize_against_pte_lookup() when unmapping" (13 Jan 2020,
// 20200113211126.39270-1-leonardo@linux.ibm.com), after the reviews of the counting series' v5.
// radix__pmdp_huge_get_and_clear() gains a `serialize` argument, false when called through the
// new pmdp_huge_get_and_clear_full() ("only called in zap_huge_pmd(), so it's safe to assume it
// will always be called on memory that will be unmapped"): munmap sends no IPI; split and
// collapse keep it. "On my workload (qemu: 128vcpus + 500GB), I could see munmap's time reduction
// from 275 seconds to 39ms." No reply to it is in the archives. Its premise is Peter Zijlstra's
// on v5: "munmap() uses the normal page-table freeing code and should be entirely fine without
// additional waiting" (20191003072952.GN4536@hirez.programming.kicks-ass.net). On radix the
// mmu_gather frees a THP's frame after a tlbie, which waits for no lockless walker, so a 5.4
// walker that uses the page with IRQs off alone (find_current_mm_pte()'s callers that
// dereference what it returns) is left exposed; 5.8's rework made each caller guard its use.
// Models arch/powerpc/mm/book3s64/radix_pgtable.c and pgtable.c of the RFC, on 5.4.

import { serialize_against_pte_lookup } from '../kernel/serialize.ts';
import { Expect, defineStrategy } from './strategy.ts';

export const skipOnUnmap = defineStrategy({
  name: 'skip-on-unmap',
  models: 'Bras RFC, Jan 2020: no IPI on the munmap path, split and collapse keep it',
  sources: ['Leonardo Bras, "[RFC PATCH 1/1] powerpc/pgtable: Skip serialize_against_pte_lookup() when unmapping" (13 Jan 2020, 20200113211126.39270-1-leonardo@linux.ibm.com); no reply in the archives'],
  outcomes: {
    useAfterFree: {
      expect: Expect.ACCEPTABLE_INTERESTING,
      desc: "a walker using its THP with IRQs off alone met munmap's free: nothing waited for it once the IPI went, and radix's tlbie waits for no walker",
      demonstrate: { spec: { machine: { cpus: 2, memoryBytes: 64 * 2 ** 30 }, workload: { raceWindow: 1 } }, attempts: 8, fixedBy: 'linux-5.8' },
    },
    misread: { expect: Expect.FORBIDDEN, desc: 'split and collapse keep the IPI that prevents it' },
    counterDrift: { expect: Expect.FORBIDDEN, desc: 'it keeps no count' },
  },
  // The munmap path (pmdp_huge_get_and_clear_full()) serialises nothing; invalidate and collapse flush still do.
  serialize: { pmdInvalidate: serialize_against_pte_lookup, collapseFlush: serialize_against_pte_lookup },
});
