// counter-rfc: the series' RFC and v1 (Sept 2019). The walk is counted inside
// find_current_mm_pte() itself: the count goes up before the lookup and down right after it,
// before the caller uses the pte it returned, still with IRQs off. The unmapper, seeing no walk,
// frees the page under that use. A scope bug ("We need to keep the count updated across the
// local_irq_disable()/local_irq_enable()", in review): it shows on any hardware, so the count
// here is fully fenced, and nothing but the scope can explain what it shows.
// Models arch/powerpc/include/asm/pte-walk.h and book3s64/pgtable.c of the series' RFC.

import { mmWord } from '../shared-memory/mm.ts';
import { serialize_if_walks_counted } from './mm-count.ts';
import { Expect, SAFE, type PgtblSyncStrategy } from './strategy.ts';

export const counterRfc: PgtblSyncStrategy = {
  name: 'counter-rfc',
  expect: { ...SAFE, useAfterFree: Expect.INTERESTING, misread: Expect.INTERESTING },
  freeing: 'immediate',
  bug: "the count dropped when the lookup ended, before the use of the pte did: the RFC's scope",
  showWith: '--race-window 1 --cpus 2 --memory 64G',
  models: 'Bras series RFC/v1: the count covers the lookup, not the use of the pte',
  countsLookupOnly: true,

  start_lockless_pgtbl_walk(cpu) {
    Atomics.add(cpu.mm, mmWord.locklessPgtblWalkCount, 1);
  },
  end_lockless_pgtbl_walk(cpu) {
    Atomics.sub(cpu.mm, mmWord.locklessPgtblWalkCount, 1);
  },

  serialize_against_pte_lookup: serialize_if_walks_counted,
};
