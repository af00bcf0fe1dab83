// Linux 6.0: the radix collapse IPI removed (bedf03416913, "powerpc/64s/radix: don't need to
// broadcast IPI for radix pmd collapse flush", Yang Shi, Sep 2022), trusting GUP-fast's new
// re-check of the PMD (70cbc3cc78a99, "mm: gup: fix the fast GUP race against THP collapse");
// both were upstream before 6.0 and queued for 5.19.y on 2 Oct 2022. The hole Jann Horn found
// (2ba99c5e0881, which closed it in 6.1): GUP-fast may still be reading the PTE page a collapse
// has deposited, and so may "interpret the contents of freed memory as page tables (and once a
// page table has been deposited, it can be freed)" and "interpret the contents of deposited page
// tables as PTEs, since some architectures will store non-PTE data inside deposited page tables
// (see radix__pgtable_trans_huge_deposit())".

import { Expect } from '../strategy.ts';
import { linux58 } from './linux-5.8.ts';
import { sameAs } from './version.ts';

export const linux60 = sameAs({
  version: '6.0',
  sameAs: linux58,
  models: 'as 5.8, and no collapse IPI: GUP-fast re-checks the PMD',
  sources: ['bedf03416913 (powerpc/64s/radix: don\'t need to broadcast IPI for radix pmd collapse flush)', '70cbc3cc78a99 (mm: gup: fix the fast GUP race against THP collapse)'],
  differences: {
    serialize: { collapseFlush: 'none' },
    gupRechecksPmd: true,
    // 5.12 on: the serialize IPI's handler trims mm_cpumask (032b7f08932c).
    mmCpumask: 'exact',
    outcomes: {
      useAfterFree: {
        expect: Expect.ACCEPTABLE_INTERESTING,
        desc: "a GUP-fast walker still in the PTE page a collapse had just deposited, when the unmap of the THP beside it withdrew that page and freed it (zap_deposited_table()): the first of Jann Horn's reasons",
        demonstrate: {
          spec: { op: 'collapse-munmap', machine: { cpus: 3, memoryBytes: 16 * 2 ** 30 }, workload: { raceWindow: 2, mix: [{ kind: 'gup-fast', weight: 1 }] } },
          attempts: 10,
          fixedBy: 'linux-6.1',
        },
      },
      misread: {
        expect: Expect.ACCEPTABLE_INTERESTING,
        desc: "a GUP-fast walker read the PMD before the collapse cleared it, and the pte after the deposit wrote its list pointers there, which a big-endian kernel's ptes read as present: the second",
        demonstrate: {
          spec: { op: 'collapse', machine: { arch: 'ppc64-radix', cpus: 3, memoryBytes: 16 * 2 ** 30 }, workload: { raceWindow: 2, mix: [{ kind: 'gup-fast', weight: 1 }] } },
          attempts: 10,
          fixedBy: 'linux-6.1',
        },
      },
      counterDrift: { expect: Expect.FORBIDDEN, desc: 'it keeps no count' },
    },
  },
});
