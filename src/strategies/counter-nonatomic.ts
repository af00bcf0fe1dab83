// counter-nonatomic: the walk counter kept with a plain read-modify-write, as `count++` on a
// shared int would be. Concurrent walkers lose updates, so the count drifts: below the truth
// it lets the unmapper free pages under walkers, above it every later PMD pays for an IPI.
// Unsafe on purpose: its drift and use-after-frees are the demonstrated bug.
// Models the series' counter without atomic_inc()/atomic_dec() (a teaching variant).

import { mmWord } from '../shared-memory/mm.ts';
import { serialize_if_walks_counted } from './mm-count.ts';
import { Expect, type PgtblSyncStrategy } from './strategy.ts';

export const counterNonatomic: PgtblSyncStrategy = {
  name: 'counter-nonatomic',
  // Lost updates drift the count; where it reads 0 with walks in flight, a page is freed under them.
  expect: { useAfterFree: Expect.INTERESTING, misread: Expect.INTERESTING, counterDrift: Expect.INTERESTING },
  freeing: 'immediate',
  bug: "lost updates on a plain count++",
  showWith: '--race-window 1 --cpus 3 --memory 64G',
  models: 'the series with count++/count-- instead of atomics: lost updates',

  start_lockless_pgtbl_walk(cpu) {
    // Load, add, store: another walker's update between our load and store is lost. Nor is it
    // a barrier, so our PMD load may also pass our store of the count.
    cpu.mm[mmWord.locklessPgtblWalkCount] = cpu.mm[mmWord.locklessPgtblWalkCount] + 1;
  },

  end_lockless_pgtbl_walk(cpu) {
    cpu.mm[mmWord.locklessPgtblWalkCount] = cpu.mm[mmWord.locklessPgtblWalkCount] - 1;
  },

  // The unmapper's side is v5's, so what goes wrong is the count.
  serialize_against_pte_lookup: serialize_if_walks_counted,
};
