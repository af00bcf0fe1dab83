// Linux 6.1-rc1: the radix collapse IPI removed (bedf03416913), trusting GUP-fast's re-check of
// the PMD (70cbc3cc78a99): the window Jann Horn found, a walker reading the PTE page a collapse
// has deposited.

import { Expect } from '../strategy.ts';
import { linux58 } from './linux-5.8.ts';
import { sameAs } from './version.ts';

export const linux61rc1 = sameAs({
  version: '6.1-rc1',
  sameAs: linux58,
  models: 'as 5.8, and no collapse IPI: GUP-fast re-checks the PMD',
  sources: ['bedf03416913 (powerpc/mm: remove the IPI from radix__pmdp_collapse_flush())', '70cbc3cc78a99 (mm: gup: fix the fast GUP race against THP collapse)'],
  differences: {
    serialize: { collapseFlush: 'none' },
    outcomes: {
      useAfterFree: { expect: Expect.FORBIDDEN, desc: 'no frame is freed under a walker' },
      misread: {
        expect: Expect.ACCEPTABLE_INTERESTING,
        desc: "a GUP-fast walker read the PMD before the collapse cleared it, and the pte after the deposit wrote its list pointers there",
        demonstrate: {
          spec: { op: 'collapse', machine: { cpus: 3, memoryBytes: 16 * 2 ** 30 }, workload: { raceWindow: 2, mix: [{ kind: 'gup-fast', weight: 1 }] } },
          attempts: 10,
          fixedBy: 'linux-6.1',
        },
      },
      counterDrift: { expect: Expect.FORBIDDEN, desc: 'it keeps no count' },
    },
  },
});
